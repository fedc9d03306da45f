"""The order pages of the account area and the approval pages.

* ``/shop/account/orders/<number>/`` — the order (and the confirmation after placing);
* ``/shop/account/documents/<id>.pdf`` — an invoice or credit note;
* ``/shop/account/approvals/`` — orders awaiting approval, approve/reject;
* ``/shop/approval/<token>/`` — the email link: GET shows, POST decides.
"""

from __future__ import annotations

import datetime
import time
from decimal import Decimal
from typing import Any

import pytest
from django.core import signing
from django.utils import timezone

from magpie_checkout import approval
from magpie_checkout.models import CompanyMember, Document, Order, Shipment, ShipmentLine
from tests.checkout.conftest import make_cart, on_hand, place
from tests.checkout.shop_fixtures import client_for, visitor

pytestmark = pytest.mark.django_db


def approval_path(order: Order, action: str, user: Any = None) -> str:
    """The path of an approval link (as the email has it)."""
    return "/shop/approval/" + approval.approval_token(order, action, user) + "/"


@pytest.fixture
def placed(shop: Any) -> Order:
    """A placed order of the Swiss buyer: 4 bolts and a motor, prepayment, PO number."""
    ch = shop.ch
    cart = make_cart(
        shop.site, ch.buyer, ch.company, [(shop.products["BOLT"], 4), (shop.products["MOTOR"], 1)]
    )
    return place(
        cart,
        ch.buyer,
        ch,
        po_number="PO-4711",
        requested_delivery_date=timezone.localdate() + datetime.timedelta(days=7),
        note="Ramp 3",
    )


@pytest.fixture
def waiting(shop: Any) -> Order:
    """An order of the Swiss requester over their limit (2 motors), awaiting approval."""
    ch = shop.ch
    CompanyMember.objects.filter(user=ch.requester).update(order_limit=Decimal("100"))
    cart = make_cart(shop.site, ch.requester, ch.company, [(shop.products["MOTOR"], 2)])
    order = place(cart, ch.requester, ch, po_number="PO-77")
    assert order.state == "awaiting_approval"
    return order


def make_document(order: Order, kind: str = "invoice", number: str = "R-2026-000001") -> Document:
    return Document.objects.create(
        order=order,
        kind=kind,
        number=number,
        currency=order.currency,
        net_total=order.net_total,
        tax_total=order.tax_total,
        gross_total=order.gross_total,
        data={},
        due_date=timezone.localdate() + datetime.timedelta(days=30),
    )


# -- the order page -------------------------------------------------------------------------


def test_the_order_page_shows_the_order(shop: Any, placed: Order, settings: Any) -> None:
    # The bank details of the invoices and emails (one setting for all of them).
    settings.MAGPIE_SELLER = {
        "name": "Alpenwerk AG",
        "bank": "Alpenbank Thun",
        "iban": "CH93 0076 2011 6238 5295 7",
    }
    line = placed.lines.get(sku="BOLT")
    shipment = Shipment.objects.create(
        order=placed,
        carrier="Post CH",
        tracking_number="99.00.123456.78901234",
        tracking_url="https://service.post.ch/track?id=99",
    )
    ShipmentLine.objects.create(shipment=shipment, order_line=line, quantity=4)
    invoice = make_document(placed)
    response = client_for(shop.ch.approver).get(f"/shop/account/orders/{placed.number}/")
    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]
    html = response.content.decode()
    assert f"<h1>Order {placed.number}</h1>" in html
    assert 'data-order-state="placed">Placed<' in html
    for text in (
        "BOLT",
        "Bolt DE",
        "MOTOR",
        "CHF&nbsp;480.00",
        "CHF&nbsp;505.00",  # net: 490.00 goods + 15.00 shipping
        "VAT 8.1 %",
        "CHF&nbsp;40.91",
        "data-gross>CHF&nbsp;545.91",
        "Hauptstrasse 1",
        "Werkstrasse 9",
        "Standard delivery",
        "Prepayment by bank transfer",
        "PO-4711",
        "Ramp 3",
        "Alpenwerk AG<br>IBAN CH93 0076 2011 6238 5295 7 (Alpenbank Thun)",
        "Post CH",
        'href="https://service.post.ch/track?id=99"',
        "99.00.123456.78901234",
        "4 × BOLT",
        f'href="/shop/account/documents/{invoice.pk}.pdf"',
        "Invoice R-2026-000001 (PDF)",
        f'action="/shop/orders/{placed.number}/reorder/"',
    ):
        assert text in html, text
    assert f"data-payment-reference>{placed.payment_reference[:4]} " in html
    # a placed order is not for deciding
    assert "Approve the order" not in html


def test_the_orders_list_links_each_order(shop: Any, placed: Order) -> None:
    html = client_for(shop.ch.buyer).get("/shop/account/orders/").content.decode()
    assert f'<a href="/shop/account/orders/{placed.number}/">{placed.number}</a>' in html
    # buyers are not sent to the approvals
    assert "/shop/account/approvals/" not in html
    assert (
        "/shop/account/approvals/"
        in client_for(shop.ch.approver).get("/shop/account/orders/").content.decode()
    )


def test_reorder_from_the_order_page(shop: Any, placed: Order) -> None:
    client = client_for(shop.ch.buyer)
    response = client.post(f"/shop/orders/{placed.number}/reorder/")
    assert "2 lines were added to the cart." in response.content.decode()


def test_an_unknown_order_answers_404(shop: Any) -> None:
    client = client_for(shop.ch.buyer)
    assert client.get("/shop/account/orders/2026-999999/", follow=True).status_code == 404
    assert visitor().get("/shop/account/orders/2026-999999/").status_code == 302  # log in


def test_a_document_downloads_as_a_pdf(shop: Any, placed: Order) -> None:
    from magpie_checkout import documents

    document = make_document(placed)
    response = client_for(shop.ch.buyer).get(f"/shop/account/documents/{document.pk}.pdf")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response.content.startswith(b"%PDF")
    disposition = response["Content-Disposition"]
    assert disposition.startswith("attachment;") and documents.filename(document) in disposition
    assert "no-store" in response["Cache-Control"]


# -- deciding in the account area -----------------------------------------------------------


def test_the_order_page_of_a_waiting_order(shop: Any, waiting: Order) -> None:
    path = f"/shop/account/orders/{waiting.number}/"
    html = client_for(shop.ch.approver).get(path).content.decode()
    assert 'data-order-state="awaiting_approval">Awaiting approval<' in html
    assert "This order awaits approval by" in html and "above your order limit" in html
    assert "Approve the order" in html and "Reject the order" in html
    for user in (shop.ch.requester, shop.ch.buyer):
        html = client_for(user).get(path).content.decode()
        assert "awaits approval" in html and "Approve the order" not in html


def test_approvers_approve_from_the_order_page(shop: Any, waiting: Order) -> None:
    client = client_for(shop.ch.approver)
    path = f"/shop/account/orders/{waiting.number}/"
    response = client.post(
        "/shop/account/approvals/", {"order": waiting.number, "action": "approve", "next": path}
    )
    assert response.status_code == 302 and response["Location"] == path
    waiting.refresh_from_db()
    assert (waiting.state, waiting.approved_by) == ("placed", shop.ch.approver)
    html = client.get(path).content.decode()
    assert f"Order {waiting.number} was approved." in html
    assert "Approved by" in html
    # a second decision is refused with a message, nothing changes
    client.post("/shop/account/approvals/", {"order": waiting.number, "action": "reject"})
    html = client.get("/shop/account/approvals/").content.decode()
    assert "is not awaiting approval" in html
    waiting.refresh_from_db()
    assert waiting.state == "placed"


def test_the_approvals_page_lists_and_rejects_with_a_reason(shop: Any, waiting: Order) -> None:
    client = client_for(shop.ch.admin)
    html = client.get("/shop/account/approvals/").content.decode()
    assert f'href="/shop/account/orders/{waiting.number}/"' in html
    assert "PO-77" in html and "Requester Alpenwerk AG" in html and "above your order limit" in html
    assert on_hand(shop.products["MOTOR"]) == (10, 2)
    response = client.post(
        "/shop/account/approvals/",
        {"order": waiting.number, "action": "reject", "reason": "Not this quarter."},
    )
    assert response.status_code == 302 and response["Location"] == "/shop/account/approvals/"
    waiting.refresh_from_db()
    assert waiting.state == "rejected"
    assert on_hand(shop.products["MOTOR"]) == (10, 0)
    html = client.get("/shop/account/approvals/").content.decode()
    assert f"Order {waiting.number} was rejected." in html
    assert "No orders are waiting for approval." in html
    order_page = client_for(shop.ch.requester).get(f"/shop/account/orders/{waiting.number}/")
    assert "Not this quarter." in order_page.content.decode()


def test_only_approvers_and_admins_see_the_approvals(shop: Any, waiting: Order) -> None:
    for user in (shop.ch.buyer, shop.ch.requester):
        client = client_for(user)
        assert client.get("/shop/account/approvals/").status_code == 403
        response = client.post(
            "/shop/account/approvals/", {"order": waiting.number, "action": "approve"}
        )
        assert response.status_code == 403
    waiting.refresh_from_db()
    assert waiting.state == "awaiting_approval"


def test_the_approvals_page_needs_a_csrf_token(shop: Any, waiting: Order) -> None:
    client = client_for(shop.ch.approver, enforce_csrf_checks=True)
    response = client.post(
        "/shop/account/approvals/", {"order": waiting.number, "action": "approve"}
    )
    assert response.status_code == 403
    waiting.refresh_from_db()
    assert waiting.state == "awaiting_approval"


# -- the email link -------------------------------------------------------------------------


def test_opening_an_approval_link_decides_nothing(shop: Any, waiting: Order) -> None:
    path = approval_path(waiting, "approve", shop.ch.approver)
    response = visitor().get(path)  # a mail scanner, not logged in
    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]
    html = response.content.decode()
    assert f"Approve order {waiting.number}" in html
    assert "2 × " not in html and "MOTOR" in html and "PO-77" in html
    assert "You decide as Approver Alpenwerk AG." in html
    assert '<button type="submit" class="button">Approve the order</button>' in html
    waiting.refresh_from_db()
    assert waiting.state == "awaiting_approval"
    assert visitor().head(path).status_code in (200, 405)
    waiting.refresh_from_db()
    assert waiting.state == "awaiting_approval"


def test_posting_the_approval_link_approves(shop: Any, waiting: Order) -> None:
    client = visitor()
    path = approval_path(waiting, "approve", shop.ch.approver)
    client.get(path)
    response = client.post(path)
    assert response.status_code == 200
    assert f"Order {waiting.number} was approved." in response.content.decode()
    waiting.refresh_from_db()
    assert (waiting.state, waiting.approved_by) == ("placed", shop.ch.approver)
    # the link again: decided already
    again = client.get(path)
    assert again.status_code == 410
    assert "is not awaiting approval any more (it is Placed)" in again.content.decode()
    assert client.post(path).status_code == 410


def test_posting_the_reject_link_rejects_with_a_reason(shop: Any, waiting: Order) -> None:
    client = visitor()
    path = approval_path(waiting, "reject", shop.ch.admin)
    html = client.get(path).content.decode()
    assert f"Reject order {waiting.number}" in html
    assert 'for="id_reason"' in html
    response = client.post(path, {"reason": "Too expensive."})
    assert f"Order {waiting.number} was rejected." in response.content.decode()
    waiting.refresh_from_db()
    assert waiting.state == "rejected"
    assert waiting.events.get(kind="rejected").message == "Too expensive."
    assert on_hand(shop.products["MOTOR"]) == (10, 0)


def test_a_bad_token_answers_400(shop: Any, waiting: Order) -> None:
    token = approval.approval_token(waiting, "approve", shop.ch.approver)
    for path in ("/shop/approval/nonsense/", f"/shop/approval/{token[:-2]}xx/"):
        response = visitor().get(path)
        assert response.status_code == 400
        assert "This approval link is not valid." in response.content.decode()
        assert visitor().post(path).status_code == 400
    waiting.refresh_from_db()
    assert waiting.state == "awaiting_approval"


def test_an_expired_link_answers_410(shop: Any, waiting: Order, monkeypatch: Any) -> None:
    eight_days_ago = time.time() - 8 * 24 * 3600
    monkeypatch.setattr(signing.time, "time", lambda: eight_days_ago)
    path = approval_path(waiting, "approve", shop.ch.approver)
    monkeypatch.undo()
    response = visitor().post(path)
    assert response.status_code == 410
    assert "This approval link has expired." in response.content.decode()
    waiting.refresh_from_db()
    assert waiting.state == "awaiting_approval"


def test_a_link_naming_no_one_needs_a_login(shop: Any, waiting: Order) -> None:
    path = approval_path(waiting, "approve")
    response = visitor().get(path)
    assert response.status_code == 302 and response["Location"].startswith("/shop/login/")
    client = client_for(shop.ch.approver)
    assert client.post(path).status_code == 200
    waiting.refresh_from_db()
    assert (waiting.state, waiting.approved_by) == ("placed", shop.ch.approver)


def test_a_link_for_someone_who_may_not_decide_is_refused(shop: Any, waiting: Order) -> None:
    for path, client in (
        (approval_path(waiting, "approve", shop.ch.requester), visitor()),
        (approval_path(waiting, "approve"), client_for(shop.ch.buyer)),
        (approval_path(waiting, "approve"), client_for(shop.de.approver)),
    ):
        response = client.post(path)
        assert response.status_code == 403
        assert "You may not approve or reject orders of this company." in (
            response.content.decode()
        )
    waiting.refresh_from_db()
    assert waiting.state == "awaiting_approval"


def test_the_approval_link_needs_a_csrf_token(shop: Any, waiting: Order) -> None:
    client = visitor(enforce_csrf_checks=True)
    path = approval_path(waiting, "approve", shop.ch.approver)
    assert client.post(path).status_code == 403
    waiting.refresh_from_db()
    assert waiting.state == "awaiting_approval"


# -- isolation ------------------------------------------------------------------------------


def test_company_a_gets_404_for_company_bs_order_and_documents(shop: Any) -> None:
    de = shop.de
    CompanyMember.objects.filter(user=de.requester).update(order_limit=Decimal("1"))
    cart = make_cart(shop.site, de.requester, de.company, [(shop.products["BOLT"], 2)])
    order_b = place(cart, de.requester, de, po_number="PO-B-SECRET")
    document_b = make_document(order_b, number="R-2026-000099")
    for user in (shop.ch.admin, shop.ch.approver, shop.ch.buyer):
        client = client_for(user)
        for path in (
            f"/shop/account/orders/{order_b.number}/",
            f"/shop/account/documents/{document_b.pk}.pdf",
        ):
            response = client.get(path, follow=True)
            assert response.status_code == 404, path
            assert "PO-B-SECRET" not in response.content.decode()
    approver_a = client_for(shop.ch.approver)
    response = approver_a.post(
        "/shop/account/approvals/", {"order": order_b.number, "action": "reject"}, follow=True
    )
    assert response.status_code == 404
    assert order_b.number not in approver_a.get("/shop/account/approvals/").content.decode()
    order_b.refresh_from_db()
    assert order_b.state == "awaiting_approval"
