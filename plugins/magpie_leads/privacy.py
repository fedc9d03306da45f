"""What the leads plugin stores about a contact, for the host's privacy export and erasure.

The host (:mod:`magpie.people.privacy`) calls the ``export_personal_data`` and
``erase_personal_data`` hooks; erasure deletes the contact row afterwards in the same
transaction (its score history, stage changes, tasks and alerts go with it by cascade).
"""

from __future__ import annotations

from typing import Any

from magpie_leads.models import (
    FollowUpTask,
    ProspectAlert,
    ScoreEvent,
    StageChange,
    Submission,
)


def _iso(value: Any) -> str | None:
    return value.isoformat() if value is not None else None


def export_contact(contact: Any) -> dict[str, Any] | None:
    """The contact's submissions (answers, page, UTM tags, time), score history, stage
    changes, follow-up tasks and prospect alerts, JSON-ready and oldest first; ``None``
    when the plugin holds nothing about the contact (it is then left out of the export)."""
    data = {
        "submissions": [
            {
                "form": sub.form.name if sub.form_id else None,
                "sent_at": _iso(sub.created_at),
                "answers": dict(sub.data or {}),
                "page": sub.page_path,
                "utm": dict(sub.utm or {}),
            }
            for sub in Submission.objects.filter(contact=contact)
            .select_related("form")
            .order_by("created_at", "pk")
        ],
        "score_events": [
            {
                "kind": event.kind,
                "rule": event.rule_label,
                "points": event.points,
                "reason": event.reason,
                "occurred_at": _iso(event.occurred_at),
            }
            for event in ScoreEvent.objects.filter(contact=contact).order_by("occurred_at", "pk")
        ],
        "stage_changes": [
            {
                "from": change.from_stage,
                "to": change.to_stage,
                "cause": change.cause,
                "reason": change.reason,
                "changed_at": _iso(change.changed_at),
            }
            for change in StageChange.objects.filter(contact=contact).order_by("changed_at", "pk")
        ],
        "follow_up_tasks": [
            {
                "title": task.title,
                "owner": task.owner.get_username() if task.owner_id else None,
                "due_on": _iso(task.due_on),
                "status": task.status,
                "outcome_reason": task.outcome_reason,
                "created_at": _iso(task.created_at),
                "closed_at": _iso(task.closed_at),
            }
            for task in FollowUpTask.objects.filter(contact=contact)
            .select_related("owner")
            .order_by("created_at", "pk")
        ],
        "prospect_alerts": [
            {"page": alert.path, "sent_at": _iso(alert.sent_at)}
            for alert in ProspectAlert.objects.filter(contact=contact).order_by("sent_at", "pk")
        ],
    }
    return data if any(data.values()) else None


def erase_contact(contact: Any) -> dict[str, int]:
    """Delete what the plugin holds about ``contact``: its submissions (the answers are
    personal data), score history and state, stage changes, follow-up tasks and prospect
    alerts. The host deletes the contact row right after, in the same transaction.
    Returns the counts deleted per kind."""
    from magpie_leads.models import ScoreState

    counts = {
        "submissions": Submission.objects.filter(contact=contact).delete()[0],
        "score_events": ScoreEvent.objects.filter(contact=contact).delete()[0],
        "score_state": ScoreState.objects.filter(contact=contact).delete()[0],
        "stage_changes": StageChange.objects.filter(contact=contact).delete()[0],
        "follow_up_tasks": FollowUpTask.objects.filter(contact=contact).delete()[0],
        "prospect_alerts": ProspectAlert.objects.filter(contact=contact).delete()[0],
    }
    return counts
