"""The header's search box: a form to the search page of the visitor's language."""

from __future__ import annotations

from typing import Any

from django.core.cache import cache
from django.template.loader import render_to_string
from django.utils.translation import get_language

CACHE_SECONDS = 24 * 3600


def search_page_for(request: Any) -> Any:
    """The live search page in the active language on the request's site, or ``None``."""
    from wagtail.models import Site

    from magpie.content.models import in_site_tree
    from magpie_search.pages import SearchPage

    lang = (get_language() or "de")[:2]
    site = Site.find_for_request(request)
    if site is None:
        return None
    pages = SearchPage.objects.live().filter(in_site_tree(site), locale__language_code=lang)
    return pages.order_by("path").first()


def search_url_for(request: Any) -> str:
    """The search page's URL for the request's site and language ("" without one).

    Kept in Django's cache under the content generation (publishing or moving a page
    bumps it), so the header costs no query on a warm cache.
    """
    from magpie.pagecache import generation

    site = getattr(request, "site", None)
    lang = (get_language() or "de")[:2]
    key = (
        f"magpie:search:page-url:{request.get_host()}:{getattr(site, 'pk', '-')}:{lang}:"
        f"{generation(request)}"
    )
    url = cache.get(key)
    if url is None:
        page = search_page_for(request)
        url = (page.get_url(request) or "") if page is not None else ""
        cache.set(key, url, CACHE_SECONDS)
    return url


def search_box(request: Any) -> str:
    """The box's HTML ("" when the language has no search page)."""
    url = search_url_for(request)
    if not url:
        return ""
    return render_to_string(
        "magpie_search/includes/search_box.html",
        {"search_url": url, "suggest_url": f"{url}suggest/"},
        request=request,
    )
