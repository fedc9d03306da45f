"""Import and validation messages follow the active language (German or English).

The same bad file is checked under ``override("de")`` and ``override("en")``: every problem
keeps its sheet, row and column, and only the wording changes — the values, codes and
allowed options a message names survive the translation.
"""

from __future__ import annotations

import csv
import io
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.core.management import CommandError, call_command
from django.utils import translation

from magpie_catalog.importing import ImportReport, import_book, import_file, read_file
from magpie_catalog.models import PriceList, Product
from magpie_catalog.stock import InsufficientStock

from .conftest import make_attribute, make_price_list

pytestmark = pytest.mark.django_db

PRODUCTS = [
    ["sku", "name_de", "attr:power", "attr:material", "attr:voltage"],
    ["A", "Motor A", "1.5", "steel", "230"],  # valid, but attr:voltage is no attribute
    ["B", "Motor B", "stark", "", ""],  # not a number
    ["A", "Motor A again", "2", "", ""],  # duplicate SKU
    ["C", "Motor C", "3", "wood", ""],  # not an option
]
PRICES = [
    ["price_list", "sku", "amount", "currency"],
    ["public-chf", "A", "10", "USD"],  # unknown currency
]

#: (sheet, row, column) → (English, German) message of every problem of the file above.
EXPECTED = {
    ("products", 1, "attr:voltage"): (
        "unknown attribute code 'voltage' (known: material, power)",
        "unbekannter Attributcode «voltage» (bekannt: material, power)",
    ),
    ("products", 3, "attr:power"): (
        "'stark' is not a number",
        "«stark» ist keine Zahl",
    ),
    ("products", 4, "sku"): (
        "duplicate SKU 'A': it appears in row 2 too",
        "doppelte Artikelnummer «A»: sie kommt auch in Zeile 2 vor",
    ),
    ("products", 5, "attr:material"): (
        "'wood' is not an option of material (allowed: alu, steel)",
        "«wood» ist keine Option von material (erlaubt: alu, steel)",
    ),
    ("prices", 2, "currency"): (
        "Unknown currency 'USD'; Magpie is configured for CHF, EUR.",
        "Unbekannte Währung «USD»; Magpie ist für CHF, EUR eingerichtet.",
    ),
}


def csv_bytes(rows: list[list[Any]]) -> bytes:
    buffer = io.StringIO()
    csv.writer(buffer).writerows(rows)
    return buffer.getvalue().encode("utf-8")


@pytest.fixture
def catalog(db: None, settings: Any) -> None:
    settings.MAGPIE_CURRENCIES = ["CHF", "EUR"]
    make_attribute("power", "number", "Leistung", "Power", unit="kW", min_value=0, max_value=100)
    make_attribute(
        "material",
        "choice",
        "Werkstoff",
        "Material",
        options=[("steel", "Stahl", "Steel"), ("alu", "Aluminium", "Aluminium")],
    )
    make_price_list("public-chf", currency="CHF")


def dry_run(language: str) -> tuple[ImportReport, list[str]]:
    """The dry run of the bad file and ``str()`` of every problem, both in ``language``."""
    with translation.override(language):
        datasets = {
            **read_file(csv_bytes(PRODUCTS), "products.csv", "products"),
            **read_file(csv_bytes(PRICES), "prices.csv", "prices"),
        }
        report = import_book(datasets, dry_run=True)
        return report, [str(problem) for problem in report.errors]


def test_dry_run_messages_in_german_and_english_keep_row_and_column(catalog):
    german, german_lines = dry_run("de")
    english, english_lines = dry_run("en")

    places = [(e.sheet, e.row, e.column) for e in german.errors]
    assert places == [(e.sheet, e.row, e.column) for e in english.errors]
    assert sorted(places) == sorted(EXPECTED)

    for de, en in zip(german.errors, english.errors, strict=True):
        expected_en, expected_de = EXPECTED[(de.sheet, de.row, de.column)]
        assert en.message == expected_en
        assert de.message == expected_de
        assert de.message != en.message

    # Where a problem is, in the words of each language (the CLI prints these lines).
    assert "row 3, column attr:power: 'stark' is not a number" in english_lines
    assert "Zeile 3, Spalte attr:power: «stark» ist keine Zahl" in german_lines
    assert "row 4, column sku: duplicate SKU 'A': it appears in row 2 too" in english_lines
    assert (
        "Zeile 4, Spalte sku: doppelte Artikelnummer «A»: sie kommt auch in Zeile 2 vor"
        in german_lines
    )
    assert "row 2, column currency: Unknown currency 'USD'" in english_lines[-1]
    assert "Zeile 2, Spalte currency: Unbekannte Währung «USD»" in german_lines[-1]

    # A dry run writes nothing, in any language; the summary is translated too.
    assert german.dry_run and not german.written and not Product.objects.exists()
    with translation.override("de"):
        assert "products: 1 erstellt, 0 aktualisiert, 0 unverändert" in german.summary()
    with translation.override("en"):
        assert "products: 1 created, 0 updated, 0 unchanged" in english.summary()


def test_unreadable_file_is_reported_in_the_active_language(catalog):
    data = "sku,name_de\nA,Müller\n".encode("latin-1")
    with translation.override("de"):
        german = str(import_file(data, "p.csv").errors[0])
    with translation.override("en"):
        english = str(import_file(data, "p.csv").errors[0])
    # The offending byte and its position (the "ü" of "Müller") are kept in both languages.
    assert german == (
        "Datei: Die Datei ist nicht UTF-8-codiert (Byte 0xfc an Position 15). "
        "Die Datei als «CSV UTF-8» oder als Excel-Arbeitsmappe (.xlsx) speichern."
    )
    assert english == (
        "file: The file is not UTF-8 encoded (byte 0xfc at position 15). "
        "Save it as 'CSV UTF-8' or as an Excel workbook (.xlsx)."
    )


@pytest.mark.parametrize(
    ("language", "summary", "line"),
    [
        ("de", "1 Fehler in", "Zeile 3, Spalte attr:power: «stark» ist keine Zahl"),
        ("en", "1 error in", "row 3, column attr:power: 'stark' is not a number"),
    ],
)
def test_cli_reports_in_the_active_language(catalog, tmp_path, language, summary, line):
    source = tmp_path / "products.csv"
    source.write_bytes(
        csv_bytes([["sku", "name_de", "attr:power"], ["A", "a", "1"], PRODUCTS[2][:3]])
    )
    err = io.StringIO()
    with translation.override(language), pytest.raises(CommandError) as excinfo:
        call_command("import_products", str(source), stdout=io.StringIO(), stderr=err)
    assert str(excinfo.value).startswith(summary)
    assert line in err.getvalue()


def test_price_list_currency_and_stock_messages_are_translated(catalog):
    price_list = PriceList(code="usd", name="USD", currency="usd")
    for language, text in (("de", "Unbekannte Währung «usd»"), ("en", "Unknown currency 'usd'")):
        with translation.override(language), pytest.raises(ValidationError) as excinfo:
            price_list.clean()
        assert text in excinfo.value.message_dict["currency"][0]
    with translation.override("de"):
        assert str(InsufficientStock("M-1", 5, 2)) == "M-1: 5 angefordert, 2 verfügbar"
    with translation.override("en"):
        assert str(InsufficientStock("M-1", 5, 2)) == "M-1: 5 requested, 2 available"
