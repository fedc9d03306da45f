"""Helpers of the scoring, lifecycle and handover tests (the shared fixtures such as
``site``, ``superuser`` and ``sales_user`` come from ``conftest.py``)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from django.contrib.auth.models import Group, Permission

from magpie.events import outbox
from magpie.journey.models import Touchpoint
from magpie.people.models import Company, Contact
from magpie_leads.models import LeadSettings, ScoringRule

#: A fixed "now" for decay tests (no sleeps, no wall clock).
T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def days(n: float) -> timedelta:
    return timedelta(days=n)


def make_contact(site: Any, email: str = "anna@example.ch", **fields: Any) -> Contact:
    """A contact of ``site`` (a lead unless ``stage`` says otherwise)."""
    fields.setdefault("stage", Contact.Stage.LEAD)
    return Contact.objects.create(site=site, email=email, **fields)


def make_company(**fields: Any) -> Company:
    fields.setdefault("name", "Alpenwerk AG")
    return Company.objects.create(**fields)


def make_rule(site: Any, **fields: Any) -> ScoringRule:
    """An active scoring rule (engagement unless ``kind`` says otherwise)."""
    fields.setdefault("name", "rule")
    fields.setdefault("kind", ScoringRule.Kind.ENGAGEMENT)
    fields.setdefault("points", 10)
    return ScoringRule.objects.create(site=site, **fields)


def touch(
    contact: Contact, type: str = "page_view", at: datetime = T0, **fields: Any
) -> Touchpoint:
    """A touchpoint of ``contact`` written directly (no event emitted)."""
    return Touchpoint.objects.create(
        site_id=contact.site_id, contact=contact, type=type, occurred_at=at, **fields
    )


def lead_settings(site: Any, **fields: Any) -> LeadSettings:
    row, _created = LeadSettings.objects.get_or_create(site=site)
    for name, value in fields.items():
        setattr(row, name, value)
    row.save()
    return row


def deliver(callbacks: Any, type: str, payload: dict[str, Any], site: Any) -> Any:
    """Emit an event and deliver it to the plugins now (as the outbox's task does).

    ``callbacks`` is pytest-django's ``django_capture_on_commit_callbacks``.
    """
    with callbacks(execute=True):
        return outbox.emit(type, payload, site=site)


def sales_team(django_user_model: Any, site: Any, count: int = 3) -> list[Any]:
    """``count`` active users in the "Sales" group, which the site's settings name."""
    group, _created = Group.objects.get_or_create(name="Sales")
    group.permissions.add(Permission.objects.get(codename="access_admin"))
    users = []
    for n in range(count):
        user = django_user_model.objects.create_user(
            f"sales{n}", f"sales{n}@example.com", "x", first_name=f"Sales{n}"
        )
        user.groups.add(group)
        users.append(user)
    lead_settings(site, sales_group=group)
    return users


class FakeEvent:
    """What ``handle_event`` receives: ``type``, ``payload``, ``id``."""

    def __init__(self, type: str, payload: dict[str, Any], id: int = 1) -> None:
        self.type, self.payload, self.id = type, payload, id
