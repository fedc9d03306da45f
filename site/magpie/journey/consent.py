"""Consent for visitor tracking: the cookies and the one question everything asks.

``magpie_consent`` holds the visitor's choice (``all`` or ``necessary``); ``magpie_vid`` the
visitor id, set only when :func:`tracking_allowed` says so. Both are first-party cookies.
"""

from __future__ import annotations

from typing import Any

CONSENT_COOKIE = "magpie_consent"
VISITOR_COOKIE = "magpie_vid"
ACCEPTED = "all"
DECLINED = "necessary"
#: One year, as Swiss and EU guidance accept for a consent choice.
COOKIE_MAX_AGE = 365 * 24 * 3600


def consent_mode(request: Any) -> str:
    """The site's :class:`~magpie.journey.models.JourneySettings` consent mode.

    Read through Django's cache and never written: ``JourneySettings.for_request`` would
    create the row on a first POST and so bump the page cache's generation.
    """
    cached = getattr(request, "_magpie_consent_mode", None)
    if cached is None:
        from magpie.journey.recording import site_and_mode

        cached = site_and_mode(request)[1]
        request._magpie_consent_mode = cached
    return cached


def tracking_allowed(request: Any) -> bool:
    """May this request's visitor be tracked (cookie, touchpoints)?

    ``opt_in``: only after the visitor accepted; ``notice``: unless the visitor declined;
    ``off``: never. Do Not Track / Global Privacy Control headers count as declining.
    """
    mode = consent_mode(request)
    if mode == "off":
        return False
    choice = request.COOKIES.get(CONSENT_COOKIE)
    if choice == DECLINED or request.headers.get("Sec-GPC") == "1":
        return False
    if mode == "opt_in":
        return choice == ACCEPTED
    return True
