"""Public views of lead capture: submit, progressive profiling, thank-you and downloads.

The form is part of pages served from the shared page cache, so it carries no CSRF token:
:func:`submit` is CSRF-exempt and refuses a POST whose ``Origin``/``Referer`` is not this
site (the host's :func:`magpie.people.views.same_origin`, as the consent banner does).
"""

from __future__ import annotations

import logging
from typing import Any
from urllib.parse import urlencode

from django.core import signing
from django.http import (
    FileResponse,
    Http404,
    HttpRequest,
    HttpResponse,
    HttpResponseRedirect,
    JsonResponse,
)
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_POST
from wagtail.models import Site

from magpie.journey import consent
from magpie.journey.recording import attach_visitor, record, visitor_id
from magpie.people.models import Contact
from magpie.people.views import same_origin
from magpie_leads import capture
from magpie_leads.forms import EMAIL, MAX_BODY_BYTES, ask_fields, build_form
from magpie_leads.models import LeadForm, Submission

logger = logging.getLogger("magpie_leads.views")

DOWNLOAD_SALT = "magpie_leads.download"
#: How long a gated download link works (seconds).
DOWNLOAD_MAX_AGE = 7 * 24 * 3600
NO_STORE = "private, no-store"


def wants_json(request: HttpRequest) -> bool:
    """Whether the client (the form's script) asked for a JSON answer."""
    return "application/json" in request.headers.get("Accept", "")


def _no_store(response: HttpResponse) -> HttpResponse:
    response["Cache-Control"] = NO_STORE
    return response


def _message(request: HttpRequest, status: int, message: str, title: str = "") -> HttpResponse:
    """A clear answer: JSON for the script, a small page otherwise."""
    if wants_json(request):
        return _no_store(JsonResponse({"ok": False, "message": message}, status=status))
    response = TemplateResponse(
        request,
        "magpie_leads/message.html",
        {"title": title or _("The form could not be sent"), "message": message},
        status=status,
    )
    return _no_store(response)


def _gone(request: HttpRequest) -> HttpResponse:
    """410 for a form that was deleted (a 404 would be redirected to a language prefix by
    the locale middleware; the page holding the form may still be cached)."""
    return _message(request, 410, _("This form no longer exists."))


def _site(request: HttpRequest) -> Site | None:
    return getattr(request, "_wagtail_site", None) or Site.find_for_request(request)


def visitor_contact(request: HttpRequest, site: Site | None) -> Contact | None:
    """The contact linked to the request's visitor cookie, where tracking is allowed."""
    if site is None or not consent.tracking_allowed(request):
        return None
    vid = visitor_id(request)
    if vid is None:
        return None
    from magpie.journey.models import Visitor

    visitor = (
        Visitor.objects.filter(pk=vid, site=site, contact__isnull=False)
        .select_related("contact__company")
        .first()
    )
    return visitor.contact if visitor is not None else None


def thanks_url(submission: Submission) -> str:
    """Where the visitor goes after sending: the form's thank-you page (with
    ``?submission=``) or the plugin's thank-you view."""
    lead_form = submission.form
    page = lead_form.thank_you_page if lead_form is not None else None
    if page is not None and page.live:
        url = page.specific.url or ""
        if url:
            return f"{url}?{urlencode({'submission': str(submission.public_id)})}"
    return reverse("magpie_leads:thanks", args=[submission.public_id])


def _asked_for(lead_form: LeadForm, request: HttpRequest, site: Site | None) -> list[str] | None:
    """Progressive profiling on submit: the fields asked of the visitor's contact when the
    email sent is that contact's; ``None`` (everything as configured) otherwise."""
    if not lead_form.progressive:
        return None
    contact = visitor_contact(request, site)
    email = (request.POST.get(EMAIL) or "").strip().lower()
    if contact is None or not email or contact.email != email:
        return None
    return ask_fields(lead_form, contact)


@csrf_exempt  # token-less by design (cached pages): the origin is checked instead
@require_POST
def submit(request: HttpRequest, form_id: int) -> HttpResponse:
    """Accept a lead form submission (see :mod:`magpie_leads.capture`).

    Answers: 303 to the thank-you page (JSON ``{"ok": true, "redirect": …}`` for the
    script); 400 with the errors (the form again, or JSON ``{"ok": false, "errors": …}``);
    403 cross-site; 410 unknown (deleted) form; 411/413 missing or oversized body; 429 rate limited.
    """
    if not same_origin(request):
        return _message(request, 403, _("This form can only be sent from a page of this website."))
    try:
        length = int(request.META.get("CONTENT_LENGTH") or "")
    except ValueError:
        return _message(request, 411, _("The request did not say how long it is."))
    if length > MAX_BODY_BYTES:
        return _message(
            request,
            413,
            _("The form is too large to be sent (at most %(size)s KB).")
            % {"size": MAX_BODY_BYTES // 1024},
        )
    lead_form = LeadForm.objects.filter(pk=form_id).first()
    if lead_form is None:
        return _gone(request)
    site = _site(request)
    if site is None:
        raise Http404("No site answers this host.")
    form = build_form(lead_form, request.POST, asked=_asked_for(lead_form, request, site))
    if form.honeypot_filled:
        # A bot: pretend it worked and store nothing.
        logger.info("Lead form %s: honeypot filled, nothing stored.", lead_form.pk)
        fake = reverse("magpie_leads:thanks_sent")
        if wants_json(request):
            return _no_store(JsonResponse({"ok": True, "redirect": fake}))
        return _no_store(HttpResponseRedirect(fake, status=303))
    if not form.is_valid():
        if wants_json(request):
            errors = {name: [str(m) for m in msgs] for name, msgs in form.errors.items()}
            return _no_store(JsonResponse({"ok": False, "errors": errors}, status=400))
        response = TemplateResponse(
            request,
            "magpie_leads/form_error.html",
            {"lead_form": lead_form, "form": form, "action": request.path},
            status=400,
        )
        return _no_store(response)
    try:
        outcome = capture.submit(lead_form, form, request, site)
    except capture.RateLimited:
        response = _message(
            request,
            429,
            _("Too many forms were sent from here. Please try again in a few minutes."),
            title=_("Please wait a moment"),
        )
        response["Retry-After"] = "600"
        return response
    url = thanks_url(outcome.submission)
    if wants_json(request):
        response = JsonResponse({"ok": True, "redirect": url})
    else:
        response = HttpResponseRedirect(url, status=303)
    # A browser that accepted tracking but has no visitor yet becomes the contact's visitor.
    attach_visitor(request, response, outcome.submission.contact)
    return _no_store(response)


@require_GET
def profile(request: HttpRequest, form_id: int) -> HttpResponse:
    """Progressive profiling: ``{"known": bool, "ask": [field names]}`` for the visitor.

    Never cached and never any personal data: only which fields to show.
    """
    lead_form = LeadForm.objects.filter(pk=form_id).first()
    if lead_form is None:
        return _no_store(JsonResponse({"known": False, "ask": []}, status=410))
    contact = visitor_contact(request, _site(request)) if lead_form.progressive else None
    data = {"known": contact is not None, "ask": ask_fields(lead_form, contact)}
    return _no_store(JsonResponse(data))


def download_token(submission: Submission) -> str:
    """The signed, expiring token of ``submission``'s gated download."""
    return signing.TimestampSigner(salt=DOWNLOAD_SALT).sign(str(submission.public_id))


def download_url(submission: Submission) -> str:
    """The gated download link of ``submission`` (valid for seven days)."""
    return reverse("magpie_leads:download", args=[download_token(submission)])


@require_GET
def thanks(request: HttpRequest, public_id: Any) -> HttpResponse:
    """The thank-you message and, when the form has one, the gated download link."""
    submission = get_object_or_404(Submission.objects.select_related("form"), public_id=public_id)
    lead_form = submission.form
    document = lead_form.download if lead_form is not None else None
    context = {
        "lead_form": lead_form,
        "document": document,
        "download_url": download_url(submission) if document is not None else "",
    }
    return _no_store(TemplateResponse(request, "magpie_leads/thanks.html", context))


@require_GET
def thanks_sent(request: HttpRequest) -> HttpResponse:
    """A plain thank-you (what a bot that filled the honeypot is shown)."""
    return _no_store(TemplateResponse(request, "magpie_leads/thanks.html", {"lead_form": None}))


@require_GET
def download(request: HttpRequest, token: str) -> HttpResponse:
    """Serve the gated document of a submission's form and record a ``download``
    touchpoint; 400 for a link that was tampered with, 410 for one that expired or whose
    document is gone."""
    signer = signing.TimestampSigner(salt=DOWNLOAD_SALT)
    try:
        public_id = signer.unsign(token, max_age=DOWNLOAD_MAX_AGE)
    except signing.SignatureExpired:
        return _message(
            request,
            410,
            _("This download link has expired. Please send the form again for a new one."),
            title=_("Link expired"),
        )
    except signing.BadSignature:
        # 400 rather than 404: a 404 here is redirected to a language prefix.
        return _message(
            request, 400, _("This download link is not valid."), title=_("Link not valid")
        )
    submission = (
        Submission.objects.select_related("form__download", "contact")
        .filter(public_id=public_id)
        .first()
    )
    document = submission.form.download if submission and submission.form else None
    if document is None:
        return _message(
            request,
            410,
            _("This download is no longer available."),
            title=_("Link not valid"),
        )
    if submission.contact is not None:
        record(
            "download",
            request=request,
            contact=submission.contact,
            obj=document,
            data={"document": document.pk, "form": submission.form_id},
        )
    try:
        handle = document.file.open("rb")
    except (FileNotFoundError, OSError):
        logger.error("Gated document %s has no file.", document.pk)
        return _message(
            request,
            410,
            _("This download is no longer available."),
            title=_("Link not valid"),
        )
    response = FileResponse(handle, as_attachment=True, filename=document.filename)
    response["Cache-Control"] = NO_STORE
    response["X-Robots-Tag"] = "noindex"
    return response
