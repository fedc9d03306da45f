"""place_order: totals, snapshots, events, touchpoints; every refusal writes nothing;
idempotency; requesters over budget; gap-free order numbers."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from django.db import transaction
from django.utils import timezone

from magpie.events.models import Event
from magpie.journey.models import Touchpoint
from magpie.people.models import Contact
from magpie_checkout.models import (
    CartLine,
    CompanyMember,
    NumberSequence,
    Order,
    OrderLine,
    StockReservation,
)
from magpie_checkout.numbering import next_number
from magpie_checkout.placement import OrderError
from tests.checkout.conftest import make_cart, on_hand, place


def nothing_written(shop, stock_before: dict[str, tuple[int, int]]) -> None:
    assert not Order.objects.exists()
    assert not OrderLine.objects.exists()
    assert not StockReservation.objects.exists()
    assert not NumberSequence.objects.filter(last__gt=0).exists()
    assert not Event.objects.filter(type__startswith="order.").exists()
    assert {sku: on_hand(p) for sku, p in shop.products.items()} == stock_before


def stock(shop) -> dict[str, tuple[int, int]]:
    return {sku: on_hand(product) for sku, product in shop.products.items()}


def test_a_placed_order_has_prices_totals_snapshots_and_reserved_stock(
    shop, django_capture_on_commit_callbacks
):
    ch = shop.ch
    cart = make_cart(
        shop.site, ch.buyer, ch.company, [(shop.products["BOLT"], 3), (shop.products["MOTOR"], 1)]
    )
    with django_capture_on_commit_callbacks(execute=True):
        order = place(
            cart, ch.buyer, ch, po_number="PO-4711", note="Rampe 3",
            requested_delivery_date=timezone.localdate() + datetime.timedelta(days=3),
        )  # fmt: skip
    year = timezone.localdate().year
    assert order.number == f"{year}-000001"
    assert order.state == "placed" and order.channel == "web"
    # goods 3 × 2.50 + 480 = 487.50, flat rate 15 (below 500) → net 502.50;
    # 8.1 % of 502.50 = 40.7025 → 40.70; gross 543.20
    assert order.shipping_net == Decimal("15.00")
    assert (order.net_total, order.tax_total, order.gross_total) == (
        Decimal("502.50"),
        Decimal("40.70"),
        Decimal("543.20"),
    )
    assert (order.tax_country, order.vat_rate, order.reverse_charge) == (
        "CH",
        Decimal("8.1"),
        False,
    )
    assert order.billing_address["street"] == "Hauptstrasse 1"
    assert order.shipping_address["name"] == "Wareneingang"
    ch.shipping.street = "Neue Strasse 2"
    ch.shipping.save()
    order.refresh_from_db()
    assert order.shipping_address["street"] == "Werkstrasse 9"  # a copy, not a reference
    lines = list(order.lines.values_list("position", "sku", "name", "quantity", "unit_net",
                                         "line_net", "price_list"))  # fmt: skip
    assert lines == [
        (1, "BOLT", "Bolt DE", 3, Decimal("2.5000"), Decimal("7.50"), "public-chf"),
        (2, "MOTOR", "Motor DE", 1, Decimal("480.0000"), Decimal("480.00"), "public-chf"),
    ]
    assert on_hand(shop.products["BOLT"]) == (100, 3)
    assert on_hand(shop.products["MOTOR"]) == (10, 1)
    assert sorted(StockReservation.objects.values_list("line__sku", "quantity")) == [
        ("BOLT", 3),
        ("MOTOR", 1),
    ]
    timeline = order.events.exclude(kind="email").values_list("kind", "to_state")
    assert list(timeline) == [("placed", "placed")]  # the confirmation email is logged too
    assert not CartLine.objects.filter(cart=cart).exists()
    assert order.po_number == "PO-4711" and order.note == "Rampe 3"
    assert order.terms_accepted_at is not None

    contact = Contact.objects.get(email="buyer@alpenwerkag.example")
    assert contact.company == ch.company and order.contact == contact
    event = Event.objects.get(type="order.placed")
    assert event.payload == {
        "order": order.pk,
        "number": order.number,
        "company": ch.company.pk,
        "contact": contact.pk,
        "email": "buyer@alpenwerkag.example",
        "value": "502.50",
        "gross": "543.20",
        "currency": "CHF",
        "channel": "web",
        "state": "placed",
    }
    touchpoint = Touchpoint.objects.get(type="order_placed")
    assert (touchpoint.contact_id, touchpoint.value, touchpoint.currency) == (
        contact.pk,
        Decimal("502.50"),
        "CHF",
    )
    assert touchpoint.object_id == str(order.pk)


def test_a_german_company_pays_in_euros_and_export_from_switzerland_is_tax_free(shop):
    de = shop.de
    cart = make_cart(shop.site, de.buyer, de.company, [(shop.products["MOTOR"], 2)])
    order = place(cart, de.buyer, de)
    assert order.currency == "EUR"
    assert (order.net_total, order.tax_total, order.gross_total) == (
        Decimal("860.00"),
        Decimal("0.00"),
        Decimal("860.00"),
    )  # fmt: skip  (2 × 430, free shipping from 500)
    assert (order.tax_country, order.vat_rate) == ("DE", Decimal("0"))


def test_a_german_seller_reverse_charges_an_austrian_company_with_a_vat_id(shop, settings):
    settings.MAGPIE_SELLER_COUNTRY = "DE"
    de = shop.de
    de.company.vat_id = "ATU12345678"
    de.company.save()
    de.shipping.country = "AT"
    de.shipping.save()
    cart = make_cart(shop.site, de.buyer, de.company, [(shop.products["BOLT"], 10)])
    order = place(cart, de.buyer, de)
    assert (order.vat_rate, order.reverse_charge, order.tax_total) == (
        Decimal("0"), True, Decimal("0.00"),
    )  # fmt: skip
    de.company.vat_id = ""
    de.company.save()
    cart = make_cart(shop.site, de.buyer, de.company, [(shop.products["BOLT"], 10)])
    order = place(cart, de.buyer, de)  # 22.00 + 15.00 = 37.00; 20 % → 7.40
    assert (order.vat_rate, order.reverse_charge, order.tax_total) == (
        Decimal("20"), False, Decimal("7.40"),
    )  # fmt: skip


def test_pickup_is_taxed_where_the_seller_is(shop, settings):
    settings.MAGPIE_CHECKOUT_PICKUP = "Werk Thun"
    de = shop.de
    cart = make_cart(shop.site, de.buyer, de.company, [(shop.products["BOLT"], 10)])
    order = place(cart, de.buyer, de, shipping_method="pickup")
    assert (order.tax_country, order.vat_rate, order.shipping_net) == (
        "CH", Decimal("8.1"), Decimal("0.00"),
    )  # fmt: skip


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"terms_accepted": False}, "terms"),
        ({"po_number": "P" * 61}, "PO number"),
        ({"requested_delivery_date": datetime.date(2020, 1, 1)}, "past"),
        ({"payment_method": "cash"}, "not offered"),
        ({"shipping_method": "drone"}, "not offered"),
        ({"channel": "fax"}, "channel"),
        ({"idempotency_key": ""}, "reload"),
    ],
)
def test_bad_input_is_refused_and_nothing_is_written(shop, overrides, message):
    ch = shop.ch
    cart = make_cart(shop.site, ch.buyer, ch.company, [(shop.products["BOLT"], 3)])
    before = stock(shop)
    with pytest.raises(OrderError) as excinfo:
        place(cart, ch.buyer, ch, **overrides)
    assert any(message in m for m in excinfo.value.messages), excinfo.value.messages
    nothing_written(shop, before)
    assert CartLine.objects.filter(cart=cart).count() == 1


def test_addresses_of_another_company_are_refused(shop):
    ch, de = shop.ch, shop.de
    cart = make_cart(shop.site, ch.buyer, ch.company, [(shop.products["BOLT"], 3)])
    before = stock(shop)
    with pytest.raises(OrderError) as excinfo:
        place(cart, ch.buyer, ch, shipping_address=de.shipping, billing_address=de.billing.pk)
    assert len(excinfo.value.messages) == 2
    assert "not one of your company's" in excinfo.value.messages[0]
    with pytest.raises(OrderError):
        place(cart, ch.buyer, ch, shipping_address="x")
    nothing_written(shop, before)


def test_a_user_of_another_company_cannot_order_from_this_cart(shop):
    ch, de = shop.ch, shop.de
    cart = make_cart(shop.site, ch.buyer, ch.company, [(shop.products["BOLT"], 3)])
    with pytest.raises(OrderError) as excinfo:
        place(cart, de.buyer, ch)
    assert "not an active user" in excinfo.value.messages[0]
    assert not Order.objects.exists()


def test_inactive_products_and_bad_quantities_are_refused(shop):
    ch = shop.ch
    shop.products["CABLE"].status = "discontinued"
    shop.products["CABLE"].save()
    cart = make_cart(
        shop.site, ch.buyer, ch.company,
        [(shop.products["CABLE"], 1), (shop.products["BOLT"], 0), (shop.products["MOTOR"], 1)],
    )  # fmt: skip
    before = stock(shop)
    with pytest.raises(OrderError) as excinfo:
        place(cart, ch.buyer, ch)
    assert excinfo.value.messages == [
        "CABLE can no longer be ordered.",
        "BOLT: the quantity must be a whole number of at least 1.",
    ]
    nothing_written(shop, before)


def test_a_missing_or_expired_price_names_the_sku_and_writes_nothing(shop):
    from magpie_catalog.models import PriceEntry

    ch = shop.ch
    cart = make_cart(
        shop.site, ch.buyer, ch.company, [(shop.products["BOLT"], 1), (shop.products["MOTOR"], 1)]
    )
    PriceEntry.objects.filter(product=shop.products["MOTOR"], price_list__currency="CHF").delete()
    before = stock(shop)
    with pytest.raises(OrderError) as excinfo:
        place(cart, ch.buyer, ch)
    assert excinfo.value.messages == ["MOTOR has no valid price in CHF."]
    nothing_written(shop, before)

    shop.lists["CHF"].valid_until = timezone.now() - datetime.timedelta(minutes=1)
    shop.lists["CHF"].save()
    with pytest.raises(OrderError) as excinfo:
        place(cart, ch.buyer, ch)
    assert "BOLT has no valid price in CHF." in excinfo.value.messages
    nothing_written(shop, before)


def test_insufficient_stock_names_the_sku_and_reserves_nothing(shop):
    ch = shop.ch
    cart = make_cart(
        shop.site, ch.buyer, ch.company, [(shop.products["BOLT"], 5), (shop.products["MOTOR"], 11)]
    )
    before = stock(shop)
    with pytest.raises(OrderError) as excinfo:
        place(cart, ch.buyer, ch)
    assert excinfo.value.messages == ["MOTOR: 11 ordered, only 10 available."]
    nothing_written(shop, before)


def test_plugins_validate_the_draft_order(shop, monkeypatch):
    from magpie_checkout import placement

    ch = shop.ch
    cart = make_cart(shop.site, ch.buyer, ch.company, [(shop.products["BOLT"], 5)])
    real_hook = placement._hook
    seen = []

    def fake_hook(name, request, site_id):
        caller = real_hook(name, request, site_id)
        if name != "validate_order":
            return caller

        def validate(order):
            seen.append((order.net_total, [line.sku for line in order.draft_lines]))
            return [*caller(order=order), ["Orders below 100 CHF need a minimum surcharge."]]

        return validate

    monkeypatch.setattr(placement, "_hook", fake_hook)
    before = stock(shop)
    with pytest.raises(OrderError) as excinfo:
        place(cart, ch.buyer, ch)
    assert excinfo.value.messages == ["Orders below 100 CHF need a minimum surcharge."]
    assert seen == [(Decimal("27.50"), ["BOLT"])]
    nothing_written(shop, before)


def test_the_same_idempotency_key_gives_the_same_order(shop):
    ch = shop.ch
    cart = make_cart(shop.site, ch.buyer, ch.company, [(shop.products["BOLT"], 3)])
    first = place(cart, ch.buyer, ch, idempotency_key="click-1")
    # the second click: the cart is empty by now, the key finds the order
    again = place(cart, ch.buyer, ch, idempotency_key="click-1")
    assert again.pk == first.pk
    assert Order.objects.count() == 1 and on_hand(shop.products["BOLT"]) == (100, 3)
    # another company may use the same key
    de = shop.de
    other = make_cart(shop.site, de.buyer, de.company, [(shop.products["BOLT"], 1)])
    assert place(other, de.buyer, de, idempotency_key="click-1").pk != first.pk


def test_a_requester_over_their_order_limit_or_budget_needs_approval(shop):
    ch = shop.ch
    CompanyMember.objects.filter(user=ch.requester).update(
        order_limit=Decimal("500"), monthly_budget=Decimal("600")
    )
    small = make_cart(shop.site, ch.requester, ch.company, [(shop.products["BOLT"], 10)])
    order = place(small, ch.requester, ch)  # 25 + 15 = 40 net
    assert order.state == "placed"
    big = make_cart(shop.site, ch.requester, ch.company, [(shop.products["MOTOR"], 2)])
    order = place(big, ch.requester, ch)  # 960 net > 500
    assert order.state == "awaiting_approval"
    assert on_hand(shop.products["MOTOR"]) == (10, 2)  # stock is held while it waits
    event = Event.objects.get(type="order.approval_requested")
    assert event.payload["number"] == order.number and "order limit" in event.payload["reasons"][0]
    assert not Event.objects.filter(type="order.placed", payload__order=order.pk).exists()
    # within the order limit, but over the monthly budget with what was spent
    budget = make_cart(shop.site, ch.requester, ch.company, [(shop.products["MOTOR"], 1)])
    order = place(budget, ch.requester, ch)  # 480 net: 40 + 960 + 480 > 600
    assert order.state == "awaiting_approval"
    # a buyer has no budget
    buyer = make_cart(shop.site, ch.buyer, ch.company, [(shop.products["MOTOR"], 2)])
    assert place(buyer, ch.buyer, ch).state == "placed"


def test_a_rejected_order_does_not_use_up_the_budget(shop):
    from magpie_checkout.budgets import spent_this_month

    ch = shop.ch
    CompanyMember.objects.filter(user=ch.requester).update(monthly_budget=Decimal("600"))
    cart = make_cart(shop.site, ch.requester, ch.company, [(shop.products["MOTOR"], 1)])
    order = place(cart, ch.requester, ch)
    assert order.state == "placed" and spent_this_month(ch.requester) == Decimal("495.00")
    Order.objects.filter(pk=order.pk).update(state="rejected")
    assert spent_this_month(ch.requester) == Decimal("0.00")


def test_order_numbers_are_sequential_per_year_and_gap_free(shop):
    with transaction.atomic():
        assert next_number("order", 2026) == "2026-000001"
        assert next_number("order", 2026) == "2026-000002"
        assert next_number("order", 2027) == "2027-000001"  # a new year starts again
        assert next_number("invoice", 2026) == "2026-000001"  # its own counter
    try:
        with transaction.atomic():
            assert next_number("order", 2026) == "2026-000003"
            raise RuntimeError("the placement failed")
    except RuntimeError:
        pass
    with transaction.atomic():
        assert next_number("order", 2026) == "2026-000003"  # the rolled-back one comes back


def test_a_failed_placement_leaves_no_gap_in_the_numbers(shop):
    ch = shop.ch
    year = timezone.localdate().year
    first = place(make_cart(shop.site, ch.buyer, ch.company, [(shop.products["BOLT"], 1)]),
                  ch.buyer, ch)  # fmt: skip
    with pytest.raises(OrderError):
        place(make_cart(shop.site, ch.buyer, ch.company, [(shop.products["MOTOR"], 99)]),
              ch.buyer, ch)  # fmt: skip
    CartLine.objects.all().delete()
    third = place(make_cart(shop.site, ch.buyer, ch.company, [(shop.products["BOLT"], 1)]),
                  ch.buyer, ch)  # fmt: skip
    assert (first.number, third.number) == (f"{year}-000001", f"{year}-000002")


def test_the_order_and_its_touchpoint_are_written_together(shop, monkeypatch):
    # The touchpoint is part of the order's transaction: if it cannot be written, there is
    # no order either (and no revenue on the timeline without an order).
    from django.db import DatabaseError

    from magpie.journey import recording

    before = stock(shop)

    def broken(*args, **kwargs):
        raise DatabaseError("touchpoint table unavailable")

    monkeypatch.setattr(recording, "_fill_source", broken)  # after the touchpoint's INSERT
    ch = shop.ch
    with pytest.raises(DatabaseError):
        place(make_cart(shop.site, ch.buyer, ch.company, [(shop.products["BOLT"], 1)]),
              ch.buyer, ch)  # fmt: skip
    nothing_written(shop, before)
    assert not Touchpoint.objects.exists()


def test_start_checkout_records_a_touchpoint_for_the_buyer(shop, rf):
    from magpie_checkout.placement import quote_cart, start_checkout

    ch = shop.ch
    cart = make_cart(shop.site, ch.buyer, ch.company, [(shop.products["BOLT"], 4)])
    quote_cart(cart, ch.company)
    request = rf.get("/shop/checkout/")
    request.user = ch.buyer
    start_checkout(cart, request)
    touchpoint = Touchpoint.objects.get(type="checkout_started")
    assert touchpoint.contact.email == "buyer@alpenwerkag.example"
    assert (touchpoint.value, touchpoint.currency) == (Decimal("10.00"), "CHF")


def test_placing_from_a_request_and_a_cart_of_another_company(shop, rf):
    from magpie_checkout.models import Cart

    ch, de = shop.ch, shop.de
    cart = make_cart(shop.site, ch.buyer, ch.company, [(shop.products["BOLT"], 2)])
    request = rf.post("/shop/checkout/")
    request.user = ch.buyer
    order = place(cart, ch.buyer, ch, request=request)
    assert order.state == "placed" and order.site_id == shop.site.pk
    # a German buyer posting the Swiss company's cart id gets nothing from it
    foreign = make_cart(shop.site, ch.approver, ch.company, [(shop.products["BOLT"], 1)])
    foreign.company = de.company  # what a tampered form would claim
    with pytest.raises(OrderError) as excinfo:
        place(foreign, de.buyer, de)
    assert "does not belong" in excinfo.value.messages[0]
    assert Cart.objects.get(pk=foreign.pk).lines.count() == 1
