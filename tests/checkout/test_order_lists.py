"""Order lists a company shares, and reordering a past order."""

from __future__ import annotations

from typing import Any

import pytest

from magpie_checkout import lists
from magpie_checkout.models import OrderList
from tests.checkout.shop_fixtures import cart_lines, client_for, make_order

pytestmark = pytest.mark.django_db


def test_a_list_is_created_renamed_filled_and_deleted(shop: Any) -> None:
    client = client_for(shop.ch.buyer)
    response = client.post("/shop/account/lists/", {"name": "Werkstatt monatlich"})
    order_list = OrderList.objects.get()
    assert response["Location"] == f"/shop/account/lists/{order_list.pk}/"
    assert order_list.company == shop.ch.company and order_list.created_by == shop.ch.buyer
    url = f"/shop/account/lists/{order_list.pk}/"

    client.post(url, {"action": "add", "sku": "BOLT", "quantity": "50"})
    client.post(url, {"action": "add", "sku": "bolt", "quantity": "25"})
    client.post(url, {"action": "add", "sku": "CABLE", "quantity": "2"})
    bad = client.post(url, {"action": "add", "sku": "NOPE", "quantity": "1"}, follow=True)
    assert "Unknown article number." in bad.content.decode()
    zero = client.post(url, {"action": "add", "sku": "BOLT", "quantity": "0"}, follow=True)
    assert "at least 1" in zero.content.decode()
    assert {line.product.sku: line.quantity for line in order_list.lines.all()} == {
        "BOLT": 75,
        "CABLE": 2,
    }

    cable = order_list.lines.get(product__sku="CABLE")
    bolt = order_list.lines.get(product__sku="BOLT")
    client.post(url, {"action": "quantities", f"quantity-{bolt.pk}": "60"})
    client.post(url, {"remove_line": cable.pk})
    assert {line.product.sku: line.quantity for line in order_list.lines.all()} == {"BOLT": 60}

    client.post(url, {"action": "rename", "name": "Werkstatt"})
    empty = client.post(url, {"action": "rename", "name": "  "}, follow=True)
    assert "Give the list a name." in empty.content.decode()
    order_list.refresh_from_db()
    assert order_list.name == "Werkstatt"

    client.post(url, {"action": "delete"})
    assert not OrderList.objects.exists()


def test_lists_are_shared_by_the_company_and_go_into_the_cart(shop: Any) -> None:
    order_list = lists.create_list(shop.ch.company, "Montage", shop.ch.admin)
    lists.add_line(order_list, shop.products["BOLT"], None, 10)
    lists.add_line(order_list, shop.products["MOTOR"], None, 1)
    # Another user of the same company sees and uses it.
    client = client_for(shop.ch.requester)
    page = client.get("/shop/account/lists/").content.decode()
    assert "Montage" in page
    shop.products["MOTOR"].status = "discontinued"
    shop.products["MOTOR"].save()
    response = client.post(
        f"/shop/account/lists/{order_list.pk}/", {"action": "to_cart"}, follow=True
    )
    html = response.content.decode()
    assert cart_lines(shop.ch.requester) == {"BOLT": 10}
    assert "MOTOR not added: This product cannot be ordered." in html


def test_the_cart_is_saved_to_a_new_or_existing_list(shop: Any) -> None:
    client = client_for(shop.de.buyer)
    client.post(
        "/shop/cart/add/", {"sku": "CABLE", "quantity": "4"}, HTTP_ORIGIN="http://testserver"
    )
    response = client.post("/shop/cart/to-list/", {"name": "Kabel"})
    order_list = OrderList.objects.get(name="Kabel")
    assert order_list.company == shop.de.company
    assert response["Location"] == f"/shop/account/lists/{order_list.pk}/"
    client.post("/shop/cart/to-list/", {"list": order_list.pk})
    assert order_list.lines.get().quantity == 8
    nameless = client.post("/shop/cart/to-list/", {"name": ""}, follow=True)
    assert "Give the list a name." in nameless.content.decode()
    assert OrderList.objects.count() == 1


def test_visitors_have_no_lists(shop: Any) -> None:
    from tests.checkout.shop_fixtures import visitor

    response = visitor().get("/shop/account/lists/")
    assert response.status_code == 302 and "/shop/login/" in response["Location"]


def test_reorder_adds_the_orders_active_lines_and_reports_the_rest(shop: Any) -> None:
    order = make_order(
        shop.ch,
        [(shop.products["BOLT"], 30), (shop.products["MOTOR"], 1), (shop.products["CABLE"], 3)],
    )
    shop.products["MOTOR"].status = "discontinued"
    shop.products["MOTOR"].save()
    order.lines.filter(sku="CABLE").update(product=None)
    client = client_for(shop.ch.approver)
    page = client.get(f"/shop/orders/{order.number}/reorder/")
    assert page.status_code == 200 and "BOLT" in page.content.decode()
    response = client.post(f"/shop/orders/{order.number}/reorder/")
    html = response.content.decode()
    assert cart_lines(shop.ch.approver) == {"BOLT": 30}
    assert "1 line was added to the cart." in html
    assert "This product cannot be ordered." in html
    assert "This product no longer exists." in html


def test_the_order_list_shows_the_companys_orders_newest_first(shop: Any) -> None:
    first = make_order(shop.ch, [(shop.products["BOLT"], 1)])
    second = make_order(shop.ch, [(shop.products["CABLE"], 1)])
    html = client_for(shop.ch.buyer).get("/shop/account/orders/").content.decode()
    assert html.index(second.number) < html.index(first.number)
    dashboard = client_for(shop.ch.buyer).get("/shop/account/").content.decode()
    assert "Alpenwerk AG" in dashboard and "Buyer" in dashboard


def test_the_reorder_touchpoint_is_recorded(shop: Any) -> None:
    from magpie.journey.consent import ACCEPTED, CONSENT_COOKIE
    from magpie.journey.models import Touchpoint

    order = make_order(shop.ch, [(shop.products["BOLT"], 2)])
    client = client_for(shop.ch.buyer)
    client.cookies[CONSENT_COOKIE] = ACCEPTED
    client.post(f"/shop/orders/{order.number}/reorder/")
    assert Touchpoint.objects.get(type="reorder").data["order"] == order.number
