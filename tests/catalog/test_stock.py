"""Stock: availability, all-or-nothing reservations, and no overselling under concurrency."""

from __future__ import annotations

import threading

import pytest
from django.db import IntegrityError, connection, transaction

from magpie_catalog.models import Product, StockLevel, Warehouse
from magpie_catalog.stock import InsufficientStock, availability, release, reserve


@pytest.fixture
def stocked(db):
    product = Product.objects.create(
        sku="BRG-6204", name_de="Rillenkugellager 6204", status="active", lead_time_days=14
    )
    thun = Warehouse.objects.create(code="thun", name="Thun", lead_time_days=1)
    basel = Warehouse.objects.create(code="basel", name="Basel", lead_time_days=2)
    StockLevel.objects.create(warehouse=thun, product=product, on_hand=3)
    StockLevel.objects.create(warehouse=basel, product=product, on_hand=4, reserved=1)
    return product


def test_availability_sums_warehouses_and_uses_the_fastest(stocked):
    state = availability(stocked)
    assert (state.available, state.lead_time_days, state.in_stock) == (6, 1, True)
    StockLevel.objects.filter(warehouse__code="thun").update(reserved=3)
    assert availability(stocked).lead_time_days == 2


def test_out_of_stock_shows_the_products_lead_time(stocked):
    StockLevel.objects.update(reserved=0, on_hand=0)
    state = availability(stocked)
    assert (state.available, state.lead_time_days, state.in_stock) == (0, 14, False)


def test_reservation_is_all_or_nothing(stocked):
    taken = reserve([(stocked, None, 5)])
    assert sum(units for _, units in taken) == 5
    assert availability(stocked).available == 1
    with pytest.raises(InsufficientStock) as excinfo:
        reserve([(stocked, None, 1), (stocked, None, 1)])  # the second line cannot be covered
    assert excinfo.value.available == 0
    assert availability(stocked).available == 1  # the first line was rolled back too
    release(taken)
    assert availability(stocked).available == 6


def test_database_guards_reserved_within_on_hand(stocked):
    row = StockLevel.objects.get(warehouse__code="thun")
    with pytest.raises(IntegrityError), transaction.atomic():
        StockLevel.objects.filter(pk=row.pk).update(reserved=4)
    with pytest.raises(IntegrityError), transaction.atomic():
        StockLevel.objects.filter(pk=row.pk).update(on_hand=-1)


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_concurrent_buyers_never_reserve_more_than_on_hand():
    product = Product.objects.create(sku="LAST-UNITS", name_de="Restposten", status="active")
    warehouse = Warehouse.objects.create(code="thun", name="Thun")
    StockLevel.objects.create(warehouse=warehouse, product=product, on_hand=5)
    outcomes: list[str] = []
    start = threading.Barrier(12)

    def buyer() -> None:
        try:
            start.wait()
            reserve([(product, None, 1)])
            outcomes.append("reserved")
        except InsufficientStock:
            outcomes.append("sold out")
        finally:
            connection.close()

    threads = [threading.Thread(target=buyer) for _ in range(12)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert outcomes.count("reserved") == 5
    assert outcomes.count("sold out") == 7
    row = StockLevel.objects.get(product=product)
    assert (row.on_hand, row.reserved) == (5, 5)
