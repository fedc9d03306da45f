"""Synonym groups as the engines use them.

The database engine expands each query word into its group (``motor`` → ``motor | antrieb |
drive``); OpenSearch gets the same groups as a search-time ``synonym_graph`` filter of the
product index (:func:`magpie_search.engines.elastic.ElasticEngine.update_synonyms`).
"""

from __future__ import annotations

from django.core.cache import cache

from magpie.pagecache import generation

CACHE_SECONDS = 3600


def groups() -> list[list[str]]:
    """Every synonym group's folded words, read once per content generation (saving a
    synonym bumps it, so every app server sees the change with its next request)."""
    from magpie_search.models import Synonym

    key = f"magpie:search:synonyms:{generation()}"
    found = cache.get(key)
    if found is None:
        found = [words for s in Synonym.objects.all() if len(words := s.words()) > 1]
        cache.set(key, found, CACHE_SECONDS)
    return found


def expand(words: list[str]) -> list[list[str]]:
    """Per query word, the word followed by the other words of its groups."""
    all_groups = groups()
    expanded: list[list[str]] = []
    for word in words:
        alternatives = [word]
        for group in all_groups:
            if word in group:
                alternatives += [w for w in group if w not in alternatives]
        expanded.append(alternatives)
    return expanded


def solr_rules() -> list[str]:
    """The groups as Solr-format lines for OpenSearch's synonym filter (``a, b, c``)."""
    return [", ".join(group) for group in groups()]
