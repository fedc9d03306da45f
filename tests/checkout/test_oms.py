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
