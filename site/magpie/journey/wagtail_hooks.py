"""Admin wiring of the journey: the Marketing menu (campaigns); the served page for the
page-view touchpoint."""

from __future__ import annotations

from wagtail import hooks

from magpie.journey.admin_views import MarketingViewSetGroup


@hooks.register("before_serve_page")
def remember_page(page, request, serve_args, serve_kwargs):
    """Let :class:`~magpie.journey.middleware.JourneyMiddleware` link the page view to it."""
    request._magpie_journey_page = page


@hooks.register("register_admin_viewset")
def register_marketing_viewsets() -> MarketingViewSetGroup:
    """Marketing → Campaigns."""
    return MarketingViewSetGroup()
