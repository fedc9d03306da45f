"""Domain events the leads plugin handles (delivered after commit, possibly again).

* ``touchpoint.recorded`` with a contact: score it, check the MQL threshold, and for a
  page view alert the owner of an SQL or opportunity (throttled).
* ``contact.identified`` (``{"contact", "visitor", "moved"}``): the visitor's anonymous
  touchpoints joined the contact; score those not scored yet (the latest 1,000).
* ``lead.captured`` (``{"contact", …}``): evaluate fit, check the threshold.
* ``lead.qualified`` (emitted by :func:`magpie_leads.lifecycle.change_stage`): hand the
  MQL over to sales (owner, follow-up task, email).
* ``order.placed`` (the checkout plugin's; ``{"order", "company", "contact", "email",
  "value", "currency"}``, ``company`` and ``contact`` ids or ``null``): the ordering
  contact and every contact of the company become customers.

Every handler is idempotent: the score history allows one event per rule and touchpoint,
the handover finds its open task, stage changes only move forward, alerts are throttled.
"""

from __future__ import annotations

import logging
from typing import Any

from magpie.people.models import Contact

logger = logging.getLogger("magpie.plugins.leads")

WANTED: tuple[str, ...] = (
    "touchpoint.recorded",
    "contact.identified",
    "lead.captured",
    "lead.qualified",
    "order.placed",
)


def _id(value: Any) -> int | None:
    try:
        return int(value) if value not in (None, "") else None
    except (TypeError, ValueError):
        return None


def _contact(payload: dict[str, Any]) -> Contact | None:
    pk = _id(payload.get("contact"))
    return Contact.objects.filter(pk=pk).first() if pk else None


def on_touchpoint(payload: dict[str, Any]) -> None:
    """Score the touchpoint, move the contact to MQL if the threshold is reached, alert."""
    from magpie.journey.models import Touchpoint
    from magpie_leads.alerts import prospect_alert
    from magpie_leads.lifecycle import check_thresholds
    from magpie_leads.scoring import score_touchpoint

    pk = _id(payload.get("touchpoint"))
    touchpoint = Touchpoint.objects.filter(pk=pk).first() if pk else None
    if touchpoint is None or touchpoint.contact_id is None:
        return
    if score_touchpoint(touchpoint):
        check_thresholds(Contact(pk=touchpoint.contact_id))
    if touchpoint.type == "page_view":
        prospect_alert(touchpoint)


def on_identified(payload: dict[str, Any]) -> None:
    """Score the contact's touchpoints that joined it, then check the threshold."""
    from magpie_leads.lifecycle import check_thresholds
    from magpie_leads.scoring import score_backlog

    contact = _contact(payload)
    if contact is not None and score_backlog(contact):
        check_thresholds(contact)


def on_captured(payload: dict[str, Any]) -> None:
    """Evaluate the new lead's fit and check the threshold."""
    from magpie_leads.lifecycle import check_thresholds
    from magpie_leads.scoring import score_fit

    contact = _contact(payload)
    if contact is not None:
        score_fit(contact)
        check_thresholds(contact)


def on_qualified(payload: dict[str, Any]) -> None:
    """Hand the MQL over to sales."""
    from magpie_leads.handover import hand_over

    contact = _contact(payload)
    if contact is not None:
        hand_over(contact)


def on_order(payload: dict[str, Any]) -> None:
    """The ordering contact and the company's contacts become customers."""
    from magpie_leads.lifecycle import make_customers

    contacts: dict[int, Contact] = {}
    company = _id(payload.get("company"))
    if company:
        contacts.update({c.pk: c for c in Contact.objects.filter(company_id=company)})
    contact = _contact(payload)
    if contact is not None:
        contacts[contact.pk] = contact
    order = payload.get("order")
    reason = f"order {order}" if order not in (None, "") else ""
    make_customers(contacts.values(), reason=str(reason)[:300])


HANDLERS = {
    "touchpoint.recorded": on_touchpoint,
    "contact.identified": on_identified,
    "lead.captured": on_captured,
    "lead.qualified": on_qualified,
    "order.placed": on_order,
}


def handle(event: Any) -> None:
    """Handle one delivered event (see the module's docstring); others are ignored."""
    handler = HANDLERS.get(event.type)
    if handler is not None:
        handler(dict(event.payload or {}))
