"""Serve anonymous visitors' page views from the cache, keyed by the content generation."""

from __future__ import annotations

import hashlib
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.http import HttpRequest, HttpResponse

from magpie.pagecache.state import generation

HEADER = "X-Magpie-Cache"
UNSHAREABLE = ("private", "no-cache", "no-store")


def _bypass(request: HttpRequest) -> bool:
    """True when this request must not see a shared page (or the cache is off)."""
    if not settings.MAGPIE_PAGE_CACHE_SECONDS or request.method not in ("GET", "HEAD"):
        return True
    if any(name in request.COOKIES for name in settings.MAGPIE_PAGE_CACHE_BYPASS_COOKIES):
        return True
    return any(request.path.startswith(prefix) for prefix in settings.MAGPIE_PAGE_CACHE_SKIP)


def _key(request: HttpRequest) -> str:
    raw = f"{request.scheme}://{request._get_raw_host()}{request.get_full_path()}"
    digest = hashlib.sha256(raw.encode("utf-8", "surrogateescape")).hexdigest()
    return f"magpie:page:{generation(request)}:{digest}"


def _storable(request: HttpRequest, response: HttpResponse) -> bool:
    if not getattr(request, "_magpie_wagtail_page", False):
        return False  # only Wagtail page views are cached
    if request.method != "GET" or response.status_code != 200:
        return False
    if getattr(request, "_magpie_no_page_cache", False):
        return False
    if response.streaming or response.cookies:
        return False
    if request.META.get("CSRF_COOKIE_NEEDS_UPDATE"):
        return False  # the page holds a CSRF token (a form): per visitor
    if "cookie" in response.get("Vary", "").lower():
        return False  # the page used the session
    control = response.get("Cache-Control", "").lower()
    return not any(word in control for word in UNSHAREABLE)


class PageCacheMiddleware:
    """Answer repeat anonymous page views from the cache; store fresh ones.

    Sits before the session middleware: a hit costs one query (the generation) and one cache
    read. Visitors with a session (logged in, cart, preview) always get a fresh page.
    """

    def __init__(self, get_response: Any) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if _bypass(request):
            return self.get_response(request)
        key = _key(request)
        hit = cache.get(key)
        if hit is not None:
            content, headers = hit
            response = HttpResponse(content if request.method == "GET" else b"")
            for name, value in headers:
                response[name] = value
            response[HEADER] = "hit"
            return response
        response = self.get_response(request)
        if _storable(request, response):
            if hasattr(response, "render") and not response.is_rendered:
                response.render()
            headers = [(k, v) for k, v in response.items() if k.lower() != "content-length"]
            cache.set(key, (response.content, headers), settings.MAGPIE_PAGE_CACHE_SECONDS)
            response[HEADER] = "miss"
        return response
