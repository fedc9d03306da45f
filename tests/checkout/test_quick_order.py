"""Quick order: SKU and quantity rows, checked per row, added all at once or not at all."""

from __future__ import annotations

from typing import Any

import pytest

from magpie_checkout import quickorder
from magpie_checkout.models import Cart, CartLine
from tests.checkout.shop_fixtures import cart_lines, client_for, visitor

pytestmark = pytest.mark.django_db


def rows(*pairs: tuple[str, str]) -> dict[str, str]:
    data = {"rows": "10"}
    for index, (sku, quantity) in enumerate(pairs):
        data[f"sku-{index}"], data[f"quantity-{index}"] = sku, quantity
    return data


def test_the_form_starts_with_ten_rows_and_grows_without_script(shop: Any) -> None:
    client = client_for(shop.ch.buyer)
    html = client.get("/shop/quick-order/").content.decode()
    assert html.count('class="sku-input"') == 10
    assert 'for="sku-0"' in html and 'id="quantity-9"' in html
    more = client.post("/shop/quick-order/", {**rows(("BOLT", "3")), "more": "1"})
    html = more.content.decode()
    assert html.count('class="sku-input"') == 20
    assert 'value="BOLT"' in html, "typed rows are kept"
    assert not CartLine.objects.exists()


def test_all_valid_rows_are_added_at_once(shop: Any) -> None:
    client = client_for(shop.ch.buyer)
    response = client.post("/shop/quick-order/", rows(("bolt", "20"), ("CABLE", "2"), ("", "")))
    assert response.status_code == 302 and response["Location"] == "/shop/cart/"
    assert cart_lines(shop.ch.buyer) == {"BOLT": 20, "CABLE": 2}


def test_one_bad_row_adds_nothing_and_reports_every_row(shop: Any) -> None:
    shop.products["MOTOR"].status = "discontinued"
    shop.products["MOTOR"].save()
    client = client_for(shop.ch.buyer)
    response = client.post(
        "/shop/quick-order/",
        rows(
            ("BOLT", "5"),
            ("NOPE-1", "1"),
            ("CABLE", "0"),
            ("CABLE", "1.5"),
            ("MOTOR", "1"),
            ("BOLT", "-2"),
            ("", "4"),
        ),
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert "6 rows have errors; nothing was added." in html
    assert "Unknown article number." in html
    assert "The quantity must be at least 1." in html
    assert "whole number of at least 1" in html
    assert "This product cannot be ordered." in html
    assert "Enter an article number." in html
    assert 'aria-invalid="true" aria-describedby="result-1"' in html
    assert not CartLine.objects.exists() and not Cart.objects.exists()


def test_more_than_available_is_a_warning_and_still_added(shop: Any) -> None:
    report = quickorder.check_rows([(1, "MOTOR", "25")])
    row = report.rows[0]
    assert row.status == "warning" and row.available == 10
    assert "Only 10 available now" in row.message
    client = client_for(shop.ch.buyer)
    client.post("/shop/quick-order/", rows(("MOTOR", "25")))
    assert cart_lines(shop.ch.buyer) == {"MOTOR": 25}


def test_variant_skus_are_found(shop: Any) -> None:
    from magpie_catalog.models import Variant

    Variant.objects.create(product=shop.products["CABLE"], sku="CABLE-5M")
    client = visitor()
    client.post("/shop/quick-order/", rows(("cable-5m", "3")))
    assert cart_lines(cart=Cart.objects.get()) == {"CABLE-5M": 3}


def test_sku_suggestions_are_active_products_by_prefix(shop: Any) -> None:
    from magpie_catalog.models import Product

    Product.objects.create(sku="BOLT-DRAFT", name_de="Entwurf", status="draft")
    client = visitor()
    data = client.get("/shop/quick-order/skus.json?q=bo").json()
    assert [p["sku"] for p in data["products"]] == ["BOLT"]
    assert client.get("/shop/quick-order/skus.json?q=b").json() == {"products": []}
    for number in range(15):
        Product.objects.create(sku=f"BX-{number:02d}", name_de="x", status="active")
    assert len(client.get("/shop/quick-order/skus.json?q=bx").json()["products"]) == 10


def test_the_quick_order_touchpoint_is_recorded(shop: Any) -> None:
    from magpie.journey.consent import ACCEPTED, CONSENT_COOKIE
    from magpie.journey.models import Touchpoint

    client = visitor()
    client.cookies[CONSENT_COOKIE] = ACCEPTED
    client.post("/shop/quick-order/", rows(("BOLT", "1"), ("CABLE", "1")))
    touchpoint = Touchpoint.objects.get(type="quick_order")
    assert touchpoint.data["rows"] == 2
