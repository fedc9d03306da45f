"""Accepting a lead form submission: rate limits, deduplication and the one transaction.

:func:`submit` takes a validated :class:`~magpie_leads.forms.LeadSubmissionForm` and, in one
transaction, writes the :class:`~magpie_leads.models.Submission` (unique per form and
``dedupe_key``: a double submit finds the first one and writes nothing), creates or updates
the contact and its company, records the marketing consent with the form's exact wording,
runs enrichment, records a ``form_submission`` touchpoint (which joins the visitor's earlier
touchpoints to the contact), moves the contact to the form's stage and emits
``lead.captured``.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode, urlsplit

from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import ImproperlyConfigured
from django.db import IntegrityError, transaction
from django.db.models.signals import post_delete, post_save
from django.utils import timezone

from magpie.events.outbox import emit
from magpie.journey.recording import record
from magpie.people.models import Company, ConsentRecord, Contact
from magpie_leads.enrichment import (
    business_domain,
    enrich,
    find_company_by_domain,
    wait_for_company_creators,
)
from magpie_leads.forms import CONTACT_TARGETS, LeadSubmissionForm
from magpie_leads.lifecycle import change_stage
from magpie_leads.models import LeadForm, Submission

logger = logging.getLogger("magpie_leads.capture")

RATE_LIMIT_VARIABLE = "MAGPIE_LEADS_RATE_LIMIT"
EMAIL_RATE_LIMIT_VARIABLE = "MAGPIE_LEADS_EMAIL_RATE_LIMIT"
#: Default: 5 accepted submissions per client IP, 3 per email address, per 10 minutes.
DEFAULT_RATE_LIMIT = "5/600"
DEFAULT_EMAIL_RATE_LIMIT = "3/600"


@dataclass
class Outcome:
    """What :func:`submit` did: the submission, and whether it is new (``False`` for a
    double submit that found the first one)."""

    submission: Submission
    created: bool


class RateLimited(Exception):
    """Too many submissions from this client or for this email address."""


def _limit(name: str, default: str) -> tuple[int, int]:
    """``(count, seconds)`` from the Django setting or environment variable ``name``."""
    raw = getattr(settings, name, None) or os.environ.get(name) or default
    try:
        count, _slash, seconds = str(raw).partition("/")
        parsed = int(count), int(seconds)
    except ValueError:
        parsed = (0, 0)
    if parsed[0] < 1 or parsed[1] < 1:
        raise ImproperlyConfigured(f"{name} must look like 5/600 (count/seconds), not {raw!r}.")
    return parsed


def _digest(*parts: str) -> str:
    raw = "\x1f".join(parts)
    return hashlib.sha256(f"{settings.SECRET_KEY}:magpie_leads:{raw}".encode()).hexdigest()


def client_ip(request: Any) -> str:
    """The client's address as the server sees it (``REMOTE_ADDR``; see docs/leads.md)."""
    return request.META.get("REMOTE_ADDR", "") or "unknown"


def _over(key: str, limit: tuple[int, int]) -> bool:
    count, seconds = limit
    current = cache.get(key) or 0
    return current >= count


def _hit(key: str, limit: tuple[int, int]) -> None:
    _count, seconds = limit
    if cache.add(key, 1, seconds):
        return
    try:
        cache.incr(key)
    except ValueError:  # expired in between
        cache.add(key, 1, seconds)


def rate_keys(request: Any, email: str) -> list[tuple[str, tuple[int, int]]]:
    """The cache keys (hashed IP and hashed email) and their limits for a submission."""
    return [
        (
            f"magpie:leads:rate:ip:{_digest(client_ip(request))[:40]}",
            _limit(RATE_LIMIT_VARIABLE, DEFAULT_RATE_LIMIT),
        ),
        (
            f"magpie:leads:rate:email:{_digest(email)[:40]}",
            _limit(EMAIL_RATE_LIMIT_VARIABLE, DEFAULT_EMAIL_RATE_LIMIT),
        ),
    ]


def check_rate(request: Any, email: str) -> None:
    """Raise :class:`RateLimited` when the client or the email sent too many already."""
    for key, limit in rate_keys(request, email):
        if _over(key, limit):
            raise RateLimited(key)


def count_rate(request: Any, email: str) -> None:
    """Count one accepted submission against the client's and the email's limits."""
    for key, limit in rate_keys(request, email):
        _hit(key, limit)


def dedupe_key(lead_form: LeadForm, form: LeadSubmissionForm) -> str:
    """``sha256`` of the one-time token, or of the form, email, answers and day."""
    token = form.cleaned_data.get("token")
    if token:
        raw = f"token:{token}"
    else:
        answers = sorted(form.answers().items())
        raw = json.dumps(
            [lead_form.pk, form.cleaned_data["email"], answers, timezone.localdate().isoformat()],
            ensure_ascii=False,
        )
    return hashlib.sha256(raw.encode("utf-8")).hexdigest()


def existing(lead_form: LeadForm, key: str) -> Submission | None:
    """The submission already stored under ``key`` for ``lead_form``, if any."""
    return Submission.objects.filter(form=lead_form, dedupe_key=key).first()


def _page_path(form: LeadSubmissionForm, request: Any) -> str:
    """The landing page: the form's ``page`` field, else the Referer's path on this host."""
    page = form.cleaned_data.get("page") or ""
    if page:
        return page
    referer = request.headers.get("Referer", "")
    try:
        parts = urlsplit(referer)
    except ValueError:
        return ""
    try:
        own = request.get_host()
    except Exception:
        own = ""
    if parts.netloc and parts.netloc != own:
        return ""
    return (parts.path + (f"?{parts.query}" if parts.query else ""))[:500]


def _utm(form: LeadSubmissionForm, page_path: str, request: Any) -> dict[str, str]:
    """The UTM tags sent by the script; without them, those of the page's or the Referer's
    query string (cleaned the same way)."""
    from urllib.parse import parse_qsl

    from magpie.journey.recording import UTM_FIELDS, clean_text

    utm = form.utm()
    if utm:
        return utm
    for source in (page_path, request.headers.get("Referer", "")):
        try:
            query = urlsplit(source).query
        except ValueError:
            continue
        pairs = dict(parse_qsl(query))
        found = {name: clean_text(pairs.get(name), 100) for name in UTM_FIELDS if pairs.get(name)}
        found = {name: value for name, value in found.items() if value}
        if found:
            return found
    return {}


def _contact(site_id: int, email: str) -> tuple[Contact, bool]:
    """The site's contact with ``email`` (created if missing, safe against a race), locked."""
    contact, created = Contact.objects.get_or_create(site_id=site_id, email=email)
    # Lock the contact row only (PostgreSQL refuses FOR UPDATE on the outer-joined company).
    contact = (
        Contact.objects.select_for_update(of=("self",)).select_related("company").get(pk=contact.pk)
    )
    return contact, created


def _company(contact: Contact, answers: dict[str, str], domain: str | None) -> list[str]:
    """Attach the company the answers name (or the email domain finds); write its size and
    industry answers. Returns the contact fields changed."""
    name = answers.get("company", "").strip()
    company: Company | None = None
    if domain:
        company = find_company_by_domain(domain)
        if company is None:  # it may be created now: one creator per domain at a time
            wait_for_company_creators(f"domain:{domain}")
            company = find_company_by_domain(domain)
    if company is None and name:
        current = contact.company
        if current is not None and current.name.strip().lower() == name.lower():
            company = current
        else:
            named = Company.objects.filter(name__iexact=name).order_by("pk")
            company = named.first()
            if company is None:  # the same per name (always after the domain's lock)
                wait_for_company_creators(f"name:{name.lower()}")
                company = named.first()
            if company is None:
                company = Company.objects.create(name=name, domains=[domain] if domain else [])
            elif domain and domain not in company.domains:
                # Another lead may be adding its domain too: read the list locked.
                company = Company.objects.select_for_update().get(pk=company.pk)
                if domain not in company.domains:
                    company.domains = [*company.domains, domain]
                    company.save(update_fields=["domains"])
    changed: list[str] = []
    if company is not None and contact.company_id != company.pk:
        contact.company = company
        changed.append("company")
    return changed


def _company_answers(contact: Contact, answers: dict[str, str]) -> None:
    """Write the size and industry answers to the contact's company (after enrichment,
    which may have attached one by the email domain)."""
    company = contact.company if contact.company_id else None
    updates = {
        field: answers[key]
        for key, field in (("company_size", "size"), ("industry", "industry"))
        if answers.get(key)
    }
    if company is None or not updates:
        return
    for field, value in updates.items():
        setattr(company, field, value)
    company.save(update_fields=list(updates))


def submit(lead_form: LeadForm, form: LeadSubmissionForm, request: Any, site: Any) -> Outcome:
    """Store a valid submission of ``lead_form`` (see the module docstring); a double submit
    returns the first submission with ``created=False`` and writes nothing.

    Raises :class:`RateLimited` (nothing written) when the client's or the email's limit is
    reached. Call only with a valid ``form`` whose honeypot is empty.
    """
    email = form.cleaned_data["email"]
    key = dedupe_key(lead_form, form)
    first = existing(lead_form, key)
    if first is not None:
        return Outcome(first, False)
    check_rate(request, email)
    answers = form.answers()
    page_path = _page_path(form, request)
    utm = _utm(form, page_path, request)
    try:
        with transaction.atomic():
            submission = Submission.objects.create(
                form=lead_form,
                site_id=site.pk,
                dedupe_key=key,
                data=answers,
                page_path=page_path,
                utm=utm,
            )
            outcome = _store(lead_form, form, request, site, submission, answers, utm)
    except IntegrityError:
        first = existing(lead_form, key)
        if first is None:
            raise
        return Outcome(first, False)
    count_rate(request, email)
    return outcome


def _store(
    lead_form: LeadForm,
    form: LeadSubmissionForm,
    request: Any,
    site: Any,
    submission: Submission,
    answers: dict[str, str],
    utm: dict[str, str],
) -> Outcome:
    email = form.cleaned_data["email"]
    contact, created = _contact(site.pk, email)
    changed: list[str] = []
    for name in CONTACT_TARGETS:
        value = answers.get(name, "").strip()
        if value and getattr(contact, name) != value:
            setattr(contact, name, value)
            changed.append(name)
    domain = business_domain(email)
    changed += _company(contact, answers, domain)
    if changed:
        contact.save(update_fields=[*changed, "updated_at"])
    page_url = request.build_absolute_uri(submission.page_path or "/")
    if form.cleaned_data.get("consent"):
        ConsentRecord.objects.create(
            contact=contact,
            purpose=ConsentRecord.Purpose.MARKETING,
            granted=True,
            wording=lead_form.consent_text,
            source=page_url[:200],
        )
    enrich(contact)
    _company_answers(contact, answers)
    path = submission.page_path.split("?", 1)[0] or "/"
    touchpoint = record(
        "form_submission",
        request=request,
        contact=contact,
        obj=lead_form,
        data={"form": lead_form.pk, "submission": submission.pk, "tags": lead_form.tag_list},
        path=path + (f"?{urlencode(utm)}" if utm else ""),
    )
    submission.contact = contact
    submission.touchpoint = touchpoint
    submission.save(update_fields=["contact", "touchpoint"])
    change_stage(contact, lead_form.stage, cause="form", reason=str(lead_form)[:300])
    emit(
        "lead.captured",
        {
            "submission": submission.pk,
            "public_id": str(submission.public_id),
            "form": lead_form.pk,
            "tags": lead_form.tag_list,
            "contact": contact.pk,
            "new_contact": created,
            "company": contact.company_id,
            "touchpoint": touchpoint.pk if touchpoint is not None else None,
            "page": submission.page_path,
            "utm": utm,
            "site": site.pk,
        },
        site=site,
    )
    return Outcome(submission, True)


def _invalidate_pages(**kwargs: Any) -> None:
    """A lead form is shown inside cached pages: changing it makes them stale."""
    if kwargs.get("raw"):
        return
    from magpie.pagecache import invalidate

    invalidate()


post_save.connect(_invalidate_pages, sender=LeadForm, dispatch_uid="magpie_leads.form_saved")
post_delete.connect(_invalidate_pages, sender=LeadForm, dispatch_uid="magpie_leads.form_deleted")
