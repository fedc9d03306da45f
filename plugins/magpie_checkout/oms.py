"""Order management: the state machine of an order after placement, shipments, invoices,
credit notes, returns and cancellation. The admin (``oms_admin``), the account area and the
API call these functions; none of them is called from a template.

States (docs/order-management.md has the full table)::

    awaiting_approval → placed → confirmed → in_fulfilment → partially_shipped → shipped
        → invoiced → completed;  cancelled (stock released), returned, rejected

============================  =================================  ==========================
action (:func:`allowed_actions`)  from                           to
============================  =================================  ==========================
``confirm``                   placed                             confirmed
``start_fulfilment``          confirmed                          in_fulfilment
``ship``                      confirmed, in_fulfilment,          partially_shipped or
                              partially_shipped                  shipped
``invoice``                   shipped                            invoiced
``complete``                  invoiced                           completed
``cancel``                    awaiting_approval, placed,         cancelled
                              confirmed, in_fulfilment
``return``                    partially_shipped, shipped,        returned once every unit
                              invoiced, completed                came back, else unchanged
============================  =================================  ==========================

Every function runs in one transaction with the order row locked (``select_for_update``;
every change of an order's lines, stock reservations and documents goes through that lock,
so two staff members acting at once are served one after the other and the second sees the
first's result), writes :class:`~magpie_checkout.models.OrderEvent` entries, emits the
domain event ``order.status_changed`` for every state change (payload:
:func:`magpie_checkout.placement.placed_payload` plus ``from``, ``to``, ``by`` and, where
there is one, ``shipment``, ``document`` or ``return``), and queues the buyer's email for
after the commit (:mod:`magpie_checkout.notifications`; a failing email is logged and never
undoes the step). A refused step raises :class:`TransitionError` with a message for the
user, and nothing changed.

Permissions are the caller's business (the admin and the API check them; the account area
lets a buyer do what its own rules allow): :data:`PERMISSIONS` names the permission each
action needs for staff.

Stock: shipping takes the shipped units out of the warehouse (on hand and reserved drop,
:func:`magpie_catalog.stock.fulfil`; a reservation's ``quantity`` is what it still holds
and it is marked released once it holds nothing); cancelling releases what is still
reserved; a return with ``restock`` puts the units back on hand
(:func:`magpie_catalog.stock.restock`).
"""

from __future__ import annotations

import datetime
import logging
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import URLValidator
from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from magpie.events.outbox import emit
from magpie_checkout.models import (
    CompanyTerms,
    Document,
    Order,
    OrderEvent,
    OrderLine,
    OrderState,
    Return,
    ReturnLine,
    Shipment,
    ShipmentLine,
    StockReservation,
)

logger = logging.getLogger("magpie.checkout")

S = OrderState

#: The states each action starts from.
FROM_STATES: dict[str, tuple[str, ...]] = {
    "confirm": (S.PLACED,),
    "start_fulfilment": (S.CONFIRMED,),
    "ship": (S.CONFIRMED, S.IN_FULFILMENT, S.PARTIALLY_SHIPPED),
    "invoice": (S.SHIPPED,),
    "complete": (S.INVOICED,),
    "cancel": (S.AWAITING_APPROVAL, S.PLACED, S.CONFIRMED, S.IN_FULFILMENT),
    "return": (S.PARTIALLY_SHIPPED, S.SHIPPED, S.INVOICED, S.COMPLETED),
}

#: The permission staff need for each action (checked by the admin and the API).
PERMISSIONS: dict[str, str] = {
    "confirm": "magpie_checkout.fulfil_order",
    "start_fulfilment": "magpie_checkout.fulfil_order",
    "ship": "magpie_checkout.fulfil_order",
    "cancel": "magpie_checkout.fulfil_order",
    "invoice": "magpie_checkout.bill_order",
    "complete": "magpie_checkout.bill_order",
    "return": "magpie_checkout.bill_order",
    "note": "magpie_checkout.change_order",
}

CARRIER_MAX = 60
TRACKING_MAX = 100
NOTE_MAX = 500
REASON_MAX = 300
CENT = Decimal("0.01")


class TransitionError(Exception):
    """The order cannot make this step (wrong state, bad quantities, no permission).

    ``messages`` holds every reason (``str(error)`` joins them).
    """

    def __init__(self, messages: list[str] | str) -> None:
        self.messages = [messages] if isinstance(messages, str) else list(messages)
        super().__init__(" ".join(str(m) for m in self.messages))


# -- what is possible -----------------------------------------------------------------------


def _units(order: Order) -> tuple[int, int, int]:
    """``(units not shipped yet, units shipped, units shipped and not returned)``."""
    unshipped = shipped_total = returnable = 0
    for quantity, shipped, returned in order.lines.values_list(
        "quantity", "shipped_quantity", "returned_quantity"
    ):
        unshipped += quantity - shipped
        shipped_total += shipped
        returnable += shipped - returned
    return unshipped, shipped_total, returnable


def allowed_actions(order: Order) -> list[str]:
    """The actions open for ``order`` now, of ``confirm``, ``start_fulfilment``, ``ship``,
    ``invoice``, ``complete``, ``cancel``, ``return`` (in that order). A staff note
    (:func:`add_note`) is always possible and not listed."""
    unshipped, shipped, returnable = _units(order)
    actions = []
    for action, states in FROM_STATES.items():
        if order.state not in states:
            continue
        if action == "ship" and unshipped == 0:
            continue
        if action == "return" and returnable == 0:
            continue
        if action == "cancel" and shipped:
            continue
        actions.append(action)
    return actions


# -- shared steps ---------------------------------------------------------------------------


def _locked(order: Order) -> Order:
    """The order's row, locked until the transaction ends (read again: fresh state)."""
    try:
        return Order.objects.select_for_update().get(pk=order.pk)
    except Order.DoesNotExist:
        raise TransitionError(_("This order no longer exists.")) from None


def _refusal(action: str) -> str:
    """The refusal of ``action`` in the order's state, a whole sentence per action."""
    return {
        "confirm": _("Order %(number)s is in state “%(state)s”; it cannot be confirmed now."),
        "start_fulfilment": _(
            "Order %(number)s is in state “%(state)s”; it cannot be put into fulfilment now."
        ),
        "ship": _("Order %(number)s is in state “%(state)s”; it cannot be shipped now."),
        "invoice": _("Order %(number)s is in state “%(state)s”; it cannot be invoiced now."),
        "complete": _("Order %(number)s is in state “%(state)s”; it cannot be completed now."),
        "cancel": _("Order %(number)s is in state “%(state)s”; it cannot be cancelled now."),
        "return": _("Order %(number)s is in state “%(state)s”; it cannot be returned now."),
    }[action]


def _require(order: Order, action: str) -> None:
    if order.state not in FROM_STATES[action]:
        raise TransitionError(
            _refusal(action) % {"number": order.number, "state": order.get_state_display()}
        )


def _user(user: Any) -> Any:
    """The user to record (``None`` for the system or an anonymous user)."""
    return user if getattr(user, "is_authenticated", False) else None


def _change_state(
    order: Order,
    to: str,
    user: Any,
    kind: str,
    message: str = "",
    **ids: int,
) -> None:
    """Move the locked ``order`` to ``to``: save, timeline entry, ``order.status_changed``.
    An order already in ``to`` (a partial shipment or return) gets the timeline entry only."""
    from magpie_checkout.placement import placed_payload

    before = order.state
    OrderEvent.objects.create(
        order=order,
        kind=kind,
        from_state=before,
        to_state=to,
        message=message[:NOTE_MAX],
        user=_user(user),
    )
    if to == before:
        return
    order.state = to
    order.save(update_fields=["state", "updated_at"])
    payload = {
        **placed_payload(order),
        "from": before,
        "to": to,
        "by": getattr(_user(user), "pk", None),
        **ids,
    }
    emit("order.status_changed", payload, site=order.site_id)


def _queue_email(kind: str, order: Order, **ids: int) -> None:
    """Send the buyer's ``kind`` email once the transaction has committed (never raises)."""
    order_id = order.pk

    def send() -> None:
        try:
            from magpie_checkout.notifications import send_order_email

            send_order_email(kind, order_id, **ids)
        except Exception:
            logger.exception("Could not send the %s email of order %s", kind, order_id)

    transaction.on_commit(send)


def _quantities(
    order: Order, quantities: Any, room: dict[int, int], too_many: str
) -> dict[int, int]:
    """Validate ``{line id: units}`` against ``room`` (units each line can take); zeros are
    skipped. ``too_many`` is the message for more units than room (``%(sku)s``,
    ``%(units)d``, ``%(room)d``). Raises :class:`TransitionError` with every problem."""
    if not isinstance(quantities, dict):
        raise TransitionError(_("Give the quantities per order line."))
    lines = {line.pk: line for line in order.lines.all()}
    errors: list[str] = []
    wanted: dict[int, int] = {}
    seen: set[int] = set()
    for key, value in quantities.items():
        try:
            line_id = int(key)
        except (TypeError, ValueError):
            line_id = None
        line = lines.get(line_id) if line_id is not None else None
        if line is None:
            errors.append(
                _("%(line)s is not a line of order %(number)s.")
                % {"line": key, "number": order.number}
            )
            continue
        if line_id in seen:
            errors.append(_("%(sku)s is given twice.") % {"sku": line.sku})
            continue
        seen.add(line_id)
        units: int | None
        if isinstance(value, bool):
            units = None
        elif isinstance(value, int):
            units = value
        elif isinstance(value, str) and value.strip().isdigit():
            units = int(value.strip())
        else:
            units = None
        if units is None or units < 0:
            errors.append(
                _("%(sku)s: the quantity must be a whole number of at least 1.") % {"sku": line.sku}
            )
            continue
        if units == 0:
            continue
        if units > room[line.pk]:
            errors.append(too_many % {"sku": line.sku, "units": units, "room": room[line.pk]})
            continue
        wanted[line.pk] = units
    if not errors and not wanted:
        errors.append(_("Give a quantity of at least 1 for one line."))
    if errors:
        raise TransitionError(errors)
    return wanted


# -- confirm, fulfil, complete, cancel, note ------------------------------------------------


def _step(order: Order, user: Any, action: str, state: str, kind: str) -> Order:
    """A step that only changes the state: locked, checked, logged as ``kind``."""
    with transaction.atomic():
        locked = _locked(order)
        _require(locked, action)
        _change_state(locked, state, user, kind)
    return locked


def confirm(order: Order, user: Any) -> Order:
    """placed → confirmed: staff accept the order. (The buyer got the order confirmation
    email when the order was placed; see :mod:`magpie_checkout.notifications`.)"""
    return _step(order, user, "confirm", S.CONFIRMED, "confirmed")


def start_fulfilment(order: Order, user: Any) -> Order:
    """confirmed → in_fulfilment: picking has started (shipping does this implicitly)."""
    return _step(order, user, "start_fulfilment", S.IN_FULFILMENT, "fulfilment_started")


def complete(order: Order, user: Any) -> Order:
    """invoiced → completed (paid and done)."""
    return _step(order, user, "complete", S.COMPLETED, "completed")


def cancel(order: Order, user: Any, reason: str = "") -> Order:
    """Cancel an order that has shipped nothing (awaiting approval, placed, confirmed or in
    fulfilment): its reserved stock is released (reservations marked released, the stock
    rows' ``reserved`` decreased), ``reason`` is kept on the timeline, the buyer is told.
    An order that has shipped anything, or is invoiced, cannot be cancelled."""
    from magpie_catalog.stock import release

    reason = (reason or "").strip()
    if len(reason) > NOTE_MAX:
        raise TransitionError(_("The reason has at most %(max)d characters.") % {"max": NOTE_MAX})
    with transaction.atomic():
        locked = _locked(order)
        _require(locked, "cancel")
        if any(locked.lines.values_list("shipped_quantity", flat=True)):
            raise TransitionError(
                _("Order %(number)s has shipped goods; it cannot be cancelled.")
                % {"number": locked.number}
            )
        held = list(
            StockReservation.objects.select_for_update()
            .filter(line__order=locked, released=False)
            .order_by("stock_level_id", "pk")
        )
        release([(row.stock_level_id, row.quantity) for row in held if row.quantity])
        StockReservation.objects.filter(pk__in=[row.pk for row in held]).update(released=True)
        _change_state(locked, S.CANCELLED, user, "cancelled", reason)
        _queue_email("cancelled", locked)
    return locked


def add_note(order: Order, user: Any, message: str) -> None:
    """A staff note on the order's timeline (any state; at most 500 characters)."""
    message = (message or "").strip()
    if not message:
        raise TransitionError(_("Write a note first."))
    if len(message) > NOTE_MAX:
        raise TransitionError(_("A note has at most %(max)d characters.") % {"max": NOTE_MAX})
    with transaction.atomic():
        locked = _locked(order)
        OrderEvent.objects.create(order=locked, kind="note", message=message, user=_user(user))


# -- shipping -------------------------------------------------------------------------------


def _tracking(carrier: str, tracking_number: str, tracking_url: str) -> tuple[str, str, str]:
    carrier, number, url = (
        (carrier or "").strip(),
        (tracking_number or "").strip(),
        (tracking_url or "").strip(),
    )
    errors = []
    if len(carrier) > CARRIER_MAX:
        errors.append(_("The carrier has at most %(max)d characters.") % {"max": CARRIER_MAX})
    if len(number) > TRACKING_MAX:
        errors.append(
            _("The tracking number has at most %(max)d characters.") % {"max": TRACKING_MAX}
        )
    if url:
        try:
            URLValidator(schemes=["http", "https"])(url)
        except ValidationError:
            errors.append(_("The tracking link is not a web address (http or https)."))
        if len(url) > 200:
            errors.append(_("The tracking link has at most 200 characters."))
    if errors:
        raise TransitionError(errors)
    return carrier, number, url


def _take_stock(line: OrderLine, units: int) -> None:
    """Take ``units`` of ``line`` out of the warehouse: from its reservations first (their
    quantity shrinks; released once empty), the rest from free stock."""
    from magpie_catalog.stock import InsufficientStock, fulfil, fulfil_unreserved

    needed = units
    held = (
        StockReservation.objects.select_for_update()
        .filter(line=line, released=False, quantity__gt=0)
        .order_by("stock_level_id", "pk")
    )
    for reservation in held:
        if needed == 0:
            break
        take = min(reservation.quantity, needed)
        if not fulfil(reservation.stock_level_id, take):
            raise TransitionError(
                _("%(sku)s: the stock held for this order is gone; check the stock.")
                % {"sku": line.sku}
            )
        left = reservation.quantity - take
        StockReservation.objects.filter(pk=reservation.pk).update(quantity=left, released=left == 0)
        needed -= take
    if needed and line.product_id is not None:
        try:
            fulfil_unreserved(line.product, line.variant, needed)
        except InsufficientStock as error:
            raise TransitionError(
                _("%(sku)s: %(units)d to ship without a reservation, only %(free)d in stock.")
                % {"sku": line.sku, "units": needed, "free": error.available}
            ) from None


def ship(
    order: Order,
    user: Any,
    quantities: dict[int, int],
    *,
    carrier: str = "",
    tracking_number: str = "",
    tracking_url: str = "",
) -> Shipment:
    """Ship ``quantities`` ({order line id: units}; ids may be strings, zeros are skipped)
    → partially_shipped, or shipped once every unit has left. A confirmed order moves to
    in_fulfilment first (its own state change). Each line's units must be whole numbers up
    to what is not shipped yet. The shipped units leave the warehouse: on hand and reserved
    drop (:func:`magpie_catalog.stock.fulfil`). The buyer gets an email with the carrier
    and tracking."""
    carrier, tracking_number, tracking_url = _tracking(carrier, tracking_number, tracking_url)
    with transaction.atomic():
        locked = _locked(order)
        _require(locked, "ship")
        lines = {line.pk: line for line in locked.lines.select_related("product", "variant")}
        room = {pk: line.quantity - line.shipped_quantity for pk, line in lines.items()}
        wanted = _quantities(
            locked,
            quantities,
            room,
            _("%(sku)s: %(units)d to ship, but only %(room)d can be shipped."),
        )
        if locked.state == S.CONFIRMED:
            _change_state(locked, S.IN_FULFILMENT, user, "fulfilment_started")
        shipment = Shipment.objects.create(
            order=locked,
            carrier=carrier,
            tracking_number=tracking_number,
            tracking_url=tracking_url,
            created_by=_user(user),
        )
        for line_id in sorted(wanted):  # a fixed order of stock rows
            line, units = lines[line_id], wanted[line_id]
            _take_stock(line, units)
            ShipmentLine.objects.create(shipment=shipment, order_line=line, quantity=units)
            OrderLine.objects.filter(pk=line_id).update(
                shipped_quantity=F("shipped_quantity") + units
            )
            room[line_id] -= units
        done = all(left == 0 for left in room.values())
        summary = ", ".join(f"{wanted[pk]} × {lines[pk].sku}" for pk in sorted(wanted))
        tracking = " ".join(part for part in (carrier, tracking_number) if part)
        message = f"{summary}{' — ' + tracking if tracking else ''}"
        target = S.SHIPPED if done else S.PARTIALLY_SHIPPED
        _change_state(locked, target, user, "shipped", message, shipment=shipment.pk)
        _queue_email("shipped", locked, shipment=shipment.pk)
    return shipment


# -- documents ------------------------------------------------------------------------------

#: The note on documents of a reverse-charge order (German law text and English).
REVERSE_CHARGE_NOTE = "Steuerschuldnerschaft des Leistungsempfängers / reverse charge"
#: The note on documents of a tax-free export (0 %, no reverse charge).
EXPORT_NOTE = "Steuerfreie Ausfuhrlieferung / VAT-exempt export delivery"


def seller() -> dict[str, Any]:
    """The seller printed on documents: the setting ``MAGPIE_SELLER`` over the defaults
    (``name``, ``address`` lines, ``country`` = ``MAGPIE_SELLER_COUNTRY``, ``vat_id``,
    ``email``, ``phone``, ``bank``, ``iban``, ``bic``)."""
    from magpie_checkout.tax import seller_country

    values: dict[str, Any] = {
        "name": "Magpie Shop",
        "address": [],
        "country": seller_country(),
        "vat_id": "",
        "email": getattr(settings, "DEFAULT_FROM_EMAIL", "") or "",
        "phone": "",
        "bank": "",
        "iban": "",
        "bic": "",
    }
    configured = getattr(settings, "MAGPIE_SELLER", None) or {}
    values.update({key: value for key, value in configured.items() if value is not None})
    address = values.get("address") or []
    values["address"] = [address] if isinstance(address, str) else [str(a) for a in address]
    return values


def _money(value: Decimal) -> str:
    return str(Decimal(value).quantize(CENT, rounding=ROUND_HALF_UP))


def _vat_note(order: Order) -> str:
    if order.reverse_charge:
        return REVERSE_CHARGE_NOTE
    if Decimal(order.vat_rate) == 0:
        return EXPORT_NOTE
    return ""


def _document_data(
    order: Order,
    kind: str,
    lines: list[dict[str, Any]],
    totals: tuple[Decimal, Decimal, Decimal],
    issued: datetime.date,
    due: datetime.date | None,
    terms_days: int | None,
    reference: str,
    **extra: Any,
) -> dict[str, Any]:
    """What a document shows, frozen (see docs/order-management.md)."""
    from magpie_checkout.notifications import language_of_order

    company = order.company
    return {
        "kind": kind,
        "language": language_of_order(order),
        "issued_on": issued.isoformat(),
        "due_date": due.isoformat() if due else None,
        "seller": seller(),
        "buyer": {
            "company": company.name,
            "vat_id": company.vat_id or "",
            "country": company.country or "",
            "customer": company.pk,
        },
        "billing_address": dict(order.billing_address or {}),
        "shipping_address": dict(order.shipping_address or {}),
        "order": {
            "number": order.number,
            "placed_on": timezone.localdate(order.created_at).isoformat(),
            "po_number": order.po_number,
        },
        "lines": lines,
        "vat": {
            "rate": str(order.vat_rate),
            "country": order.tax_country,
            "reverse_charge": order.reverse_charge,
            "note": _vat_note(order),
        },
        "totals": {"net": _money(totals[0]), "tax": _money(totals[1]), "gross": _money(totals[2])},
        "currency": order.currency,
        "payment": {
            "method": order.payment_method,
            "terms_days": terms_days,
            "reference": reference,
        },
        **extra,
    }


def _line_data(line: OrderLine, quantity: int, line_net: Decimal) -> dict[str, Any]:
    return {
        "position": line.position,
        "sku": line.sku,
        "name": line.name,
        "quantity": quantity,
        "unit_net": str(line.unit_net),
        "line_net": _money(line_net),
    }


def _number(prefix: str, kind: str, year: int) -> str:
    from magpie_checkout.numbering import next_number

    return f"{prefix}-{next_number(kind, year)}"


def issue_invoice(order: Order, user: Any) -> Document:
    """shipped → invoiced: the invoice of the whole order (its lines, shipping and VAT as
    placed) with the next number of the year (``R-2026-000001``, gap-free: a rolled-back
    transaction gives its number back), due after the company's payment terms
    (:class:`~magpie_checkout.models.CompanyTerms`, 30 days without). The buyer gets it
    as a PDF attachment."""
    from magpie_checkout.payment import rf_reference

    with transaction.atomic():
        locked = _locked(order)
        _require(locked, "invoice")
        if locked.documents.filter(kind=Document.Kind.INVOICE).exists():
            raise TransitionError(
                _("Order %(number)s is invoiced already.") % {"number": locked.number}
            )
        today = timezone.localdate()
        terms = CompanyTerms.objects.filter(company_id=locked.company_id).first()
        days = terms.payment_terms_days if terms is not None else 30
        due = today + datetime.timedelta(days=days)
        lines = [
            _line_data(line, line.quantity, line.line_net)
            for line in locked.lines.order_by("position")
        ]
        data = _document_data(
            locked,
            Document.Kind.INVOICE,
            lines,
            (locked.net_total, locked.tax_total, locked.gross_total),
            today,
            due,
            days,
            locked.payment_reference,
            shipping={"method": locked.shipping_method, "net": _money(locked.shipping_net)},
        )
        # The number last: its sequence row stays locked until the transaction ends.
        number = _number("R", "invoice", today.year)
        if not data["payment"]["reference"]:
            data["payment"]["reference"] = rf_reference(number)
        document = Document.objects.create(
            order=locked,
            kind=Document.Kind.INVOICE,
            number=number,
            currency=locked.currency,
            net_total=locked.net_total,
            tax_total=locked.tax_total,
            gross_total=locked.gross_total,
            data=data,
            due_date=due,
            created_by=_user(user),
        )
        _change_state(locked, S.INVOICED, user, "invoiced", number, document=document.pk)
        _queue_email("invoiced", locked, document=document.pk)
    return document


# -- returns --------------------------------------------------------------------------------


def _restock_line(line: OrderLine, units: int) -> None:
    """Put ``units`` of ``line`` back on hand where its stock came from (its first
    reservation's stock row, else the product's first stock row)."""
    from magpie_catalog.models import StockLevel
    from magpie_catalog.stock import restock

    row_id = (
        StockReservation.objects.filter(line=line)
        .order_by("pk")
        .values_list("stock_level_id", flat=True)
        .first()
    )
    if row_id is None and line.product_id is not None:
        rows = StockLevel.objects.filter(product_id=line.product_id)
        rows = (
            rows.filter(variant_id=line.variant_id)
            if line.variant_id
            else rows.filter(variant__isnull=True)
        )
        row_id = rows.order_by("pk").values_list("pk", flat=True).first()
    if row_id is not None:
        restock(row_id, units)


def register_return(
    order: Order, user: Any, quantities: dict[int, int], *, reason: str, restock: bool = True
) -> Return:
    """Goods came back: a return with its lines (at most what was shipped and not returned
    yet, per line), a credit note (``G-2026-000001``) for the returned lines' net plus VAT
    at the order's rate (shipping is not credited), the units back on hand when
    ``restock``. The order becomes ``returned`` when every unit of it was shipped and came
    back; otherwise its state stays. The buyer gets the credit note as a PDF."""
    from magpie_checkout.tax import tax_amount

    reason = (reason or "").strip()
    if not reason:
        raise TransitionError(_("Give the reason of the return."))
    if len(reason) > REASON_MAX:
        raise TransitionError(_("The reason has at most %(max)d characters.") % {"max": REASON_MAX})
    with transaction.atomic():
        locked = _locked(order)
        _require(locked, "return")
        lines = {line.pk: line for line in locked.lines.select_related("product", "variant")}
        room = {pk: line.shipped_quantity - line.returned_quantity for pk, line in lines.items()}
        wanted = _quantities(
            locked,
            quantities,
            room,
            _("%(sku)s: %(units)d to return, but only %(room)d can be returned."),
        )
        ret = Return.objects.create(
            order=locked, reason=reason, restock=bool(restock), created_by=_user(user)
        )
        data_lines = []
        net = Decimal("0.00")
        for line_id in sorted(wanted):
            line, units = lines[line_id], wanted[line_id]
            ReturnLine.objects.create(ret=ret, order_line=line, quantity=units)
            OrderLine.objects.filter(pk=line_id).update(
                returned_quantity=F("returned_quantity") + units
            )
            if restock:
                _restock_line(line, units)
            line_net = (
                line.line_net
                if units == line.quantity
                else (line.unit_net * units).quantize(CENT, rounding=ROUND_HALF_UP)
            )
            net += line_net
            data_lines.append(_line_data(line, units, line_net))
            line.returned_quantity += units
        tax = tax_amount(net, Decimal(locked.vat_rate))
        today = timezone.localdate()
        invoice = locked.documents.filter(kind=Document.Kind.INVOICE).first()
        data = _document_data(
            locked,
            Document.Kind.CREDIT_NOTE,
            data_lines,
            (net, tax, net + tax),
            today,
            None,
            None,
            locked.payment_reference,
            invoice_number=invoice.number if invoice else "",
            reason=reason,
            restock=bool(restock),
        )
        # The number last: its sequence row stays locked until the transaction ends.
        number = _number("G", "credit_note", today.year)
        document = Document.objects.create(
            order=locked,
            kind=Document.Kind.CREDIT_NOTE,
            number=number,
            currency=locked.currency,
            net_total=net,
            tax_total=tax,
            gross_total=net + tax,
            data=data,
            created_by=_user(user),
        )
        ret.credit_note = document
        ret.save(update_fields=["credit_note"])
        summary = ", ".join(f"{wanted[pk]} × {lines[pk].sku}" for pk in sorted(wanted))
        message = f"{number}: {summary} — {reason}"
        everything_back = all(
            line.quantity == line.shipped_quantity == line.returned_quantity
            for line in lines.values()
        )
        target = S.RETURNED if everything_back else locked.state
        ids = {"document": document.pk, "return": ret.pk}
        _change_state(locked, target, user, "returned", message, **ids)
        _queue_email("credit_note", locked, document=document.pk)
    return ret
