"""Every catalog change made through the ORM emits a domain event and refreshes pages."""

from __future__ import annotations

from decimal import Decimal

import pytest

from magpie import pagecache
from magpie.events.models import Event
from magpie_catalog.models import PriceEntry, PriceList, Product, StockLevel, Warehouse

pytestmark = pytest.mark.django_db


def _events(type_: str) -> list[dict]:
    return list(
        Event.objects.filter(type=type_).order_by("created_at").values_list("payload", flat=True)
    )


def test_product_price_and_stock_changes_emit_events():
    before = pagecache.generation()
    product = Product.objects.create(sku="GM-1", name_de="Motor", status="active")
    assert _events("product.changed")[-1] == {
        "sku": "GM-1",
        "product_id": product.pk,
        "deleted": False,
    }
    assert pagecache.generation() > before

    listing = PriceList.objects.create(code="list", name="Liste", currency="CHF")
    PriceEntry.objects.create(price_list=listing, product=product, amount=Decimal("99.50"))
    assert _events("price.changed")[-1] == {
        "price_list": "list",
        "sku": "GM-1",
        "min_quantity": 1,
        "amount": "99.50",
    }

    warehouse = Warehouse.objects.create(code="thun", name="Thun")
    StockLevel.objects.create(warehouse=warehouse, product=product, on_hand=7)
    assert _events("stock.changed")[-1] == {
        "sku": "GM-1",
        "warehouse": "thun",
        "on_hand": 7,
        "reserved": 0,
    }

    product.delete()
    assert _events("product.changed")[-1]["deleted"] is True


def test_category_moves_and_label_changes_refresh_pages():
    from magpie_catalog.models import Brand, Category

    product = Product.objects.create(sku="GM-2", name_de="Motor", status="active")
    motors = Category.add_root(name_de="Motoren", slug="motoren")
    before = pagecache.generation()
    product.categories.add(motors)
    assert pagecache.generation() > before
    assert _events("product.changed")[-1] == {"skus": ["GM-2"], "categories": True}

    before = pagecache.generation()
    Brand.objects.create(name="Alpenwerk", slug="alpenwerk")
    assert pagecache.generation() > before
