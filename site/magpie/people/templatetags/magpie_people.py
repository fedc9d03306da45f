"""Template tags of the people app: what the consent banner needs."""

from __future__ import annotations

from typing import Any

from django import template
from django.conf import settings
from django.core.cache import cache

register = template.Library()


def banner_settings(request: Any) -> dict[str, Any]:
    """The site's consent mode and privacy page URL, read once per content generation.

    Cached under the page-cache generation (like the site's theme), so a changed setting
    shows on every app server with the next request; the row is read without
    ``get_or_create`` (creating it would itself invalidate the page cache).
    """
    from wagtail.models import Site

    from magpie.journey.models import JourneySettings
    from magpie.pagecache.state import generation

    if request is None:
        return {"mode": "off", "privacy_url": ""}
    memo = getattr(request, "_magpie_consent_banner", None)
    if memo is not None:
        return memo
    site = Site.find_for_request(request)
    if site is None:
        return {"mode": "off", "privacy_url": ""}
    key = f"magpie:consent-banner:{site.pk}:{generation(request)}"
    memo = cache.get(key)
    if memo is None:
        mode = (
            JourneySettings.objects.filter(site=site).values_list("consent_mode", flat=True).first()
        )
        memo = {
            "mode": mode or JourneySettings._meta.get_field("consent_mode").default,
            "privacy_url": getattr(settings, "MAGPIE_PRIVACY_URL", "") or "",
        }
        cache.set(key, memo, 24 * 3600)
    request._magpie_consent_banner = memo
    return memo


@register.simple_tag(takes_context=True)
def consent_banner_settings(context: Any) -> dict[str, Any]:
    """``{% consent_banner_settings as consent %}``: ``consent.mode``, ``consent.privacy_url``."""
    return banner_settings(context.get("request"))
