"""Keeping the index current: catalog changes reach every engine through the outbox, an
unreachable engine degrades politely, and queued updates catch up when it returns."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.core.management import call_command
from django.db.models import F

from magpie.events.models import Delivery
from magpie.events.outbox import deliver_due
from tests.catalog.test_storefront import skus

from .test_search import SEARCH, results

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _no_page_cache(settings: Any) -> None:
    settings.MAGPIE_PAGE_CACHE_SECONDS = 0


def refresh(search_engine: str) -> None:
    if search_engine == "opensearch":
        from magpie_search.engines import get_engine

        get_engine().refresh()


def test_catalog_changes_are_indexed_after_commit(
    client, indexed, search_engine, django_capture_on_commit_callbacks
):
    motor = indexed.products["M-3"]
    with django_capture_on_commit_callbacks(execute=True):
        motor.name_de = "Motor Quasar"
        motor.save()
    refresh(search_engine)
    assert skus(results(client, q="quasar")) == ["M-3"]
    with django_capture_on_commit_callbacks(execute=True):
        motor.status = "discontinued"
        motor.save()
    refresh(search_engine)
    assert skus(results(client, q="quasar")) == []
    assert set(skus(results(client, q="motor"))) == {"M-1", "M-2"}


def test_price_and_stock_changes_reach_the_facets(
    client, indexed, search_engine, django_capture_on_commit_callbacks
):
    from magpie_catalog.models import PriceEntry, StockLevel

    with django_capture_on_commit_callbacks(execute=True):
        entry = PriceEntry.objects.get(product=indexed.products["M-2"], min_quantity=1)
        entry.amount = "500.00"
        entry.save()
        level = StockLevel.objects.get(product=indexed.products["M-2"])
        level.on_hand = F("on_hand") + 10
        level.save()
    refresh(search_engine)
    assert skus(results(client, q="motor", sort="price")) == ["M-1", "M-2", "M-3"]
    assert set(skus(results(client, q="motor", in_stock="1"))) == {"M-1", "M-2"}


def test_update_index_rebuilds_with_a_progress_bar(indexed, search_engine, capsys):
    from magpie_search.engines import get_engine

    call_command("update_index", "--products-only")
    captured = capsys.readouterr()
    assert "5 products indexed" in captured.out
    assert "5/5" in captured.err  # tqdm's bar
    refresh(search_engine)
    assert get_engine().count() == 5


@pytest.mark.parametrize(
    "params",
    [
        {},
        {"sort": "price"},
        {"brand": "acme"},
        {"f.material": "steel", "in_stock": "1"},
        {"f.power.min": "1"},
        {"sort": "newest", "page": "2"},
    ],
)
def test_category_listings_agree_with_the_catalogs_sql(client, indexed, params):
    from magpie_catalog.filters import ProductFilter

    response = client.get("/de/katalog/antriebe/", params)
    assert response.status_code == 200
    sql = ProductFilter(indexed.drives, params, price_lists=[indexed.price_list.pk])
    expected = [product.sku for product in sql.page(params.get("page")).products]
    assert skus(response.content.decode()) == expected


@pytest.mark.slow
@pytest.mark.parametrize("search_engine", ["opensearch"], indirect=True)
def test_an_unreachable_engine_gives_a_polite_503_and_updates_catch_up(
    client, indexed, settings, django_capture_on_commit_callbacks
):
    """The search page answers 503 in the theme, suggestions come back empty, category
    listings fall back to SQL, and changes made meanwhile are indexed once it is back."""
    from magpie_search.engines.elastic import ElasticEngine

    working = settings.WAGTAILSEARCH_BACKENDS
    settings.WAGTAILSEARCH_BACKENDS = {
        "default": {**working["default"], "URLS": ["http://127.0.0.1:9"], "TIMEOUT": 2}
    }
    ElasticEngine._instances.clear()

    response = client.get(SEARCH, {"q": "motor"})
    assert response.status_code == 503
    assert "Die Suche macht gerade eine Pause" in response.content.decode() or (
        "Search is taking a break" in response.content.decode()
    )
    assert client.get(f"{SEARCH}suggest/", {"q": "mot"}).json()["unavailable"] is True
    listing = client.get("/de/katalog/antriebe/motoren/")
    assert listing.status_code == 200 and set(skus(listing.content.decode())) == {
        "M-1",
        "M-2",
        "M-3",
    }
    assert client.get("/de/katalog/p/M-1/").status_code == 200

    motor = indexed.products["M-3"]
    with django_capture_on_commit_callbacks(execute=True):
        motor.name_de = "Motor Omega"
        motor.save()
    delivery = Delivery.objects.filter(plugin="search", event__type="product.changed").latest("pk")
    assert delivery.status == Delivery.Status.PENDING and delivery.attempts == 1

    settings.WAGTAILSEARCH_BACKENDS = working
    ElasticEngine._instances.clear()
    Delivery.objects.filter(pk=delivery.pk).update(next_attempt_at=delivery.event.created_at)
    assert deliver_due() >= 1
    refresh("opensearch")
    assert skus(results(client, q="omega")) == ["M-3"]


def test_search_page_is_not_in_the_page_cache(client, indexed, settings):
    settings.MAGPIE_PAGE_CACHE_SECONDS = 300
    results(client, q="motor")
    results(client, q="motor")
    from magpie_search.models import SearchQuery

    assert SearchQuery.objects.count() == 2  # rendered (and logged) twice


def test_header_has_the_search_box(client, indexed):
    page = client.get("/de/katalog/").content.decode()
    box = re.search(r'<form class="site-search" role="search"[^>]*action="([^"]+)"', page)
    assert box and box.group(1) == SEARCH
    assert f'data-suggest-url="{SEARCH}suggest/"' in page
