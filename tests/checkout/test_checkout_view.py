"""The checkout page ``/shop/checkout/``: what it shows, placing through it, refusals that
write nothing, double submits, approval and the rules of who may check out.

Placement itself (prices, stock, concurrency) is tested in ``test_placement*.py``; these
tests drive the page as a buyer's browser does.
"""

from __future__ import annotations

import datetime
import re
from decimal import Decimal
from typing import Any

import pytest
from django.utils import timezone

from magpie_checkout.models import (
    Address,
    CartLine,
    CompanyMember,
    CompanyTerms,
    Order,
    OrderEvent,
    StockReservation,
)
from tests.checkout.conftest import make_cart, on_hand
from tests.checkout.shop_fixtures import client_for, visitor

pytestmark = pytest.mark.django_db

URL = "/shop/checkout/"


def page_key(html: str) -> str:
    """The idempotency key of a rendered checkout form."""
    found = re.search(r'name="idempotency_key" value="([^"]+)"', html)
    assert found, "no idempotency key on the page"
    return found.group(1)


def checkout_data(account: Any, html: str, **overrides: Any) -> dict[str, Any]:
    """What a browser posts when the buyer accepts the defaults and the terms."""
    data = {
        "billing_address": account.billing.pk,
        "shipping_address": account.shipping.pk,
        "shipping_method": "flat_rate",
        "payment_method": "prepayment",
        "po_number": "PO-4711",
        "requested_delivery_date": "",
        "note": "",
        "terms_accepted": "on",
        "idempotency_key": page_key(html),
        "place": "1",
    }
    data.update(overrides)
    return {key: value for key, value in data.items() if value is not None}


def nothing_written(shop: Any) -> None:
    assert not Order.objects.exists()
    assert not StockReservation.objects.exists()
    assert not OrderEvent.objects.exists()
    for product in shop.products.values():
        assert on_hand(product)[1] == 0


@pytest.fixture
def buyer(shop: Any) -> Any:
    """The Swiss buyer's logged-in client with 4 bolts and 1 motor in the cart."""
    ch = shop.ch
    make_cart(
        shop.site, ch.buyer, ch.company, [(shop.products["BOLT"], 4), (shop.products["MOTOR"], 1)]
    )
    return client_for(ch.buyer)


# -- what the page shows --------------------------------------------------------------------


def test_the_page_shows_lines_addresses_options_and_totals(shop: Any, buyer: Any) -> None:
    response = buyer.get(URL)
    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]
    html = response.content.decode()
    # lines with net prices
    assert "BOLT" in html and "MOTOR" in html
    assert "CHF&nbsp;2.50" in html and "CHF&nbsp;480.00" in html
    # the company's addresses, the defaults chosen
    billing, shipping = shop.ch.billing.pk, shop.ch.shipping.pk
    assert f'id="billing-{billing}" value="{billing}" checked' in html
    assert f'id="shipping-{shipping}" value="{shipping}" checked' in html
    assert "Werkstrasse 9" in html
    assert "Schrauben GmbH" not in html
    # shipping: flat rate (goods 490.00 < 500: 15.00) chosen, weight offered (14 kg: 19.00)
    assert 'id="ship-flat_rate" value="flat_rate" checked' in html
    assert "Standard delivery — CHF&nbsp;15.00" in html
    assert "Delivery by weight — CHF&nbsp;19.00" in html
    # payment: no terms → invoice shown disabled with its reason; prepayment chosen
    assert re.search(
        r'id="pay-invoice" value="invoice" disabled aria-describedby="pay-invoice-reason"', html
    )
    assert "Your company has no terms for payment on invoice." in html
    assert 'id="pay-prepayment" value="prepayment" checked' in html
    # totals: 490.00 + 15.00 = 505.00 net, VAT 8.1 % = 40.91, gross 545.91
    assert "data-net>CHF&nbsp;505.00" in html
    assert "VAT 8.1 %" in html and "data-vat>CHF&nbsp;40.91" in html
    assert "data-gross>CHF&nbsp;545.91" in html
    # the form: terms, PO number, delivery date not in the past, note, a key; no prices
    assert 'name="terms_accepted"' in html and 'name="po_number"' in html and 'name="note"' in html
    assert f'min="{timezone.localdate().isoformat()}"' in html
    assert len(page_key(html)) >= 32
    form = html[html.index('class="shop-form checkout-form"') :]
    assert 'name="company' not in form and "price" not in re.sub(
        r"<p class=\"price-note\">.*?</p>", "", form
    )
    # every choice group has a legend
    for legend in ("Billing address", "Shipping address", "Shipping", "Payment", "Order details"):
        assert f"<legend>{legend}</legend>" in html


def test_every_display_gets_a_fresh_key_and_checkout_started_is_recorded_once(
    shop: Any, buyer: Any
) -> None:
    from magpie.journey.consent import ACCEPTED, CONSENT_COOKIE
    from magpie.journey.models import Touchpoint

    buyer.cookies[CONSENT_COOKIE] = ACCEPTED
    first = page_key(buyer.get(URL).content.decode())
    second = page_key(buyer.get(URL).content.decode())
    assert first != second
    touchpoint = Touchpoint.objects.get(type="checkout_started")
    assert (touchpoint.value, touchpoint.currency) == (Decimal("490.00"), "CHF")
    # the cart changed: a new checkout
    CartLine.objects.filter(product=shop.products["BOLT"]).update(quantity=5)
    buyer.get(URL)
    assert Touchpoint.objects.filter(type="checkout_started").count() == 2


def test_reverse_charge_is_shown_for_a_cross_border_eu_company(shop: Any, settings: Any) -> None:
    settings.MAGPIE_SELLER_COUNTRY = "AT"
    de = shop.de
    make_cart(shop.site, de.buyer, de.company, [(shop.products["BOLT"], 10)])
    html = client_for(de.buyer).get(URL).content.decode()
    assert "VAT (reverse charge)" in html
    assert "data-vat>EUR&nbsp;0.00" in html
    # 22.00 goods + 15.00 flat rate, no VAT
    assert "data-gross>EUR&nbsp;37.00" in html


def test_an_empty_cart_goes_back_to_the_cart(shop: Any) -> None:
    client = client_for(shop.ch.buyer)
    response = client.get(URL)
    assert response.status_code == 302 and response["Location"] == "/shop/cart/"
    assert "Your cart is empty." in client.get("/shop/cart/").content.decode()


def test_visitors_log_in_and_inactive_users_may_not_order(shop: Any) -> None:
    response = visitor().get(URL)
    assert response.status_code == 302 and "/shop/login/" in response["Location"]
    CompanyMember.objects.filter(user=shop.ch.buyer).update(active=False)
    make_cart(shop.site, shop.ch.buyer, shop.ch.company, [(shop.products["BOLT"], 1)])
    assert client_for(shop.ch.buyer).get(URL).status_code == 403


def test_a_company_without_addresses_is_told_how_to_add_one(shop: Any) -> None:
    ch = shop.ch
    Address.objects.filter(company=ch.company).delete()
    make_cart(shop.site, ch.admin, ch.company, [(shop.products["BOLT"], 1)])
    html = client_for(ch.admin).get(URL).content.decode()
    assert "Your company has no address yet." in html
    assert 'href="/shop/account/addresses/new/"' in html
    make_cart(shop.site, ch.buyer, ch.company, [(shop.products["BOLT"], 1)])
    html = client_for(ch.buyer).get(URL).content.decode()
    assert "Ask your company admin to add one." in html


def test_update_recomputes_the_totals_for_the_chosen_shipping(shop: Any, buyer: Any) -> None:
    html = buyer.get(URL).content.decode()
    data = checkout_data(shop.ch, html, shipping_method="weight", place=None, update="1")
    response = buyer.post(URL, data)
    assert response.status_code == 200
    html = response.content.decode()
    assert 'id="ship-weight" value="weight" checked' in html
    # 490.00 + 19.00 = 509.00, VAT 41.23
    assert "data-net>CHF&nbsp;509.00" in html and "data-gross>CHF&nbsp;550.23" in html
    assert 'value="PO-4711"' in html
    nothing_written(shop)


# -- placing --------------------------------------------------------------------------------


def test_placing_redirects_to_the_order_page_with_thanks(shop: Any, buyer: Any) -> None:
    html = buyer.get(URL).content.decode()
    response = buyer.post(
        URL,
        checkout_data(
            shop.ch,
            html,
            note="Ramp 3",
            requested_delivery_date=(timezone.localdate() + datetime.timedelta(days=3)).isoformat(),
        ),
    )
    order = Order.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"/shop/account/orders/{order.number}/"
    assert (order.company, order.placed_by, order.state) == (
        shop.ch.company,
        shop.ch.buyer,
        "placed",
    )
    assert (order.shipping_method, order.payment_method, order.po_number, order.note) == (
        "flat_rate",
        "prepayment",
        "PO-4711",
        "Ramp 3",
    )
    assert order.gross_total == Decimal("545.91")
    assert order.idempotency_key == page_key(html)
    assert order.shipping_address["street"] == "Werkstrasse 9"
    assert on_hand(shop.products["MOTOR"]) == (10, 1)
    assert not CartLine.objects.exists()
    page = buyer.get(response["Location"])
    text = page.content.decode()
    assert f"Thank you, your order {order.number} was placed." in text
    assert "Placed" in text and order.payment_reference[:4] in text


def test_terms_not_accepted_shows_the_error_and_writes_nothing(shop: Any, buyer: Any) -> None:
    html = buyer.get(URL).content.decode()
    response = buyer.post(URL, checkout_data(shop.ch, html, terms_accepted=None))
    assert response.status_code == 400
    text = response.content.decode()
    assert "The order was not placed." in text
    assert 'id="id_terms_accepted_error">Please accept the terms and conditions.' in text
    assert 'aria-invalid="true"' in text and 'aria-describedby="id_terms_accepted_error"' in text
    # the buyer's choices survive
    assert 'value="PO-4711"' in text
    nothing_written(shop)
    assert CartLine.objects.count() == 2


def test_a_tampered_shipping_code_is_refused(shop: Any, buyer: Any) -> None:
    html = buyer.get(URL).content.decode()
    response = buyer.post(URL, checkout_data(shop.ch, html, shipping_method="drone"))
    assert response.status_code == 400
    assert (
        "The shipping method &#x27;drone&#x27; is not offered for this order."
        in response.content.decode()
    )
    nothing_written(shop)


def test_an_unavailable_payment_method_is_refused(shop: Any, buyer: Any) -> None:
    html = buyer.get(URL).content.decode()
    response = buyer.post(URL, checkout_data(shop.ch, html, payment_method="invoice"))
    assert response.status_code == 400
    assert "Your company has no terms for payment on invoice." in response.content.decode()
    nothing_written(shop)


def test_an_address_of_another_company_is_refused(shop: Any, buyer: Any) -> None:
    html = buyer.get(URL).content.decode()
    response = buyer.post(URL, checkout_data(shop.ch, html, shipping_address=shop.de.shipping.pk))
    assert response.status_code == 400
    text = response.content.decode()
    assert "The shipping address is not one of your company&#x27;s." in text
    assert "Werkstrasse 9" in text  # the page offers the buyer's own addresses again
    assert "Schrauben GmbH" not in text
    nothing_written(shop)


def test_posted_prices_and_company_ids_are_ignored(shop: Any, buyer: Any) -> None:
    html = buyer.get(URL).content.decode()
    data = checkout_data(
        shop.ch, html, company=shop.de.company.pk, price="0.01", net_total="1.00", currency="EUR"
    )
    buyer.post(URL, data)
    order = Order.objects.get()
    assert order.company == shop.ch.company and order.currency == "CHF"
    assert order.net_total == Decimal("505.00")


def test_a_delivery_date_in_the_past_is_refused(shop: Any, buyer: Any) -> None:
    html = buyer.get(URL).content.decode()
    yesterday = (timezone.localdate() - datetime.timedelta(days=1)).isoformat()
    response = buyer.post(URL, checkout_data(shop.ch, html, requested_delivery_date=yesterday))
    assert response.status_code == 400
    assert "The requested delivery date is in the past." in response.content.decode()
    nothing_written(shop)


def test_more_than_in_stock_names_the_product(shop: Any) -> None:
    ch = shop.ch
    make_cart(shop.site, ch.buyer, ch.company, [(shop.products["MOTOR"], 11)])
    client = client_for(ch.buyer)
    html = client.get(URL).content.decode()
    response = client.post(URL, checkout_data(ch, html, shipping_method="flat_rate"))
    assert "MOTOR: 11 ordered, only 10 available." in response.content.decode()
    nothing_written(shop)


def test_a_missing_key_asks_to_reload(shop: Any, buyer: Any) -> None:
    html = buyer.get(URL).content.decode()
    response = buyer.post(URL, checkout_data(shop.ch, html, idempotency_key=""))
    assert response.status_code == 400
    assert "The order form has expired; please reload the page." in response.content.decode()
    nothing_written(shop)


def test_a_double_submit_places_one_order(shop: Any, buyer: Any) -> None:
    html = buyer.get(URL).content.decode()
    data = checkout_data(shop.ch, html)
    first = buyer.post(URL, data)
    second = buyer.post(URL, data)  # the cart is empty by now: the same order all the same
    order = Order.objects.get()
    assert first["Location"] == second["Location"] == f"/shop/account/orders/{order.number}/"
    assert on_hand(shop.products["MOTOR"]) == (10, 1)
    # a new display is a new key: a new order
    make_cart(shop.site, shop.ch.buyer, shop.ch.company, [(shop.products["BOLT"], 1)])
    buyer.post(URL, checkout_data(shop.ch, buyer.get(URL).content.decode()))
    assert Order.objects.count() == 2


def test_a_requester_over_budget_waits_for_approval(
    shop: Any, django_capture_on_commit_callbacks: Any
) -> None:
    from django.core import mail

    ch = shop.ch
    CompanyMember.objects.filter(user=ch.requester).update(order_limit=Decimal("100"))
    make_cart(shop.site, ch.requester, ch.company, [(shop.products["MOTOR"], 1)])
    client = client_for(ch.requester)
    html = client.get(URL).content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(URL, checkout_data(ch, html))
    order = Order.objects.get()
    assert order.state == "awaiting_approval"
    text = client.get(response["Location"]).content.decode()
    assert f"Thank you, your order {order.number} awaits approval by" in text
    assert "Approver Alpenwerk AG" in text and "Admin Alpenwerk AG" in text
    assert "above your order limit" in text
    # the requester may not decide
    assert "Approve the order" not in text
    assert len(mail.outbox) == 2


def test_checkout_needs_a_csrf_token(shop: Any) -> None:
    ch = shop.ch
    make_cart(shop.site, ch.buyer, ch.company, [(shop.products["BOLT"], 1)])
    client = client_for(ch.buyer, enforce_csrf_checks=True)
    html = client.get(URL).content.decode()
    assert client.post(URL, checkout_data(ch, html)).status_code == 403
    nothing_written(shop)


def test_invoice_within_the_credit_limit_is_offered_and_placed(shop: Any, buyer: Any) -> None:
    CompanyTerms.objects.create(company=shop.ch.company, credit_limit=Decimal("1000"))
    html = buyer.get(URL).content.decode()
    assert 'id="pay-invoice" value="invoice" checked' in html
    assert "Payable within 30 days." in html
    buyer.post(URL, checkout_data(shop.ch, html, payment_method="invoice"))
    order = Order.objects.get()
    assert order.payment_method == "invoice" and order.payment_reference == ""
    # the next checkout is over the limit: invoice shown but disabled, with the reason
    make_cart(shop.site, shop.ch.buyer, shop.ch.company, [(shop.products["MOTOR"], 1)])
    html = buyer.get(URL).content.decode()
    assert 'id="pay-invoice" value="invoice" disabled' in html and "Over the credit limit" in html


def test_an_expired_price_list_is_named_on_the_page_and_refused(shop: Any, buyer: Any) -> None:
    html = buyer.get(URL).content.decode()
    shop.lists["CHF"].valid_until = timezone.now() - datetime.timedelta(minutes=1)
    shop.lists["CHF"].save(update_fields=["valid_until"])
    response = buyer.post(URL, checkout_data(shop.ch, html))
    assert response.status_code == 400
    text = response.content.decode()
    assert "MOTOR has no valid price in CHF." in text
    assert "This cart cannot be ordered as it is:" in text
    nothing_written(shop)
