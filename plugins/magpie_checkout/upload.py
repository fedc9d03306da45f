"""Upload of a CSV or XLSX file with the columns ``sku`` and ``quantity``.

The file is read (:func:`read_upload`), each row checked as in the quick order, and the
report shown before anything is added. The rows travel to the confirmation in a signed,
compressed token (:func:`sign_rows` / :func:`unsign_rows`) — no server-side state — and are
checked again when the buyer confirms.

Rules: a header row naming ``sku`` and ``quantity`` (any case and order, other columns are
ignored); ``,`` or ``;`` separators; UTF-8 with or without a byte-order mark; at most
:data:`MAX_ROWS` rows and :data:`MAX_BYTES` bytes.
"""

from __future__ import annotations

import csv
import io
from typing import Any

from django.core import signing
from django.utils.translation import gettext as _

MAX_ROWS = 1000
MAX_BYTES = 1024 * 1024
#: Rows (empty ones too) and columns of a workbook read at most.
MAX_SHEET_ROWS = 20 * MAX_ROWS
MAX_COLUMNS = 50
TOKEN_SALT = "magpie_checkout.upload"
TOKEN_MAX_AGE = 3600


class UploadError(ValueError):
    """A file that cannot be read (a clear message); nothing was added."""


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def _columns(header: list[Any]) -> tuple[int, int]:
    names = [_cell(name).lower().lstrip("\ufeff") for name in header]
    if "sku" not in names or "quantity" not in names:
        raise UploadError(
            _("The first row must name the columns sku and quantity (found: %(found)s).")
            % {"found": ", ".join(n for n in names if n)[:200] or _("nothing")}
        )
    return names.index("sku"), names.index("quantity")


def _rows(table: list[list[Any]]) -> list[tuple[int, str, str]]:
    if not table:
        raise UploadError(_("The file is empty."))
    sku_col, qty_col = _columns(table[0])
    rows: list[tuple[int, str, str]] = []
    for number, raw in enumerate(table[1:], start=2):
        cells = [_cell(c) for c in raw]
        if not any(cells):
            continue
        if len(rows) >= MAX_ROWS:
            raise UploadError(
                _("The file has more than %(max)d rows; split it into smaller files.")
                % {"max": MAX_ROWS}
            )
        sku = cells[sku_col] if sku_col < len(cells) else ""
        quantity = cells[qty_col] if qty_col < len(cells) else ""
        rows.append((number, sku, quantity))
    if not rows:
        raise UploadError(_("The file has no rows below the header."))
    return rows


def _read_csv(data: bytes) -> list[list[str]]:
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise UploadError(_("The CSV file must be UTF-8 encoded text.")) from exc
    if "\x00" in text:
        raise UploadError(_("This is not a CSV file."))
    first = text.split("\n", 1)[0]
    delimiter = ";" if first.count(";") > first.count(",") else ","
    try:
        return [row for row in csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)]
    except csv.Error as exc:
        raise UploadError(_("The CSV file is malformed: %(error)s") % {"error": exc}) from exc


def _read_xlsx(data: bytes) -> list[list[Any]]:
    try:
        from openpyxl import load_workbook

        workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
        sheet = workbook.worksheets[0]
        table = []
        # Read lazily with a cap: 1 MB of compressed XML can unpack to far more rows.
        for row in sheet.iter_rows(values_only=True, max_col=MAX_COLUMNS):
            table.append(list(row))
            if len(table) > MAX_SHEET_ROWS:
                break
        workbook.close()
    except Exception as exc:  # noqa: BLE001 - any damage to the file is the buyer's message
        raise UploadError(_("The Excel file cannot be read; save it again as .xlsx.")) from exc
    if len(table) > MAX_SHEET_ROWS:
        raise UploadError(
            _("The file has more than %(max)d rows; split it into smaller files.")
            % {"max": MAX_ROWS}
        )
    return table


def read_upload(file: Any) -> list[tuple[int, str, str]]:
    """``(row number, sku, quantity)`` of an uploaded CSV or XLSX file (row numbers as a
    spreadsheet shows them: the header is row 1). Raises :class:`UploadError`."""
    if file is None:
        raise UploadError(_("Choose a CSV or Excel file."))
    if file.size > MAX_BYTES:
        raise UploadError(_("The file is larger than 1 MB."))
    data = file.read(MAX_BYTES + 1)
    if len(data) > MAX_BYTES:
        raise UploadError(_("The file is larger than 1 MB."))
    name = (getattr(file, "name", "") or "").lower()
    if data[:4] == b"PK\x03\x04" or name.endswith(".xlsx"):
        return _rows(_read_xlsx(data))
    if name.endswith((".xls", ".ods", ".numbers")):
        raise UploadError(_("Upload a .csv or .xlsx file."))
    return _rows(_read_csv(data))


def sign_rows(rows: list[tuple[int, str, str]]) -> str:
    """A signed token holding the uploaded rows until the buyer confirms."""
    return signing.dumps([list(row) for row in rows], salt=TOKEN_SALT, compress=True)


def unsign_rows(token: str) -> list[tuple[int, str, str]]:
    """The rows of a token of :func:`sign_rows` (an hour at most). Raises
    :class:`UploadError` for a tampered or expired token."""
    try:
        rows = signing.loads(token or "", salt=TOKEN_SALT, max_age=TOKEN_MAX_AGE)
    except signing.SignatureExpired as exc:
        raise UploadError(_("The upload has expired; upload the file again.")) from exc
    except signing.BadSignature as exc:
        raise UploadError(_("The upload cannot be confirmed; upload the file again.")) from exc
    return [(int(n), str(s), str(q)) for n, s, q in rows]
