"""A user of company A never sees or changes anything of company B, and carts never leak
between visitors; POST views need a CSRF token.

A 404 of a URL outside the language prefixes is answered by Django's ``LocaleMiddleware``
with a redirect to the ``/en/…`` path (Wagtail's page routing matches every path), which
answers 404 in turn: requests here follow redirects and look at the final answer.
"""

from __future__ import annotations

import re
from typing import Any

import pytest

from magpie_checkout import lists
from magpie_checkout.models import Address, CompanyMember, OrderList
from tests.checkout.shop_fixtures import client_for, make_order, visitor

pytestmark = pytest.mark.django_db


@pytest.fixture
def company_b(shop: Any) -> Any:
    """Company B (``shop.de``) with a list, an order and an address of its own."""
    order_list = lists.create_list(shop.de.company, "Geheimliste B", shop.de.admin)
    lists.add_line(order_list, shop.products["MOTOR"], None, 3)
    order = make_order(shop.de, [(shop.products["MOTOR"], 3)], po_number="PO-B-SECRET")
    member = CompanyMember.objects.get(user=shop.de.requester)
    return {"list": order_list, "order": order, "member": member, "address": shop.de.shipping}


def test_company_b_urls_answer_404_to_company_a(shop: Any, company_b: Any) -> None:
    admin_a = client_for(shop.ch.admin)
    b = company_b
    for url in (
        f"/shop/account/lists/{b['list'].pk}/",
        f"/shop/orders/{b['order'].number}/reorder/",
        f"/shop/account/users/{b['member'].pk}/",
        f"/shop/account/addresses/{b['address'].pk}/",
    ):
        response = admin_a.get(url, follow=True)
        assert response.status_code == 404, url
        assert "Geheimliste" not in response.content.decode()
        deleted = admin_a.post(url, {"action": "delete", "delete": "1"}, follow=True)
        assert deleted.status_code == 404, url

    to_cart = admin_a.post(
        f"/shop/account/lists/{b['list'].pk}/", {"action": "to_cart"}, follow=True
    )
    assert to_cart.status_code == 404
    assert (
        admin_a.post(f"/shop/orders/{b['order'].number}/reorder/", follow=True).status_code == 404
    )
    promoted = admin_a.post(
        f"/shop/account/users/{b['member'].pk}/", {"role": "admin", "active": "on"}, follow=True
    )
    assert promoted.status_code == 404
    # Nothing of B changed, nothing landed in A's cart.
    assert OrderList.objects.filter(pk=b["list"].pk, name="Geheimliste B").exists()
    assert CompanyMember.objects.get(pk=b["member"].pk).role == "requester"
    assert Address.objects.filter(pk=b["address"].pk).exists()
    assert admin_a.get("/shop/cart/").content.decode().count("MOTOR") == 0


def test_company_a_pages_show_nothing_of_company_b(shop: Any, company_b: Any) -> None:
    admin_a = client_for(shop.ch.admin)
    pages = "".join(
        admin_a.get(url).content.decode()
        for url in (
            "/shop/account/",
            "/shop/account/orders/",
            "/shop/account/lists/",
            "/shop/account/users/",
            "/shop/account/addresses/",
            "/shop/cart/",
        )
    )
    # CSRF tokens are random letters: drop them, or "EUR" may turn up in one by chance.
    pages = re.sub(r'name="csrfmiddlewaretoken" value="[^"]*"', "", pages)
    for secret in (
        "Geheimliste B",
        company_b["order"].number,
        "schraubengmbh",
        "Schrauben GmbH",
        "EUR",
    ):
        assert secret not in pages, secret


def test_a_list_of_b_cannot_be_the_target_of_a_cart(shop: Any, company_b: Any) -> None:
    client = client_for(shop.ch.buyer)
    client.post("/shop/cart/add/", {"sku": "BOLT", "quantity": 1}, HTTP_ORIGIN="http://testserver")
    response = client.post("/shop/cart/to-list/", {"list": company_b["list"].pk}, follow=True)
    assert response.status_code == 404
    assert list(company_b["list"].lines.values_list("product__sku", flat=True)) == ["MOTOR"]


def test_a_company_sees_its_own_prices_not_anothers(shop: Any) -> None:
    """A company price list of B must not price A's cart."""
    from decimal import Decimal

    from magpie_catalog.models import PriceEntry, PriceList

    special = PriceList.objects.create(
        code="de-special", name="B only", currency="CHF", scope="company", company=shop.de.company,
        priority=100,
    )  # fmt: skip
    PriceEntry.objects.create(
        price_list=special, product=shop.products["BOLT"], amount=Decimal("0.99")
    )
    client = client_for(shop.ch.buyer)
    client.post("/shop/cart/add/", {"sku": "BOLT", "quantity": 1}, HTTP_ORIGIN="http://testserver")
    html = client.get("/shop/cart/").content.decode()
    assert "CHF&nbsp;2.50" in html and "0.99" not in html


def test_carts_never_leak_between_visitors(shop: Any) -> None:
    alice, bob = visitor(), visitor()
    alice.post("/shop/cart/add/", {"sku": "MOTOR", "quantity": 2}, HTTP_ORIGIN="http://testserver")
    assert "MOTOR" not in bob.get("/shop/cart/").content.decode()
    assert bob.get("/shop/cart/count.json").json() == {"count": 0}
    # Bob cannot change Alice's line either.
    from magpie_checkout.models import CartLine

    line = CartLine.objects.get()
    bob.post("/shop/cart/add/", {"sku": "BOLT", "quantity": 1}, HTTP_ORIGIN="http://testserver")
    bob.post("/shop/cart/update/", {"remove": line.pk})
    bob.post("/shop/cart/update/", {f"quantity-{line.pk}": "99"})
    line.refresh_from_db()
    assert line.quantity == 2
    # A logged-in buyer does not see a visitor's cart either.
    assert "MOTOR" not in client_for(shop.ch.buyer).get("/shop/cart/").content.decode()


@pytest.mark.parametrize(
    "url, data",
    [
        ("/shop/cart/update/", {"remove": "1"}),
        ("/shop/quick-order/", {"sku-0": "BOLT", "quantity-0": "1"}),
        ("/shop/account/lists/", {"name": "x"}),
        ("/shop/cart/to-list/", {"name": "x"}),
        ("/shop/account/users/", {"email": "x@y.example", "role": "buyer"}),
    ],
)
def test_post_views_need_a_csrf_token(shop: Any, url: str, data: dict[str, str]) -> None:
    client = client_for(shop.ch.admin, enforce_csrf_checks=True)
    assert client.post(url, data).status_code == 403
    assert not OrderList.objects.exists()


def test_company_b_order_pages_documents_and_approvals_answer_404_to_company_a(
    shop: Any, company_b: Any
) -> None:
    from magpie_checkout.models import Document

    order = company_b["order"]
    order.state = "awaiting_approval"
    order.save(update_fields=["state"])
    document = Document.objects.create(
        order=order, kind="invoice", number="R-2026-000777", currency="EUR",
        net_total=order.net_total, tax_total=order.tax_total, gross_total=order.gross_total,
    )  # fmt: skip
    admin_a = client_for(shop.ch.admin)
    for url in (
        f"/shop/account/orders/{order.number}/",
        f"/shop/account/documents/{document.pk}.pdf",
    ):
        response = admin_a.get(url, follow=True)
        assert response.status_code == 404, url
        assert "PO-B-SECRET" not in response.content.decode()
    for action in ("approve", "reject"):
        response = admin_a.post(
            "/shop/account/approvals/", {"order": order.number, "action": action}, follow=True
        )
        assert response.status_code == 404
    assert order.number not in admin_a.get("/shop/account/approvals/").content.decode()
    order.refresh_from_db()
    assert order.state == "awaiting_approval"


def test_an_approval_link_naming_no_one_is_refused_to_company_a(shop: Any, company_b: Any) -> None:
    from magpie_checkout.approval import approval_token

    order = company_b["order"]
    order.state = "awaiting_approval"
    order.save(update_fields=["state"])
    path = f"/shop/approval/{approval_token(order, 'approve')}/"
    response = client_for(shop.ch.admin).post(path)
    assert response.status_code == 403
    order.refresh_from_db()
    assert order.state == "awaiting_approval"
