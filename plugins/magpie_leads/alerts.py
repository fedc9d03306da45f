"""Prospect alerts: the owner hears when a known SQL or opportunity looks at pricing or
product pages, at most once per contact per ``alert_throttle_hours``.

A page view counts when its path starts with one of the site's alert prefixes
(Settings → Leads → prospect alert pages) or it is a product page of the catalog (a
touchpoint of a ``magpie_catalog.product``, or of the catalog page with a ``/p/<sku>/``
path). The throttle is the last :class:`~magpie_leads.models.ProspectAlert` of the
contact, read with the contact row locked, so two workers never both send one.
"""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import Any

from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from magpie.people.models import Contact
from magpie_leads.handover import _owner_language, _send, contact_links
from magpie_leads.models import LeadSettings, ProspectAlert
from magpie_leads.scoring import site_values

logger = logging.getLogger("magpie.plugins.leads")

#: Stages whose visits alert the owner.
ALERT_STAGES = (Contact.Stage.SQL.value, Contact.Stage.OPPORTUNITY.value)
PRODUCT_OBJECT_TYPES = frozenset({"magpie_catalog.product"})
CATALOG_PAGE_TYPE = "magpie_catalog.catalogpage"


def is_alert_page(touchpoint: Any, prefixes: list[str]) -> bool:
    """Whether the page view is of a pricing page (a prefix) or a product page."""
    path = touchpoint.path or ""
    if any(path.startswith(prefix) for prefix in prefixes):
        return True
    kind = (touchpoint.object_type or "").lower()
    return kind in PRODUCT_OBJECT_TYPES or (kind == CATALOG_PAGE_TYPE and "/p/" in path)


def prospect_alert(touchpoint: Any) -> ProspectAlert | None:
    """Alert the owner about this page view if it qualifies and the throttle allows;
    return the alert recorded (``None`` otherwise)."""
    if touchpoint is None or touchpoint.type != "page_view" or touchpoint.contact_id is None:
        return None
    values = site_values(touchpoint.site_id)
    row = LeadSettings(
        alert_path_prefixes=values["alert_path_prefixes"],
        alert_throttle_hours=values["alert_throttle_hours"],
    )
    if not is_alert_page(touchpoint, row.alert_prefixes):
        return None
    with transaction.atomic():
        contact = (
            Contact.objects.select_for_update(of=("self",))
            .select_related("owner", "company", "site")
            .filter(pk=touchpoint.contact_id)
            .first()
        )
        if contact is None or contact.stage not in ALERT_STAGES or contact.owner_id is None:
            return None
        if not contact.owner.is_active:
            return None
        since = timezone.now() - timedelta(hours=row.alert_throttle_hours)
        if ProspectAlert.objects.filter(contact=contact, sent_at__gt=since).exists():
            return None
        alert = ProspectAlert.objects.create(
            contact=contact, owner=contact.owner, path=(touchpoint.path or "")[:500]
        )
        send_alert_email(contact, touchpoint)
    return alert


def send_alert_email(contact: Contact, touchpoint: Any) -> None:
    """Email the owner which page the prospect looks at, with links to the contact."""
    owner = contact.owner
    with translation.override(_owner_language(owner)):
        name = contact.display_name
        context = {
            "contact": contact,
            "name": name,
            "owner": owner,
            "touchpoint": touchpoint,
            **contact_links(contact),
        }
        subject = _("%(name)s is looking at %(page)s") % {
            "name": name,
            "page": (touchpoint.path or "")[:80],
        }
        _send(owner, subject, "prospect_alert", context)
