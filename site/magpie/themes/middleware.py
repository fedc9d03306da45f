"""Select the theme for each request before any template is looked up."""

from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from wagtail.models import Site

from magpie.pagecache.state import site_state
from magpie.plugins import hook
from magpie.themes.registry import current_theme


def theme_for_request(request: HttpRequest) -> str:
    """The theme a request renders with: a plugin's ``active_theme`` answer, else the site's."""
    site = Site.find_for_request(request)
    chosen = hook("active_theme", request=request)(request=request, site=site)
    if chosen:
        return chosen
    return site_state(request, site)["theme"] or settings.MAGPIE_DEFAULT_THEME


class ThemeMiddleware:
    """Set the active theme (a context variable, per request, never shared between sites)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        name = theme_for_request(request)
        request.magpie_theme = name
        token = current_theme.set(name)
        try:
            response = self.get_response(request)
            # TemplateResponse renders lazily, after the view returns: render inside the theme.
            if hasattr(response, "render") and not getattr(response, "is_rendered", True):
                response.render()
            return response
        finally:
            current_theme.reset(token)
