"""Classify where a touchpoint came from: UTM tags first, then click ids, then the referrer.

Table-driven: the sets below are the whole rule book, in the order :func:`classify` asks.
"""

from __future__ import annotations

from collections.abc import Iterable
from urllib.parse import urlsplit

from magpie.journey.models import Channel

PAID_MEDIUMS = frozenset(
    {
        "cpc",
        "ppc",
        "paid",
        "paidsearch",
        "paid_search",
        "paid-search",
        "display",
        "banner",
        "paid_social",
        "paid-social",
        "paidsocial",
        "cpm",
        "cpv",
        "retargeting",
    }
)
EMAIL_MEDIUMS = frozenset({"email", "e-mail", "e_mail", "newsletter", "mail"})
SOCIAL_MEDIUMS = frozenset({"social", "social-network", "social_network", "social-media", "sm"})
#: Query parameters ad networks add to their clicks.
CLICK_IDS = frozenset(
    {
        "gclid",
        "gbraid",
        "wbraid",
        "dclid",
        "msclkid",
        "fbclid",
        "li_fat_id",
        "ttclid",
        "twclid",
        "yclid",
    }
)
#: Host names (or their first label) of social networks; matched on the registrable part.
SOCIAL_HOSTS = frozenset(
    {
        "linkedin",
        "lnkd.in",
        "xing",
        "facebook",
        "fb.com",
        "fb.me",
        "instagram",
        "twitter",
        "x.com",
        "t.co",
        "youtube",
        "youtu.be",
        "tiktok",
        "pinterest",
        "reddit",
        "mastodon",
        "threads.net",
        "bsky.app",
        "whatsapp",
        "telegram",
    }
)
#: Search engines, matched as the first label of the host after ``www.`` (``google.ch``).
SEARCH_ENGINES = frozenset(
    {
        "google",
        "bing",
        "duckduckgo",
        "ecosia",
        "yahoo",
        "baidu",
        "yandex",
        "qwant",
        "startpage",
        "search.brave",
        "brave",
    }
)


def _host(url: str) -> str:
    try:
        host = urlsplit(url.strip()).hostname or ""
    except ValueError:
        return ""
    host = host.lower().rstrip(".")
    return host[4:] if host.startswith("www.") else host


def _is_social(value: str) -> bool:
    """Whether a source name or host names a social network."""
    value = value.lower()
    if value in SOCIAL_HOSTS:
        return True
    labels = value.split(".")
    # "linkedin.com", "m.facebook.com", "de.linkedin.com", "l.instagram.com"
    return any(label in SOCIAL_HOSTS for label in labels[:-1] or labels) or any(
        value == host or value.endswith("." + host) for host in SOCIAL_HOSTS if "." in host
    )


def _is_search_engine(host: str) -> bool:
    labels = host.split(".")
    if len(labels) < 2:
        return False
    # google.ch, google.co.uk, search.yahoo.com, de.search.yahoo.com, html.duckduckgo.com
    return any(label in SEARCH_ENGINES for label in labels[:-1]) or host.startswith("search.brave.")


def classify(
    utm_source: str = "",
    utm_medium: str = "",
    referrer: str = "",
    own_host: str = "",
    click_ids: Iterable[str] = (),
) -> Channel:
    """The :class:`~magpie.journey.models.Channel` of a visit.

    ``click_ids`` are the names of the query parameters of the landing URL (only the known
    ad click ids count). ``own_host`` is the site's host: a referrer from it is internal.
    """
    medium = (utm_medium or "").strip().lower()
    source = (utm_source or "").strip().lower()
    if medium in PAID_MEDIUMS or any(name.lower() in CLICK_IDS for name in click_ids):
        return Channel.PAID
    if medium in EMAIL_MEDIUMS:
        return Channel.EMAIL
    if medium in SOCIAL_MEDIUMS or (source and _is_social(source)):
        return Channel.SOCIAL
    host = _host(referrer) if referrer else ""
    own = _host("//" + own_host) if own_host else ""
    if host:
        if own and host == own:
            return Channel.INTERNAL
        if _is_social(host):
            return Channel.SOCIAL
        if _is_search_engine(host):
            return Channel.ORGANIC_SEARCH
        return Channel.REFERRAL
    if source or medium:
        # Tagged, but nothing above: a newsletter source or a partner's link.
        if source in EMAIL_MEDIUMS:
            return Channel.EMAIL
        return Channel.REFERRAL
    return Channel.DIRECT
