"""Handover of MQLs to sales: an owner, a follow-up task and an email; accept or return.

:func:`hand_over` runs when ``lead.qualified`` is delivered (see :mod:`magpie_leads.events`):
it picks the owner (a contact's existing owner is kept; else by country, then round robin
among the active users of the site's sales group; the round-robin pointer lives in the
locked :class:`~magpie_leads.models.LeadSettings` row, so two app servers never pick the
same one), creates the :class:`~magpie_leads.models.FollowUpTask` due after the site's
follow-up days (weekends skipped) and emails the owner a summary. The owner
:func:`accept`\\ s (SQL) or :func:`return_lead`\\ s it to nurturing with a reason.
"""

from __future__ import annotations

import logging
from datetime import date, timedelta
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.mail import EmailMultiAlternatives
from django.db import transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from magpie.events.outbox import emit
from magpie.people.models import Contact
from magpie_leads.lifecycle import change_stage, event_site
from magpie_leads.models import CountryAssignment, FollowUpTask, LeadSettings, StageChange

logger = logging.getLogger("magpie.plugins.leads")

TASK_PERMISSION = "magpie_leads.change_followuptask"
#: How many recent touchpoints the owner's email lists.
EMAIL_TOUCHPOINTS = 5


def due_date(start: date, days: int) -> date:
    """``start`` plus ``days``; a Saturday or Sunday moves to the Monday after."""
    due = start + timedelta(days=days)
    if due.weekday() >= 5:
        due += timedelta(days=7 - due.weekday())
    return due


def lead_settings(site_id: int, *, lock: bool = False) -> LeadSettings:
    """The site's lead settings (created with defaults if missing); ``lock`` holds the row
    until the transaction ends."""
    found, _created = LeadSettings.objects.get_or_create(site_id=site_id)
    if lock:
        found = LeadSettings.objects.select_for_update().get(pk=found.pk)
    return found


def sales_users(lead_settings_row: LeadSettings) -> list[Any]:
    """Active users of the sales group, by id (empty without a group)."""
    if lead_settings_row.sales_group_id is None:
        return []
    return list(
        get_user_model()
        .objects.filter(groups=lead_settings_row.sales_group_id, is_active=True)
        .order_by("pk")
    )


def _by_country(contact: Contact, site_id: int) -> Any:
    country = (contact.country or (contact.company.country if contact.company_id else "")).upper()
    if not country:
        return None
    rule = (
        CountryAssignment.objects.filter(site_id=site_id, country=country, owner__is_active=True)
        .select_related("owner")
        .first()
    )
    return rule.owner if rule else None


def choose_owner(contact: Contact, row: LeadSettings) -> Any:
    """The owner for ``contact`` under ``row``'s assignment (``row`` locked by the caller);
    advances the round-robin pointer. ``None`` when nobody can take it."""
    if row.assignment == LeadSettings.Assignment.NONE:
        return None
    if row.assignment == LeadSettings.Assignment.COUNTRY:
        owner = _by_country(contact, row.site_id)
        if owner is not None:
            return owner
    users = sales_users(row)
    if not users:
        return None
    after = row.last_assigned_id or 0
    owner = next((user for user in users if user.pk > after), users[0])
    row.last_assigned = owner
    row.save(update_fields=["last_assigned"])
    return owner


def hand_over(contact: Contact) -> FollowUpTask | None:
    """Hand an MQL over to sales; return its follow-up task (``None`` when nothing was
    done: not an MQL any more, a task already open, or no owner to be found).

    Idempotent (a redelivered ``lead.qualified`` finds the open task). The owner's email is
    sent last inside the transaction: if sending fails, nothing is kept and the event is
    delivered again.
    """
    with transaction.atomic():
        contact = (
            Contact.objects.select_for_update(of=("self",))
            .select_related("company", "owner", "site")
            .filter(pk=contact.pk)
            .first()
        )
        if contact is None or contact.stage != Contact.Stage.MQL:
            return None
        if FollowUpTask.objects.filter(contact=contact, status=FollowUpTask.Status.OPEN).exists():
            return None
        owner = contact.owner if contact.owner_id and contact.owner.is_active else None
        if owner is None:
            row = lead_settings(contact.site_id, lock=True)
            owner = choose_owner(contact, row)
            if owner is None:
                logger.info(
                    "MQL %s left unassigned (assignment %s, no sales user found).",
                    contact.pk,
                    row.assignment,
                )
                return None
            Contact.objects.filter(pk=contact.pk).update(owner=owner)
            contact.owner = owner
        row = lead_settings(contact.site_id)
        name = contact.display_name
        with translation.override(_owner_language(owner)):  # the title is the owner's
            title = (_("Follow up %(contact)s") % {"contact": name})[:200]
        task = FollowUpTask.objects.create(
            contact=contact,
            owner=owner,
            title=title,
            due_on=due_date(timezone.localdate(), row.follow_up_days),
        )
        send_handover_email(contact, task)
    return task


def admin_url(contact_or_site: Any, path: str) -> str:
    """An absolute URL of an admin ``path`` on the contact's site (its root URL; the admin
    base URL setting when the site has none)."""
    site = getattr(contact_or_site, "site", contact_or_site)
    base = getattr(site, "root_url", "") or getattr(settings, "WAGTAILADMIN_BASE_URL", "")
    return f"{base.rstrip('/')}{path}"


def contact_links(contact: Contact) -> dict[str, str]:
    """Absolute links of the contact's edit page, timeline and score history."""
    return {
        "edit_url": admin_url(contact, reverse("magpie_contacts:edit", args=[contact.pk])),
        "timeline_url": admin_url(contact, reverse("magpie_contacts:timeline", args=[contact.pk])),
        "score_url": admin_url(contact, reverse("magpie_leads_score:detail", args=[contact.pk])),
        "tasks_url": admin_url(contact, reverse("magpie_leads_my_leads:index")),
    }


def _send(owner: Any, subject: str, template: str, context: dict[str, Any]) -> None:
    if not getattr(owner, "email", ""):
        logger.warning("User %s has no email address; no email sent.", owner.pk)
        return
    context = {"LANGUAGE_CODE": translation.get_language() or settings.LANGUAGE_CODE, **context}
    text = render_to_string(f"magpie_leads/emails/{template}.txt", context)
    html = render_to_string(f"magpie_leads/emails/{template}.html", context)
    message = EmailMultiAlternatives(
        subject=" ".join(subject.split())[:200], body=text, to=[owner.email]
    )
    message.attach_alternative(html, "text/html")
    message.send()


def _owner_language(owner: Any) -> str:
    profile = getattr(owner, "wagtail_userprofile", None)
    return getattr(profile, "preferred_language", "") or settings.LANGUAGE_CODE


def send_handover_email(contact: Contact, task: FollowUpTask) -> None:
    """Email the owner: who the lead is, the score, the source, the latest touchpoints, and
    links to the contact, its timeline and the task list (text and HTML, all escaped)."""
    from magpie.journey.models import Touchpoint

    owner = task.owner
    with translation.override(_owner_language(owner)):
        name = contact.display_name
        context = {
            "contact": contact,
            "name": name,
            "task": task,
            "owner": owner,
            "score": contact.engagement_score + contact.fit_score,
            "touchpoints": list(
                Touchpoint.objects.filter(contact=contact).order_by("-occurred_at", "-pk")[
                    :EMAIL_TOUCHPOINTS
                ]
            ),
            **contact_links(contact),
        }
        company = f" ({contact.company})" if contact.company_id else ""
        subject = _("New lead for you: %(name)s%(company)s") % {"name": name, "company": company}
        _send(owner, subject, "handover", context)


def can_decide(user: Any, task: FollowUpTask) -> bool:
    """The task's owner, or a user who may change follow-up tasks."""
    if not getattr(user, "is_authenticated", False):
        return False
    return task.owner_id == user.pk or user.has_perm(TASK_PERMISSION)


def _open_task(task: FollowUpTask, user: Any) -> FollowUpTask:
    if not can_decide(user, task):
        raise PermissionDenied(_("Only the lead's owner can decide on this task."))
    locked = FollowUpTask.objects.select_for_update().select_related("contact").get(pk=task.pk)
    if locked.status != FollowUpTask.Status.OPEN:
        raise ValidationError(_("This task was already closed."))
    return locked


def accept(task: FollowUpTask, user: Any) -> FollowUpTask:
    """The owner accepts the lead: SQL (cause "handover"), the task accepted,
    ``lead.accepted`` emitted. Raises :class:`PermissionDenied` for another user and
    :class:`ValidationError` for a closed task (nothing changes)."""
    with transaction.atomic():
        task = _open_task(task, user)
        change_stage(task.contact, Contact.Stage.SQL, cause=StageChange.Cause.HANDOVER, user=user)
        task.status = FollowUpTask.Status.ACCEPTED
        task.closed_at = timezone.now()
        task.save(update_fields=["status", "closed_at"])
        emit(
            "lead.accepted",
            {"contact": task.contact_id, "task": task.pk, "owner": task.owner_id, "by": user.pk},
            site=event_site(task.contact.site_id),
        )
    return task


def return_lead(task: FollowUpTask, user: Any, reason: str) -> FollowUpTask:
    """The owner returns the lead to nurturing: back to lead (cause "handover", with the
    reason), the task returned, ``lead.returned`` emitted. A reason is required."""
    reason = " ".join((reason or "").split())[:300]
    if not reason:
        raise ValidationError(_("Say why the lead goes back to nurturing."))
    with transaction.atomic():
        task = _open_task(task, user)
        change_stage(
            task.contact,
            Contact.Stage.LEAD,
            cause=StageChange.Cause.HANDOVER,
            reason=reason,
            user=user,
            forward_only=False,
        )
        task.status = FollowUpTask.Status.RETURNED
        task.outcome_reason = reason
        task.closed_at = timezone.now()
        task.save(update_fields=["status", "outcome_reason", "closed_at"])
        emit(
            "lead.returned",
            {
                "contact": task.contact_id,
                "task": task.pk,
                "owner": task.owner_id,
                "by": user.pk,
                "reason": reason,
            },
            site=event_site(task.contact.site_id),
        )
    return task
