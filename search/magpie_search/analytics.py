"""Search analytics: every search is logged (query, filters, results) and, when the host
offers a customer journey, recorded as a ``search`` touchpoint of the visitor."""

from __future__ import annotations

import importlib
import logging
from typing import Any

from django.db.models import Count, Max, QuerySet
from django.http import HttpRequest

from magpie_search.text import Query

logger = logging.getLogger(__name__)


def record_search(
    request: HttpRequest, query: Query, filters: dict[str, Any], results: int, language: str
) -> None:
    """Log one search; a failing journey never fails the search page."""
    from magpie_search.models import SearchQuery

    text = " ".join(query.text.split())[:256]
    SearchQuery.objects.create(
        query=text.casefold(), filters=filters, results=results, language=language
    )
    try:
        record = getattr(importlib.import_module("magpie.journey.recording"), "record", None)
    except ImportError:
        record = None
    if record is None:
        return
    try:
        record(
            request=request,
            type="search",
            data={"query": text, "filters": filters, "results": results},
        )
    except Exception:
        logger.exception("Recording the search touchpoint failed")


def top_queries(since: Any, zero_results: bool = False) -> QuerySet:
    """Queries since ``since`` with how often they were searched, most frequent first;
    with ``zero_results``, only searches that found nothing."""
    from magpie_search.models import SearchQuery

    searches = SearchQuery.objects.filter(searched_at__gte=since)
    if zero_results:
        searches = searches.filter(results=0)
    return (
        searches.values("query")
        .annotate(searches=Count("id"), last=Max("searched_at"), results=Max("results"))
        .order_by("-searches", "query")
    )
