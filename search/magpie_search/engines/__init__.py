"""The search engines: the database (default) or OpenSearch/Elasticsearch, chosen by
``SEARCH_URL`` (through ``WAGTAILSEARCH_BACKENDS['default']``)."""

from __future__ import annotations

from typing import Any

from django.conf import settings


class EngineUnavailable(Exception):
    """The search engine cannot be reached (or answered with an error)."""


def engine_kind() -> str:
    """``"database"``, ``"opensearch"`` or ``"elasticsearch"``."""
    backend = settings.WAGTAILSEARCH_BACKENDS["default"]["BACKEND"]
    for kind in ("opensearch", "elasticsearch"):
        if kind in backend:
            return kind
    return "database"


def get_engine() -> Any:
    """The engine for the current settings (cheap: clients are made once per settings)."""
    kind = engine_kind()
    if kind == "database":
        from magpie_search.engines.database import DatabaseEngine

        return DatabaseEngine()
    from magpie_search.engines.elastic import ElasticEngine

    return ElasticEngine.for_settings()
