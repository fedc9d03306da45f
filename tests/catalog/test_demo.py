"""The catalog's demo data: shape, idempotence, prices through the price hook, stock."""

from __future__ import annotations

import io
from collections import Counter
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from django.core.cache import cache
from django.core.management import call_command
from django.db import connection
from wagtail.documents import get_document_model
from wagtail.images import get_image_model

from magpie.people.models import Company, CustomerGroup
from magpie.pricing import get_price
from magpie_catalog import demo
from magpie_catalog.attributes import clean_values, load_definitions
from magpie_catalog.models import (
    Attribute,
    Category,
    CategoryAttribute,
    PriceEntry,
    PriceList,
    Product,
    ProductDocument,
    ProductImage,
    ProductRelation,
    StockLevel,
    Variant,
    Warehouse,
)

pytestmark = pytest.mark.django_db

RESELLER = "Industriebedarf Oberland AG"
OEM = "Schwarzwald Fördertechnik GmbH"
PROJECT_CUSTOMER = "Baumann Verpackungsmaschinen AG"


@pytest.fixture
def media(settings: Any, tmp_path: Path) -> Path:
    """A fresh MEDIA_ROOT: generated images and datasheets land here."""
    settings.MEDIA_ROOT = str(tmp_path / "media")
    return tmp_path / "media"


@pytest.fixture
def catalog(media: Path) -> Iterator[demo.Report]:
    """The demo catalog, loaded once in the test's transaction."""
    yield demo.load_demo(io.StringIO())
    cache.clear()


def snapshot() -> dict[str, Any]:
    """Every row the catalog demo writes, in a comparable form."""
    return {
        "products": sorted(
            Product.objects.values_list(
                "pk", "sku", "name_de", "status", "attributes", "updated_at", "completeness_de"
            )
        ),
        "categories": sorted(Category.objects.values_list("pk", "path", "slug", "numchild")),
        "attribute_sets": CategoryAttribute.objects.count(),
        "attributes": sorted(Attribute.objects.values_list("pk", "code")),
        "variants": sorted(Variant.objects.values_list("pk", "sku", "product_id")),
        "images": sorted(get_image_model().objects.values_list("pk", "title", "file")),
        "documents": sorted(get_document_model().objects.values_list("pk", "title", "file")),
        "product_images": ProductImage.objects.count(),
        "product_documents": ProductDocument.objects.count(),
        "relations": ProductRelation.objects.count(),
        "price_lists": sorted(PriceList.objects.values_list("pk", "code")),
        "prices": sorted(
            PriceEntry.objects.values_list(
                "pk", "price_list_id", "product_id", "variant_id", "min_quantity", "amount"
            )
        ),
        "stock": sorted(
            StockLevel.objects.values_list(
                "pk", "warehouse_id", "product_id", "variant_id", "on_hand", "reserved"
            )
        ),
        "warehouses": Warehouse.objects.count(),
        "groups": sorted(CustomerGroup.objects.values_list("pk", "code")),
        "companies": sorted(Company.objects.values_list("pk", "name")),
    }


def test_second_run_changes_and_duplicates_nothing(media: Path) -> None:
    first = demo.load_demo(io.StringIO())
    assert first.created["products"] >= 190
    before = snapshot()
    output = io.StringIO()
    second = demo.load_demo(output)
    assert second.total == 0, second.created
    assert "nothing to do" in output.getvalue()
    assert snapshot() == before


def test_a_deleted_product_comes_back_with_its_parts_and_nothing_else_changes(
    catalog: demo.Report,
) -> None:
    Product.objects.filter(sku="RKL-6204").delete()
    others = Counter(
        PriceEntry.objects.exclude(product__sku="RKL-6204").values_list(
            "price_list__code", flat=True
        )
    )
    report = demo.load_demo(io.StringIO())
    product = Product.objects.get(sku="RKL-6204")
    assert report.created["products"] == 1
    assert sorted(product.variants.values_list("sku", flat=True)) == [
        "RKL-6204-2RS",
        "RKL-6204-ZZ",
    ]
    assert product.images.count() == 1
    assert product.prices.filter(price_list__code="listenpreise-chf").exists()
    assert (
        Counter(
            PriceEntry.objects.exclude(product=product).values_list("price_list__code", flat=True)
        )
        == others
    )


def test_a_failing_load_writes_nothing(media: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def explode(self: demo.CatalogDemoLoader) -> None:
        raise RuntimeError("disk full")

    monkeypatch.setattr(demo.CatalogDemoLoader, "ensure_stock", explode)
    with pytest.raises(RuntimeError, match="disk full"):
        demo.load_demo(io.StringIO())
    assert not Product.objects.exists()
    assert not Category.objects.exists()
    assert not PriceList.objects.exists()


def test_about_200_products_in_six_leaf_categories(catalog: demo.Report) -> None:
    assert 190 <= Product.objects.count() <= 210
    leaves = Category.objects.filter(numchild=0)
    assert leaves.count() == 6
    assert Category.objects.filter(depth=1).count() == 3
    assert all(leaf.get_parent() is not None for leaf in leaves)
    per_leaf = Counter(Product.categories.through.objects.values_list("category_id", flat=True))
    assert set(per_leaf) == {leaf.pk for leaf in leaves}
    assert min(per_leaf.values()) >= 20
    assert all(p.categories.count() == 1 for p in Product.objects.prefetch_related("categories"))
    statuses = Counter(Product.objects.values_list("status", flat=True))
    assert statuses["active"] >= 180
    assert statuses["draft"] >= 1 and statuses["discontinued"] >= 1
    assert Product.objects.filter(sku="GM-0.75-4P-B3", name_en__startswith="Helical").exists()


def test_attributes_are_typed_and_every_value_is_valid(catalog: demo.Report) -> None:
    assert 15 <= Attribute.objects.count() <= 25
    assert set(Attribute.objects.values_list("type", flat=True)) == {
        "text",
        "number",
        "boolean",
        "choice",
        "multi_choice",
        "date",
    }
    assert CategoryAttribute.objects.filter(required=True).count() >= 12
    definitions = load_definitions()
    for product in Product.objects.all():
        values, problems = clean_values(product.attributes, definitions)
        assert problems == {}, (product.sku, problems)
        assert values == product.attributes, product.sku
    # Active products carry every attribute their category requires.
    required: dict[int, set[str]] = {}
    for category_id, code in CategoryAttribute.objects.filter(required=True).values_list(
        "category_id", "attribute__code"
    ):
        required.setdefault(category_id, set()).add(code)
    for product in Product.objects.filter(status="active").prefetch_related("categories"):
        for category in product.categories.all():
            assert required[category.pk] <= set(product.attributes), product.sku


def test_variants_images_datasheets_and_relations(catalog: demo.Report) -> None:
    variants = Variant.objects.filter(product__sku="RKL-6204")
    assert {v.sku: v.options for v in variants} == {
        "RKL-6204-2RS": {"seal_type": "2rs"},
        "RKL-6204-ZZ": {"seal_type": "zz"},
    }
    # A handful of images shared by all products, not one file per product.
    assert get_image_model().objects.filter(title__startswith="Katalog:").count() == 6
    assert ProductImage.objects.count() >= 190
    datasheet = ProductDocument.objects.get(product__sku="GM-0.75-4P-B3")
    with datasheet.document.file.open("rb") as handle:
        pdf = handle.read()
    assert pdf.startswith(b"%PDF-1.4") and b"GM-0.75-4P-B3" in pdf
    kinds = Counter(ProductRelation.objects.values_list("kind", flat=True))
    assert set(kinds) == {"accessory", "spare_part", "alternative"}
    motor = Product.objects.get(sku="GM-0.75-4P-B3")
    related = {(r.kind, r.related.sku) for r in motor.relations.select_related("related")}
    assert ("accessory", "FU-0.75-400-IP20") in related


def test_every_active_product_is_priced_in_chf_and_eur(catalog: demo.Report) -> None:
    for code, currency in (("listenpreise-chf", "CHF"), ("list-prices-eur", "EUR")):
        price_list = PriceList.objects.get(code=code)
        assert (price_list.currency, price_list.scope, price_list.includes_tax) == (
            currency,
            "everyone",
            False,
        )
        priced = set(
            price_list.entries.filter(variant__isnull=True).values_list("product_id", flat=True)
        )
        active = set(Product.objects.filter(status="active").values_list("pk", flat=True))
        assert active <= priced
    assert not PriceEntry.objects.filter(amount__lte=0).exists()


def test_anonymous_visitor_gets_the_chf_list_price(catalog: demo.Report) -> None:
    product = Product.objects.get(sku="GM-0.75-4P-B3")
    entry = PriceEntry.objects.get(
        price_list__code="listenpreise-chf", product=product, variant__isnull=True
    )
    price = get_price(product)
    assert price is not None
    assert (price.currency, price.price_list, price.includes_tax) == (
        "CHF",
        "listenpreise-chf",
        False,
    )
    assert price.amount == entry.amount
    eur = get_price(product, currency="EUR")
    assert eur is not None and (eur.currency, eur.price_list) == ("EUR", "list-prices-eur")


def test_a_variant_has_its_own_price(catalog: demo.Report) -> None:
    product = Product.objects.get(sku="RKL-6204")
    sealed = Variant.objects.get(sku="RKL-6204-2RS")
    open_price = get_price(product)
    sealed_price = get_price(product, variant=sealed)
    assert open_price is not None and sealed_price is not None
    assert sealed_price.amount > open_price.amount


def test_reseller_gets_the_group_tier_for_the_quantity(catalog: demo.Report) -> None:
    reseller = Company.objects.get(name=RESELLER)
    assert list(reseller.groups.values_list("code", flat=True)) == ["haendler"]
    product = Product.objects.get(sku="GM-0.75-4P-B3")
    tiers = dict(
        PriceEntry.objects.filter(
            price_list__code="haendler-chf", product=product, variant__isnull=True
        ).values_list("min_quantity", "amount")
    )
    assert sorted(tiers) == [1, 10, 50]
    price = get_price(product, 50, company=reseller)
    assert price is not None
    assert (price.price_list, price.min_quantity, price.currency) == ("haendler-chf", 50, "CHF")
    assert price.amount == tiers[50]
    assert tiers[50] < tiers[10] < tiers[1] < get_price(product).amount
    assert get_price(product, 49, company=reseller).amount == tiers[10]


def test_oem_partner_and_company_lists(catalog: demo.Report) -> None:
    oem = Company.objects.get(name=OEM)
    motor = Product.objects.get(sku="GM-0.75-4P-B3")
    price = get_price(motor, 100, company=oem)
    assert price is not None
    assert (price.currency, price.price_list, price.min_quantity) == ("EUR", "oem-partner-eur", 100)
    project = Company.objects.get(name=PROJECT_CUSTOMER)
    rail = Product.objects.get(sku="PSF-R25-2000")
    special = get_price(rail, company=project)
    assert special is not None and special.price_list == "baumann-projekt-chf"
    assert special.amount < get_price(rail).amount
    # The company list covers linear motion only; other products fall back to list prices.
    assert get_price(motor, company=project).price_list == "listenpreise-chf"


def test_stock_levels_are_consistent_and_availability_varies(catalog: demo.Report) -> None:
    assert set(Warehouse.objects.values_list("code", flat=True)) == {"thun", "basel"}
    levels = list(StockLevel.objects.all())
    assert len(levels) >= 200
    assert all(0 <= level.reserved <= level.on_hand for level in levels)
    available = [level.available for level in levels]
    assert any(a == 0 for a in available) and any(a > 0 for a in available)
    # Products with variants keep stock per variant only.
    assert not StockLevel.objects.filter(
        product__variants__isnull=False, variant__isnull=True
    ).exists()


def test_completeness_is_scored_when_the_module_exists(catalog: demo.Report) -> None:
    pytest.importorskip("magpie_catalog.completeness")
    active = Product.objects.filter(status="active")
    assert active.filter(completeness_de=100, completeness_en=100).count() == active.count()
    drafts = Product.objects.filter(status="draft")
    assert drafts.exists() and all(p.completeness_en < 100 for p in drafts)


def test_full_demo_command_adds_a_catalog_page_and_stays_idempotent(media: Path) -> None:
    call_command("load_demo", stdout=io.StringIO())
    first = snapshot()
    out = io.StringIO()
    call_command("load_demo", stdout=out)
    assert "nothing to do, the demo catalog is in place" in out.getvalue()
    assert snapshot() == first
    try:
        from magpie_catalog.pages import CatalogPage
    except ImportError:
        pytest.skip("magpie_catalog.pages.CatalogPage does not exist")
    if CatalogPage._meta.db_table not in connection.introspection.table_names():
        pytest.skip("CatalogPage has no migration yet")
    pages = {p.locale.language_code: p for p in CatalogPage.objects.select_related("locale")}
    assert set(pages) == {"de", "en"}
    assert pages["de"].get_parent().specific.locale.language_code == "de"
    assert pages["de"].live and pages["de"].slug == "katalog"
    assert CatalogPage.objects.count() == 2
    cache.clear()


def test_progress_is_printed(media: Path) -> None:
    out = io.StringIO()
    demo.load_demo(out)
    text = out.getvalue()
    assert "Catalog demo data: Alpenwerk Antriebstechnik AG" in text
    assert "products: " in text and "prices: " in text
    assert Decimal(0) < PriceEntry.objects.order_by("amount").first().amount


def test_summary_events_announce_the_bulk_written_rows_once(media: Path) -> None:
    from magpie.events.models import Event

    demo.load_demo(io.StringIO())
    events = {e.type: e.payload for e in Event.objects.filter(payload__source="demo")}
    assert set(events) == {"product.changed", "price.changed", "stock.changed"}
    assert events["product.changed"]["total"] == Product.objects.count()
    assert "RKL-6204" in events["product.changed"]["skus"]
    assert set(events["price.changed"]["price_lists"]) == set(
        PriceList.objects.values_list("code", flat=True)
    )
    count = Event.objects.count()
    demo.load_demo(io.StringIO())
    assert Event.objects.count() == count
