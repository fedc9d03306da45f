"""Search fixtures: the catalog's small catalog (``tests/catalog/conftest.py``), search
pages in both languages, an article, and ``search_engine`` — every test that takes it runs
on the database (SQLite or PostgreSQL, whichever the pass uses) and on a real OpenSearch
node (once, in the SQLite pass: the OpenSearch case is marked ``slow``)."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

import pytest

from tests.catalog.conftest import catalog, catalog_media, catalog_page  # noqa: F401


@pytest.fixture(
    params=["database", pytest.param("opensearch", marks=pytest.mark.slow)],
)
def search_engine(request: Any, settings: Any) -> Iterator[str]:
    """The engine for this test: ``database`` as configured, or a fresh OpenSearch index."""
    from magpie_search.engines.elastic import ElasticEngine

    if request.param == "opensearch":
        url = request.getfixturevalue("opensearch_url")
        prefix = f"test_{uuid.uuid4().hex[:10]}_"
        settings.WAGTAILSEARCH_BACKENDS = {
            "default": {
                "BACKEND": "wagtail.search.backends.opensearch2",
                "URLS": [url],
                "INDEX_PREFIX": prefix,
                "INDEX_SETTINGS": {"settings": {"index": {"number_of_replicas": 0}}},
            }
        }
    ElasticEngine._instances.clear()
    yield request.param
    if request.param == "opensearch":
        engine = ElasticEngine.for_settings()
        engine.client.indices.delete(index=f"{prefix}*", ignore_unavailable=True)
    ElasticEngine._instances.clear()


@pytest.fixture
def search_pages(catalog_page: Any) -> Any:  # noqa: F811
    """Live search pages at ``/de/suche/`` and ``/en/search/`` and a German article."""
    from wagtail.models import Locale

    from magpie.content.models import ArticleIndexPage, ArticlePage
    from magpie_search.pages import SearchPage

    home = catalog_page.get_parent().specific
    german = Locale.objects.get(language_code="de")
    english = Locale.objects.get(language_code="en")
    page = SearchPage(title="Suche", slug="suche", locale=german)
    home.add_child(instance=page)
    page.save_revision().publish()
    page_en = page.copy_for_translation(english)
    page_en.title, page_en.slug = "Search", "search"
    page_en.save_revision().publish()
    index = ArticleIndexPage(title="Wissen", slug="wissen", locale=german)
    home.add_child(instance=index)
    index.save_revision().publish()
    article = ArticlePage(
        title="Motoren richtig auswählen",
        slug="motoren-auswaehlen",
        locale=german,
        search_description="Wie Sie den passenden Motor für Ihre Anlage finden.",
        intro="Leistung, Wirkungsgrad und Bauform.",
        body="<p>Ein Antrieb ist nur so gut wie seine Auslegung.</p>",
    )
    index.add_child(instance=article)
    article.save_revision().publish()
    return page


@pytest.fixture
def indexed(search_engine: str, catalog: Any, search_pages: Any) -> Any:  # noqa: F811
    """The small catalog and the pages, indexed by the engine under test."""
    from django.core.management import call_command

    from magpie_search.indexing import rebuild

    rebuild()
    if search_engine == "opensearch":
        call_command("update_index", "--no-products", verbosity=0)
    return catalog
