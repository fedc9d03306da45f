"""What search engines and visitors switching language or company see of the catalog:
the products and categories in the sitemap index, language links that stay on the same
category or product, and company prices through the host's ``visitor_company`` hook."""

from __future__ import annotations

import re
from typing import Any

import pytest

from tests.host.test_pages import sitemap_locations

from .conftest import make_price_list, set_price

pytestmark = pytest.mark.django_db


def test_sitemap_lists_active_products_and_categories_in_both_languages(client, catalog):
    locations = sitemap_locations(client)
    for base in ("http://localhost/de/katalog/", "http://localhost/en/catalog/"):
        assert base in locations  # the catalog page itself, from the pages section
        for sku in ("M-1", "M-2", "M-3", "G-1", "P-1"):
            assert f"{base}p/{sku}/" in locations
        assert f"{base}p/M-DRAFT/" not in locations
        for path in ("antriebe/", "antriebe/motoren/", "antriebe/getriebe/", "pumpen/"):
            assert f"{base}{path}" in locations


def test_product_sitemap_pages_by_the_limit_and_has_lastmod(client, catalog, monkeypatch):
    from magpie_catalog.sitemaps import ProductSitemap

    monkeypatch.setattr(ProductSitemap, "limit", 2)
    index = client.get("/sitemap.xml").content.decode()
    assert "http://testserver/sitemap-products-de.xml?p=3" in index  # 5 products, 2 a file
    assert "sitemap-products-de.xml?p=4" not in index
    page_two = client.get("/sitemap-products-de.xml?p=2").content.decode()
    assert len(re.findall(r"<loc>http://localhost/de/katalog/p/", page_two)) == 2
    assert "<lastmod>" in page_two


def test_a_catalog_limited_to_a_root_category_lists_only_its_subtree(client, catalog):
    catalog.page.root_category = catalog.drives
    catalog.page.save_revision().publish()
    locations = sitemap_locations(client, "/sitemap-products-de.xml")
    assert {url.rsplit("/p/", 1)[1] for url in locations} == {"M-1/", "M-2/", "M-3/", "G-1/"}
    categories = sitemap_locations(client, "/sitemap-catalog-de.xml")
    assert categories == {
        "http://localhost/de/katalog/motoren/",
        "http://localhost/de/katalog/getriebe/",
    }


def test_sitemap_leaves_out_the_catalog_where_the_plugin_is_off(
    client, catalog, magpie_plugin_state
):
    magpie_plugin_state("catalog", False)
    index = client.get("/sitemap.xml").content.decode()
    assert "sitemap-pages.xml" in index and "sitemap-products" not in index


@pytest.mark.parametrize(
    ("url", "other"),
    [
        ("/de/katalog/antriebe/motoren/", "/en/catalog/antriebe/motoren/"),
        ("/en/catalog/p/M-1/", "/de/katalog/p/M-1/"),
    ],
)
def test_language_switcher_stays_on_the_same_category_or_product(client, catalog, url, other):
    page = client.get(url).content.decode()
    switcher = re.search(r'<nav class="language-switcher".*?</nav>', page, re.S)
    assert switcher, "no language switcher"
    assert f'href="http://localhost{other}"' in switcher.group(0)
    assert re.search(rf'rel="alternate" hreflang="\w\w" href="http://localhost{other}"', page)


def test_company_prices_come_from_the_visitor_company_hook_and_stay_out_of_the_cache(
    client, catalog, settings: Any
):
    from magpie.people.models import Company

    settings.MAGPIE_PAGE_CACHE_SECONDS = 300
    acme = Company.objects.create(name="Acme AG", currency="CHF")
    contract = make_price_list("acme-chf", scope="company", company=acme, priority=10)
    set_price(contract, catalog.products["M-1"], "95.00")

    company_page = client.get("/de/katalog/p/M-1/", headers={"X-Test-Company": "Acme AG"})
    assert "95.00" in company_page.content.decode()
    public_page = client.get("/de/katalog/p/M-1/").content.decode()
    assert "120.00" in public_page and "95.00" not in public_page
