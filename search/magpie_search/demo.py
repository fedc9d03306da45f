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
    from wagtail.models import Locale

    from magpie.content.demo import demo_key
    from magpie.content.models import HomePage
    from magpie_search.models import Synonym
    from magpie_search.pages import SearchPage

    key = demo_key("search")
    created = 0
    for code, texts in SEARCH_PAGE.items():
        locale = Locale.objects.filter(language_code=code).first()
        home = HomePage.objects.filter(translation_key=demo_key("home"), locale=locale).first()
        if locale is None or home is None:
            continue
        if SearchPage.objects.filter(translation_key=key, locale=locale).exists():
            continue
        page = SearchPage(translation_key=key, locale=locale, live=False, **texts)
        home.add_child(instance=page)
        page.save_revision().publish()
        created += 1
    synonyms = 0
    for terms in SYNONYMS:
        _synonym, new = Synonym.objects.get_or_create(terms=terms)
        synonyms += new
    stdout.write(f"  search: {created} search pages, {synonyms} synonym groups created\n")
    if created or synonyms:
        from magpie_search.indexing import rebuild

        written = rebuild()
        stdout.write(f"  search: {written} products indexed\n")
