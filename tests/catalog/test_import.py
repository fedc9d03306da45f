"""Catalog import and export: CSV and XLSX, all rows or none, every error with its place."""

from __future__ import annotations

import csv
import io
from decimal import Decimal
from typing import Any

import pytest
import tablib
from django.contrib.auth.models import Group
from django.core.management import CommandError, call_command
from django.urls import include, path, reverse
from django.utils import translation

from magpie import pagecache
from magpie.events.models import Event
from magpie_catalog import importing
from magpie_catalog.exporting import export_path, write_csv, write_xlsx
from magpie_catalog.import_views import import_urls
from magpie_catalog.importing import (
    FileProblem,
    import_book,
    import_file,
    import_rows,
    read_file,
)
from magpie_catalog.models import (
    Attribute,
    AttributeOption,
    Brand,
    Category,
    CategoryAttribute,
    PriceEntry,
    PriceList,
    Product,
    StockLevel,
    Variant,
    Warehouse,
)

pytestmark = pytest.mark.django_db

# The import screens under /admin/ in front of the project's own URLs, so the tests do not
# depend on how wagtail_hooks registers them.
urlpatterns = [path("admin/", include(import_urls()))]


def _project_urls() -> list[Any]:
    from magpie.urls import urlpatterns as project

    return project


@pytest.fixture
def import_urlconf(settings: Any) -> None:
    global urlpatterns
    urlpatterns = [path("admin/", include(import_urls())), *_project_urls()]
    settings.ROOT_URLCONF = __name__
    from django.urls import clear_url_caches

    clear_url_caches()
    yield
    clear_url_caches()


@pytest.fixture
def english() -> Any:
    """Messages in English (the test settings' language is German)."""
    with translation.override("en"):
        yield


# --------------------------------------------------------------------------- helpers

PRODUCT_HEADER = [
    "sku",
    "name_de",
    "name_en",
    "short_description_de",
    "description_de",
    "brand",
    "status",
    "categories",
    "weight_kg",
    "lead_time_days",
    "attr:power",
    "attr:material",
    "attr:colors",
    "attr:atex",
]


def csv_bytes(rows: list[list[Any]], delimiter: str = ",") -> bytes:
    """Rows (the first is the header) as UTF-8 CSV bytes."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=delimiter)
    for row in rows:
        writer.writerow(row)
    return buffer.getvalue().encode("utf-8")


def xlsx_bytes(sheets: dict[str, list[list[Any]]]) -> bytes:
    """A workbook with one sheet per entry (the first row of each is the header)."""
    from openpyxl import Workbook

    book = Workbook()
    book.remove(book.active)
    for title, rows in sheets.items():
        sheet = book.create_sheet(title)
        for row in rows:
            sheet.append(row)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def run(kind: str, rows: list[list[Any]], dry_run: bool = False) -> importing.ImportReport:
    """Import CSV rows of one kind."""
    datasets = read_file(csv_bytes(rows), f"{kind}.csv", kind)
    return import_rows(kind, datasets[kind], dry_run=dry_run)


def where(report: importing.ImportReport) -> list[tuple[int | None, str]]:
    """(row, column) of every error."""
    return [(e.row, e.column) for e in report.errors]


def counts(report: importing.ImportReport, kind: str) -> tuple[int, int, int]:
    c = report.counts[kind]
    return (c.created, c.updated, c.unchanged)


def product_row(sku: str, **values: Any) -> list[Any]:
    defaults = {
        "name_de": f"Motor {sku}",
        "name_en": f"Motor {sku} (en)",
        "short_description_de": "Kompakt",
        "description_de": "<p>Lang</p>",
        "brand": "Acme",
        "status": "active",
        "categories": "motoren",
        "weight_kg": "12.5",
        "lead_time_days": "10",
        "attr:power": "0.75",
        "attr:material": "steel",
        "attr:colors": "red|blue",
        "attr:atex": "yes",
    }
    defaults.update({k.replace("attr_", "attr:"): v for k, v in values.items()})
    return [sku, *(defaults[column] for column in PRODUCT_HEADER[1:])]


@pytest.fixture
def base(db: None) -> dict[str, Any]:
    """Categories, attributes (one required), a brand, two price lists and a warehouse."""
    motors = Category.add_root(slug="motoren", name_de="Motoren", name_en="Motors")
    pumps = Category.add_root(slug="pumpen", name_de="Pumpen", name_en="Pumps")
    power = Attribute.objects.create(
        code="power", label_de="Leistung", type="number", unit="kW", min_value=0, max_value=100
    )
    material = Attribute.objects.create(code="material", label_de="Werkstoff", type="choice")
    colors = Attribute.objects.create(code="colors", label_de="Farben", type="multi_choice")
    Attribute.objects.create(code="atex", label_de="ATEX", type="boolean")
    for attribute, options in ((material, ("steel", "alu")), (colors, ("red", "blue", "grey"))):
        for position, code in enumerate(options):
            AttributeOption.objects.create(
                attribute=attribute, code=code, label_de=code.title(), position=position
            )
    CategoryAttribute.objects.create(category=motors, attribute=power, required=True)
    Brand.objects.create(name="Acme", slug="acme")
    chf = PriceList.objects.create(code="public-chf", name="Public CHF", currency="CHF")
    eur = PriceList.objects.create(code="public-eur", name="Public EUR", currency="EUR")
    main = Warehouse.objects.create(code="main", name="Main")
    return {"motors": motors, "pumps": pumps, "chf": chf, "eur": eur, "main": main}


@pytest.fixture
def products(base: dict[str, Any]) -> dict[str, Any]:
    """Two imported products, one with a variant, with prices and stock."""
    report = run("products", [PRODUCT_HEADER, product_row("M-1"), product_row("M-2")])
    assert report.written, report.errors
    m1 = Product.objects.get(sku="M-1")
    Variant.objects.create(product=m1, sku="M-1-L", options={"size": "L"})
    PriceEntry.objects.create(price_list=base["chf"], product=m1, amount=Decimal("120"))
    StockLevel.objects.create(warehouse=base["main"], product=m1, on_hand=5, reserved=1)
    return base


# --------------------------------------------------------------------------- each kind


def test_products_import_creates_with_attributes_categories_and_brand(base):
    report = run(
        "products",
        [
            PRODUCT_HEADER,
            product_row("M-1"),
            product_row("P-1", brand="Bolt", categories="pumpen|motoren", attr_colors="grey"),
        ],
    )
    assert report.errors == []
    assert counts(report, "products") == (2, 0, 0)
    m1 = Product.objects.get(sku="M-1")
    assert m1.name_de == "Motor M-1"
    assert m1.description_de == "<p>Lang</p>"
    assert m1.weight_kg == Decimal("12.5")
    assert m1.lead_time_days == 10
    assert m1.status == "active"
    assert m1.brand.name == "Acme"
    assert m1.attributes == {
        "power": 0.75,
        "material": "steel",
        "colors": ["blue", "red"],
        "atex": True,
    }
    p1 = Product.objects.get(sku="P-1")
    assert p1.brand.name == "Bolt" and p1.brand.slug == "bolt"  # created on the fly
    assert set(p1.categories.values_list("slug", flat=True)) == {"motoren", "pumpen"}


def test_reimport_is_unchanged_and_a_change_updates_only_that_row(products):
    rows = [PRODUCT_HEADER, product_row("M-1"), product_row("M-2")]
    again = run("products", rows)
    assert counts(again, "products") == (0, 0, 2)
    changed = run(
        "products",
        [PRODUCT_HEADER, product_row("M-1", name_de="Neu", categories="pumpen"), rows[2]],
    )
    assert counts(changed, "products") == (0, 1, 1)
    m1 = Product.objects.get(sku="M-1")
    assert m1.name_de == "Neu"
    assert list(m1.categories.values_list("slug", flat=True)) == ["pumpen"]
    # The variant, price and stock of M-1 are untouched by a product import.
    assert m1.variants.count() == 1 and m1.prices.count() == 1 and m1.stock.count() == 1


def test_absent_columns_are_left_alone_and_empty_cells_clear(products):
    report = run("products", [["sku", "status", "attr:atex"], ["M-1", "discontinued", ""]])
    assert counts(report, "products") == (0, 1, 0)
    m1 = Product.objects.get(sku="M-1")
    assert m1.status == "discontinued"
    assert m1.name_de == "Motor M-1"  # no name_de column: kept
    assert "atex" not in m1.attributes and m1.attributes["power"] == 0.75


def test_new_product_needs_a_german_name(base):
    report = run("products", [["sku", "status"], ["NEW-1", "active"]])
    assert where(report) == [(2, "name_de")]
    assert not Product.objects.exists()


def test_attributes_import_creates_and_updates_with_options(products):
    header = ["code", "label_de", "label_en", "type", "unit", "min", "max", "pattern"]
    header += ["filterable", "options"]
    report = run(
        "attributes",
        [
            header,
            ["voltage", "Spannung", "Voltage", "number", "V", "0", "1000", "", "yes", ""],
            ["ip", "Schutzart", "IP rating", "choice", "", "", "", "", "no", "ip54=IP54|ip65=IP65"],
            [
                "material",
                "Material",
                "Material",
                "choice",
                "",
                "",
                "",
                "",
                "yes",
                "steel=Stahl=Steel|alu=Aluminium=Aluminium|brass=Messing=Brass",
            ],
        ],
    )
    assert report.errors == []
    assert counts(report, "attributes") == (2, 1, 0)
    voltage = Attribute.objects.get(code="voltage")
    assert (voltage.type, voltage.unit, voltage.max_value) == ("number", "V", Decimal(1000))
    ip = Attribute.objects.get(code="ip")
    assert not ip.filterable
    assert list(ip.options.values_list("code", "label_de")) == [("ip54", "IP54"), ("ip65", "IP65")]
    material = Attribute.objects.get(code="material")
    assert material.label_de == "Material"
    assert list(material.options.order_by("position").values_list("code", "label_en")) == [
        ("steel", "Steel"),
        ("alu", "Aluminium"),
        ("brass", "Brass"),
    ]


def test_prices_import_for_products_and_variants_with_tiers(products):
    header = ["price_list", "sku", "min_quantity", "amount", "currency"]
    rows = [
        header,
        ["public-chf", "M-1", "1", "120.00", "CHF"],  # exists, same amount
        ["public-chf", "M-1", "10", "110.00", "CHF"],
        ["public-eur", "M-2", "", "99.9", "eur"],
        ["public-chf", "M-1-L", "1", "130", "CHF"],
    ]
    report = run("prices", rows)
    assert report.errors == []
    assert counts(report, "prices") == (3, 0, 1)
    variant_price = PriceEntry.objects.get(variant__sku="M-1-L")
    assert variant_price.product.sku == "M-1" and variant_price.amount == Decimal("130")
    assert PriceEntry.objects.get(product__sku="M-2").amount == Decimal("99.9")
    rows[1][3] = "119.50"
    assert counts(run("prices", rows), "prices") == (0, 1, 3)
    assert PriceEntry.objects.get(
        product__sku="M-1", variant=None, min_quantity=1
    ).amount == Decimal("119.5")


def test_stock_import_creates_and_updates(products):
    Warehouse.objects.create(code="east", name="East")
    rows = [
        ["warehouse", "sku", "on_hand", "reserved"],
        ["main", "M-1", "8", "1"],
        ["east", "M-2", "3", ""],
        ["main", "M-1-L", "2", "0"],
    ]
    report = run("stock", rows)
    assert report.errors == []
    assert counts(report, "stock") == (2, 1, 0)
    assert StockLevel.objects.get(warehouse__code="main", variant=None).on_hand == 8
    assert StockLevel.objects.get(variant__sku="M-1-L").on_hand == 2
    assert counts(run("stock", rows), "stock") == (0, 0, 3)


def test_stock_import_without_reserved_keeps_reservations_and_checks_them(products, english):
    report = run("stock", [["warehouse", "sku", "on_hand"], ["main", "M-1", "0"]])
    assert where(report) == [(2, "on_hand")]
    assert "already reserved" in report.errors[0].message
    assert StockLevel.objects.get(product__sku="M-1").on_hand == 5


# --------------------------------------------------------------------------- all or nothing


def test_dry_run_counts_but_writes_nothing(base):
    before = Event.objects.count()
    report = run("products", [PRODUCT_HEADER, product_row("M-1"), product_row("M-2")], True)
    assert report.ok and report.dry_run and not report.written
    assert counts(report, "products") == (2, 0, 0)
    assert not Product.objects.exists()
    assert Event.objects.count() == before


def test_one_bad_row_writes_nothing_and_names_row_column_message(base, english):
    report = run(
        "products",
        [
            PRODUCT_HEADER,
            product_row("M-1"),
            product_row("M-2", weight_kg="zwölf"),
            product_row("M-3"),
        ],
    )
    assert not report.ok
    assert len(report.errors) == 1
    error = report.errors[0]
    assert (error.row, error.column) == (3, "weight_kg")
    assert "'zwölf' is not a number" in error.message
    assert str(error) == "row 3, column weight_kg: 'zwölf' is not a number"
    assert not Product.objects.exists()
    assert not Brand.objects.exclude(name="Acme").exists()


def test_every_error_is_collected_not_just_the_first(base):
    report = run(
        "products",
        [
            PRODUCT_HEADER,
            product_row("A", status="sold"),
            product_row("B", attr_power="-3"),
            product_row("C", lead_time_days="2.5"),
            product_row("D", attr_material="wood"),
        ],
    )
    assert where(report) == [
        (2, "status"),
        (3, "attr:power"),
        (4, "lead_time_days"),
        (5, "attr:material"),
    ]


@pytest.mark.parametrize(
    ("kind", "rows", "expected", "text", "text_de"),
    [
        pytest.param(
            "products",
            [["sku", "name_de", "attr:voltage"], ["A", "Motor", "230"]],
            (1, "attr:voltage"),
            "unknown attribute code 'voltage'",
            "unbekannter Attributcode «voltage»",
            id="unknown-attribute-code",
        ),
        pytest.param(
            "products",
            [["sku", "name_de", "attr:power"], ["A", "Motor", "stark"]],
            (2, "attr:power"),
            "'stark' is not a number",
            "«stark» ist keine Zahl",
            id="wrong-type-number",
        ),
        pytest.param(
            "products",
            [["sku", "name_de", "attr:atex"], ["A", "Motor", "vielleicht"]],
            (2, "attr:atex"),
            "is not yes or no",
            "«vielleicht» ist weder Ja noch Nein",
            id="wrong-type-boolean",
        ),
        pytest.param(
            "products",
            [["sku", "name_de", "status"], ["A", "Motor", "sold"]],
            (2, "status"),
            "'sold' is not a status",
            "«sold» ist kein Status",
            id="bad-status",
        ),
        pytest.param(
            "products",
            [["sku", "name_de", "categories"], ["A", "Motor", "motoren|ventile"]],
            (2, "categories"),
            "unknown category slug 'ventile'",
            "unbekannter Kategorie-Slug «ventile»",
            id="unknown-category",
        ),
        pytest.param(
            "products",
            [["sku", "name_de"], ["A", "Eins"], ["B", "Zwei"], ["A", "Drei"]],
            (4, "sku"),
            "duplicate SKU 'A': it appears in row 2 too",
            "doppelte Artikelnummer «A»: sie kommt auch in Zeile 2 vor",
            id="duplicate-sku",
        ),
        pytest.param(
            "products",
            [["name_de"], ["Motor"]],
            (1, "sku"),
            "required column 'sku' is missing",
            "die Pflichtspalte «sku» fehlt",
            id="missing-column",
        ),
        pytest.param(
            "products",
            [["sku", "name_de", "colour"], ["A", "Motor", "red"]],
            (1, "colour"),
            "unknown column 'colour'",
            "unbekannte Spalte «colour»",
            id="unknown-column",
        ),
        pytest.param(
            "products",
            [["sku", "name_de", "weight_kg"], ["A", "Motor", "1.2345"]],
            (2, "weight_kg"),
            "more than 3 decimal places",
            "mehr als 3 Nachkommastellen",
            id="malformed-number",
        ),
        pytest.param(
            "stock",
            [["warehouse", "sku", "on_hand", "reserved"], ["main", "M-1", "-1", "0"]],
            (2, "on_hand"),
            "negative",
            "negativ",
            id="negative-stock",
        ),
        pytest.param(
            "stock",
            [["warehouse", "sku", "on_hand", "reserved"], ["main", "M-1", "2", "3"]],
            (2, "reserved"),
            "3 reserved is more than the 2 on hand",
            "3 reserviert ist mehr als der Bestand von 2",
            id="reserved-over-on-hand",
        ),
        pytest.param(
            "stock",
            [["warehouse", "sku", "on_hand"], ["north", "M-1", "2"]],
            (2, "warehouse"),
            "unknown warehouse 'north'",
            "unbekanntes Lager «north» (bekannt: main)",
            id="unknown-warehouse",
        ),
        pytest.param(
            "prices",
            [["price_list", "sku", "amount", "currency"], ["public-chf", "M-1", "10", "USD"]],
            (2, "currency"),
            "Unknown currency 'USD'",
            "Unbekannte Währung «USD»; Magpie ist für CHF, EUR eingerichtet",
            id="unknown-currency",
        ),
        pytest.param(
            "prices",
            [["price_list", "sku", "amount", "currency"], ["public-chf", "M-1", "10", "EUR"]],
            (2, "currency"),
            "price list 'public-chf' is in CHF, not EUR",
            "die Preisliste «public-chf» ist in CHF, nicht in EUR",
            id="currency-of-another-list",
        ),
        pytest.param(
            "prices",
            [["price_list", "sku", "amount", "currency"], ["dealer", "M-1", "10", "CHF"]],
            (2, "price_list"),
            "unknown price list 'dealer'",
            "unbekannte Preisliste «dealer»",
            id="unknown-price-list",
        ),
        pytest.param(
            "prices",
            [["price_list", "sku", "amount", "currency"], ["public-chf", "X-9", "10", "CHF"]],
            (2, "sku"),
            "unknown SKU 'X-9'",
            "unbekannte Artikelnummer «X-9»",
            id="unknown-sku",
        ),
        pytest.param(
            "prices",
            [["price_list", "sku", "amount", "currency"], ["public-chf", "M-1", "-5", "CHF"]],
            (2, "amount"),
            "negative",
            "negativ",
            id="negative-price",
        ),
        pytest.param(
            "attributes",
            [["code", "label_de", "type"], ["voltage", "Spannung", "float"]],
            (2, "type"),
            "'float' is not a type",
            "«float» ist kein Typ",
            id="bad-attribute-type",
        ),
    ],
)
def test_error_classes(products, kind, rows, expected, text, text_de):
    snapshot = _snapshot()
    # A valid row next to the bad one: it is not written either.
    for language, wanted in (("en", text), ("de", text_de)):
        with translation.override(language):
            report = run(kind, rows)
        assert not report.written
        assert expected in where(report), report.errors
        message = next(e.message for e in report.errors if (e.row, e.column) == expected)
        assert wanted in message, (language, message)
    assert _snapshot() == snapshot


def _snapshot() -> tuple[Any, ...]:
    return (
        list(Product.objects.order_by("sku").values_list("sku", "name_de", "attributes")),
        list(PriceEntry.objects.order_by("pk").values_list("amount", flat=True)),
        list(StockLevel.objects.order_by("pk").values_list("on_hand", "reserved")),
        list(Attribute.objects.order_by("code").values_list("code", "type")),
    )


@pytest.mark.parametrize(
    ("data", "name", "text"),
    [
        pytest.param(b"", "p.csv", "The file is empty", id="empty"),
        pytest.param(
            b"\n\nsku\n", "p.csv", "the first row must hold the column names", id="no-header"
        ),
        pytest.param(
            "sku,name_de\nA,Müller\n".encode("latin-1"), "p.csv", "not UTF-8 encoded", id="latin-1"
        ),
        pytest.param(b"%PDF-1.4\x00\x01\x02", "p.csv", "binary data", id="binary"),
        pytest.param(b"PK\x03\x04garbage", "p.xlsx", "cannot be read", id="broken-xlsx"),
        pytest.param(b"sku\nA\n", "p.pdf", "use CSV (UTF-8) or XLSX", id="wrong-type"),
        pytest.param(b"sku,sku\nA,B\n", "p.csv", "column 'sku' appears twice", id="dup-header"),
        pytest.param(b"sku,name_de\nA,B,C\n", "p.csv", "row 2 has 3 cells", id="ragged-row"),
    ],
)
def test_malformed_files_are_reported_clearly(base, english, data, name, text):
    with pytest.raises(FileProblem, match=text.replace("(", r"\(").replace(")", r"\)")):
        read_file(data, name)
    report = import_file(data, name)
    assert not report.ok and report.errors[0].row is None
    assert text in str(report.errors[0])
    assert not Product.objects.exists()


def test_rows_keep_their_file_numbers_across_blank_rows_and_semicolons(base):
    data = b"sku;name_de;weight_kg\n\nA;Eins;1\n;;\nB;Zwei;schwer\n"
    report = import_file(data, "p.csv", "products")
    assert where(report) == [(5, "weight_kg")]


# --------------------------------------------------------------------------- XLSX


def test_xlsx_workbook_imports_every_sheet_in_dependency_order(base):
    data = xlsx_bytes(
        {
            # Deliberately not in dependency order: stock and prices refer to new products,
            # products use an attribute the same workbook defines.
            "stock": [["warehouse", "sku", "on_hand", "reserved"], ["main", "X-1", 4, 1]],
            "prices": [
                ["price_list", "sku", "min_quantity", "amount", "currency"],
                ["public-chf", "X-1", 1, 19.9, "CHF"],
                ["public-chf", "X-1", 10, 17.5, "CHF"],
            ],
            "products": [
                ["sku", "name_de", "weight_kg", "lead_time_days", "attr:voltage", "attr:power"],
                ["X-1", "Schalter", 0.25, 3, 230, 1.5],
            ],
            "attributes": [
                ["code", "label_de", "type", "unit"],
                ["voltage", "Spannung", "number", "V"],
            ],
        }
    )
    dry = import_file(data, "catalog.xlsx", dry_run=True)
    assert dry.ok, dry.errors
    assert list(dry.counts) == ["attributes", "products", "prices", "stock"]
    assert [counts(dry, k) for k in dry.counts] == [(1, 0, 0), (1, 0, 0), (2, 0, 0), (1, 0, 0)]
    assert not Product.objects.exists() and not Attribute.objects.filter(code="voltage").exists()

    report = import_file(data, "catalog.xlsx")
    assert report.written, report.errors
    product = Product.objects.get(sku="X-1")
    assert product.attributes == {"voltage": 230, "power": 1.5}
    assert product.weight_kg == Decimal("0.25") and product.lead_time_days == 3
    assert sorted(product.prices.values_list("min_quantity", "amount")) == [
        (1, Decimal("19.9")),
        (10, Decimal("17.5")),
    ]
    assert product.stock.get().on_hand == 4


def test_xlsx_single_sheet_with_kind(products):
    data = xlsx_bytes({"Tabelle1": [["warehouse", "sku", "on_hand"], ["main", "M-2", 7]]})
    report = import_file(data, "lager.xlsx", "stock")
    assert report.written and counts(report, "stock") == (1, 0, 0)
    assert StockLevel.objects.get(product__sku="M-2").on_hand == 7


def test_error_in_one_sheet_writes_no_sheet(base):
    data = xlsx_bytes(
        {
            "products": [["sku", "name_de"], ["X-1", "Schalter"]],
            "prices": [
                ["price_list", "sku", "amount", "currency"],
                ["public-chf", "X-1", 5, "JPY"],
            ],
        }
    )
    report = import_file(data, "catalog.xlsx")
    assert [(e.sheet, e.row, e.column) for e in report.errors] == [("prices", 2, "currency")]
    assert not Product.objects.exists()


# --------------------------------------------------------------------------- round trip


def _full_export_csv() -> dict[str, bytes]:
    """Every kind exported as CSV bytes."""
    files = {}
    for kind in ("attributes", "products", "prices", "stock"):
        buffer = io.StringIO()
        write_csv(kind, buffer)
        files[kind] = buffer.getvalue().encode("utf-8")
    return files


def test_round_trip_csv_changes_nothing(products):
    Product.objects.filter(sku="M-2").update(
        description_en='<p>Zeile 1</p>\n<p>Zeile 2, mit "Zitat"</p>', weight_kg=None
    )
    PriceEntry.objects.create(
        price_list=products["eur"],
        product=Product.objects.get(sku="M-1"),
        variant=Variant.objects.get(sku="M-1-L"),
        min_quantity=5,
        amount=Decimal("0.1250"),
    )
    before = _snapshot()
    files = _full_export_csv()
    for kind, data in files.items():
        report = import_file(data, f"{kind}.csv", kind)
        assert report.ok, report.errors
        created, updated, unchanged = counts(report, kind)
        assert (created, updated) == (0, 0), (kind, report.summary())
        assert unchanged > 0
    assert _snapshot() == before


def test_round_trip_xlsx_changes_nothing(products, tmp_path):
    target = tmp_path / "catalog.xlsx"
    written = export_path(target)
    assert written == {"attributes": 4, "products": 2, "prices": 1, "stock": 1}
    report = import_file(target.read_bytes(), target.name)
    assert report.ok, report.errors
    for kind, c in report.counts.items():
        assert (c.created, c.updated) == (0, 0), (kind, report.summary())


def test_export_into_an_empty_catalog_recreates_it(products, tmp_path):
    buffer = io.BytesIO()
    write_xlsx(["products", "prices", "stock"], buffer)
    exported = _snapshot()
    StockLevel.objects.all().delete()
    PriceEntry.objects.all().delete()
    Variant.objects.all().delete()
    Product.objects.all().delete()
    # Without the variant, its rows are unknown SKUs: re-create it through the ORM first.
    report = import_file(buffer.getvalue(), "catalog.xlsx", dry_run=True)
    assert report.ok
    assert counts(report, "products") == (2, 0, 0)
    report = import_file(buffer.getvalue(), "catalog.xlsx")
    assert report.written
    assert _snapshot() == exported


# --------------------------------------------------------------------------- side effects


def _events(type_: str) -> list[dict[str, Any]]:
    """Payloads of the import's summarising events of ``type_``, in part order."""
    payloads = Event.objects.filter(type=type_, payload__source="import").values_list(
        "payload", flat=True
    )
    return sorted(payloads, key=lambda p: p["part"])


def test_summarising_events_chunked_and_page_cache_invalidated(base, monkeypatch):
    monkeypatch.setattr(importing, "EVENT_CHUNK", 2)
    generation = pagecache.generation()
    data = xlsx_bytes(
        {
            "products": [["sku", "name_de"], ["A", "a"], ["B", "b"], ["C", "c"]],
            "prices": [["price_list", "sku", "amount", "currency"], ["public-chf", "A", 1, "CHF"]],
            "stock": [["warehouse", "sku", "on_hand"], ["main", "B", 1]],
        }
    )
    assert import_file(data, "c.xlsx").written
    product_events = _events("product.changed")
    assert [e["skus"] for e in product_events] == [["A", "B"], ["C"]]
    assert product_events[0]["source"] == "import" and product_events[0]["parts"] == 2
    price_events = _events("price.changed")
    assert price_events == [
        {
            "source": "import",
            "skus": ["A"],
            "part": 1,
            "parts": 1,
            "total": 1,
            "price_lists": ["public-chf"],
        }
    ]
    assert [e["skus"] for e in _events("stock.changed")] == [["B"]]
    assert pagecache.generation() > generation

    # Nothing changed: no events, no invalidation.
    count, generation = Event.objects.count(), pagecache.generation()
    assert import_file(data, "c.xlsx").written
    assert Event.objects.count() == count
    assert pagecache.generation() == generation


def test_completeness_is_updated_for_imported_products(base):
    header = ["sku", "name_de", "name_en", "short_description_de", "description_de"]
    header += ["categories", "attr:power"]
    run("products", [header, ["A", "Motor", "", "kurz", "<p>lang</p>", "motoren", "1"]])
    product = Product.objects.get(sku="A")
    # de: name, short, long description, required power present; no image: 4 of 5.
    assert product.completeness_de == 80
    # en: only the required attribute: 1 of 5.
    assert product.completeness_en == 20
    run("products", [["sku", "attr:power"], ["A", ""]])
    assert Product.objects.get(sku="A").completeness_de == 60


# --------------------------------------------------------------------------- CLI


def test_cli_imports_and_reports(base, english, tmp_path):
    source = tmp_path / "products.csv"
    source.write_bytes(csv_bytes([PRODUCT_HEADER, product_row("M-1"), product_row("M-2")]))
    out, err = io.StringIO(), io.StringIO()
    call_command("import_products", str(source), "--dry-run", stdout=out, stderr=err)
    assert "products: 2 created, 0 updated, 0 unchanged" in out.getvalue()
    assert not Product.objects.exists()
    call_command("import_products", str(source), "--progress", stdout=out, stderr=err)
    assert Product.objects.count() == 2
    assert "writing products" in err.getvalue()  # the tqdm bar


def test_cli_errors_exit_non_zero_and_write_nothing(base, english, tmp_path):
    source = tmp_path / "products.csv"
    source.write_bytes(
        csv_bytes([PRODUCT_HEADER, product_row("M-1"), product_row("M-2", attr_material="wood")])
    )
    err = io.StringIO()
    with pytest.raises(CommandError, match="1 error"):
        call_command("import_products", str(source), stdout=io.StringIO(), stderr=err)
    assert "row 3, column attr:material: 'wood' is not an option of material" in err.getvalue()
    assert not Product.objects.exists()
    with pytest.raises(CommandError, match="not UTF-8"):
        bad = tmp_path / "bad.csv"
        bad.write_bytes("sku\nä".encode("cp1252"))
        call_command("import_products", str(bad), stdout=io.StringIO(), stderr=io.StringIO())


def test_cli_export_then_import_round_trips(products, english, tmp_path):
    target = tmp_path / "prices.csv"
    call_command("export_products", str(target), "--kind", "prices", stdout=io.StringIO())
    assert target.read_text().splitlines() == [
        "price_list,sku,min_quantity,amount,currency",
        "public-chf,M-1,1,120,CHF",
    ]
    out = io.StringIO()
    call_command(
        "import_products", str(target), "--kind", "prices", stdout=out, stderr=io.StringIO()
    )
    assert "prices: 0 created, 0 updated, 1 unchanged" in out.getvalue()


# --------------------------------------------------------------------------- admin


@pytest.fixture
def product_manager(django_user_model: Any) -> Any:
    """A user in the "Product managers" group: products yes, prices no."""
    user = django_user_model.objects.create_user("pm", "pm@example.ch", "pw")
    user.groups.add(Group.objects.get(name="Product managers"))
    return user


@pytest.fixture
def pricing_manager(product_manager: Any) -> Any:
    """A product manager who is also in the "Pricing" group."""
    product_manager.groups.add(Group.objects.get(name="Pricing"))
    return product_manager


def _upload(client: Any, data: bytes, name: str, kind: str = "") -> Any:
    upload = io.BytesIO(data)
    upload.name = name
    return client.post(reverse("magpie_catalog_import"), {"file": upload, "kind": kind})


def test_admin_upload_preview_confirm(
    import_urlconf, base, client, product_manager, settings, tmp_path
):
    settings.MEDIA_ROOT = str(tmp_path)
    client.force_login(product_manager)
    assert client.get(reverse("magpie_catalog_import")).status_code == 200
    data = csv_bytes([PRODUCT_HEADER, product_row("M-1"), product_row("M-2")])
    response = _upload(client, data, "products.csv")
    assert response.status_code == 302
    preview_url = response["Location"]
    preview = client.get(preview_url)
    assert preview.status_code == 200
    html = preview.content.decode()
    assert '<td class="created">2</td>' in html
    assert "Jetzt importieren" in html
    assert not Product.objects.exists()  # the preview is a dry run

    token = preview.context["token"]
    response = client.post(reverse("magpie_catalog_import_confirm", args=[token]))
    assert response.status_code == 302
    assert Product.objects.count() == 2
    # The stored upload is gone: confirming twice does not import twice.
    response = client.post(reverse("magpie_catalog_import_confirm", args=[token]))
    assert response.status_code == 302 and response["Location"] == reverse("magpie_catalog_import")


def test_admin_preview_lists_errors_and_offers_no_confirm(
    import_urlconf, base, client, product_manager, settings, tmp_path
):
    settings.MEDIA_ROOT = str(tmp_path)
    client.force_login(product_manager)
    data = csv_bytes([PRODUCT_HEADER, product_row("M-1", status="sold"), product_row("M-1")])
    preview = client.get(_upload(client, data, "products.csv")["Location"])
    html = preview.content.decode()
    # The admin runs in German (LANGUAGE_CODE): the messages are translated.
    assert "«sold» ist kein Status" in html
    assert "doppelte Artikelnummer «M-1»: sie kommt auch in Zeile 2 vor" in html
    assert "Jetzt importieren" not in html
    token = preview.context["token"]
    client.post(reverse("magpie_catalog_import_confirm", args=[token]))
    assert not Product.objects.exists()


def test_admin_rejects_malformed_upload(import_urlconf, base, client, product_manager):
    client.force_login(product_manager)
    response = _upload(client, "sku\nMüller\n".encode("latin-1"), "products.csv")
    assert response.status_code == 200
    assert "nicht UTF-8-codiert" in response.content.decode()
    response = _upload(client, b"sku\n", "products.pdf")
    assert "Laden Sie eine .csv- oder .xlsx-Datei hoch." in response.content.decode()


def test_editor_without_price_permission_cannot_import_prices(
    import_urlconf, products, client, product_manager, settings, tmp_path
):
    settings.MEDIA_ROOT = str(tmp_path)
    client.force_login(product_manager)
    data = csv_bytes(
        [["price_list", "sku", "amount", "currency"], ["public-chf", "M-1", "1", "CHF"]]
    )
    response = _upload(client, data, "prices.csv", "prices")
    assert response.status_code == 403
    assert "Sie dürfen keine Preise ändern" in response.content.decode()
    # A workbook with a prices sheet is refused too.
    book = xlsx_bytes({"prices": [["price_list", "sku", "amount", "currency"]]})
    assert _upload(client, book, "all.xlsx").status_code == 403
    assert PriceEntry.objects.get().amount == Decimal("120")


def test_pricing_manager_imports_prices(
    import_urlconf, products, client, pricing_manager, settings, tmp_path
):
    settings.MEDIA_ROOT = str(tmp_path)
    client.force_login(pricing_manager)
    data = csv_bytes(
        [["price_list", "sku", "amount", "currency"], ["public-chf", "M-1", "99", "CHF"]]
    )
    preview = client.get(_upload(client, data, "prices.csv", "prices")["Location"])
    assert '<td class="updated">1</td>' in preview.content.decode()
    client.post(reverse("magpie_catalog_import_confirm", args=[preview.context["token"]]))
    assert PriceEntry.objects.get().amount == Decimal("99")


def test_admin_requires_product_permissions_and_own_upload(
    import_urlconf, base, client, product_manager, django_user_model, settings, tmp_path
):
    settings.MEDIA_ROOT = str(tmp_path)
    editor = django_user_model.objects.create_user("ed", "ed@example.ch", "pw")
    client.force_login(editor)
    assert client.get(reverse("magpie_catalog_import")).status_code == 403
    # Another user's token is not honoured.
    client.force_login(product_manager)
    location = _upload(client, csv_bytes([["sku", "name_de"], ["A", "a"]]), "p.csv")["Location"]
    token = location.rstrip("/").rsplit("/", 1)[-1]
    other = django_user_model.objects.create_superuser("root", "root@example.ch", "pw")
    client.force_login(other)
    response = client.post(reverse("magpie_catalog_import_confirm", args=[token]))
    assert response.status_code == 302
    assert not Product.objects.exists()


def test_import_book_rejects_unknown_kind(english):
    with pytest.raises(ValueError, match="Unknown kind"):
        import_book({"orders": tablib.Dataset()})


@pytest.mark.postgres
def test_a_large_import_refreshes_the_planner_statistics(base, monkeypatch):
    from django.db import connection

    monkeypatch.setattr(importing, "ANALYZE_AFTER_ROWS", 2)
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_stat_reset()")
    report = run("products", [PRODUCT_HEADER, product_row("A-1"), product_row("A-2")])
    assert report.ok
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT analyze_count FROM pg_stat_user_tables WHERE relname = %s",
            ["magpie_catalog_product"],
        )
        assert cursor.fetchone()[0] >= 1
