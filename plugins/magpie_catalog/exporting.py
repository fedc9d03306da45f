"""Export products, attributes, prices and stock in the formats :mod:`importing` reads.

Exporting and importing the result changes nothing (a re-import reports 0 created and
0 updated). Rows are read from the database in chunks and written as they come, so
exporting 100k products does not hold them all in memory: CSV through :mod:`csv`, XLSX
through openpyxl's write-only workbook (one sheet per kind, named after it).
:func:`export_dataset` returns a :class:`tablib.Dataset` for small exports and tests.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Iterable, Iterator
from decimal import Decimal
from pathlib import Path
from typing import IO, Any

import tablib
from django.utils.translation import gettext as _

from magpie_catalog.importing import (
    ATTRIBUTE_COLUMNS,
    ATTRIBUTE_PREFIX,
    BATCH,
    KINDS,
    LIST_SEPARATOR,
    PRICE_COLUMNS,
    PRODUCT_COLUMNS,
    STOCK_COLUMNS,
    unknown_kind_message,
)

# Characters XML 1.0 (and so XLSX) cannot hold.
ILLEGAL_XML = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")


def plain(number: Decimal | None) -> str:
    """A Decimal without trailing zeros or exponent (``10``, ``2.5``); ``""`` for None."""
    if number is None:
        return ""
    text = format(number.normalize(), "f")
    return "0" if text in ("-0", "0") else text


def _value(value: Any) -> Any:
    """An attribute value as a cell: lists joined by ``|``, numbers and text as they are."""
    if isinstance(value, list):
        return LIST_SEPARATOR.join(str(v) for v in value)
    return value


# --------------------------------------------------------------------------- rows per kind


def product_headers() -> list[str]:
    """Product columns followed by one ``attr:<code>`` column per defined attribute."""
    from magpie_catalog.models import Attribute

    codes = Attribute.objects.order_by("position", "code").values_list("code", flat=True)
    return [*PRODUCT_COLUMNS, *(f"{ATTRIBUTE_PREFIX}{code}" for code in codes)]


def product_rows(headers: list[str]) -> Iterator[list[Any]]:
    """Every product as a row for ``headers``, by SKU, read 2000 at a time."""
    from magpie_catalog.models import Brand, Category, Product

    codes = [h[len(ATTRIBUTE_PREFIX) :] for h in headers if h.startswith(ATTRIBUTE_PREFIX)]
    brands = dict(Brand.objects.values_list("id", "name"))
    slugs = dict(Category.objects.values_list("id", "slug"))
    through = Product.categories.through
    fields = ["id", "sku", *PRODUCT_COLUMNS[1:7], "brand_id", "status", "weight_kg"]
    fields += ["lead_time_days", "attributes"]
    last = ""
    while True:
        batch = list(Product.objects.filter(sku__gt=last).order_by("sku").values(*fields)[:BATCH])
        if not batch:
            return
        last = batch[-1]["sku"]
        categories: dict[int, list[str]] = {}
        for product_id, category_id in through.objects.filter(
            product_id__in=[p["id"] for p in batch]
        ).values_list("product_id", "category_id"):
            categories.setdefault(product_id, []).append(slugs[category_id])
        for p in batch:
            values = p["attributes"] or {}
            yield [
                p["sku"],
                *(p[name] for name in PRODUCT_COLUMNS[1:7]),
                brands.get(p["brand_id"], ""),
                p["status"],
                LIST_SEPARATOR.join(sorted(categories.get(p["id"], []))),
                plain(p["weight_kg"]),
                p["lead_time_days"],
                *(_value(values.get(code)) for code in codes),
            ]


def attribute_rows() -> Iterator[list[Any]]:
    """Every attribute definition with its options, in admin order."""
    from magpie_catalog.models import Attribute

    for a in Attribute.objects.order_by("position", "code").prefetch_related("options"):
        options = sorted(a.options.all(), key=lambda o: (o.position, o.code))
        yield [
            a.code,
            a.label_de,
            a.label_en,
            a.type,
            a.unit,
            plain(a.min_value),
            plain(a.max_value),
            a.pattern,
            "yes" if a.filterable else "no",
            LIST_SEPARATOR.join(f"{o.code}={o.label_de}={o.label_en}" for o in options),
        ]


def price_rows() -> Iterator[list[Any]]:
    """Every price entry: list, product or variant SKU, tier, amount, currency."""
    from magpie_catalog.models import PriceEntry

    queryset = PriceEntry.objects.order_by(
        "price_list__code", "product__sku", "variant__sku", "min_quantity"
    ).values_list(
        "price_list__code",
        "product__sku",
        "variant__sku",
        "min_quantity",
        "amount",
        "price_list__currency",
    )
    for code, sku, variant_sku, min_quantity, amount, currency in queryset.iterator(BATCH):
        yield [code, variant_sku or sku, min_quantity, plain(amount), currency]


def stock_rows() -> Iterator[list[Any]]:
    """Every stock level: warehouse, product or variant SKU, on hand, reserved."""
    from magpie_catalog.models import StockLevel

    queryset = StockLevel.objects.order_by(
        "warehouse__code", "product__sku", "variant__sku"
    ).values_list("warehouse__code", "product__sku", "variant__sku", "on_hand", "reserved")
    for code, sku, variant_sku, on_hand, reserved in queryset.iterator(BATCH):
        yield [code, variant_sku or sku, on_hand, reserved]


def table(kind: str) -> tuple[list[str], Iterator[list[Any]]]:
    """Headers and a row iterator of one kind."""
    if kind == "products":
        headers = product_headers()
        return headers, product_rows(headers)
    if kind == "attributes":
        return list(ATTRIBUTE_COLUMNS), attribute_rows()
    if kind == "prices":
        return list(PRICE_COLUMNS), price_rows()
    if kind == "stock":
        return list(STOCK_COLUMNS), stock_rows()
    raise ValueError(unknown_kind_message(kind))


# --------------------------------------------------------------------------- writers


def _csv_cell(value: Any) -> Any:
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, Decimal):
        return plain(value)
    return value


def write_csv(kind: str, stream: IO[str]) -> int:
    """Write one kind as UTF-8 CSV text to ``stream``; returns the number of rows."""
    headers, rows = table(kind)
    writer = csv.writer(stream)
    writer.writerow(headers)
    count = 0
    for row in rows:
        writer.writerow([_csv_cell(v) for v in row])
        count += 1
    return count


def write_xlsx(kinds: Iterable[str], stream: IO[bytes]) -> dict[str, int]:
    """Write one sheet per kind (named after it) to ``stream``; returns rows per kind."""
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell

    book = Workbook(write_only=True)
    counts: dict[str, int] = {}
    for kind in kinds:
        sheet = book.create_sheet(title=kind)
        headers, rows = table(kind)
        sheet.append(headers)
        count = 0
        for row in rows:
            cells = []
            for value in row:
                if isinstance(value, str):
                    value = ILLEGAL_XML.sub("", value)
                    cell = WriteOnlyCell(sheet, value=value)
                    cell.data_type = "s"  # never a formula, even when it starts with "="
                    cells.append(cell)
                else:
                    cells.append(value)
            sheet.append(cells)
            count += 1
        counts[kind] = count
    book.save(stream)
    return counts


def export_path(path: str | Path, kinds: Iterable[str] | None = None) -> dict[str, int]:
    """Export to ``path``: XLSX (all kinds, or ``kinds``) or CSV (one kind) by suffix."""
    path = Path(path)
    chosen = list(kinds or ([] if path.suffix.lower() == ".xlsx" else ["products"]))
    for kind in chosen:
        if kind not in KINDS:
            raise ValueError(unknown_kind_message(kind))
    if path.suffix.lower() == ".xlsx":
        with path.open("wb") as stream:
            return write_xlsx(chosen or list(KINDS), stream)
    if len(chosen) != 1:
        raise ValueError(_("A CSV file holds one kind; use .xlsx for several."))
    with path.open("w", encoding="utf-8", newline="") as stream:
        return {chosen[0]: write_csv(chosen[0], stream)}


def export_dataset(kind: str) -> tablib.Dataset:
    """One kind as a :class:`tablib.Dataset` (all rows in memory: for small catalogs)."""
    headers, rows = table(kind)
    dataset = tablib.Dataset(headers=headers, title=kind)
    for row in rows:
        dataset.append(row)
    return dataset
