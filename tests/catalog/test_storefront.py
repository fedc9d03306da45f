"""The catalog storefront: CatalogPage routes, listing filters and facets, product pages.

Data comes from the ``catalog`` fixture in ``conftest.py``: drives (motors M-1…M-3 and a
draft, gearbox G-1) and pumps (P-1), a public CHF price list and one warehouse.
"""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import translation

from magpie_catalog.filters import ProductFilter, get_product_filter_class, parse_number
from magpie_catalog.models import Product, ProductImage, ProductRelation

from .conftest import make_image, make_product, set_price

pytestmark = pytest.mark.django_db

DRIVES = "/de/katalog/antriebe/"
MOTORS = "/de/katalog/antriebe/motoren/"


@pytest.fixture(autouse=True)
def _no_page_cache(settings: Any) -> None:
    """Every request renders (the page cache has its own tests)."""
    settings.MAGPIE_PAGE_CACHE_SECONDS = 0


def html(client: Any, url: str, status: int = 200) -> str:
    response = client.get(url)
    assert response.status_code == status, url
    return response.content.decode()


def skus(page_html: str) -> list[str]:
    """The SKUs of the product cards, in order."""
    return re.findall(r'class="product-card__sku">[^<]* ([^<\s]+)</p>', page_html)


def facet_counts(page_html: str, facet: str) -> dict[str, int]:
    """``{option value: count}`` of one facet fieldset."""
    match = re.search(rf'data-facet="{re.escape(facet)}">(.*?)</fieldset>', page_html, re.S)
    if match is None:
        return {}
    return {
        value: int(count)
        for value, count in re.findall(
            r'value="([^"]+)"[^>]*>.*?data-count="(\d+)"', match.group(1), re.S
        )
    }


def json_ld(page_html: str) -> dict[str, Any]:
    match = re.search(r'<script type="application/ld\+json">(.*?)</script>', page_html, re.S)
    assert match, "no JSON-LD"
    return json.loads(match.group(1))


# -- index and routing -----------------------------------------------------------------------


def test_index_lists_top_categories_with_subcategories(client, catalog):
    page = html(client, "/de/katalog/")
    assert 'href="/de/katalog/antriebe/">Antriebe</a>' in page
    assert 'href="/de/katalog/antriebe/motoren/">Motoren</a>' in page
    assert 'href="/de/katalog/pumpen/">Pumpen</a>' in page


def test_both_languages_render_with_their_names(client, catalog):
    english = html(client, "/en/catalog/antriebe/motoren/")
    assert "<h1>Motors</h1>" in english
    assert "Motor Alpha (en)" in english
    assert 'lang="en"' in english
    assert re.search(r'hreflang="de" href="http://[^/"]+/de/katalog/antriebe/motoren/"', english)
    german = html(client, "/de/katalog/p/M-1/")
    assert "<h1>Motor Alpha</h1>" in german and "Kompakter Motor" in german
    product_en = html(client, "/en/catalog/p/M-1/")
    assert "<h1>Motor Alpha (en)</h1>" in product_en and "Compact motor" in product_en
    assert '<th scope="row">Material</th><td>Steel</td>' in product_en


def test_unknown_category_is_404_and_a_wrong_parent_redirects(client, catalog):
    html(client, "/de/katalog/gibt-es-nicht/", 404)
    response = client.get("/de/katalog/pumpen/motoren/?sort=sku")
    assert response.status_code == 301
    assert response["Location"] == "/de/katalog/antriebe/motoren/?sort=sku"
    response = client.get("/de/katalog/motoren/")
    assert response.status_code == 301 and response["Location"] == MOTORS


def test_root_category_limits_the_catalog(client, catalog):
    page = catalog.page
    page.root_category = catalog.drives
    page.save_revision().publish()
    index = html(client, "/de/katalog/")
    assert 'href="/de/katalog/motoren/">Motoren</a>' in index
    assert "Pumpen" not in index
    assert skus(html(client, "/de/katalog/motoren/?sort=sku")) == ["M-1", "M-2", "M-3"]
    html(client, "/de/katalog/pumpen/", 404)


# -- listing ---------------------------------------------------------------------------------


def test_listing_shows_active_products_of_the_category_and_its_descendants(client, catalog):
    page = html(client, DRIVES + "?sort=sku")
    assert skus(page) == ["G-1", "M-1", "M-2", "M-3"]  # not the draft, not the pump
    assert "4 Produkte" in page or "4 products" in page
    assert skus(html(client, MOTORS + "?sort=sku")) == ["M-1", "M-2", "M-3"]
    assert 'href="/de/katalog/antriebe/motoren/">Motoren</a>' in page  # subcategory link


def test_product_in_two_subcategories_is_listed_once(client, catalog):
    catalog.products["M-1"].categories.add(catalog.gears)
    assert skus(html(client, DRIVES + "?sort=sku")) == ["G-1", "M-1", "M-2", "M-3"]


def test_paging(client, catalog):
    page = catalog.page
    page.page_size = 2
    page.save_revision().publish()
    first = html(client, DRIVES + "?sort=sku")
    assert skus(first) == ["G-1", "M-1"]
    assert 'rel="next"' in first
    second = html(client, DRIVES + "?sort=sku&page=2")
    assert skus(second) == ["M-2", "M-3"]
    assert '<span aria-current="page">2</span>' in second
    assert skus(html(client, DRIVES + "?sort=sku&page=999999999999")) == ["M-2", "M-3"]


def test_sorting_by_price_puts_products_without_price_last(client, catalog):
    assert skus(html(client, DRIVES + "?sort=price")) == ["M-2", "M-1", "G-1", "M-3"]
    assert skus(html(client, DRIVES + "?sort=price-desc")) == ["G-1", "M-1", "M-2", "M-3"]


def test_sorting_by_name_newest_and_sku(client, catalog):
    assert skus(html(client, DRIVES)) == ["G-1", "M-1", "M-2", "M-3"]  # Getriebe < Motor …
    newest = make_product("A-0", "Zylinder", categories=[catalog.gears])
    assert skus(html(client, DRIVES + "?sort=newest"))[0] == newest.sku
    assert skus(html(client, DRIVES + "?sort=sku"))[0] == "A-0"
    assert skus(html(client, DRIVES + "?sort=name"))[-1] == "A-0"


def test_listing_shows_the_anonymous_price_from_the_everyone_list(client, catalog):
    page = html(client, MOTORS + "?sort=sku")
    assert "CHF\xa0120,00" in page and "CHF\xa080,00" in page
    assert "Preis auf Anfrage" in page or "Price on request" in page  # M-3 has no price


def test_choice_filter_and_counts(client, catalog):
    page = html(client, DRIVES + "?sort=sku")
    assert facet_counts(page, "material") == {"steel": 3, "alu": 1}
    filtered = html(client, DRIVES + "?sort=sku&f.material=alu")
    assert skus(filtered) == ["M-2"]
    # the facet's own selection does not narrow its counts: other options stay addable
    assert facet_counts(filtered, "material") == {"steel": 3, "alu": 1}
    assert facet_counts(filtered, "colors") == {"blue": 1}
    both = html(client, DRIVES + "?sort=sku&f.material=alu&f.material=steel")
    assert skus(both) == ["G-1", "M-1", "M-2", "M-3"]


def test_multi_choice_filter_and_counts(client, catalog):
    page = html(client, DRIVES + "?sort=sku")
    assert facet_counts(page, "colors") == {"red": 2, "blue": 2, "grey": 1}
    assert skus(html(client, DRIVES + "?sort=sku&f.colors=red")) == ["G-1", "M-1"]
    either = html(client, DRIVES + "?sort=sku&f.colors=red&f.colors=grey")
    assert skus(either) == ["G-1", "M-1", "M-3"]
    assert facet_counts(either, "material") == {"steel": 3}


def test_number_range_filter_and_bounds(client, catalog):
    page = html(client, DRIVES + "?sort=sku")
    facet = re.search(r'data-facet="power">(.*?)</fieldset>', page, re.S).group(1)
    assert 'placeholder="0.75"' in facet and 'placeholder="5.5"' in facet
    assert "(kW)" in facet
    assert skus(html(client, DRIVES + "?sort=sku&f.power.min=1&f.power.max=3")) == ["M-2"]
    assert skus(html(client, DRIVES + "?sort=sku&f.power.min=2,2")) == ["M-2", "M-3"]
    assert skus(html(client, DRIVES + "?sort=sku&f.power.max=0.75")) == ["M-1"]


def test_boolean_filter_and_counts(client, catalog):
    page = html(client, DRIVES + "?sort=sku")
    assert facet_counts(page, "atex") == {"1": 1, "0": 2}
    assert skus(html(client, DRIVES + "?sort=sku&f.atex=1")) == ["M-1"]
    assert skus(html(client, DRIVES + "?sort=sku&f.atex=0")) == ["M-2", "M-3"]


def test_brand_filter_and_counts(client, catalog):
    page = html(client, DRIVES + "?sort=sku")
    assert facet_counts(page, "brand") == {"acme": 2, "bolt": 2}
    filtered = html(client, DRIVES + "?sort=sku&brand=bolt&f.material=steel")
    assert skus(filtered) == ["G-1"]
    assert facet_counts(filtered, "brand") == {"acme": 2, "bolt": 1}


def test_in_stock_filter_and_count(client, catalog):
    page = html(client, DRIVES + "?sort=sku")
    assert facet_counts(page, "in_stock") == {"1": 1}  # M-2's units are all reserved
    assert skus(html(client, DRIVES + "?sort=sku&in_stock=1")) == ["M-1"]


def test_filters_combine(client, catalog):
    url = DRIVES + "?sort=sku&f.material=steel&f.colors=red&f.power.min=0.5&f.atex=1&brand=acme"
    assert skus(html(client, url)) == ["M-1"]


@pytest.mark.parametrize(
    "query",
    [
        "f.unknown=1",
        "f.material=titanium",
        "f.power.min=abc&f.power.max=NaN",
        "f.power.min=1e999&f.power.max=-inf",
        "f.atex=vielleicht",
        "f.note=x",  # a text attribute is not filterable
        "brand=nope&brand=",
        "in_stock=maybe",
        "sort=price;drop table&page=-3",
        "page=abc",
        "page=" + "9" * 5000,
        "sort=" + "x" * 5000,
        "f.colors=" + "&f.colors=".join(str(i) for i in range(200)),
        "%ff%fe=%00&f.power.min=%00",
        "f.material=steel&f.material=steel",
    ],
)
def test_bad_parameters_never_fail(client, catalog, query):
    page = html(client, f"{DRIVES}?{query}")
    assert len(skus(page)) >= 1


@pytest.mark.parametrize("query", ["f.material=titanium", "brand=nope", "f.power.min=x"])
def test_bad_parameters_are_ignored_not_half_applied(client, catalog, query):
    assert skus(html(client, f"{DRIVES}?sort=sku&{query}")) == ["G-1", "M-1", "M-2", "M-3"]


def test_parse_number_accepts_both_decimal_marks_and_rejects_junk():
    assert parse_number("2,5") == 2.5
    assert parse_number(" 3 ") == 3.0
    assert parse_number("1'000") == 1000.0
    for junk in ("", "abc", "nan", "inf", "1e999", "1" * 40, "--1"):
        assert parse_number(junk) is None


def test_filter_api_can_be_used_directly_and_swapped(catalog, settings):
    with translation.override("en"):
        engine = ProductFilter(catalog.drives, {"f.material": ["steel"], "sort": ["sku"]})
        assert [p.sku for p in engine.queryset()] == ["G-1", "M-1", "M-3"]
        facets = {f.code: f for f in engine.facets()}
        assert {o.value: o.count for o in facets["material"].options} == {"steel": 3, "alu": 1}
        assert facets["material"].label == "Material"
    assert get_product_filter_class() is ProductFilter
    settings.MAGPIE_CATALOG_PRODUCT_FILTER = "tests.catalog.test_storefront.SwappedFilter"
    assert get_product_filter_class() is SwappedFilter


class SwappedFilter(ProductFilter):
    """Stands for the search plugin's engine in the swap test."""


# -- product page ----------------------------------------------------------------------------


def test_product_page_shows_specs_in_attribute_set_order_with_units(client, catalog):
    page = html(client, "/de/katalog/p/M-1/")
    rows = re.findall(
        r'data-attribute="([^"]+)"><th scope="row">([^<]+)</th><td>([^<]+)</td>', page
    )
    assert rows == [
        ("power", "Leistung", "0,75 kW"),
        ("material", "Werkstoff", "Stahl"),
        ("colors", "Farben", "Rot, Blau"),
        ("atex", "ATEX", "Ja"),
    ]
    assert "<p>Ein <b>langer</b> Text</p>" in page  # long description, rich text
    assert "Kompakter Motor" in page


def test_product_page_variants_documents_related_and_images(client, catalog):
    page = html(client, "/de/katalog/p/M-1/")
    assert '<option value="M-1-S">Werkstoff: Stahl (M-1-S)</option>' in page
    assert '<option value="M-1-A">Werkstoff: Aluminium, size: L (M-1-A)</option>' in page
    assert re.search(r'href="/documents/\d+/datenblatt-m-1.pdf" download>Datenblatt M-1</a>', page)
    accessory = re.search(r'related--accessory".*?</section>', page, re.S).group(0)
    assert 'href="/de/katalog/p/G-1/"' in accessory
    alternative = re.search(r'related--alternative".*?</section>', page, re.S).group(0)
    assert 'href="/de/katalog/p/M-2/"' in alternative
    assert "M-DRAFT" not in page  # a related draft is not shown
    assert page.count('src="/media/images/motor-alpha-') == 2
    assert 'class="breadcrumb"' in page and 'href="/de/katalog/antriebe/motoren/"' in page


def test_product_page_price_tiers_and_availability(client, catalog):
    page = html(client, "/de/katalog/p/M-1/")
    price = re.search(r'class="product-price">(.*?)</p>', page, re.S).group(1)
    assert "CHF\xa0120,00" in price
    assert "exkl. MwSt." in price
    tiers = re.findall(r"<tr><td>(\d+)</td><td>CHF&nbsp;([\d,]+)</td></tr>", page)
    assert tiers == [("1", "120,00"), ("10", "110,00"), ("50", "99,50")]
    assert "availability--in_stock" in page
    backorder = html(client, "/de/katalog/p/M-2/")
    assert "availability--backorder" in backorder
    assert "14" in re.search(r"availability--backorder\">([^<]*)<", backorder).group(1)


def test_json_ld_describes_the_product_and_its_offer(client, catalog):
    data = json_ld(html(client, "/de/katalog/p/M-1/"))
    assert data["@type"] == "Product"
    assert (data["name"], data["sku"]) == ("Motor Alpha", "M-1")
    assert data["brand"] == {"@type": "Brand", "name": "Acme"}
    assert data["description"] == "Kompakter Motor"
    assert len(data["image"]) == 2 and data["image"][0].startswith("http://testserver/media/")
    offer = data["offers"]
    assert offer["price"] == "120.00" and offer["priceCurrency"] == "CHF"
    assert offer["availability"] == "https://schema.org/InStock"
    assert offer["url"] == "http://testserver/de/katalog/p/M-1/"
    out = json_ld(html(client, "/de/katalog/p/M-2/"))
    assert out["offers"]["availability"] == "https://schema.org/BackOrder"
    assert "offers" not in json_ld(html(client, "/de/katalog/p/M-3/"))  # no price: no offer


def test_json_ld_is_safe_inside_html(client, catalog):
    product = catalog.products["M-3"]
    product.short_description_de = "</script><script>alert(1)</script>"
    product.save()
    page = html(client, "/de/katalog/p/M-3/")
    assert "<script>alert(1)" not in page
    assert json_ld(page)["description"] == "</script><script>alert(1)</script>"


@pytest.mark.parametrize("sku", ["M-DRAFT", "NOPE", "M-1%2F..", "x" * 65])
def test_inactive_and_unknown_products_are_404(client, catalog, sku):
    html(client, f"/de/katalog/p/{sku}/", 404)


def test_discontinued_product_is_404(client, catalog):
    Product.objects.filter(sku="M-3").update(status=Product.Status.DISCONTINUED)
    html(client, "/de/katalog/p/M-3/", 404)


def test_product_actions_slot_gets_the_product_and_its_variants(client, catalog):
    from django.utils.html import format_html

    from magpie.hookspecs import hookimpl
    from magpie.plugins import get_host

    class CartButton:
        @hookimpl
        def render_slot(self, slot, request, context):
            if slot != "product_actions":
                return None
            variants = ",".join(v.sku for v in context["variants"])
            return format_html(
                '<button data-cart="{}" data-variants="{}">Add</button>',
                context["product"].sku,
                variants,
            )

    host = get_host()
    host.pm.register(CartButton(), name="cart_button_test")
    try:
        page = html(client, "/de/katalog/p/M-1/")
    finally:
        host.pm.unregister(name="cart_button_test")
    assert '<button data-cart="M-1" data-variants="M-1-S,M-1-A">Add</button>' in page


def test_a_failing_plugin_does_not_break_catalog_pages(client, catalog):
    # The ``failing`` test plugin raises in render_slot and page_context on every page.
    from magpie.plugins import get_host

    assert get_host().plugins["failing"].loaded
    for url in ("/de/katalog/", DRIVES, "/de/katalog/p/M-1/"):
        html(client, url)


def test_catalog_pages_are_served_from_the_page_cache_for_anonymous_visitors(
    client, catalog, settings
):
    settings.MAGPIE_PAGE_CACHE_SECONDS = 600
    assert client.get("/de/katalog/p/M-1/")["X-Magpie-Cache"] == "miss"
    assert client.get("/de/katalog/p/M-1/")["X-Magpie-Cache"] == "hit"
    set_price(catalog.price_list, catalog.products["M-3"], "42.00")  # invalidates
    assert "CHF\xa042,00" in html(client, "/de/katalog/p/M-3/")


# -- cached aggregates -----------------------------------------------------------------------


def _aggregate_queries(client: Any, url: str) -> list[str]:
    """The COUNT / GROUP BY queries one listing request runs (the cacheable aggregates)."""
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url).status_code == 200
    return [q["sql"] for q in queries if "COUNT(" in q["sql"].upper() or "MIN(" in q["sql"]]


def test_counts_and_facets_are_cached_across_pages_and_sorts(client, catalog):
    assert _aggregate_queries(client, DRIVES + "?f.material=steel")  # computed once
    for query in ("?f.material=steel&sort=sku", "?page=2&f.material=steel", "?f.material=steel"):
        assert _aggregate_queries(client, DRIVES + query) == [], query
    # another selection is another entry
    assert _aggregate_queries(client, DRIVES + "?f.material=alu")


def test_a_product_change_shows_at_once_in_counts_and_facets(client, catalog):
    page = html(client, DRIVES + "?sort=sku")
    assert facet_counts(page, "material") == {"steel": 3, "alu": 1}
    m3 = catalog.products["M-3"]
    m3.status = "draft"
    m3.save()
    page = html(client, DRIVES + "?sort=sku")
    assert skus(page) == ["G-1", "M-1", "M-2"]
    assert "3 Produkte" in page or "3 products" in page
    assert facet_counts(page, "material") == {"steel": 2, "alu": 1}
    m2 = catalog.products["M-2"]
    m2.attributes = {**m2.attributes, "material": "steel"}
    m2.save()
    assert facet_counts(html(client, DRIVES + "?sort=sku"), "material") == {"steel": 3}
    assert skus(html(client, DRIVES + "?sort=sku&f.material=steel")) == ["G-1", "M-1", "M-2"]


def test_price_and_stock_changes_show_at_once(client, catalog):
    assert skus(html(client, DRIVES + "?sort=price")) == ["M-2", "M-1", "G-1", "M-3"]
    assert facet_counts(html(client, DRIVES), "in_stock") == {"1": 1}
    set_price(catalog.price_list, catalog.products["M-3"], "1.00")  # M-3 gets a price
    assert skus(html(client, DRIVES + "?sort=price")) == ["M-3", "M-2", "M-1", "G-1"]
    assert skus(html(client, DRIVES + "?sort=price-desc")) == ["G-1", "M-1", "M-2", "M-3"]
    stock = catalog.products["M-2"].stock.get()
    stock.reserved = 0
    stock.save()
    assert facet_counts(html(client, DRIVES), "in_stock") == {"1": 2}
    assert skus(html(client, DRIVES + "?sort=sku&in_stock=1")) == ["M-1", "M-2"]


def test_price_sort_pages_across_products_with_and_without_a_price(client, catalog):
    page = catalog.page
    page.page_size = 3
    page.save_revision().publish()
    assert skus(html(client, DRIVES + "?sort=price")) == ["M-2", "M-1", "G-1"]
    assert skus(html(client, DRIVES + "?sort=price&page=2")) == ["M-3"]
    page.page_size = 1
    page.save_revision().publish()
    assert skus(html(client, DRIVES + "?sort=price-desc&page=3")) == ["M-2"]
    assert skus(html(client, DRIVES + "?sort=price-desc&page=4")) == ["M-3"]


def test_listing_cache_can_be_switched_off(client, catalog, settings):
    settings.MAGPIE_CATALOG_LISTING_CACHE_SECONDS = 0
    html(client, DRIVES)
    assert _aggregate_queries(client, DRIVES)


# -- queries ---------------------------------------------------------------------------------

#: Most queries one warm listing request may take (page chrome ~13, listing ~14) and one
#: warm product page request (page chrome ~13, product ~12).
LISTING_BOUND = 30
PRODUCT_BOUND = 30


def _count(client: Any, url: str) -> int:
    assert client.get(url).status_code == 200  # warm site root paths, renditions, state
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url).status_code == 200
    return len(queries)


def _more_products(catalog: Any, n: int) -> None:
    for i in range(n):
        product = make_product(
            f"X-{i:03}",
            f"Extra {i}",
            categories=[catalog.motors],
            brand=catalog.brands["acme"],
            attributes={"power": i, "material": "steel", "colors": ["red", "grey"]},
        )
        set_price(catalog.price_list, product, f"{10 + i}.00")
        ProductImage.objects.create(product=product, image=make_image(f"Extra {i}"))


@pytest.mark.parametrize(
    "query", ["?sort=name", "?sort=price&f.material=steel&f.colors=red&f.power.min=0.5&brand=acme"]
)
def test_listing_query_count_is_bounded_and_does_not_grow_with_products(client, catalog, query):
    small = _count(client, DRIVES + query)
    _more_products(catalog, 12)
    large = _count(client, DRIVES + query)
    assert large == small
    assert large <= LISTING_BOUND


def test_product_page_query_count_is_bounded_and_does_not_grow_with_content(client, catalog):
    url = "/de/katalog/p/M-1/"
    ProductImage.objects.create(product=catalog.products["G-1"], image=make_image("Gear"))
    small = _count(client, url)
    m1 = catalog.products["M-1"]
    for i in range(4):
        related = make_product(f"R-{i}", f"Zubehör {i}", categories=[catalog.motors])
        ProductImage.objects.create(product=related, image=make_image(f"Related {i}"))
        ProductRelation.objects.create(product=m1, related=related, kind="accessory")
        ProductImage.objects.create(product=m1, image=make_image(f"More {i}"), position=5 + i)
    large = _count(client, url)
    assert large == small
    assert large <= PRODUCT_BOUND


@pytest.mark.parametrize("sku", ["GM-0.75-4P-B3", "A/B 12", "X_1", "Ä-1", "FU-1.5_2e"])
def test_any_sku_round_trips_through_its_url_segment(sku):
    from magpie_catalog.pages import sku_from_url, sku_to_url

    segment = sku_to_url(sku)
    assert re.fullmatch(r"[\w-]+", segment, re.ASCII)
    assert sku_from_url(segment) == sku


def test_malformed_sku_segment_is_a_404(client):
    html(client, "/de/katalog/p/M_zz/", 404)


def test_product_with_a_dot_in_its_sku_has_a_working_page(client, catalog):
    from tests.catalog.conftest import make_product

    make_product("GM-0.75-4P", "Getriebemotor 0,75 kW", status="active")
    page = html(client, "/de/katalog/p/GM-0_2e75-4P/")
    assert "Getriebemotor 0,75 kW" in page
