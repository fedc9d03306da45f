"""The generation counter and per-site state cached under it."""

from __future__ import annotations

import logging
from typing import Any

from django.core.cache import cache
from django.db import IntegrityError, transaction
from django.db.models import F

logger = logging.getLogger("magpie.pagecache")

GENERATION = "pages"


def generation(request: Any | None = None) -> int:
    """The current content generation (one query, memoised on ``request``)."""
    cached = getattr(request, "_magpie_generation", None)
    if cached is not None:
        return cached
    from magpie.pagecache.models import Generation

    value = Generation.objects.filter(name=GENERATION).values_list("value", flat=True).first()
    value = value or 0
    if request is not None:
        request._magpie_generation = value
    return value


def invalidate() -> None:
    """Bump the generation: every cached page and site state is stale from now on.

    Runs in the caller's transaction, so a rolled-back change invalidates nothing.
    """
    from magpie.pagecache.models import Generation

    if Generation.objects.filter(name=GENERATION).update(value=F("value") + 1):
        return
    try:
        with transaction.atomic():
            Generation.objects.create(name=GENERATION, value=1)
    except IntegrityError:  # created concurrently
        Generation.objects.filter(name=GENERATION).update(value=F("value") + 1)


def never_cache_page(request: Any) -> None:
    """Keep the response to ``request`` out of the shared page cache (per-visitor content)."""
    request._magpie_no_page_cache = True


def site_state(request: Any, site: Any) -> dict[str, Any]:
    """The site's theme setting and disabled plugins, read once per generation.

    Stored in Django's cache under the generation, so a change in the admin takes effect on
    every app server with the next request.
    """
    from magpie.plugins import disabled_plugins
    from magpie.themes.models import ThemeSettings

    if site is None:
        return {"theme": None, "disabled": frozenset()}
    key = f"magpie:site-state:{site.pk}:{generation(request)}"
    state = cache.get(key)
    if state is None:
        state = {
            # Read without get_or_create: creating the row would itself invalidate.
            "theme": ThemeSettings.objects.filter(site=site)
            .values_list("theme", flat=True)
            .first(),
            "disabled": disabled_plugins(site),
        }
        cache.set(key, state, 24 * 3600)
    return state
