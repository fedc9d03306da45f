"""Concurrent placements on PostgreSQL: double submits make one order, the last units are
never oversold, numbers stay gap-free."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

import pytest
from django.db import connection
from django.utils import timezone

from magpie_catalog.models import Product, StockLevel
from magpie_checkout.models import CompanyMember, Order, OrderLine
from magpie_checkout.placement import OrderError
from tests.checkout.conftest import build_shop, make_cart, make_user, place

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


def run_together(count: int, work: Callable[[int], Any]) -> list[Any]:
    """Run ``work(i)`` in ``count`` threads released at once; return results or errors."""
    results: list[Any] = [None] * count
    start = threading.Barrier(count)

    def run(index: int) -> None:
        try:
            start.wait()
            results[index] = work(index)
        except Exception as error:  # collected for the assertions
            results[index] = error
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results


def test_eight_double_submits_with_one_key_make_one_order(magpie_site):
    shop = build_shop(magpie_site)
    ch = shop.ch
    cart = make_cart(
        shop.site, ch.buyer, ch.company, [(shop.products["BOLT"], 3), (shop.products["MOTOR"], 1)]
    )
    results = run_together(
        8, lambda i: place(cart, ch.buyer, ch, idempotency_key="double-click").pk
    )
    assert Order.objects.count() == 1
    assert results == [Order.objects.get().pk] * 8
    assert StockLevel.objects.get(product=shop.products["MOTOR"]).reserved == 1
    assert StockLevel.objects.get(product=shop.products["BOLT"]).reserved == 3


def test_twenty_buyers_for_the_last_five_units(magpie_site):
    shop = build_shop(magpie_site)
    ch = shop.ch
    last = Product.objects.create(sku="LAST", name_de="Restposten", status="active")
    StockLevel.objects.create(product=last, warehouse=shop.warehouse, on_hand=5)
    from magpie_catalog.models import PriceEntry

    PriceEntry.objects.create(price_list=shop.lists["CHF"], product=last, amount="10.00")
    carts = []
    for i in range(20):
        user = make_user(f"buyer{i}@alpenwerkag.example")
        CompanyMember.objects.create(company=ch.company, user=user, role="buyer")
        lines = [(last, 1), (shop.products["BOLT"], 2)] if i % 2 else [(last, 1)]
        carts.append((make_cart(shop.site, user, ch.company, lines), user))

    results = run_together(20, lambda i: place(carts[i][0], carts[i][1], ch))

    orders = [r for r in results if isinstance(r, Order)]
    refused = [r for r in results if isinstance(r, OrderError)]
    assert len(orders) == 5 and len(refused) == 15, results
    assert all("LAST:" in error.messages[0] for error in refused)
    row = StockLevel.objects.get(product=last)
    assert (row.on_hand, row.reserved) == (5, 5)
    assert sum(OrderLine.objects.filter(sku="LAST").values_list("quantity", flat=True)) == 5
    bolts = sum(OrderLine.objects.filter(sku="BOLT").values_list("quantity", flat=True))
    assert StockLevel.objects.get(product=shop.products["BOLT"]).reserved == bolts
    year = timezone.localdate().year
    assert sorted(Order.objects.values_list("number", flat=True)) == [
        f"{year}-{n:06d}" for n in range(1, 6)
    ]
