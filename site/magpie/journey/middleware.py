"""Record page views server-side: one ``INSERT`` per page view, after the response exists.

Sits before the page cache middleware, so cached pages are counted too. Asks no query for
a visitor who may not be tracked: the consent mode comes from Django's cache, and the
cheap checks (method, path, status, bots, declined consent) come first.
"""

from __future__ import annotations

import logging
import re
from typing import Any

from django.http import HttpRequest, HttpResponse

from magpie.journey import consent
from magpie.journey.recording import ensure_visitor, record, set_visitor_cookie, site_and_mode

logger = logging.getLogger("magpie.journey")

SKIP_PREFIXES = ("/admin/", "/static/", "/media/", "/documents/", "/journey/", "/i18n/")
BOTS = re.compile(
    r"bot|crawl|spider|slurp|facebookexternalhit|preview|headless|lighthouse|pingdom|"
    r"monitor|uptime|curl|wget|python-requests|httpclient|scrapy|phantomjs|selenium|"
    r"puppeteer|playwright|embedly|whatsapp|telegram|skype|bingpreview|mediapartners|"
    r"feedfetcher|validator|archiver|ia_archiver|petalsearch|yandex",
    re.IGNORECASE,
)


def is_bot(request: HttpRequest) -> bool:
    """An empty or robot User-Agent."""
    agent = request.headers.get("User-Agent", "")
    return not agent.strip() or bool(BOTS.search(agent))


def _is_prefetch(request: HttpRequest) -> bool:
    purpose = (request.headers.get("Sec-Purpose", "") + request.headers.get("Purpose", "")).lower()
    return "prefetch" in purpose or "prerender" in purpose


def _page_view(request: HttpRequest, response: HttpResponse) -> bool:
    if request.method != "GET" or response.status_code not in (200, 304):
        return False
    if request.path.startswith(SKIP_PREFIXES):
        return False
    if response.status_code == 200 and not response.get("Content-Type", "").startswith("text/html"):
        return False
    if _is_prefetch(request) or is_bot(request):
        return False
    # Declined (or Global Privacy Control): no query at all.
    choice = request.COOKIES.get(consent.CONSENT_COOKIE)
    return choice != consent.DECLINED and request.headers.get("Sec-GPC") != "1"


class JourneyMiddleware:
    """Count public HTML page views of visitors who may be tracked; never break a response."""

    def __init__(self, get_response: Any) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        try:
            if _page_view(request, response):
                self.track(request, response)
        except Exception:
            logger.exception("Could not record the page view of %s.", request.path)
        return response

    def track(self, request: HttpRequest, response: HttpResponse) -> None:
        site_id, _mode = site_and_mode(request)
        if site_id is None or not consent.tracking_allowed(request):
            return
        vid, created = ensure_visitor(request, site_id)
        if created:
            set_visitor_cookie(request, response, vid)
        page = getattr(request, "_magpie_journey_page", None)
        record("page_view", request=request, visitor=vid, obj=page)
