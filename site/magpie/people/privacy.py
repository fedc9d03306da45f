"""Data-subject rights: export what is stored about a contact, erase it, purge old anonymous data.

* :func:`export_contact` — the contact, its company, consents, visitors and touchpoints, plus
  each plugin's ``export_personal_data`` under the plugin's name (JSON-ready).

Both ask every installed plugin, including those switched off for the contact's site: a
plugin turned off later may still hold data from when it was on.
* :func:`erase_contact` — in one transaction: the plugins' ``erase_personal_data`` hooks,
  touchpoints anonymised (kept for aggregate reports), visitors, consents and the contact
  deleted, an :class:`~magpie.people.models.ErasureLog` row written. A plugin that raises
  rolls everything back.
* :func:`purge_anonymous` — visitors and touchpoints never linked to a contact, older than
  the retention period (``manage purge_journey``).
"""

from __future__ import annotations

import hashlib
from datetime import timedelta
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from magpie.people.models import Contact, ErasureLog

CONTACT_FIELDS = (
    "email",
    "first_name",
    "last_name",
    "phone",
    "job_title",
    "locale",
    "stage",
    "engagement_score",
    "fit_score",
    "source",
    "created_at",
    "updated_at",
)


def email_hash(email: str) -> str:
    """``sha256`` of the lower-cased email, salted per install (derived from SECRET_KEY)."""
    salt = hashlib.sha256(f"magpie.people.erasure:{settings.SECRET_KEY}".encode()).hexdigest()
    return hashlib.sha256(f"{salt}:{email.strip().lower()}".encode()).hexdigest()


def _json(value: Any) -> Any:
    if value is None or isinstance(value, (str, int, float, bool)):
        return value
    if isinstance(value, Decimal):
        return str(value)
    if hasattr(value, "isoformat"):
        return value.isoformat()
    if isinstance(value, dict):
        return {str(k): _json(v) for k, v in value.items()}
    if isinstance(value, (list, tuple, set, frozenset)):
        return [_json(v) for v in value]
    return str(value)


def export_contact(contact: Contact) -> dict[str, Any]:
    """Everything Magpie and its plugins store about ``contact``, JSON-serialisable."""
    from magpie.journey.models import Touchpoint, Visitor
    from magpie.plugins import call_safely

    data: dict[str, Any] = {
        "contact": {name: _json(getattr(contact, name)) for name in CONTACT_FIELDS},
        "site": contact.site.hostname if contact.site_id else None,
        "company": contact.company.name if contact.company_id else None,
        "owner": contact.owner.get_username() if contact.owner_id else None,
        "consents": [
            {
                "purpose": record.purpose,
                "granted": record.granted,
                "wording": record.wording,
                "source": record.source,
                "recorded_at": _json(record.recorded_at),
            }
            for record in contact.consents.order_by("recorded_at", "pk")
        ],
        "visitors": [
            {
                "id": str(visitor.id),
                "first_seen": _json(visitor.first_seen),
                "last_seen": _json(visitor.last_seen),
            }
            for visitor in Visitor.objects.filter(contact=contact).order_by("first_seen")
        ],
        "touchpoints": [
            {
                "type": tp.type,
                "occurred_at": _json(tp.occurred_at),
                "channel": tp.channel,
                "path": tp.path,
                "referrer": tp.referrer,
                "campaign": tp.campaign.name if tp.campaign_id else None,
                "utm_source": tp.utm_source,
                "utm_medium": tp.utm_medium,
                "utm_campaign": tp.utm_campaign,
                "utm_term": tp.utm_term,
                "utm_content": tp.utm_content,
                "value": _json(tp.value),
                "currency": tp.currency,
                "data": _json(tp.data),
            }
            for tp in Touchpoint.objects.filter(contact=contact)
            .select_related("campaign")
            .order_by("occurred_at", "pk")
        ],
        "plugins": {},
    }
    # Every installed plugin, also those switched off for the site: they may still hold data
    # from when they were on.
    for plugin_name, result in call_safely("export_personal_data", contact=contact):
        data["plugins"][plugin_name] = _json(result)
    data["exported_at"] = _json(timezone.now())
    return data


def erase_contact(contact: Contact, *, by: Any = None) -> ErasureLog:
    """Erase ``contact`` and everything personal about it; return the audit row.

    One transaction: a plugin whose ``erase_personal_data`` raises aborts the erasure and
    the exception propagates — nothing is erased then.
    """
    from magpie.journey.models import Touchpoint, Visitor
    from magpie.journey.recording import forget_visitors
    from magpie.plugins import hook

    with transaction.atomic():
        # Every installed plugin, also those switched off for the site (see export_contact).
        hook("erase_personal_data")(contact=contact)
        visitors = Visitor.objects.filter(contact=contact)
        touchpoints = Touchpoint.objects.filter(contact=contact) | Touchpoint.objects.filter(
            visitor__in=visitors
        )
        anonymised = touchpoints.update(contact=None, visitor=None, data={}, referrer="")
        visitor_ids = list(visitors.values_list("pk", flat=True))
        visitor_count, _ = visitors.delete()
        # Their hourly marks name the contact: dropped (harmless if this rolls back), so no
        # page view points at the deleted rows again.
        forget_visitors(visitor_ids)
        consent_count, _ = contact.consents.all().delete()
        log = ErasureLog.objects.create(
            email_hash=email_hash(contact.email),
            site_id=contact.site_id,
            erased_by=by if getattr(by, "pk", None) else None,
            counts={
                "touchpoints_anonymised": anonymised,
                "visitors": visitor_count,
                "consents": consent_count,
            },
        )
        contact.delete()
    return log


def anonymous_data(site: Any, days: int) -> tuple[Any, Any]:
    """``site``'s visitors without contact last seen more than ``days`` ago, and its
    touchpoints without contact older than that (two querysets)."""
    from magpie.journey.models import Touchpoint, Visitor

    cutoff = timezone.now() - timedelta(days=days)
    visitors = Visitor.objects.filter(site=site, contact__isnull=True, last_seen__lt=cutoff)
    touchpoints = Touchpoint.objects.filter(site=site, contact__isnull=True, occurred_at__lt=cutoff)
    return visitors, touchpoints


def purge_anonymous(site: Any, days: int) -> int:
    """Delete :func:`anonymous_data`; return how many rows (visitors and touchpoints) went."""
    visitors, touchpoints = anonymous_data(site, days)
    with transaction.atomic():
        deleted = touchpoints.delete()[0]
        deleted += visitors.delete()[0]
    return deleted
