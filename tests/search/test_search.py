"""The search page, the autocomplete and the catalog listings on every engine.

Each test taking ``indexed`` runs on the database (SQLite or PostgreSQL) and on OpenSearch
with the same expectations: where the engines' features overlap they return the same
products for the same query and filters.
"""

from __future__ import annotations

import re
from typing import Any

import pytest

from tests.catalog.test_storefront import facet_counts, skus

pytestmark = pytest.mark.django_db

SEARCH = "/de/suche/"


@pytest.fixture(autouse=True)
def _no_page_cache(settings: Any) -> None:
    settings.MAGPIE_PAGE_CACHE_SECONDS = 0


def results(client: Any, **params: Any) -> str:
    response = client.get(SEARCH, params)
    assert response.status_code == 200, params
    return response.content.decode()


def category_counts(page_html: str) -> dict[str, int]:
    match = re.search(r'data-facet="category">(.*?)</fieldset>', page_html, re.S)
    if match is None:
        return {}
    return {
        value: int(count)
        for value, count in re.findall(
            r'data-value="([^"]+)">.*?data-count="(\d+)"', match.group(1), re.S
        )
    }


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("motor", {"M-1", "M-2", "M-3"}),
        ("Motor Alpha", {"M-1"}),
        ("mot alp", {"M-1"}),  # word prefixes
        ("MOTÖR", {"M-1", "M-2", "M-3"}),  # case and accents do not matter
        ("zahnrad", set()),
        ("m-1", {"M-1"}),
        ("P1", {"P-1"}),  # normalised SKU
        ("pumpe epsilon", {"P-1"}),
        ("compact motor", {"M-1"}),  # the English description
        ("stahl", {"M-1", "M-3", "G-1"}),  # an option label
        ("entwurf", set()),  # drafts are not found
    ],
)
def test_keyword_search_finds_the_same_products_on_every_engine(client, indexed, query, expected):
    assert set(skus(results(client, q=query, sort="sku"))) == expected


def test_synonyms_expand_the_query(client, indexed, search_engine):
    from magpie_search.engines import get_engine
    from magpie_search.models import Synonym

    Synonym.objects.create(terms="Motor, Antrieb")
    from magpie.pagecache import invalidate

    invalidate()
    if search_engine == "opensearch":
        get_engine().update_synonyms()
    assert set(skus(results(client, q="antrieb"))) == {"M-1", "M-2", "M-3"}


def test_facets_count_the_matches_and_ignore_their_own_selection(client, indexed):
    page = results(client, q="motor")
    assert facet_counts(page, "brand") == {"acme": 2, "bolt": 1}
    assert facet_counts(page, "in_stock") == {"1": 1}
    assert category_counts(page) == {"antriebe": 3}
    narrowed = results(client, q="motor", brand="acme")
    assert set(skus(narrowed)) == {"M-1", "M-3"}
    assert facet_counts(narrowed, "brand") == {"acme": 2, "bolt": 1}  # still both offered
    assert set(skus(results(client, q="motor", in_stock="1"))) == {"M-1"}


def test_category_scope_brings_attribute_facets(client, indexed):
    page = results(client, q="motor", category="motoren")
    assert facet_counts(page, "material") == {"steel": 2, "alu": 1}
    assert set(skus(results(client, q="motor", category="motoren", **{"f.material": "steel"}))) == {
        "M-1",
        "M-3",
    }
    ranged = results(client, category="antriebe", **{"f.power.min": "1", "f.power.max": "6"})
    assert set(skus(ranged)) == {"M-2", "M-3"}


def test_price_range_and_price_sort_use_the_visitors_price_list(client, indexed):
    assert skus(results(client, q="motor", sort="price")) == ["M-2", "M-1", "M-3"]
    assert skus(results(client, q="motor", sort="price-desc")) == ["M-1", "M-2", "M-3"]
    assert set(skus(results(client, q="motor", **{"price.max": "100"}))) == {"M-2"}
    page = results(client, q="motor")
    price = re.search(r'name="price.min" value="" placeholder="([\d.]+)"', page)
    assert price and float(price.group(1)) == 80.0


def test_relevance_puts_the_exact_sku_first(client, indexed):
    assert skus(results(client, q="M-1"))[0] == "M-1"


def test_paging(client, indexed, settings):
    page = results(client, q="motor", sort="sku", page="2")
    assert skus(page) == ["M-1", "M-2", "M-3"]  # one page only: page 2 shows the last


def test_content_tab_finds_articles_with_highlighting(client, indexed):
    page = results(client, q="motoren richtig", type="content")
    assert "<mark>Motoren</mark> <mark>richtig</mark> auswählen" in page
    assert 'href="/de/wissen/motoren-auswaehlen/"' in page


def test_english_search_page_uses_english_names(client, indexed):
    response = client.get("/en/search/", {"q": "motor alpha"})
    page = response.content.decode()
    assert response.status_code == 200
    assert "<mark>Motor</mark> <mark>Alpha</mark> (en)" in page
    assert 'href="/en/catalog/p/M-1/"' in page


@pytest.mark.parametrize(
    "query",
    [
        "x" * 5000,
        '"unbalanced',
        "motor AND (pumpe OR",
        "'; DROP TABLE magpie_catalog_product; --",
        '{"query": {"match_all": {}}}',
        "🔧🛠️ motor",
        "motor -pumpe +getriebe ~2 ^3 *",
        "\x00\x1f",
        "<script>alert(1)</script>",
        "a:b/c\\d",
    ],
)
def test_bad_queries_answer_200(client, indexed, query):
    page = results(client, q=query)
    assert "<script>alert(1)</script>" not in page


@pytest.mark.parametrize(
    "params",
    [
        {"q": "motor", "brand": "nope"},
        {"q": "motor", "f.unknown": "x", "f.power.min": "abc"},
        {"q": "motor", "price.min": "1e400", "price.max": "-"},
        {"q": "motor", "page": "99999999999999999999", "sort": "bogus"},
        {"q": "motor", "category": "x" * 500},
        {"q": "motor", "category": "gibt-es-nicht", "in_stock": "maybe"},
        {"q": ["motor", "pumpe"], "type": "nonsense"},
    ],
)
def test_malformed_filters_are_ignored(client, indexed, params):
    assert set(skus(results(client, **params))) <= {"M-1", "M-2", "M-3", "P-1"}


def test_autocomplete_offers_products_categories_and_articles(client, indexed):
    response = client.get(f"{SEARCH}suggest/", {"q": "mot"})
    assert response.status_code == 200
    data = response.json()
    assert {p["sku"] for p in data["products"]} == {"M-1", "M-2", "M-3"}
    assert {"name": "Motoren", "url": "/de/katalog/antriebe/motoren/"} in data["categories"]
    assert data["articles"][0]["title"] == "Motoren richtig auswählen"
    by_sku = client.get(f"{SEARCH}suggest/", {"q": "p-1"}).json()
    assert by_sku["products"][0] == {
        "id": indexed.products["P-1"].pk,
        "sku": "P-1",
        "name": "Pumpe Epsilon",
        "url": "/de/katalog/p/P-1/",
    }
    assert client.get(f"{SEARCH}suggest/", {"q": "{[("}).json()["products"] == []


def test_searches_are_logged(client, indexed):
    from magpie_search.models import SearchQuery

    results(client, q="Motoren")
    results(client, q="motoren", page="2")  # paging is not a new search
    results(client, q="Zahnrad")
    logged = {(s.query, s.results) for s in SearchQuery.objects.all()}
    assert ("motoren", 4) in logged  # three products (their category) and the article
    assert ("zahnrad", 0) in logged
    assert SearchQuery.objects.count() == 2


@pytest.mark.postgres
@pytest.mark.parametrize(
    "params",
    [
        {"q": "motor"},
        {"q": "motor", "brand": "acme"},
        {"q": "motor", "in_stock": "1", "price.max": "100"},
        {"q": "motor", "category": "motoren", "f.material": "steel", "f.atex": "1"},
        {"q": "motor", "category": "antriebe", "f.power.min": "1", "sort": "price"},
        {"q": "stahl", "category": "antriebe", "f.colors": ["red", "grey"], "sort": "price-desc"},
    ],
)
def test_facets_counted_in_python_equal_the_sql_aggregates(indexed, params, monkeypatch):
    """On PostgreSQL a search counts its facets over the candidates in Python; forcing the
    SQL aggregates (no id list) must give the same page, count and facets."""
    from django.http import QueryDict
    from django.utils.http import urlencode

    from magpie_search.engines import database
    from magpie_search.listing import DatabaseSearch, category_from_params

    query = QueryDict(urlencode(params, doseq=True))

    def run() -> tuple[Any, ...]:
        listing = DatabaseSearch(
            category_from_params(query), query, price_lists=[indexed.price_list.pk]
        )
        page = listing.page(1)
        facets = [
            (f.code, [(o.value, o.count, o.selected) for o in f.options], f.minimum, f.maximum)
            for f in listing.facets()
        ]
        return [p.sku for p in page.products], page.count, facets, listing.candidates() is None

    *python, python_sql = run()
    monkeypatch.setattr(database, "MAX_MATCH_IDS", 0)
    *sql, sql_sql = run()
    assert not python_sql and sql_sql  # the two paths really ran
    assert python == sql
