"""Mount plugins' URL patterns so that a plugin disabled on a site answers 404 there."""

from __future__ import annotations

from functools import wraps
from typing import Any

from django.http import Http404
from django.urls import URLResolver
from django.urls.resolvers import RegexPattern

from magpie.plugins import disabled_for_request, get_host


class PluginURLResolver(URLResolver):
    """The URL patterns of one plugin; resolved views check the plugin is enabled."""

    def __init__(self, plugin_name: str, patterns: list[Any]) -> None:
        super().__init__(RegexPattern(r"^"), patterns)
        self.plugin_name = plugin_name

    def resolve(self, path: str) -> Any:
        match = super().resolve(path)
        view = match.func
        plugin_name = self.plugin_name

        @wraps(view)
        def enabled_only(request: Any, *args: Any, **kwargs: Any) -> Any:
            if plugin_name in disabled_for_request(request):
                raise Http404(f"{plugin_name} is not enabled on this site.")
            return view(request, *args, **kwargs)

        match.func = enabled_only
        return match

    def __repr__(self) -> str:
        return f"<PluginURLResolver {self.plugin_name}>"


def plugin_url_patterns() -> list[PluginURLResolver]:
    """One resolver per plugin that implements ``url_patterns``, in registration order."""
    return [
        PluginURLResolver(impl.plugin_name, list(impl.function() or []))
        for impl in get_host().implementations("url_patterns")
    ]
