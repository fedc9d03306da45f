"""Import products, attributes, prices and stock from CSV or XLSX, all rows or none.

Reading (:func:`read_file`) turns the bytes of an upload into one :class:`tablib.Dataset`
per kind; blank rows are kept so that dataset index ``i`` is row ``i + 2`` of the file
(the header is row 1). :func:`import_rows` (one kind) and :func:`import_book` (several
kinds, in the order attributes → products → prices → stock) then

1. validate every row and collect every problem with row, column and message;
2. compare the valid rows with the database in chunks (created / updated / unchanged);
3. unless it is a dry run or there was any problem, write them in ONE transaction with
   ``bulk_create``/``bulk_update`` in batches, replace the categories of imported products
   through the M2M table, recompute completeness of the touched products, emit one
   summarising event per 1000 SKUs (``product.changed``, ``price.changed``,
   ``stock.changed``) and invalidate the page cache once.

Rows are upserted by SKU (products), code (attributes), (price list, SKU, minimum quantity)
(prices) and (warehouse, SKU) (stock). Nothing is ever deleted. A column that is absent
leaves the field alone; a column that is present sets it, an empty cell to its empty value.
"""

from __future__ import annotations

import csv
import datetime
import io
import re
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

import tablib
from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.text import slugify
from django.utils.translation import gettext as _
from django.utils.translation import ngettext, pgettext

from magpie.pricing import PriceError, check_currency

KINDS = ("attributes", "products", "prices", "stock")  # dependency order
DEFAULT_KIND = "products"
BATCH = 2000
#: Rows per UPDATE: Django's bulk_update builds one CASE per column with a WHEN per row, which
#: the database evaluates per row (quadratic in the batch), so updates go in smaller batches.
UPDATE_BATCH = 250
EVENT_CHUNK = 1000
LIST_SEPARATOR = "|"
ATTRIBUTE_PREFIX = "attr:"

PRODUCT_TEXT_COLUMNS = (
    "name_de",
    "name_en",
    "short_description_de",
    "short_description_en",
    "description_de",
    "description_en",
)
LONG_TEXT_COLUMNS = PRODUCT_TEXT_COLUMNS[2:]
PRODUCT_COLUMNS = (
    "sku",
    *PRODUCT_TEXT_COLUMNS,
    "brand",
    "status",
    "categories",
    "weight_kg",
    "lead_time_days",
)
ATTRIBUTE_COLUMNS = (
    "code",
    "label_de",
    "label_en",
    "type",
    "unit",
    "min",
    "max",
    "pattern",
    "filterable",
    "options",
)
PRICE_COLUMNS = ("price_list", "sku", "min_quantity", "amount", "currency")
STOCK_COLUMNS = ("warehouse", "sku", "on_hand", "reserved")
COLUMNS = {
    "products": PRODUCT_COLUMNS,
    "attributes": ATTRIBUTE_COLUMNS,
    "prices": PRICE_COLUMNS,
    "stock": STOCK_COLUMNS,
}
REQUIRED_COLUMNS = {
    "products": ("sku",),
    "attributes": ("code",),
    "prices": ("price_list", "sku", "amount", "currency"),
    "stock": ("warehouse", "sku", "on_hand"),
}
TRUE_WORDS = {"1", "true", "yes", "y", "ja", "j", "x", "on"}
FALSE_WORDS = {"0", "false", "no", "n", "nein", "off", ""}
SLUG = re.compile(r"^[-a-zA-Z0-9_]+$")
MAX_CELLS_REPORTED = 40


# --------------------------------------------------------------------------- report


@dataclass(frozen=True)
class Problem:
    """One thing wrong with the input: where (sheet, row, column) and what.

    ``message`` is translated into the language active when the problem was found;
    ``str()`` adds the place in the language active when it is called.
    """

    row: int | None
    column: str
    message: str
    sheet: str = ""

    def __str__(self) -> str:
        where = []
        if self.row is not None:
            where.append(_("row %(row)s") % {"row": self.row})
        if self.column:
            where.append(_("column %(column)s") % {"column": self.column})
        prefix = ", ".join(where) or pgettext("catalog import", "file")
        return f"{prefix}: {self.message}"


@dataclass
class Counts:
    """What an import did (or a dry run would do) with the rows of one kind."""

    created: int = 0
    updated: int = 0
    unchanged: int = 0

    @property
    def total(self) -> int:
        return self.created + self.updated + self.unchanged


@dataclass
class ImportReport:
    """The outcome of an import or a dry run: counts per kind and every problem found."""

    dry_run: bool
    counts: dict[str, Counts] = field(default_factory=dict)
    errors: list[Problem] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """True when the input had no problem."""
        return not self.errors

    @property
    def written(self) -> bool:
        """True when rows were written (a real run without problems)."""
        return self.ok and not self.dry_run

    def summary(self) -> str:
        """One line per kind, e.g. ``products: 3 created, 1 updated, 0 unchanged``."""
        lines = [
            _("%(kind)s: %(created)d created, %(updated)d updated, %(unchanged)d unchanged")
            % {"kind": kind, "created": c.created, "updated": c.updated, "unchanged": c.unchanged}
            for kind, c in self.counts.items()
        ]
        return "\n".join(lines)


class FileProblem(ValueError):
    """The file cannot be read at all (not CSV/XLSX, wrong encoding, no header)."""


def unknown_kind_message(kind: str) -> str:
    """The message for a kind that is not one of :data:`KINDS` (in the active language)."""
    return _("Unknown kind %(kind)r; choose one of %(kinds)s.") % {
        "kind": kind,
        "kinds": ", ".join(KINDS),
    }


def unknown_currency_message(code: str) -> str:
    """The message for a currency that is not one of ``MAGPIE_CURRENCIES``."""
    return _("Unknown currency %(code)r; Magpie is configured for %(known)s.") % {
        "code": code,
        "known": ", ".join(settings.MAGPIE_CURRENCIES),
    }


class _Abort(Exception):
    """Raised inside the transaction to roll it back when writing found a problem."""


# --------------------------------------------------------------------------- progress


class Progress:
    """Progress callbacks; the default does nothing. The CLI draws a tqdm bar with it."""

    def start(self, phase: str, total: int) -> None:
        """A phase (translated: ``"validating products"``, …) of ``total`` rows."""

    def advance(self, count: int) -> None:
        """``count`` more rows of the current phase are done."""

    def finish(self) -> None:
        """The current phase is over."""


# --------------------------------------------------------------------------- reading files


def _decode(data: bytes) -> str:
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise FileProblem(
            _(
                "The file is not UTF-8 encoded (byte 0x%(byte)02x at position %(position)d). "
                "Save it as 'CSV UTF-8' or as an Excel workbook (.xlsx)."
            )
            % {"byte": data[exc.start], "position": exc.start}
        ) from None


def _delimiter(text: str) -> str:
    first = text.split("\n", 1)[0]
    counts = {d: first.count(d) for d in (",", ";", "\t")}
    best = max(counts, key=lambda d: counts[d])
    return best if counts[best] else ","


def _header(cells: Sequence[Any], sheet: str) -> list[str]:
    headers = [("" if c is None else str(c)).strip() for c in cells]
    while headers and not headers[-1]:
        headers.pop()
    if not headers:
        raise FileProblem(
            _(
                "%(sheet)s: the first row must hold the column names (e.g. sku,name_de,…); "
                "it is empty."
            )
            % {"sheet": sheet}
        )
    problems = []
    for index, name in enumerate(headers, start=1):
        if not name:
            problems.append(_("column %(index)d has no name") % {"index": index})
    seen: set[str] = set()
    for name in headers:
        if name and name in seen:
            problems.append(_("column %(column)r appears twice") % {"column": name})
        seen.add(name)
    if problems:
        raise FileProblem(
            _("%(sheet)s: header (row 1): %(problems)s")
            % {"sheet": sheet, "problems": "; ".join(problems)}
        )
    return headers


def _dataset(rows: Iterator[Sequence[Any]], title: str) -> tablib.Dataset:
    """A Dataset from raw rows; blank rows are kept (as empty cells) to keep row numbers."""
    try:
        first = next(rows)
    except StopIteration:
        raise FileProblem(
            _("%(sheet)s: the file is empty; the first row must hold the column names")
            % {"sheet": title}
        ) from None
    headers = _header(first, title)
    width = len(headers)
    dataset = tablib.Dataset(headers=headers, title=title)
    blank = ("",) * width
    shared: dict[str, str] = {}
    pending_blanks = 0
    for number, row in enumerate(rows, start=2):
        # Repeated short values (status, slugs, option codes) share one string object.
        cells = [
            "" if c is None else (shared.setdefault(c, c) if type(c) is str and len(c) <= 24 else c)
            for c in row
        ]
        if len(cells) > width:
            extra = [c for c in cells[width:] if str(c).strip()]
            if extra:
                raise FileProblem(
                    _(
                        "%(sheet)s: row %(row)d has %(cells)d cells but the header names "
                        "only %(columns)d columns"
                    )
                    % {"sheet": title, "row": number, "cells": len(cells), "columns": width}
                )
            cells = cells[:width]
        if not any(str(c).strip() for c in cells):
            pending_blanks += 1  # appended only if a non-blank row follows (trailing ones go)
            continue
        for _blank in range(pending_blanks):
            dataset.append(blank)
        pending_blanks = 0
        if len(cells) < width:
            cells += [""] * (width - len(cells))
        dataset.append(cells)
    return dataset


def _read_csv(data: bytes, kind: str) -> tablib.Dataset:
    if b"\x00" in data[:4096]:
        raise FileProblem(_("This is not a CSV or XLSX file (it contains binary data)."))
    first_line = data[: data.find(b"\n") if b"\n" in data else len(data)]
    delimiter = _delimiter(first_line.decode("utf-8-sig", errors="replace"))
    # Decoded while read (not one big string): keeps the peak memory of a 100k-row file low.
    stream = io.TextIOWrapper(io.BytesIO(data), encoding="utf-8-sig", newline="")
    try:
        return _dataset(csv.reader(stream, delimiter=delimiter), kind)
    except csv.Error as exc:
        raise FileProblem(_("The CSV file is malformed: %(error)s") % {"error": exc}) from None
    except UnicodeDecodeError:
        _decode(data)  # raises FileProblem with the position of the first bad byte
        raise


def _read_xlsx(data: bytes, kind: str | None) -> dict[str, tablib.Dataset]:
    from openpyxl import load_workbook

    try:
        book = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception as exc:  # zipfile.BadZipFile, KeyError, InvalidFileException, …
        raise FileProblem(_("The XLSX file cannot be read: %(error)s") % {"error": exc}) from None
    try:
        named = {ws.title.strip().lower(): ws for ws in book.worksheets}
        by_kind = {k: named[k] for k in KINDS if k in named}
        if kind is None and by_kind:
            chosen = by_kind
        elif kind is not None and kind in by_kind:
            chosen = {kind: by_kind[kind]}
        elif kind is not None and by_kind:
            raise FileProblem(
                _("The workbook has no sheet named %(kind)r (it has %(sheets)s).")
                % {"kind": kind, "sheets": ", ".join(named)}
            )
        else:
            chosen = {kind or DEFAULT_KIND: book.worksheets[0]}
        return {k: _dataset(ws.iter_rows(values_only=True), k) for k, ws in chosen.items()}
    finally:
        book.close()


def read_file(
    data: bytes, filename: str = "", kind: str | None = None
) -> dict[str, tablib.Dataset]:
    """Read CSV or XLSX bytes into one Dataset per kind.

    ``kind`` None means: the sheets of a workbook named ``products``, ``attributes``,
    ``prices`` and ``stock``, or else the first sheet (or the CSV file) as products.
    Raises :class:`FileProblem` with a message for a person when the file is unreadable.
    """
    if kind is not None and kind not in KINDS:
        raise FileProblem(unknown_kind_message(kind))
    suffix = Path(filename).suffix.lower()
    if not data:
        raise FileProblem(_("The file is empty; the first row must hold the column names."))
    is_zip = data[:4] == b"PK\x03\x04"
    if suffix == ".xlsx" or (suffix not in (".csv", ".txt") and is_zip):
        if not is_zip:
            raise FileProblem(_("This is not an XLSX workbook (Excel 2007 or later)."))
        return _read_xlsx(data, kind)
    if suffix in ("", ".csv", ".txt", ".tsv"):
        if is_zip:
            raise FileProblem(_("This looks like an Excel workbook; name it .xlsx, not .csv."))
        return {kind or DEFAULT_KIND: _read_csv(data, kind or DEFAULT_KIND)}
    raise FileProblem(
        _("Files of type %(suffix)r cannot be imported; use CSV (UTF-8) or XLSX.")
        % {"suffix": suffix}
    )


def read_path(path: str | Path, kind: str | None = None) -> dict[str, tablib.Dataset]:
    """:func:`read_file` for a file on disk."""
    path = Path(path)
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise FileProblem(
            _("Cannot read %(path)s: %(error)s") % {"path": path, "error": exc.strerror or exc}
        ) from None
    return read_file(data, path.name, kind)


# --------------------------------------------------------------------------- cell parsing


class CellProblem(ValueError):
    """A cell value that cannot be used; the message is for the person who typed it."""


def text(value: Any) -> str:
    """A cell as text: numbers without a spurious ``.0``, dates as ISO, None as ``""``."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value.strip()
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, datetime.datetime):
        return value.date().isoformat() if value.time() == datetime.time() else value.isoformat()
    if isinstance(value, datetime.date):
        return value.isoformat()
    return str(value).strip()


def decimal(value: Any, places: int, digits: int, minimum: Decimal | None = Decimal(0)) -> Decimal:
    """A cell as a Decimal with at most ``places`` decimals and ``digits`` digits."""
    if isinstance(value, bool):
        raise CellProblem(_("expected a number, got a yes/no value"))
    if isinstance(value, float):
        value = repr(value)
    raw = text(value).replace("'", "").replace("\u2019", "")
    if "," in raw and "." not in raw:
        raw = raw.replace(",", ".")
    try:
        number = Decimal(raw)
    except InvalidOperation:
        raise CellProblem(_("%(value)r is not a number") % {"value": text(value)}) from None
    if not number.is_finite():
        raise CellProblem(_("%(value)r is not a number") % {"value": text(value)})
    if minimum is not None and number < minimum:
        raise CellProblem(
            _("%(number)s is negative; it must be at least %(minimum)s")
            % {"number": number, "minimum": minimum}
        )
    if number and number.adjusted() >= digits - places:
        raise CellProblem(_("%(number)s is too large") % {"number": number})
    exponent = number.as_tuple().exponent
    assert isinstance(exponent, int)
    if -exponent > places and number != number.quantize(Decimal(1).scaleb(-places)):
        raise CellProblem(
            ngettext(
                "%(number)s has more than %(places)d decimal place",
                "%(number)s has more than %(places)d decimal places",
                places,
            )
            % {"number": number, "places": places}
        )
    number = number.quantize(Decimal(1).scaleb(-places))
    if len(number.as_tuple().digits) > digits:
        raise CellProblem(_("%(number)s is too large") % {"number": number})
    return number


def integer(value: Any, minimum: int | None = 0) -> int:
    """A cell as a whole number (``3``, ``3.0``)."""
    if isinstance(value, bool):
        raise CellProblem(_("expected a whole number, got a yes/no value"))
    raw = text(value).replace("'", "")
    try:
        number = Decimal(raw)
    except InvalidOperation:
        raise CellProblem(_("%(value)r is not a whole number") % {"value": raw}) from None
    if not number.is_finite() or number != number.to_integral_value():
        raise CellProblem(_("%(value)r is not a whole number") % {"value": raw})
    if number.adjusted() > 12:
        raise CellProblem(_("%(number)s is too large") % {"number": raw})
    result = int(number)
    if minimum is not None and result < minimum:
        raise CellProblem(
            (
                _("%(number)s is negative; it must be at least %(minimum)s")
                if result < 0
                else _("%(number)s is below the minimum %(minimum)s")
            )
            % {"number": result, "minimum": minimum}
        )
    if result > 2_147_483_647:
        raise CellProblem(_("%(number)s is too large") % {"number": result})
    return result


def boolean(value: Any) -> bool:
    """A cell as yes/no (``yes``, ``true``, ``1``, ``ja``, ``x`` / ``no``, ``0``, empty)."""
    if isinstance(value, bool):
        return value
    word = text(value).lower()
    if word in TRUE_WORDS:
        return True
    if word in FALSE_WORDS:
        return False
    raise CellProblem(_("%(value)r is not yes or no") % {"value": text(value)})


def _split(value: Any) -> list[str]:
    return [part.strip() for part in text(value).split(LIST_SEPARATOR) if part.strip()]


# --------------------------------------------------------------------------- bulk update


def bulk_update(model: Any, objects: Sequence[Any], fields: Sequence[str]) -> None:
    """Write ``fields`` of ``objects`` (all with a pk) in as few statements as possible.

    On PostgreSQL: ``UPDATE … FROM (VALUES …)``, 1000 rows a statement — Django's
    ``bulk_update`` builds a ``CASE WHEN`` per row and column instead, which for 100k
    products took ten times as long as creating them. Elsewhere: Django's ``bulk_update``.
    """
    from django.db import connections, router

    if not objects:
        return
    alias = router.db_for_write(model)
    connection = connections[alias]
    if connection.vendor != "postgresql":
        model.objects.bulk_update(objects, fields, batch_size=UPDATE_BATCH)
        return
    meta = model._meta
    columns = [meta.pk, *(meta.get_field(name) for name in fields)]
    quote = connection.ops.quote_name
    table = quote(meta.db_table)
    names = ", ".join(quote(f.column) for f in columns)
    assignments = ", ".join(f"{quote(f.column)} = v.{quote(f.column)}" for f in columns[1:])
    row_sql = (
        "("
        + ", ".join(
            f"%s::{f.rel_db_type(connection) if f.is_relation else f.db_type(connection)}"
            for f in columns
        )
        + ")"
    )
    for start in range(0, len(objects), 1000):
        part = objects[start : start + 1000]
        params: list[Any] = []
        for obj in part:
            params.extend(f.get_db_prep_save(getattr(obj, f.attname), connection) for f in columns)
        sql = (
            f"UPDATE {table} SET {assignments} FROM (VALUES {', '.join([row_sql] * len(part))})"
            f" AS v({names}) WHERE {table}.{quote(meta.pk.column)} = v.{quote(meta.pk.column)}"
        )
        with connection.cursor() as cursor:
            cursor.execute(sql, params)


# --------------------------------------------------------------------------- importers


@dataclass
class _Context:
    """State shared by the kinds of one import run."""

    dry_run: bool
    progress: Progress
    errors: list[Problem] = field(default_factory=list)
    definitions: dict[str, Any] = field(default_factory=dict)
    #: product SKUs the products sheet of this run creates or updates (prices/stock see them)
    file_skus: set[str] = field(default_factory=set)
    touched_products: set[int] = field(default_factory=set)
    events: dict[str, list[str]] = field(default_factory=dict)
    changed_anything: bool = False

    def problem(self, sheet: str, row: int | None, column: str, message: str) -> None:
        self.errors.append(Problem(row, column, message, sheet))


class _Importer:
    """Validates and writes the rows of one kind; subclasses know the columns."""

    kind = ""

    def __init__(self, context: _Context, dataset: tablib.Dataset) -> None:
        self.context = context
        self.dataset = dataset
        self.headers: list[str] = list(dataset.headers or [])
        self.index = {name: i for i, name in enumerate(self.headers)}
        self.records: list[Any] = []
        self.counts = Counts()

    # -- helpers
    def problem(self, row: int | None, column: str, message: str) -> None:
        self.context.problem(self.kind, row, column, message)

    def has(self, column: str) -> bool:
        return column in self.index

    def check_headers(self) -> bool:
        """Report missing required and unknown columns; False when rows cannot be read.

        Unknown columns are reported and otherwise ignored, so the rows are still checked.
        """
        fine = True
        for column in REQUIRED_COLUMNS[self.kind]:
            if column not in self.index:
                self.problem(
                    1, column, _("required column %(column)r is missing") % {"column": column}
                )
                fine = False
        known = set(COLUMNS[self.kind])
        for column in self.headers:
            if column not in known:
                self.extra_column_ok(column)
        return fine

    def extra_column_ok(self, column: str) -> bool:
        self.problem(
            1,
            column,
            _("unknown column %(column)r; %(kind)s files have the columns %(columns)s")
            % {"column": column, "kind": self.kind, "columns": ", ".join(COLUMNS[self.kind])},
        )
        return False

    def rows(self) -> Iterator[tuple[int, Sequence[Any]]]:
        """(file row number, cells) of every non-blank row."""
        for offset, row in enumerate(self.dataset):
            if any(c not in ("", None) for c in row):
                yield offset + 2, row

    # -- the two phases
    def validate(self) -> None:
        """Clean every row into ``self.records``; problems go to the context."""
        if not self.check_headers():
            return
        self.prepare()
        progress = self.context.progress
        progress.start(_("validating %(kind)s") % {"kind": self.kind}, len(self.dataset))
        done = 0
        for number, row in self.rows():
            record = self.clean(number, row)
            if record is not None:
                self.records.append(record)
            done += 1
            if done % 1000 == 0:
                progress.advance(1000)
        progress.advance(done % 1000)
        progress.finish()
        self.after_validate()

    def write(self, write: bool) -> None:
        """Compare ``self.records`` with the database chunk by chunk; write when asked."""
        progress = self.context.progress
        phase = _("writing %(kind)s") if write else _("checking %(kind)s")
        progress.start(phase % {"kind": self.kind}, len(self.records))
        self.before_write(write)
        for start in range(0, len(self.records), BATCH):
            chunk = self.records[start : start + BATCH]
            self.write_chunk(chunk, write)
            progress.advance(len(chunk))
        self.after_write(write)
        progress.finish()
        if self.counts.created or self.counts.updated:
            self.context.changed_anything = True

    # -- hooks for subclasses
    def prepare(self) -> None:
        """Load lookups needed to validate rows."""

    def clean(self, number: int, row: Sequence[Any]) -> Any:
        raise NotImplementedError

    def after_validate(self) -> None:
        """Checks across rows, after every row was cleaned."""

    def before_write(self, write: bool) -> None:
        """Runs once before the chunks."""

    def write_chunk(self, chunk: list[Any], write: bool) -> None:
        raise NotImplementedError

    def after_write(self, write: bool) -> None:
        """Runs once after the chunks."""

    def cell(self, row: Sequence[Any], column: str) -> Any:
        return row[self.index[column]]


# ------------------------------------------------------------------ attributes


@dataclass
class _AttributeRecord:
    row: int
    code: str
    values: dict[str, Any]
    options: list[tuple[str, str, str]] | None


class AttributeImporter(_Importer):
    """Attribute definitions with their options (``code=label_de=label_en|…``)."""

    kind = "attributes"

    def prepare(self) -> None:
        from magpie_catalog.models import Attribute

        self.types = {choice.value for choice in Attribute.Type}
        self.existing = {a.code: a for a in Attribute.objects.all()}
        self.seen: dict[str, int] = {}

    def clean(self, number: int, row: Sequence[Any]) -> _AttributeRecord | None:
        from magpie_catalog.attributes import Definition

        ok = True
        code = text(self.cell(row, "code"))
        if not code:
            self.problem(number, "code", _("the attribute code is required"))
            return None
        if not SLUG.match(code) or len(code) > 50:
            self.problem(
                number,
                "code",
                _("%(code)r is not a code (letters, digits, - and _; ≤ 50)") % {"code": code},
            )
            ok = False
        if code in self.seen:
            self.problem(
                number,
                "code",
                _("%(code)r appears twice in the file (row %(row)d)")
                % {"code": code, "row": self.seen[code]},
            )
            return None
        self.seen[code] = number
        existing = self.existing.get(code)
        values: dict[str, Any] = {}
        for column, limit in (("label_de", 100), ("label_en", 100), ("unit", 20), ("pattern", 200)):
            if self.has(column):
                value = text(self.cell(row, column))
                if len(value) > limit:
                    self.problem(
                        number, column, _("longer than %(limit)d characters") % {"limit": limit}
                    )
                    ok = False
                values[column] = value
        if not values.get("label_de", existing.label_de if existing else ""):
            self.problem(number, "label_de", _("a German label is required"))
            ok = False
        if self.has("type"):
            kind = text(self.cell(row, "type")).lower() or "text"
            if kind not in self.types:
                self.problem(
                    number,
                    "type",
                    _("%(value)r is not a type (%(allowed)s)")
                    % {"value": kind, "allowed": ", ".join(sorted(self.types))},
                )
                ok = False
            values["type"] = kind
        kind = values.get("type", existing.type if existing else "text")
        for column, target in (("min", "min_value"), ("max", "max_value")):
            if self.has(column):
                raw = self.cell(row, column)
                if text(raw) == "":
                    values[target] = None
                    continue
                try:
                    values[target] = decimal(raw, 6, 18, minimum=None)
                except CellProblem as exc:
                    self.problem(number, column, str(exc))
                    ok = False
        low = values.get("min_value", existing.min_value if existing else None)
        high = values.get("max_value", existing.max_value if existing else None)
        if low is not None and high is not None and low > high:
            self.problem(
                number,
                "max",
                _("the maximum %(maximum)s is below the minimum %(minimum)s")
                % {"maximum": high, "minimum": low},
            )
            ok = False
        if values.get("pattern"):
            try:
                re.compile(values["pattern"])
            except re.error as exc:
                self.problem(
                    number, "pattern", _("not a regular expression: %(error)s") % {"error": exc}
                )
                ok = False
        if self.has("filterable"):
            try:
                values["filterable"] = boolean(self.cell(row, "filterable"))
            except CellProblem as exc:
                self.problem(number, "filterable", str(exc))
                ok = False
        options = None
        if self.has("options"):
            options = []
            codes: set[str] = set()
            for entry in _split(self.cell(row, "options")):
                parts = [p.strip() for p in entry.split("=")]
                option = parts[0]
                if len(parts) > 3 or not SLUG.match(option) or len(option) > 50:
                    self.problem(
                        number,
                        "options",
                        _(
                            "%(entry)r is not an option; write code=label_de=label_en "
                            "(code: letters, digits, - and _)"
                        )
                        % {"entry": entry},
                    )
                    ok = False
                    continue
                if option in codes:
                    self.problem(
                        number,
                        "options",
                        _("option %(option)r appears twice") % {"option": option},
                    )
                    ok = False
                codes.add(option)
                label_de = parts[1] if len(parts) > 1 and parts[1] else option
                label_en = parts[2] if len(parts) > 2 else ""
                options.append((option, label_de[:100], label_en[:100]))
            if options and kind not in ("choice", "multi_choice"):
                self.problem(
                    number,
                    "options",
                    _("a %(type)s attribute has no options") % {"type": kind},
                )
                ok = False
        if not ok:
            return None
        option_codes = {o[0] for o in options or ()}
        if existing is not None:
            option_codes |= {o.code for o in existing.options.all()}
        merged = {
            name: values.get(name, getattr(existing, name, default))
            for name, default in (
                ("type", "text"),
                ("unit", ""),
                ("min_value", None),
                ("max_value", None),
                ("pattern", ""),
            )
        }
        self.context.definitions[code] = Definition(
            code=code, options=frozenset(option_codes), **merged
        )
        return _AttributeRecord(number, code, values, options)

    def write_chunk(self, chunk: list[_AttributeRecord], write: bool) -> None:
        from magpie_catalog.models import Attribute, AttributeOption

        existing_options: dict[int, dict[str, AttributeOption]] = {}
        ids = [self.existing[r.code].pk for r in chunk if r.code in self.existing]
        for option in AttributeOption.objects.filter(attribute_id__in=ids):
            existing_options.setdefault(option.attribute_id, {})[option.code] = option
        for record in chunk:
            attribute = self.existing.get(record.code)
            changed = attribute is None
            if attribute is None:
                attribute = Attribute(code=record.code)
            for name, value in record.values.items():
                if getattr(attribute, name) != value:
                    setattr(attribute, name, value)
                    changed = True
            if write and changed:
                attribute.save()
            option_changed = False
            current = existing_options.get(attribute.pk, {}) if attribute.pk else {}
            new_options, updated_options = [], []
            for position, (code, label_de, label_en) in enumerate(record.options or ()):
                option = current.get(code)
                if option is None:
                    new_options.append(
                        AttributeOption(
                            attribute=attribute,
                            code=code,
                            label_de=label_de,
                            label_en=label_en,
                            position=position,
                        )
                    )
                elif (option.label_de, option.label_en, option.position) != (
                    label_de,
                    label_en,
                    position,
                ):
                    option.label_de, option.label_en, option.position = (
                        label_de,
                        label_en,
                        position,
                    )
                    updated_options.append(option)
            option_changed = bool(new_options or updated_options)
            if write:
                AttributeOption.objects.bulk_create(new_options)
                AttributeOption.objects.bulk_update(
                    updated_options, ["label_de", "label_en", "position"]
                )
            if record.code not in self.existing:
                self.counts.created += 1
            elif changed or option_changed:
                self.counts.updated += 1
            else:
                self.counts.unchanged += 1


# ------------------------------------------------------------------ products


@dataclass
class _ProductRecord:
    row: int
    sku: str
    fields: tuple[Any, ...]  # aligned with ProductImporter.fields
    attributes: tuple[Any, ...]  # aligned with ProductImporter.attribute_codes
    categories: tuple[int, ...] | None
    brand: str | None


class ProductImporter(_Importer):
    """Products upserted by SKU; ``attr:<code>`` columns set attribute values."""

    kind = "products"

    def extra_column_ok(self, column: str) -> bool:
        if column.startswith(ATTRIBUTE_PREFIX):
            code = column[len(ATTRIBUTE_PREFIX) :].strip()
            if code in self.context.definitions:
                return True
            known = ", ".join(sorted(self.context.definitions)[:MAX_CELLS_REPORTED]) or pgettext(
                "catalog import", "none"
            )
            self.problem(
                1,
                column,
                _("unknown attribute code %(code)r (known: %(known)s)")
                % {"code": code, "known": known},
            )
            return False
        return super().extra_column_ok(column)

    def prepare(self) -> None:
        from magpie_catalog.models import Category, Product

        self.fields = [
            c
            for c in (*PRODUCT_TEXT_COLUMNS, "status", "weight_kg", "lead_time_days")
            if self.has(c)
        ]
        self.attribute_columns = [
            c
            for c in self.headers
            if c.startswith(ATTRIBUTE_PREFIX)
            and c[len(ATTRIBUTE_PREFIX) :].strip() in self.context.definitions
        ]
        self.attribute_codes = [c[len(ATTRIBUTE_PREFIX) :].strip() for c in self.attribute_columns]
        self.statuses = {choice.value for choice in Product.Status}
        self.category_ids = dict(Category.objects.values_list("slug", "id"))
        self.max_lengths = {
            name: Product._meta.get_field(name).max_length for name in ("name_de", "name_en")
        }
        self.seen: dict[str, int] = {}
        self.brands: set[str] = set()
        # name_de is required for new products; which SKUs exist already?
        self.needs_name = not self.has("name_de")
        self.existing_skus: set[str] = set()

    def clean(self, number: int, row: Sequence[Any]) -> _ProductRecord | None:
        from magpie_catalog.attributes import ValueProblem, clean_value

        ok = True
        sku = text(self.cell(row, "sku"))
        if not sku:
            self.problem(number, "sku", _("the SKU is required"))
            return None
        if len(sku) > 64:
            self.problem(number, "sku", _("a SKU has at most %(limit)d characters") % {"limit": 64})
            ok = False
        if sku in self.seen:
            self.problem(
                number,
                "sku",
                _("duplicate SKU %(sku)r: it appears in row %(row)d too")
                % {"sku": sku, "row": self.seen[sku]},
            )
            return None
        self.seen[sku] = number
        values = []
        for name in self.fields:
            raw = self.cell(row, name)
            try:
                if name == "status":
                    status = text(raw).lower() or "draft"
                    if status not in self.statuses:
                        raise CellProblem(
                            _("%(value)r is not a status (%(allowed)s)")
                            % {"value": text(raw), "allowed": ", ".join(sorted(self.statuses))}
                        )
                    value: Any = status
                elif name == "weight_kg":
                    value = None if text(raw) == "" else decimal(raw, 3, 10)
                elif name == "lead_time_days":
                    value = 0 if text(raw) == "" else integer(raw)
                elif name in LONG_TEXT_COLUMNS and isinstance(raw, str):
                    value = raw  # kept as typed: HTML and line breaks round-trip exactly
                else:
                    value = text(raw)
                    limit = self.max_lengths.get(name)
                    if limit and len(value) > limit:
                        raise CellProblem(_("longer than %(limit)d characters") % {"limit": limit})
                    if name == "name_de" and not value:
                        raise CellProblem(_("the German name is required"))
            except CellProblem as exc:
                self.problem(number, name, str(exc))
                ok = False
                value = None
            values.append(value)
        attributes = []
        for column, code in zip(self.attribute_columns, self.attribute_codes, strict=True):
            try:
                attributes.append(
                    clean_value(self.context.definitions[code], self.cell(row, column))
                )
            except ValueProblem as exc:
                self.problem(number, column, str(exc))
                ok = False
        categories = None
        if self.has("categories"):
            categories = []
            for slug in _split(self.cell(row, "categories")):
                category_id = self.category_ids.get(slug)
                if category_id is None:
                    self.problem(
                        number,
                        "categories",
                        _("unknown category slug %(slug)r") % {"slug": slug},
                    )
                    ok = False
                elif category_id not in categories:
                    categories.append(category_id)
            categories = tuple(sorted(categories))
        brand = None
        if self.has("brand"):
            brand = text(self.cell(row, "brand"))
            if len(brand) > 100:
                self.problem(
                    number,
                    "brand",
                    _("a brand name has at most %(limit)d characters") % {"limit": 100},
                )
                ok = False
            elif brand:
                self.brands.add(brand)
        if not ok:
            return None
        return _ProductRecord(number, sku, tuple(values), tuple(attributes), categories, brand)

    def after_validate(self) -> None:
        from magpie_catalog.models import Product

        self.context.file_skus = set(self.seen)
        if not self.needs_name:
            return
        # Without a name_de column only existing products can be updated.
        skus = [r.sku for r in self.records]
        existing: set[str] = set()
        for start in range(0, len(skus), BATCH):
            existing.update(
                Product.objects.filter(sku__in=skus[start : start + BATCH]).values_list(
                    "sku", flat=True
                )
            )
        for record in self.records:
            if record.sku not in existing:
                self.problem(
                    record.row,
                    "name_de",
                    _("new product %(sku)r needs a German name") % {"sku": record.sku},
                )

    def before_write(self, write: bool) -> None:
        from magpie_catalog.models import Brand

        self.brand_ids = dict(Brand.objects.filter(name__in=self.brands).values_list("name", "id"))
        missing = sorted(self.brands - set(self.brand_ids))
        if write and missing:
            taken = set(Brand.objects.values_list("slug", flat=True))
            new = []
            for name in missing:
                base = slugify(name)[:90] or "brand"
                slug, n = base, 1
                while slug in taken:
                    n += 1
                    slug = f"{base}-{n}"
                taken.add(slug)
                new.append(Brand(name=name, slug=slug))
            Brand.objects.bulk_create(new)
            self.brand_ids.update(Brand.objects.filter(name__in=missing).values_list("name", "id"))
        from magpie_catalog.completeness import required_attributes_by_category

        self.required = required_attributes_by_category()
        self.now = timezone.now()
        self.update_fields = list(self.fields)
        if self.attribute_codes:
            self.update_fields.append("attributes")
        if self.has("brand"):
            self.update_fields.append("brand")
        self.update_fields += ["completeness_de", "completeness_en", "updated_at"]
        self.changed_skus: list[str] = []

    def write_chunk(self, chunk: list[_ProductRecord], write: bool) -> None:
        from magpie_catalog.models import Product, ProductImage

        through = Product.categories.through
        columns = ["id", "sku", "attributes", "brand_id", "completeness_de", "completeness_en"]
        columns += [c for c in (*PRODUCT_TEXT_COLUMNS, *self.fields) if c not in columns]
        existing = {
            row["sku"]: row
            for row in Product.objects.filter(sku__in=[r.sku for r in chunk]).values(*columns)
        }
        current_categories: dict[int, tuple[int, ...]] = {}
        with_image: set[int] = set()
        if existing:
            existing_ids = [row["id"] for row in existing.values()]
            collected: dict[int, list[int]] = {}
            for product_id, category_id in through.objects.filter(
                product_id__in=existing_ids
            ).values_list("product_id", "category_id"):
                collected.setdefault(product_id, []).append(category_id)
            current_categories = {k: tuple(sorted(v)) for k, v in collected.items()}
            with_image = set(
                ProductImage.objects.filter(product_id__in=existing_ids).values_list(
                    "product_id", flat=True
                )
            )
        to_create: list[Product] = []
        to_update: list[Product] = []
        new_links: list[tuple[Product, tuple[int, ...]]] = []
        relink: list[int] = []
        for record in chunk:
            values = dict(zip(self.fields, record.fields, strict=True))
            if self.has("brand"):
                values["brand_id"] = self.brand_ids.get(record.brand) if record.brand else None
            old = existing.get(record.sku)
            attributes = dict(old["attributes"] or {}) if old else {}
            for code, value in zip(self.attribute_codes, record.attributes, strict=True):
                if value is None:
                    attributes.pop(code, None)
                else:
                    attributes[code] = value
            if old is None:
                product = Product(sku=record.sku, attributes=attributes, **values)
                self.score(product, record.categories or (), has_image=False)
                to_create.append(product)
                if record.categories:
                    new_links.append((product, record.categories))
                self.changed_skus.append(record.sku)
                continue
            changed = any(old[name] != value for name, value in values.items()) or (
                self.attribute_codes and attributes != (old["attributes"] or {})
            )
            categories_changed = (
                record.categories is not None
                and current_categories.get(old["id"], ()) != record.categories
            )
            if categories_changed:
                relink.append(old["id"])
                if record.categories:
                    new_links.append((Product(pk=old["id"]), record.categories))
            if changed or categories_changed:
                merged = {name: old[name] for name in PRODUCT_TEXT_COLUMNS}
                merged.update(values)
                product = Product(
                    pk=old["id"], attributes=attributes, updated_at=self.now, **merged
                )
                categories = (
                    record.categories
                    if record.categories is not None
                    else current_categories.get(old["id"], ())
                )
                self.score(product, categories, has_image=old["id"] in with_image)
                to_update.append(product)
                self.counts.updated += 1
                self.changed_skus.append(record.sku)
                self.context.touched_products.add(old["id"])
            else:
                self.counts.unchanged += 1
        self.counts.created += len(to_create)
        if not write:
            return
        Product.objects.bulk_create(to_create, batch_size=BATCH)
        if to_create and to_create[0].pk is None:  # a backend that returns no ids
            ids = dict(
                Product.objects.filter(sku__in=[p.sku for p in to_create]).values_list("sku", "id")
            )
            for product in to_create:
                product.pk = ids[product.sku]
        if to_update:
            bulk_update(Product, to_update, self.update_fields)
        if relink:
            through.objects.filter(product_id__in=relink).delete()
        through.objects.bulk_create(
            [
                through(product_id=product.pk, category_id=category_id)
                for product, categories in new_links
                for category_id in categories
            ],
            batch_size=BATCH * 4,
        )

    def score(self, product: Any, categories: Iterable[int], has_image: bool) -> None:
        """Set ``completeness_de``/``_en`` with :func:`completeness.score`, in this pass.

        Computing it here saves re-reading and ``bulk_update``-ing every imported product
        afterwards (that took 70 % of a 100k-row import). New products have no images;
        updated ones are checked again by :func:`update_completeness` after writing.
        """
        from magpie_catalog.completeness import score

        codes: set[str] = set()
        for category_id in categories:
            codes |= self.required.get(category_id, set())
        product.completeness_de = score(product, "de", codes, has_image)
        product.completeness_en = score(product, "en", codes, has_image)

    def after_write(self, write: bool) -> None:
        self.context.events["product.changed"] = self.changed_skus


# ------------------------------------------------------------------ prices and stock


class _SkuImporter(_Importer):
    """Rows that refer to a product or variant SKU (prices, stock)."""

    def resolve_skus(self, skus: Iterable[str]) -> None:
        """Fill ``self.sku_targets``: SKU → (product id, variant id) from the database."""
        from magpie_catalog.models import Product, Variant

        self.sku_targets: dict[str, tuple[int | None, int | None]] = {}
        skus = list(skus)
        for start in range(0, len(skus), BATCH):
            part = skus[start : start + BATCH]
            for variant_sku, product_id, variant_id in Variant.objects.filter(
                sku__in=part
            ).values_list("sku", "product_id", "id"):
                self.sku_targets[variant_sku] = (product_id, variant_id)
            for product_sku, product_id in Product.objects.filter(sku__in=part).values_list(
                "sku", "id"
            ):
                self.sku_targets[product_sku] = (product_id, None)

    def target(self, sku: str) -> tuple[int | None, int | None] | None:
        """(product id, variant id) of a SKU; ``(None, None)`` for a product this run adds."""
        found = self.sku_targets.get(sku)
        if found is None and sku in self.context.file_skus:
            return (None, None)
        return found

    def check_skus(self) -> None:
        """After validation: report SKUs that are neither in the database nor in the file."""
        self.resolve_skus({r.sku for r in self.records})
        kept = []
        for record in self.records:
            if self.target(record.sku) is None:
                self.problem(
                    record.row,
                    "sku",
                    _("unknown SKU %(sku)r (no such product or variant)") % {"sku": record.sku},
                )
            else:
                kept.append(record)
        self.records = kept

    def unknown_reference(self, code: str, known: Iterable[str]) -> str:
        """The message for a row whose reference ``code`` is not one of ``known``."""
        raise NotImplementedError

    def reference_and_sku(
        self, number: int, row: Sequence[Any], column: str, known: dict[str, Any]
    ) -> tuple[str, Any, str, bool]:
        """Read the row's ``column`` code (looked up in ``known``) and its SKU.

        Returns ``(code, found object or None, sku, ok)``, reporting an unknown code (with
        :meth:`unknown_reference`) or a missing SKU against the row.
        """
        ok = True
        code = text(self.cell(row, column))
        found = known.get(code)
        if found is None:
            self.problem(number, column, self.unknown_reference(code, known))
            ok = False
        sku = text(self.cell(row, "sku"))
        if not sku:
            self.problem(number, "sku", _("the SKU is required"))
            ok = False
        return code, found, sku, ok

    def refresh_targets(self, write: bool) -> None:
        """Before writing: products created by this run now have ids."""
        if write and self.context.file_skus:
            self.resolve_skus({r.sku for r in self.records})


@dataclass
class _PriceRecord:
    row: int
    price_list: int
    sku: str
    min_quantity: int
    amount: Decimal


class PriceImporter(_SkuImporter):
    """Price entries upserted by (price list, SKU, minimum quantity); lists must exist."""

    kind = "prices"

    def prepare(self) -> None:
        from magpie_catalog.models import PriceList

        self.lists = {p.code: p for p in PriceList.objects.all()}
        self.seen: dict[tuple[str, str, int], int] = {}

    def unknown_reference(self, code: str, known: Iterable[str]) -> str:
        names = ", ".join(sorted(known)) or _("none; create price lists in the admin")
        return _("unknown price list %(code)r (known: %(known)s)") % {"code": code, "known": names}

    def clean(self, number: int, row: Sequence[Any]) -> _PriceRecord | None:
        code, price_list, sku, ok = self.reference_and_sku(number, row, "price_list", self.lists)
        min_quantity = 1
        if self.has("min_quantity") and text(self.cell(row, "min_quantity")) != "":
            try:
                min_quantity = integer(self.cell(row, "min_quantity"), minimum=1)
            except CellProblem as exc:
                self.problem(number, "min_quantity", str(exc))
                ok = False
        amount = None
        raw_amount = self.cell(row, "amount")
        if text(raw_amount) == "":
            self.problem(number, "amount", _("the amount is required"))
            ok = False
        else:
            try:
                amount = decimal(raw_amount, 4, 14)
            except CellProblem as exc:
                self.problem(number, "amount", str(exc))
                ok = False
        raw_currency = text(self.cell(row, "currency"))
        currency = None
        if not raw_currency:
            self.problem(number, "currency", _("the currency is required (e.g. CHF, EUR)"))
            ok = False
        else:
            try:
                currency = check_currency(raw_currency)
            except PriceError:
                self.problem(number, "currency", unknown_currency_message(raw_currency))
                ok = False
        if currency is not None and price_list is not None:
            if currency != price_list.currency.upper():
                self.problem(
                    number,
                    "currency",
                    _("price list %(code)r is in %(list_currency)s, not %(currency)s")
                    % {"code": code, "list_currency": price_list.currency, "currency": currency},
                )
                ok = False
        key = (code, sku, min_quantity)
        if ok and key in self.seen:
            self.problem(
                number,
                "sku",
                _("%(sku)r from quantity %(quantity)d in %(code)r appears twice (row %(row)d)")
                % {"sku": sku, "quantity": min_quantity, "code": code, "row": self.seen[key]},
            )
            return None
        if not ok or price_list is None or amount is None:
            return None
        self.seen[key] = number
        return _PriceRecord(number, price_list.pk, sku, min_quantity, amount)

    def after_validate(self) -> None:
        self.check_skus()

    def before_write(self, write: bool) -> None:
        self.refresh_targets(write)
        self.changed_skus: list[str] = []
        self.code_of = {p.pk: code for code, p in self.lists.items()}
        self.changed_lists: set[str] = set()

    def write_chunk(self, chunk: list[_PriceRecord], write: bool) -> None:
        from magpie_catalog.models import PriceEntry

        targets = [self.target(r.sku) for r in chunk]
        product_ids = {t[0] for t in targets if t and t[0] is not None}
        existing = {
            (e["price_list_id"], e["product_id"], e["variant_id"], e["min_quantity"]): e
            for e in PriceEntry.objects.filter(product_id__in=product_ids).values(
                "id", "price_list_id", "product_id", "variant_id", "min_quantity", "amount"
            )
        }
        to_create, to_update = [], []
        for record, (product_id, variant_id) in zip(chunk, targets, strict=True):
            old = existing.get((record.price_list, product_id, variant_id, record.min_quantity))
            if old is None:
                to_create.append(
                    PriceEntry(
                        price_list_id=record.price_list,
                        product_id=product_id,
                        variant_id=variant_id,
                        min_quantity=record.min_quantity,
                        amount=record.amount,
                    )
                )
                self.counts.created += 1
            elif old["amount"] != record.amount:
                to_update.append(PriceEntry(pk=old["id"], amount=record.amount))
                self.counts.updated += 1
            else:
                self.counts.unchanged += 1
                continue
            self.changed_skus.append(record.sku)
            self.changed_lists.add(self.code_of[record.price_list])
        if write:
            PriceEntry.objects.bulk_create(to_create, batch_size=BATCH)
            bulk_update(PriceEntry, to_update, ["amount"])

    def after_write(self, write: bool) -> None:
        self.context.events["price.changed"] = self.changed_skus
        self.context.events["price.changed:lists"] = sorted(self.changed_lists)


@dataclass
class _StockRecord:
    row: int
    warehouse: int
    sku: str
    on_hand: int
    reserved: int | None


class StockImporter(_SkuImporter):
    """Stock levels upserted by (warehouse, SKU); warehouses must exist."""

    kind = "stock"

    def prepare(self) -> None:
        from magpie_catalog.models import Warehouse

        self.warehouses = dict(Warehouse.objects.values_list("code", "id"))
        self.seen: dict[tuple[str, str], int] = {}

    def unknown_reference(self, code: str, known: Iterable[str]) -> str:
        names = ", ".join(sorted(known)) or _("none; create warehouses in the admin")
        return _("unknown warehouse %(code)r (known: %(known)s)") % {"code": code, "known": names}

    def clean(self, number: int, row: Sequence[Any]) -> _StockRecord | None:
        code, warehouse, sku, ok = self.reference_and_sku(number, row, "warehouse", self.warehouses)
        on_hand = reserved = None
        try:
            on_hand = integer(self.cell(row, "on_hand"))
        except CellProblem as exc:
            self.problem(number, "on_hand", str(exc))
            ok = False
        if self.has("reserved"):
            raw = self.cell(row, "reserved")
            try:
                reserved = 0 if text(raw) == "" else integer(raw)
            except CellProblem as exc:
                self.problem(number, "reserved", str(exc))
                ok = False
        if on_hand is not None and reserved is not None and reserved > on_hand:
            self.problem(
                number,
                "reserved",
                _("%(reserved)d reserved is more than the %(on_hand)d on hand")
                % {"reserved": reserved, "on_hand": on_hand},
            )
            ok = False
        key = (code, sku)
        if ok and key in self.seen:
            self.problem(
                number,
                "sku",
                _("%(sku)r in warehouse %(code)r appears twice (row %(row)d)")
                % {"sku": sku, "code": code, "row": self.seen[key]},
            )
            return None
        if not ok or warehouse is None or on_hand is None:
            return None
        self.seen[key] = number
        return _StockRecord(number, warehouse, sku, on_hand, reserved)

    def after_validate(self) -> None:
        self.check_skus()

    def before_write(self, write: bool) -> None:
        self.refresh_targets(write)
        self.changed_skus: list[str] = []
        self.now = timezone.now()

    def write_chunk(self, chunk: list[_StockRecord], write: bool) -> None:
        from magpie_catalog.models import StockLevel

        targets = [self.target(r.sku) for r in chunk]
        product_ids = {t[0] for t in targets if t and t[0] is not None}
        existing = {
            (s["warehouse_id"], s["product_id"], s["variant_id"]): s
            for s in StockLevel.objects.filter(product_id__in=product_ids).values(
                "id", "warehouse_id", "product_id", "variant_id", "on_hand", "reserved"
            )
        }
        to_create, to_update = [], []
        for record, (product_id, variant_id) in zip(chunk, targets, strict=True):
            old = existing.get((record.warehouse, product_id, variant_id))
            if old is None:
                to_create.append(
                    StockLevel(
                        warehouse_id=record.warehouse,
                        product_id=product_id,
                        variant_id=variant_id,
                        on_hand=record.on_hand,
                        reserved=record.reserved or 0,
                    )
                )
                self.counts.created += 1
            else:
                reserved = old["reserved"] if record.reserved is None else record.reserved
                if (old["on_hand"], old["reserved"]) == (record.on_hand, reserved):
                    self.counts.unchanged += 1
                    continue
                if reserved > record.on_hand:
                    self.problem(
                        record.row,
                        "on_hand",
                        _("%(on_hand)d on hand is less than the %(reserved)d already reserved")
                        % {"on_hand": record.on_hand, "reserved": reserved},
                    )
                    continue
                to_update.append(
                    StockLevel(
                        pk=old["id"], on_hand=record.on_hand, reserved=reserved, updated_at=self.now
                    )
                )
                self.counts.updated += 1
            self.changed_skus.append(record.sku)
        if write:
            StockLevel.objects.bulk_create(to_create, batch_size=BATCH)
            bulk_update(StockLevel, to_update, ["on_hand", "reserved", "updated_at"])

    def after_write(self, write: bool) -> None:
        self.context.events["stock.changed"] = self.changed_skus


IMPORTERS: dict[str, type[_Importer]] = {
    "attributes": AttributeImporter,
    "products": ProductImporter,
    "prices": PriceImporter,
    "stock": StockImporter,
}


# --------------------------------------------------------------------------- entry points


def _emit_events(context: _Context) -> None:
    from magpie.events.outbox import emit

    lists = context.events.pop("price.changed:lists", [])
    for event_type in ("product.changed", "price.changed", "stock.changed"):
        skus = context.events.get(event_type) or []
        parts = (len(skus) + EVENT_CHUNK - 1) // EVENT_CHUNK
        for part in range(parts):
            payload: dict[str, Any] = {
                "source": "import",
                "skus": skus[part * EVENT_CHUNK : (part + 1) * EVENT_CHUNK],
                "part": part + 1,
                "parts": parts,
                "total": len(skus),
            }
            if event_type == "price.changed":
                payload["price_lists"] = lists
            emit(event_type, payload)


def import_book(
    datasets: dict[str, tablib.Dataset],
    dry_run: bool = False,
    progress: Progress | None = None,
) -> ImportReport:
    """Import several kinds together (attributes → products → prices → stock), all or none.

    Every row of every kind is validated first. A dry run, or a run with any problem,
    writes nothing; otherwise everything is written in one transaction.
    """
    unknown = [kind for kind in datasets if kind not in KINDS]
    if unknown:
        raise ValueError(
            ngettext(
                "Unknown kind %(kinds)s; choose one of %(allowed)s.",
                "Unknown kinds %(kinds)s; choose from %(allowed)s.",
                len(unknown),
            )
            % {"kinds": ", ".join(map(repr, unknown)), "allowed": ", ".join(KINDS)}
        )
    from magpie_catalog.attributes import load_definitions

    context = _Context(dry_run=dry_run, progress=progress or Progress())
    context.definitions = dict(load_definitions())
    importers = [IMPORTERS[kind](context, datasets[kind]) for kind in KINDS if kind in datasets]
    for importer in importers:
        importer.validate()
    report = ImportReport(dry_run=dry_run, errors=context.errors)
    report.counts = {importer.kind: importer.counts for importer in importers}
    if context.errors and not dry_run:
        return report
    if dry_run:
        for importer in importers:
            importer.write(write=False)
        return report
    try:
        with transaction.atomic():
            for importer in importers:
                importer.write(write=True)
            if context.errors:  # found only against the database (e.g. stock already reserved)
                raise _Abort
            if context.touched_products:
                from magpie_catalog.completeness import update_completeness

                context.progress.start(
                    pgettext("catalog import", "completeness"), len(context.touched_products)
                )
                update_completeness(context.touched_products)
                context.progress.advance(len(context.touched_products))
                context.progress.finish()
            _emit_events(context)
            if context.changed_anything:
                from magpie import pagecache

                pagecache.invalidate()
    except _Abort:
        for importer in importers:
            importer.counts = Counts()
        report.counts = {importer.kind: importer.counts for importer in importers}
        return report
    written = sum(i.counts.created + i.counts.updated for i in importers)
    if written >= ANALYZE_AFTER_ROWS:
        refresh_statistics()
    return report


#: After writing this many rows, refresh the database's planner statistics.
ANALYZE_AFTER_ROWS = 10_000
CATALOG_TABLES = (
    "magpie_catalog_product",
    "magpie_catalog_product_categories",
    "magpie_catalog_priceentry",
    "magpie_catalog_stocklevel",
    "magpie_catalog_variant",
)


def refresh_statistics() -> None:
    """``ANALYZE`` the catalog tables on PostgreSQL after a large import.

    Autovacuum gets there eventually; until it does, the planner still believes the tables
    are small and picks plans (sequential scans, nested loops over 100k rows) that make
    category listings take hundreds of milliseconds.
    """
    from django.db import connection

    if connection.vendor != "postgresql":
        return
    with connection.cursor() as cursor:
        for table in CATALOG_TABLES:
            cursor.execute(f'ANALYZE "{table}"')


def import_rows(
    kind: str,
    dataset: tablib.Dataset,
    dry_run: bool = False,
    progress: Progress | None = None,
) -> ImportReport:
    """Import the rows of one kind (``products``, ``attributes``, ``prices``, ``stock``)."""
    if kind not in KINDS:
        raise ValueError(unknown_kind_message(kind))
    return import_book({kind: dataset}, dry_run=dry_run, progress=progress)


def import_file(
    data: bytes,
    filename: str = "",
    kind: str | None = None,
    dry_run: bool = False,
    progress: Progress | None = None,
) -> ImportReport:
    """Read and import a CSV or XLSX file; an unreadable file is reported, not raised."""
    try:
        datasets = read_file(data, filename, kind)
    except FileProblem as exc:
        return ImportReport(dry_run=dry_run, errors=[Problem(None, "", str(exc))])
    return import_book(datasets, dry_run=dry_run, progress=progress)


def kinds_in(data: bytes, filename: str = "", kind: str | None = None) -> list[str]:
    """The kinds a file would import (for permission checks before importing)."""
    return list(read_file(data, filename, kind))
