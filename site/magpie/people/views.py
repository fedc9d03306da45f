"""Public views of the people app: the visitor's consent choice (``POST /consent/``)."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse, HttpResponseForbidden, JsonResponse
from django.shortcuts import redirect
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from magpie.journey.consent import (
    ACCEPTED,
    CONSENT_COOKIE,
    COOKIE_MAX_AGE,
    DECLINED,
    VISITOR_COOKIE,
)


def _same_origin(request: HttpRequest) -> bool:
    """Did the POST come from a page of this site?

    The banner is part of pages served from the shared page cache, so its form cannot hold
    a per-visitor CSRF token. It is protected by checking the ``Origin`` header instead (or
    ``Referer`` / ``Sec-Fetch-Site`` where a browser sends no ``Origin``), as OWASP
    recommends for token-less forms: a cross-site POST cannot set a visitor's consent.
    """
    hosts = {request.get_host()}
    secure = request.is_secure()
    origin = request.headers.get("Origin")
    if origin:
        return origin != "null" and url_has_allowed_host_and_scheme(
            origin + "/", allowed_hosts=hosts, require_https=secure
        )
    referer = request.headers.get("Referer")
    if referer:
        return url_has_allowed_host_and_scheme(referer, allowed_hosts=hosts, require_https=secure)
    return request.headers.get("Sec-Fetch-Site") == "same-origin"


def same_origin(request: HttpRequest) -> bool:
    """Public name of the origin check for other token-less POST endpoints on cached pages
    (the leads plugin's form submission): see :func:`_same_origin`."""
    return _same_origin(request)


@csrf_exempt  # token-less by design: see _same_origin
@require_POST
def consent(request: HttpRequest) -> HttpResponse:
    """Store the visitor's choice in ``magpie_consent`` and go back to the page.

    ``choice`` is ``all`` (accept) or ``necessary`` (decline); declining also deletes the
    visitor cookie. A ``fetch`` asking for JSON gets ``{"consent": choice}`` instead of the
    redirect.
    """
    if not _same_origin(request):
        return HttpResponseForbidden("Cross-site request refused.")
    choice = request.POST.get("choice")
    if choice not in (ACCEPTED, DECLINED):
        return HttpResponse("Unknown choice.", status=400)
    if "application/json" in request.headers.get("Accept", ""):
        response: HttpResponse = JsonResponse({"consent": choice})
    else:
        target = request.POST.get("next") or "/"
        safe = url_has_allowed_host_and_scheme(
            target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
        )
        response = redirect(target if safe else "/")
    response.set_cookie(
        CONSENT_COOKIE,
        choice,
        max_age=COOKIE_MAX_AGE,
        samesite="Lax",
        secure=request.is_secure(),
        httponly=False,  # the banner's script reads it to stay hidden on cached pages
    )
    if choice == DECLINED:
        response.delete_cookie(VISITOR_COOKIE, samesite="Lax")
    response["Cache-Control"] = "no-store"
    return response
