"""Order management: the state machine of an order after placement, shipments, invoices,
credit notes, returns and cancellation. The admin (``oms_admin``), the account area and the
API call these functions; none of them is called from a template.

States: awaiting_approval → placed → confirmed → in_fulfilment → partially_shipped →
shipped → invoiced → completed, plus cancelled (stock released), returned and rejected.
Every function runs in one transaction with the order row locked, writes an
:class:`~magpie_checkout.models.OrderEvent`, emits the domain event
``order.status_changed`` (payload: :func:`magpie_checkout.placement.placed_payload` plus
``from``/``to``) for every state change, and queues the buyer's email after the commit
(:mod:`magpie_checkout.notifications`). A refused transition raises
:class:`TransitionError` and changes nothing.

SKELETON — the signatures are the contract; bodies land with the OMS work.
"""

from __future__ import annotations

from typing import Any

from magpie_checkout.models import Document, Order, Return, Shipment


class TransitionError(Exception):
    """The order cannot make this step (wrong state, bad quantities, no permission)."""


def allowed_actions(order: Order) -> list[str]:
    """The actions open for ``order`` now, of ``confirm``, ``start_fulfilment``, ``ship``,
    ``invoice``, ``complete``, ``cancel``, ``return``."""
    raise NotImplementedError


def confirm(order: Order, user: Any) -> Order:
    """placed → confirmed (the buyer gets the order confirmation)."""
    raise NotImplementedError


def start_fulfilment(order: Order, user: Any) -> Order:
    """confirmed → in_fulfilment."""
    raise NotImplementedError


def ship(
    order: Order,
    user: Any,
    quantities: dict[int, int],
    *,
    carrier: str = "",
    tracking_number: str = "",
    tracking_url: str = "",
) -> Shipment:
    """Ship ``quantities`` ({order line id: units}) → partially_shipped or shipped. The
    reserved stock of the shipped units leaves the warehouse (on hand and reserved drop)."""
    raise NotImplementedError


def issue_invoice(order: Order, user: Any) -> Document:
    """shipped → invoiced: the invoice with the next number of the year."""
    raise NotImplementedError


def complete(order: Order, user: Any) -> Order:
    """invoiced → completed."""
    raise NotImplementedError


def cancel(order: Order, user: Any, reason: str = "") -> Order:
    """Cancel an order that has shipped nothing: its reserved stock is released."""
    raise NotImplementedError


def register_return(
    order: Order, user: Any, quantities: dict[int, int], *, reason: str, restock: bool = True
) -> Return:
    """Goods came back: a return with its lines, a credit note for them, stock back when
    ``restock``; the order becomes ``returned`` when everything shipped came back."""
    raise NotImplementedError


def add_note(order: Order, user: Any, message: str) -> None:
    """A staff note on the order's timeline."""
    raise NotImplementedError
