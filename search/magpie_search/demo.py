"""Demo data: the search page in German and English, and a few synonym groups."""

from __future__ import annotations

from typing import Any

SEARCH_PAGE = {
    "de": {"title": "Suche", "slug": "suche"},
    "en": {"title": "Search", "slug": "search"},
}
SYNONYMS = [
    "Motor, Antrieb, drive",
    "Pumpe, pump",
    "Getriebe, gearbox, Untersetzung",
    "Datenblatt, datasheet",
]


def load_demo(stdout: Any) -> None:
    """Create what is missing; loading twice changes nothing."""
    from magpie.content.demo import ensure_home_children
    from magpie_search.models import Synonym
    from magpie_search.pages import SearchPage

    created, _skipped = ensure_home_children(SearchPage, "search", SEARCH_PAGE)
    synonyms = 0
    for terms in SYNONYMS:
        _synonym, new = Synonym.objects.get_or_create(terms=terms)
        synonyms += new
    stdout.write(f"  search: {created} search pages, {synonyms} synonym groups created\n")
    if created or synonyms:
        from magpie_search.indexing import rebuild

        written = rebuild()
        stdout.write(f"  search: {written} products indexed\n")
