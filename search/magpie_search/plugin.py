"""The search plugin's hook implementations (entry point ``magpie.plugins: search``)."""

from __future__ import annotations

from typing import Any

from magpie.hookspecs import hookimpl


@hookimpl
def django_apps() -> list[str]:
    return ["magpie_search"]


@hookimpl
def handle_event(event: Any) -> None:
    """Catalog changes: re-index the products concerned (retried by the outbox when the
    engine is unreachable)."""
    from magpie_search.indexing import handle_event as index_event

    index_event(event)


@hookimpl
def event_types() -> list[str]:
    """Only catalog changes concern the index."""
    from magpie_search.indexing import EVENT_TYPES

    return list(EVENT_TYPES)


@hookimpl
def product_listing(request: Any) -> Any:
    """On OpenSearch/Elasticsearch the engine lists catalog categories (falling back to
    the catalog's SQL when it is unreachable); on the database the catalog's own SQL does."""
    from magpie_search.engines import engine_kind

    if engine_kind() == "database":
        return None
    from magpie_search.listing import CatalogEngineListing

    return CatalogEngineListing


@hookimpl
def render_slot(slot: str, request: Any, context: dict[str, Any]) -> str | None:
    """The search box with autocomplete in the header (``header_actions``)."""
    if slot != "header_actions" or request is None:
        return None
    from magpie_search.boxes import search_box

    return search_box(request)


@hookimpl(trylast=True)
def demo_data(stdout: Any) -> None:
    """The search pages and synonyms, then the index (last: after the catalog's products)."""
    from magpie_search.demo import load_demo

    load_demo(stdout)
