"""Order management: every transition and every refusal, the stock after shipping,
cancelling and returns, gap-free document numbers, the events emitted."""

from __future__ import annotations

from decimal import Decimal

import pytest

from magpie.events.models import Event
from magpie_checkout import oms
from magpie_checkout.models import (
    CompanyMember,
    Document,
    Order,
    OrderState,
    StockReservation,
)
from magpie_checkout.oms import TransitionError
from tests.checkout.conftest import make_cart, make_user, on_hand, place

pytestmark = pytest.mark.django_db

ACTIONS = ("confirm", "start_fulfilment", "ship", "invoice", "complete", "cancel", "return")


@pytest.fixture
def staff(db):
    """A back-office user (permissions are the callers' business; oms records the user)."""
    return make_user("backoffice@example.com", is_staff=True)


@pytest.fixture
def order(shop):
    """A placed order of the Swiss buyer: 10 bolts and 2 motors (reserved)."""
    p = shop.products
    cart = make_cart(shop.site, shop.ch.buyer, shop.ch.company, [(p["BOLT"], 10), (p["MOTOR"], 2)])
    placed = place(cart, shop.ch.buyer, shop.ch, po_number="PO-4711")
    assert placed.state == "placed"
    assert on_hand(p["BOLT"]) == (100, 10) and on_hand(p["MOTOR"]) == (10, 2)
    return placed


def lines_of(order):
    """``{sku: line}`` of an order."""
    return {line.sku: line for line in order.lines.all()}


def status_events(order):
    """``[(from, to)]`` of the order's ``order.status_changed`` events, oldest first."""
    return [
        (e.payload["from"], e.payload["to"])
        for e in Event.objects.filter(type="order.status_changed").order_by("created_at", "id")
        if e.payload["order"] == order.pk
    ]


def act(action, order, user, **kwargs):
    """Call the oms function of ``action`` with sensible arguments."""
    lines = lines_of(order)
    if action == "ship":
        return oms.ship(order, user, kwargs.get("quantities") or {lines["BOLT"].pk: 1})
    if action == "return":
        return oms.register_return(
            order, user, kwargs.get("quantities") or {lines["BOLT"].pk: 1}, reason="damaged"
        )
    function = {
        "confirm": oms.confirm,
        "start_fulfilment": oms.start_fulfilment,
        "invoice": oms.issue_invoice,
        "complete": oms.complete,
        "cancel": oms.cancel,
    }[action]
    return function(order, user)


def ship_all(order, user, **kwargs):
    return oms.ship(
        order, user, {line.pk: line.quantity - line.shipped_quantity for line in order.lines.all()},
        **kwargs,
    )  # fmt: skip


# -- confirm, fulfilment, complete ----------------------------------------------------------


def test_confirm_then_start_fulfilment(order, staff):
    assert oms.allowed_actions(order) == ["confirm", "cancel"]
    confirmed = oms.confirm(order, staff)
    assert confirmed.state == "confirmed"
    assert oms.allowed_actions(confirmed) == ["start_fulfilment", "ship", "cancel"]
    started = oms.start_fulfilment(order, staff)
    assert started.state == "in_fulfilment"
    assert oms.allowed_actions(started) == ["ship", "cancel"]
    assert status_events(order) == [("placed", "confirmed"), ("confirmed", "in_fulfilment")]
    event = Event.objects.filter(type="order.status_changed").order_by("created_at").first()
    payload = event.payload
    # placed_payload (the leads plugin's contract) plus from/to/by
    assert payload["order"] == order.pk and payload["number"] == order.number
    assert payload["company"] == order.company_id and payload["currency"] == "CHF"
    assert payload["email"] == "buyer@alpenwerkag.example" and payload["by"] == staff.pk
    assert payload["value"] == str(order.net_total) and payload["state"] == "confirmed"
    timeline = list(order.events.values_list("kind", "from_state", "to_state", "user"))
    assert timeline == [
        ("placed", "", "placed", order.placed_by_id),
        ("confirmed", "placed", "confirmed", staff.pk),
        ("fulfilment_started", "confirmed", "in_fulfilment", staff.pk),
    ]


def _force(order, state):
    Order.objects.filter(pk=order.pk).update(state=state)
    order.refresh_from_db()
    return order


@pytest.mark.parametrize("state", [s for s in OrderState.values])
def test_every_action_refused_outside_its_states_changes_nothing(order, staff, state):
    _force(order, state)
    if state in ("partially_shipped", "shipped", "invoiced", "completed", "returned"):
        # states that hold shipped units: make it so, so that only the state decides
        line = lines_of(order)["BOLT"]
        line.shipped_quantity = 5
        line.save(update_fields=["shipped_quantity"])
    events_before = Event.objects.count()
    timeline_before = order.events.count()
    for action in ACTIONS:
        if state in oms.FROM_STATES[action]:
            continue
        with pytest.raises(TransitionError, match="cannot be"):
            act(action, order, staff)
        order.refresh_from_db()
        assert order.state == state
    assert Event.objects.count() == events_before
    assert order.events.count() == timeline_before
    assert not Document.objects.exists() and not order.shipments.exists()
    assert on_hand(order.lines.get(sku="BOLT").product) == (100, 10)


def test_complete_an_invoiced_order(order, staff):
    oms.confirm(order, staff)
    ship_all(order, staff)
    oms.issue_invoice(order, staff)
    order.refresh_from_db()
    assert oms.allowed_actions(order) == ["complete", "return"]
    completed = oms.complete(order, staff)
    assert completed.state == "completed"
    assert oms.allowed_actions(completed) == ["return"]
    assert status_events(order)[-1] == ("invoiced", "completed")
    with pytest.raises(TransitionError):
        oms.complete(order, staff)


# -- cancel ---------------------------------------------------------------------------------


@pytest.mark.parametrize("before", ["placed", "confirmed", "in_fulfilment"])
def test_cancel_releases_the_reserved_stock(shop, order, staff, before):
    if before != "placed":
        oms.confirm(order, staff)
    if before == "in_fulfilment":
        oms.start_fulfilment(order, staff)
    cancelled = oms.cancel(order, staff, reason="  Customer called: wrong motor  ")
    assert cancelled.state == "cancelled"
    assert on_hand(shop.products["BOLT"]) == (100, 0)
    assert on_hand(shop.products["MOTOR"]) == (10, 0)
    assert set(StockReservation.objects.values_list("released", flat=True)) == {True}
    event = order.events.get(kind="cancelled")
    assert (event.from_state, event.message, event.user) == (
        before,
        "Customer called: wrong motor",
        staff,
    )
    assert status_events(order)[-1] == (before, "cancelled")
    assert oms.allowed_actions(cancelled) == []
    with pytest.raises(TransitionError, match="cannot be cancelled"):
        oms.cancel(order, staff)
    assert on_hand(shop.products["MOTOR"]) == (10, 0)  # released once only


def test_cancel_an_order_awaiting_approval(shop, staff):
    ch = shop.ch
    CompanyMember.objects.filter(user=ch.requester).update(order_limit=Decimal("100"))
    cart = make_cart(shop.site, ch.requester, ch.company, [(shop.products["MOTOR"], 3)])
    waiting = place(cart, ch.requester, ch)
    assert waiting.state == "awaiting_approval" and oms.allowed_actions(waiting) == ["cancel"]
    oms.cancel(waiting, ch.requester, reason="Not needed any more")
    assert on_hand(shop.products["MOTOR"]) == (10, 0)
    assert status_events(waiting) == [("awaiting_approval", "cancelled")]


def test_an_order_with_shipped_goods_cannot_be_cancelled(shop, order, staff):
    oms.confirm(order, staff)
    oms.ship(order, staff, {lines_of(order)["BOLT"].pk: 4})
    order.refresh_from_db()
    assert "cancel" not in oms.allowed_actions(order)
    with pytest.raises(TransitionError, match="cannot be cancelled"):
        oms.cancel(order, staff)
    # and in a state that would allow it, the shipped units still forbid it
    _force(order, "in_fulfilment")
    assert "cancel" not in oms.allowed_actions(order)
    with pytest.raises(TransitionError, match="shipped goods"):
        oms.cancel(order, staff)
    assert on_hand(shop.products["BOLT"]) == (96, 6)


def test_cancel_reason_too_long_is_refused(order, staff):
    with pytest.raises(TransitionError, match="at most 500"):
        oms.cancel(order, staff, reason="x" * 501)
    order.refresh_from_db()
    assert order.state == "placed"


# -- notes ----------------------------------------------------------------------------------


def test_notes_in_any_state(order, staff):
    oms.add_note(order, staff, "  Customer wants delivery before noon.  ")
    note = order.events.get(kind="note")
    assert (note.message, note.user, note.from_state, note.to_state) == (
        "Customer wants delivery before noon.",
        staff,
        "",
        "",
    )
    _force(order, "cancelled")
    oms.add_note(order, None, "Refund sent")
    assert order.events.filter(kind="note").count() == 2
    for bad, match in (("   ", "Write a note"), ("x" * 501, "at most 500")):
        with pytest.raises(TransitionError, match=match):
            oms.add_note(order, staff, bad)
    assert order.events.filter(kind="note").count() == 2
    assert not Event.objects.filter(type="order.status_changed").exists()


# -- shipping -------------------------------------------------------------------------------


def test_partial_then_full_shipment_takes_the_units_out_of_stock(shop, order, staff):
    p = shop.products
    lines = lines_of(order)
    oms.confirm(order, staff)
    first = oms.ship(
        order,
        staff,
        {lines["BOLT"].pk: 4, str(lines["MOTOR"].pk): "2"},
        carrier="Post CH",
        tracking_number="99.00.123456.12345678",
        tracking_url="https://service.post.ch/track?n=99",
    )
    order.refresh_from_db()
    assert order.state == "partially_shipped"
    assert (first.carrier, first.tracking_number, first.created_by) == (
        "Post CH",
        "99.00.123456.12345678",
        staff,
    )
    assert sorted((sl.order_line.sku, sl.quantity) for sl in first.lines.all()) == [
        ("BOLT", 4),
        ("MOTOR", 2),
    ]
    # on hand and reserved both drop by the shipped units
    assert on_hand(p["BOLT"]) == (96, 6) and on_hand(p["MOTOR"]) == (8, 0)
    held = {r.line.sku: (r.quantity, r.released) for r in StockReservation.objects.all()}
    assert held == {"BOLT": (6, False), "MOTOR": (0, True)}
    assert {sku: line.shipped_quantity for sku, line in lines_of(order).items()} == {
        "BOLT": 4,
        "MOTOR": 2,
    }
    assert oms.allowed_actions(order) == ["ship", "return"]

    second = oms.ship(order, staff, {lines["BOLT"].pk: 6})
    order.refresh_from_db()
    assert order.state == "shipped" and second.pk != first.pk
    assert on_hand(p["BOLT"]) == (90, 0) and on_hand(p["MOTOR"]) == (8, 0)
    assert set(StockReservation.objects.values_list("released", flat=True)) == {True}
    assert oms.allowed_actions(order) == ["invoice", "return"]
    assert status_events(order) == [
        ("placed", "confirmed"),
        ("confirmed", "in_fulfilment"),
        ("in_fulfilment", "partially_shipped"),
        ("partially_shipped", "shipped"),
    ]
    shipped = [
        e.payload
        for e in Event.objects.filter(type="order.status_changed")
        if e.payload["to"] in ("partially_shipped", "shipped")
    ]
    assert sorted(e["shipment"] for e in shipped) == [first.pk, second.pk]
    kinds = list(order.events.exclude(kind="email").values_list("kind", flat=True))
    assert kinds == ["placed", "confirmed", "fulfilment_started", "shipped", "shipped"]
    assert order.events.filter(kind="shipped").first().message == (
        "4 × BOLT, 2 × MOTOR — Post CH 99.00.123456.12345678"
    )
    with pytest.raises(TransitionError, match="cannot be shipped"):
        oms.ship(order, staff, {lines["BOLT"].pk: 1})


def test_shipping_from_in_fulfilment_and_a_second_partial(shop, order, staff):
    lines = lines_of(order)
    oms.confirm(order, staff)
    oms.start_fulfilment(order, staff)
    oms.ship(order, staff, {lines["BOLT"].pk: 1})
    oms.ship(order, staff, {lines["BOLT"].pk: 1, lines["MOTOR"].pk: 0})  # zeros are skipped
    order.refresh_from_db()
    assert order.state == "partially_shipped"
    assert lines_of(order)["BOLT"].shipped_quantity == 2
    # a shipment that does not change the state is on the timeline, without an event
    assert status_events(order)[-1] == ("in_fulfilment", "partially_shipped")
    assert order.events.filter(kind="shipped").count() == 2
    assert on_hand(shop.products["BOLT"]) == (98, 8)


@pytest.mark.parametrize(
    "quantities, message",
    [
        ({"BOLT": 11}, "only 10 can be"),
        ({"BOLT": -1}, "whole number"),
        ({"BOLT": "1.5"}, "whole number"),
        ({"BOLT": 1.5}, "whole number"),
        ({"BOLT": True}, "whole number"),
        ({"BOLT": None}, "whole number"),
        ({"BOLT": 0}, "at least 1 for one line"),
        ({}, "at least 1 for one line"),
        ({"OTHER": 1}, "is not a line of order"),
        ({"abc": 1}, "is not a line of order"),
        ({999999: 1}, "is not a line of order"),
        ({"MOTOR": 3, "BOLT": 1}, "only 2 can be"),  # one bad line refuses the whole shipment
        ({"BOLT": 1, "BOLT-str": 1}, "given twice"),
    ],
)
def test_bad_quantities_ship_nothing(shop, order, staff, quantities, message):
    oms.confirm(order, staff)
    other = place(
        make_cart(shop.site, shop.de.buyer, shop.de.company, [(shop.products["BOLT"], 1)]),
        shop.de.buyer,
        shop.de,
    )
    ids = {sku: line.pk for sku, line in lines_of(order).items()}
    ids["OTHER"] = other.lines.get().pk
    ids["BOLT-str"] = str(ids["BOLT"])
    given = {ids.get(key, key): value for key, value in quantities.items()}
    events = Event.objects.count()
    with pytest.raises(TransitionError, match=message):
        oms.ship(order, staff, given)
    order.refresh_from_db()
    assert order.state == "confirmed" and not order.shipments.exists()
    assert Event.objects.count() == events
    assert on_hand(shop.products["BOLT"]) == (100, 11)
    assert not any(order.lines.values_list("shipped_quantity", flat=True))


def test_bad_tracking_is_refused(order, staff):
    oms.confirm(order, staff)
    bolt = lines_of(order)["BOLT"].pk
    for kwargs, message in (
        ({"tracking_url": "javascript:alert(1)"}, "not a web address"),
        ({"tracking_url": "ftp://example.com/x"}, "not a web address"),
        ({"carrier": "x" * 61}, "at most 60"),
        ({"tracking_number": "1" * 101}, "at most 100"),
    ):
        with pytest.raises(TransitionError, match=message):
            oms.ship(order, staff, {bolt: 1}, **kwargs)
    order.refresh_from_db()
    assert order.state == "confirmed" and not order.shipments.exists()


def test_a_line_without_reservation_ships_from_free_stock(shop, staff):
    from tests.checkout.shop_fixtures import make_order

    order = make_order(shop.ch, [(shop.products["MOTOR"], 3)], state="confirmed")
    oms.ship(order, staff, {order.lines.get().pk: 3})
    assert on_hand(shop.products["MOTOR"]) == (7, 0)
    big = make_order(shop.ch, [(shop.products["MOTOR"], 8)], state="confirmed")
    with pytest.raises(TransitionError, match="only 7 in stock"):
        oms.ship(big, staff, {big.lines.get().pk: 8})
    big.refresh_from_db()
    assert big.state == "confirmed" and on_hand(shop.products["MOTOR"]) == (7, 0)


def test_stock_fulfil_is_one_conditional_update(shop):
    from magpie_catalog.models import StockLevel
    from magpie_catalog.stock import fulfil, restock

    row = StockLevel.objects.get(product=shop.products["CABLE"])
    StockLevel.objects.filter(pk=row.pk).update(reserved=3)
    assert fulfil(row.pk, 4) is False  # only 3 reserved: nothing changes
    assert on_hand(shop.products["CABLE"]) == (50, 3)
    assert fulfil(row.pk, 3) is True
    assert on_hand(shop.products["CABLE"]) == (47, 0)
    restock(row.pk, 2)
    assert on_hand(shop.products["CABLE"]) == (49, 0)
    with pytest.raises(ValueError):
        fulfil(row.pk, 0)


# -- returns --------------------------------------------------------------------------------


def test_returns_credit_restock_and_finally_return_the_order(shop, order, staff):
    p = shop.products
    lines = lines_of(order)
    oms.confirm(order, staff)
    ship_all(order, staff)
    assert on_hand(p["BOLT"]) == (90, 0) and on_hand(p["MOTOR"]) == (8, 0)
    oms.issue_invoice(order, staff)

    first = oms.register_return(
        order, staff, {lines["BOLT"].pk: 4, lines["MOTOR"].pk: 1}, reason="  Overstock  "
    )
    order.refresh_from_db()
    assert order.state == "invoiced"  # not everything came back
    assert first.reason == "Overstock" and first.restock and first.created_by == staff
    assert sorted((rl.order_line.sku, rl.quantity) for rl in first.lines.all()) == [
        ("BOLT", 4),
        ("MOTOR", 1),
    ]
    assert on_hand(p["BOLT"]) == (94, 0) and on_hand(p["MOTOR"]) == (9, 0)
    returned = {sku: line.returned_quantity for sku, line in lines_of(order).items()}
    assert returned == {"BOLT": 4, "MOTOR": 1}
    credit = first.credit_note
    # 4 × 2.50 + 1 × 480.00 = 490.00 net, 8.1 % VAT = 39.69
    assert (credit.net_total, credit.tax_total, credit.gross_total) == (
        Decimal("490.00"),
        Decimal("39.69"),
        Decimal("529.69"),
    )
    assert credit.number.startswith("G-") and credit.data["reason"] == "Overstock"
    assert [ln["sku"] for ln in credit.data["lines"]] == ["BOLT", "MOTOR"]
    assert order.events.get(kind="returned").message.startswith(credit.number)
    assert status_events(order)[-1] == ("shipped", "invoiced")  # no state change, no event
    assert oms.allowed_actions(order) == ["complete", "return"]

    with pytest.raises(TransitionError, match="only 6 can be"):
        oms.register_return(order, staff, {lines["BOLT"].pk: 7}, reason="x")
    with pytest.raises(TransitionError, match="reason"):
        oms.register_return(order, staff, {lines["BOLT"].pk: 1}, reason="  ")

    oms.complete(order, staff)
    last = oms.register_return(
        order, staff, {lines["BOLT"].pk: 6, lines["MOTOR"].pk: 1}, reason="Project stopped",
        restock=False,
    )  # fmt: skip
    order.refresh_from_db()
    assert order.state == "returned" and oms.allowed_actions(order) == []
    assert on_hand(p["BOLT"]) == (94, 0) and on_hand(p["MOTOR"]) == (9, 0)  # not restocked
    changed = Event.objects.filter(type="order.status_changed").order_by("-created_at").first()
    assert (changed.payload["from"], changed.payload["to"]) == ("completed", "returned")
    assert changed.payload["return"] == last.pk
    assert changed.payload["document"] == last.credit_note.pk
    assert Document.objects.filter(kind="credit_note").count() == 2
    with pytest.raises(TransitionError, match="cannot be returned"):
        oms.register_return(order, staff, {lines["BOLT"].pk: 1}, reason="again")


def test_return_of_a_partial_shipment_keeps_the_order_open(shop, order, staff):
    lines = lines_of(order)
    oms.confirm(order, staff)
    oms.ship(order, staff, {lines["MOTOR"].pk: 2})
    ret = oms.register_return(order, staff, {lines["MOTOR"].pk: 2}, reason="Wrong voltage")
    order.refresh_from_db()
    # every shipped unit came back, but the bolts are still to ship: the order stays open
    assert order.state == "partially_shipped"
    assert oms.allowed_actions(order) == ["ship"]
    assert on_hand(shop.products["MOTOR"]) == (10, 0)
    assert on_hand(shop.products["BOLT"]) == (100, 10)
    assert ret.credit_note.net_total == Decimal("960.00")
    with pytest.raises(TransitionError, match="only 0 can be"):
        oms.register_return(order, staff, {lines["MOTOR"].pk: 1}, reason="again")


# -- concurrency (PostgreSQL) ---------------------------------------------------------------


def _placed_order(magpie_site, lines):
    from tests.checkout.conftest import build_shop

    shop = build_shop(magpie_site)
    cart = make_cart(
        shop.site, shop.ch.buyer, shop.ch.company, [(shop.products[s], q) for s, q in lines]
    )
    order = place(cart, shop.ch.buyer, shop.ch)
    return shop, order


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_two_staff_shipping_the_last_units_at_once_ship_them_once(magpie_site):
    from tests.checkout.test_placement_concurrency import run_together

    shop, order = _placed_order(magpie_site, [("MOTOR", 3)])
    staff = make_user("backoffice@example.com", is_staff=True)
    oms.confirm(order, staff)
    line = order.lines.get()
    results = run_together(4, lambda i: oms.ship(Order(pk=order.pk), staff, {line.pk: 3}))
    shipped = [r for r in results if not isinstance(r, Exception)]
    refused = [r for r in results if isinstance(r, TransitionError)]
    assert len(shipped) == 1 and len(refused) == 3, results
    line.refresh_from_db()
    assert line.shipped_quantity == 3
    assert on_hand(shop.products["MOTOR"]) == (7, 0)
    assert Order.objects.get(pk=order.pk).state == "shipped"


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_two_cancels_at_once_release_the_stock_once(magpie_site):
    from tests.checkout.test_placement_concurrency import run_together

    shop, order = _placed_order(magpie_site, [("MOTOR", 4), ("BOLT", 5)])
    # another order holds stock of the same rows: a double release would show
    other = place(
        make_cart(shop.site, shop.ch.admin, shop.ch.company, [(shop.products["MOTOR"], 2)]),
        shop.ch.admin,
        shop.ch,
    )
    assert other.state == "placed" and on_hand(shop.products["MOTOR"]) == (10, 6)
    staff = make_user("backoffice@example.com", is_staff=True)
    results = run_together(4, lambda i: oms.cancel(Order(pk=order.pk), staff))
    assert sum(isinstance(r, Order) for r in results) == 1, results
    assert sum(isinstance(r, TransitionError) for r in results) == 3
    assert on_hand(shop.products["MOTOR"]) == (10, 2)
    assert on_hand(shop.products["BOLT"]) == (100, 0)
    assert Event.objects.filter(type="order.status_changed").count() == 1


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_invoices_issued_at_once_get_consecutive_numbers(magpie_site):
    from django.utils import timezone

    from tests.checkout.test_placement_concurrency import run_together

    shop, first = _placed_order(magpie_site, [("BOLT", 1)])
    staff = make_user("backoffice@example.com", is_staff=True)
    orders = [first]
    for i in range(5):
        user = make_user(f"buyer{i}@alpenwerkag.example")
        CompanyMember.objects.create(company=shop.ch.company, user=user, role="buyer")
        cart = make_cart(shop.site, user, shop.ch.company, [(shop.products["BOLT"], 1)])
        orders.append(place(cart, user, shop.ch))
    for each in orders:
        oms.confirm(each, staff)
        oms.ship(each, staff, {each.lines.get().pk: 1})
    results = run_together(6, lambda i: oms.issue_invoice(Order(pk=orders[i].pk), staff).number)
    year = timezone.localdate().year
    assert sorted(results) == [f"R-{year}-{n:06d}" for n in range(1, 7)], results
