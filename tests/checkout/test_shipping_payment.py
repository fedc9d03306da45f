"""Shipping options (flat rate, weight bands, pickup), payment options with the credit
limit, and the ISO 11649 payment reference."""

from __future__ import annotations

from decimal import Decimal

import pytest

from magpie_checkout.models import CompanyTerms, Order
from magpie_checkout.payment import format_rf, rf_reference, rf_valid
from magpie_checkout.placement import payment_options, shipping_options
from tests.checkout.conftest import make_cart, place


def options_by_code(options):
    return {option.code: option for option in options}


def test_flat_rate_weight_and_pickup(shop, settings):
    settings.MAGPIE_CHECKOUT_PICKUP = "Werk Thun, Industriestrasse 1"
    ch = shop.ch
    cart = make_cart(shop.site, ch.buyer, ch.company, [(shop.products["BOLT"], 10)])  # 5 kg
    found = options_by_code(shipping_options(cart, ch.shipping.as_dict(), ch.company))
    assert found["flat_rate"].net == Decimal("15.00") and found["flat_rate"].currency == "CHF"
    assert found["weight"].available and found["weight"].net == Decimal("9.00")
    assert found["pickup"].net == Decimal("0.00")
    assert found["pickup"].description == "Werk Thun, Industriestrasse 1"


def test_flat_rate_is_free_from_the_threshold_and_weight_bands_grow(shop):
    ch = shop.ch
    cart = make_cart(shop.site, ch.buyer, ch.company, [(shop.products["MOTOR"], 2)])  # 960, 24 kg
    found = options_by_code(shipping_options(cart, ch.shipping.as_dict(), ch.company))
    assert found["flat_rate"].net == Decimal("0.00")
    assert found["weight"].net == Decimal("19.00")
    assert "pickup" not in found  # no pickup location configured


def test_weight_based_is_unavailable_without_weights_or_above_the_last_band(shop):
    ch = shop.ch
    cart = make_cart(
        shop.site, ch.buyer, ch.company, [(shop.products["CABLE"], 1), (shop.products["BOLT"], 1)]
    )
    weight = options_by_code(shipping_options(cart, ch.shipping.as_dict(), ch.company))["weight"]
    assert not weight.available and "CABLE" in weight.reason
    heavy = make_cart(shop.site, ch.approver, ch.company, [(shop.products["MOTOR"], 9)])  # 108 kg
    weight = options_by_code(shipping_options(heavy, ch.shipping.as_dict(), ch.company))["weight"]
    assert not weight.available and "100" in weight.reason


def test_an_unavailable_or_tampered_shipping_method_is_refused(shop):
    from magpie_checkout.placement import OrderError

    ch = shop.ch
    cart = make_cart(shop.site, ch.buyer, ch.company, [(shop.products["CABLE"], 1)])
    for code, text in (("weight", "CABLE"), ("pickup", "not offered"), ("free", "not offered")):
        with pytest.raises(OrderError) as excinfo:
            place(cart, ch.buyer, ch, shipping_method=code)
        assert text in excinfo.value.messages[0]
    assert not Order.objects.exists()


def test_invoice_needs_terms_and_stays_within_the_credit_limit(shop):
    ch = shop.ch
    cart = make_cart(shop.site, ch.buyer, ch.company, [(shop.products["MOTOR"], 1)])  # 480 net
    invoice = options_by_code(payment_options(cart, ch.company))["invoice"]
    assert not invoice.available and "terms" in invoice.reason
    assert options_by_code(payment_options(cart, ch.company))["prepayment"].available

    CompanyTerms.objects.create(company=ch.company, credit_limit=Decimal("1000.00"))
    order = place(cart, ch.buyer, ch, payment_method="invoice")
    # 480 + 15 shipping = 495 net, 8.1 % VAT 40.10 → 535.10 gross
    assert (order.payment_method, order.gross_total) == ("invoice", Decimal("535.10"))
    assert order.payment_reference == ""

    cart = make_cart(shop.site, ch.buyer, ch.company, [(shop.products["MOTOR"], 1)])
    from magpie_checkout.placement import OrderError

    with pytest.raises(OrderError) as excinfo:  # 535.10 open + 535.10 > 1000
        place(cart, ch.buyer, ch, payment_method="invoice")
    assert "credit limit" in excinfo.value.messages[0]
    assert "535.10" in excinfo.value.messages[0]
    # a completed order no longer counts
    Order.objects.filter(pk=order.pk).update(state="completed")
    assert place(cart, ch.buyer, ch, payment_method="invoice").payment_method == "invoice"


def test_a_placement_asks_only_for_the_chosen_payment_method(shop, django_assert_num_queries):
    ch = shop.ch
    CompanyTerms.objects.create(company=ch.company, credit_limit=Decimal("10"))
    cart = make_cart(shop.site, ch.buyer, ch.company, [(shop.products["MOTOR"], 1)])
    (invoice,) = payment_options(cart, ch.company, wanted="invoice")
    assert not invoice.available and "credit limit" in invoice.reason
    with django_assert_num_queries(0):  # no credit-limit look-up for a prepaid order
        prepaid = payment_options(cart, ch.company, wanted="prepayment")
    assert [option.code for option in prepaid] == ["prepayment"]
    assert place(cart, ch.buyer, ch, payment_method="prepayment").payment_method == "prepayment"


def test_invoice_not_allowed_by_terms(shop):
    ch = shop.ch
    CompanyTerms.objects.create(
        company=ch.company, credit_limit=Decimal("10000"), invoice_allowed=False
    )
    cart = make_cart(shop.site, ch.buyer, ch.company, [(shop.products["BOLT"], 1)])
    assert not options_by_code(payment_options(cart, ch.company))["invoice"].available


def test_prepayment_gets_a_valid_creditor_reference_from_the_order_number(shop):
    ch = shop.ch
    cart = make_cart(shop.site, ch.buyer, ch.company, [(shop.products["BOLT"], 4)])
    order = place(cart, ch.buyer, ch)
    digits = order.number.replace("-", "")
    assert order.payment_reference.startswith("RF") and order.payment_reference.endswith(digits)
    assert rf_valid(order.payment_reference)


def test_rf_reference_check_digits():
    # ISO 11649's own example: RF18 5390 0754 7034
    assert rf_reference("539007547034") == "RF18539007547034"
    assert format_rf("RF18539007547034") == "RF18 5390 0754 7034"
    assert rf_valid("RF18 5390 0754 7034")
    assert rf_valid("rf18539007547034")
    assert not rf_valid("RF19539007547034")  # wrong check digits
    assert not rf_valid("RF18539007547043")  # transposed digits
    assert not rf_valid("RF18")
    assert rf_valid(rf_reference("ABC-2026-000123"))
    with pytest.raises(ValueError):
        rf_reference("1" * 22)
