"""Synonym changes reach every engine.

Saving or deleting a :class:`~magpie_search.models.Synonym` bumps the page-cache generation in
the same transaction: the database engine reads the groups under that generation
(:func:`magpie_search.synonyms.groups`), so every app server expands queries with the new
groups from its next request, and cached result pages are dropped. On OpenSearch/Elasticsearch
the groups are also loaded into the live index by a background task after the commit; a
failure there never fails the save.
"""

from __future__ import annotations

import logging
from typing import Any

from django.db import transaction
from django.db.models.signals import post_delete, post_save

from magpie.pagecache import invalidate
from magpie_search.engines import engine_kind

logger = logging.getLogger(__name__)


def enqueue_synonym_update() -> None:
    """Queue the task that loads the synonyms into the engine; log when that fails."""
    from magpie_search.tasks import update_synonyms_task

    try:
        update_synonyms_task.enqueue()
    except Exception as exc:
        logger.warning(
            "Could not queue the synonym update (%s); the next index rebuild picks them up.",
            exc,
        )


def _update_pending() -> bool:
    """Whether this transaction already runs the update on commit (one task for many saves,
    e.g. an import): a callback registered where the current savepoints include all of its
    own is discarded only together with the current change."""
    connection = transaction.get_connection()
    if not connection.in_atomic_block:
        return False
    current = set(connection.savepoint_ids)
    return any(
        func is enqueue_synonym_update and set(sids) <= current
        for sids, func, _robust in connection.run_on_commit
    )


def synonyms_changed(sender: Any, **kwargs: Any) -> None:
    """A synonym group was saved or deleted."""
    invalidate()
    if engine_kind() != "database" and not _update_pending():
        transaction.on_commit(enqueue_synonym_update)


def connect() -> None:
    """Connect the receivers (from :meth:`magpie_search.apps.SearchConfig.ready`)."""
    from magpie_search.models import Synonym

    post_save.connect(synonyms_changed, sender=Synonym, dispatch_uid="magpie_search_synonym_saved")
    post_delete.connect(
        synonyms_changed, sender=Synonym, dispatch_uid="magpie_search_synonym_deleted"
    )
