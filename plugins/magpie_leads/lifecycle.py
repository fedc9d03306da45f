"""Lifecycle stages: subscriber → lead → MQL → SQL → opportunity → customer.

:func:`change_stage` is the only way a stage changes: it locks the contact row, writes a
:class:`~magpie_leads.models.StageChange`, and emits ``contact.stage_changed`` (plus
``lead.qualified`` on reaching MQL) in the same transaction.
"""

from __future__ import annotations

from typing import Any

from django.db import transaction

from magpie.events.outbox import emit
from magpie.people.models import Contact
from magpie_leads.models import StageChange

#: The stages in journey order; a contact moves forward unless staff move it back.
ORDER: tuple[str, ...] = tuple(Contact.Stage.values)


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
        current = (
            Contact.objects.select_for_update()
            .filter(pk=contact.pk)
            .values_list("stage", flat=True)
            .first()
        )
        if current is None or current == to_stage:
            return False
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
        emit("contact.stage_changed", payload, site=contact.site_id)
        if to_stage == Contact.Stage.MQL:
            emit("lead.qualified", payload, site=contact.site_id)
    return True
