"""Background tasks of the search plugin."""

from __future__ import annotations

import logging

from django_tasks import task

from magpie_search.engines import EngineUnavailable, get_engine

logger = logging.getLogger(__name__)


@task()
def update_synonyms_task() -> bool:
    """Load the current synonym groups into the live OpenSearch/Elasticsearch index.

    An unreachable engine is logged, not raised: the next index rebuild (``update_index``)
    creates the index with the synonyms of that moment."""
    try:
        get_engine().update_synonyms()
    except EngineUnavailable as exc:
        logger.warning(
            "Could not load the synonyms into the search engine (%s); "
            "the next index rebuild picks them up.",
            exc,
        )
        return False
    return True
