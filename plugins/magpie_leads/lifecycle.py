"""Lifecycle stages: subscriber → lead → MQL → SQL → opportunity → customer.

:func:`change_stage` is the only way a stage changes: it locks the contact row, writes a
:class:`~magpie_leads.models.StageChange`, and emits ``contact.stage_changed`` (plus
``lead.qualified`` on reaching MQL) in the same transaction.

What moves a contact: a form submission makes a lead (capture); :func:`check_thresholds`
makes an MQL when engagement plus fit reaches the site's threshold; the owner's accept
makes an SQL (handover); a company's order makes its contacts customers
(:func:`make_customers`); staff may set any stage with a reason. Nothing downgrades a
contact automatically.
"""

from __future__ import annotations

from typing import Any

from django.db import transaction
from wagtail.models import Site

from magpie.events.outbox import emit
from magpie.people.models import Contact
from magpie_leads.models import LeadSettings, StageChange

#: The stages in journey order; a contact moves forward unless staff move it back.
ORDER: tuple[str, ...] = tuple(Contact.Stage.values)


def event_site(site_id: int) -> Site:
    """A :class:`Site` carrying only its id (what :func:`emit` needs), without a query."""
    return Site(pk=site_id)


def rank(stage: str) -> int:
    """The position of ``stage`` in :data:`ORDER` (unknown stages count as the first)."""
    return ORDER.index(stage) if stage in ORDER else 0


def change_stage(
    contact: Contact,
    to_stage: str,
    *,
    cause: str,
    reason: str = "",
    user: Any = None,
    forward_only: bool = True,
) -> bool:
    """Move ``contact`` to ``to_stage``; return whether it moved.

    With ``forward_only`` (the default) a stage at or before the current one is ignored,
    so a form sent by a customer leaves the customer a customer. Staff and the handover's
    "return to nurturing" pass ``forward_only=False``. ``contact.stage`` is updated in
    place.
    """
    if to_stage not in ORDER:
        raise ValueError(f"Unknown lifecycle stage {to_stage!r}.")
    with transaction.atomic():
        row = (
            Contact.objects.select_for_update()
            .filter(pk=contact.pk)
            .values_list("stage", "site_id")
            .first()
        )
        if row is None or row[0] == to_stage:
            return False
        current, site_id = row
        if forward_only and rank(to_stage) <= rank(current):
            return False
        Contact.objects.filter(pk=contact.pk).update(stage=to_stage)
        StageChange.objects.create(
            contact=contact,
            from_stage=current,
            to_stage=to_stage,
            cause=cause,
            reason=reason[:300],
            changed_by=user if getattr(user, "pk", None) else None,
        )
        contact.stage = to_stage
        payload = {
            "contact": contact.pk,
            "from": current,
            "to": to_stage,
            "cause": cause,
        }
        site = event_site(site_id)
        emit("contact.stage_changed", payload, site=site)
        if to_stage == Contact.Stage.MQL:
            emit("lead.qualified", payload, site=site)
    return True


#: Stages the score threshold moves to MQL (later stages are never touched by scores).
BEFORE_MQL = (Contact.Stage.SUBSCRIBER.value, Contact.Stage.LEAD.value)
DEFAULT_MQL_THRESHOLD = LeadSettings._meta.get_field("mql_threshold").default


def mql_threshold(site_id: int) -> int:
    """The site's MQL threshold on engagement plus fit (the default without settings)."""
    from magpie_leads.scoring import site_values

    found = site_values(site_id).get("mql_threshold")
    return DEFAULT_MQL_THRESHOLD if found is None else int(found)


def check_thresholds(contact: Contact) -> bool:
    """Move a subscriber or lead whose engagement plus fit reaches the site's MQL
    threshold to MQL (cause "score"); return whether it moved.

    Reads the stored scores (one query), so it is cheap after every touchpoint. A
    contact at MQL or later is left alone, and nothing moves back when scores decay.
    """
    row = (
        Contact.objects.filter(pk=contact.pk)
        .values_list("stage", "engagement_score", "fit_score", "site_id")
        .first()
    )
    if row is None:
        return False
    stage, engagement, fit, site_id = row
    if stage not in BEFORE_MQL:
        return False
    threshold = mql_threshold(site_id)
    total = int(engagement) + int(fit)
    if total < threshold:
        return False
    reason = f"score {total} ≥ {threshold} (engagement {engagement}, fit {fit})"
    return change_stage(contact, Contact.Stage.MQL, cause=StageChange.Cause.SCORE, reason=reason)


def make_customers(contacts: Any, *, reason: str = "") -> int:
    """Make each contact a customer (cause "order") unless it is one; return how many moved.

    Contacts are locked one at a time in primary-key order (no deadlocks with a second
    order of the same company).
    """
    moved = 0
    for contact in sorted(contacts, key=lambda c: c.pk):
        if change_stage(
            contact, Contact.Stage.CUSTOMER, cause=StageChange.Cause.ORDER, reason=reason
        ):
            moved += 1
    return moved
