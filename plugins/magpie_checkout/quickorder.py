"""Quick order: rows of article number and quantity checked one by one, then added at once.

:func:`check_rows` gives a per-row result (unknown or inactive SKU, bad quantity; more than
available is a warning — placement checks stock again); :func:`add_all` adds every row of
a report to the cart in one transaction, or nothing when any row is invalid. The upload
(:mod:`magpie_checkout.upload`) uses the same check.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from magpie_checkout import cart as carts

OK, WARNING, ERROR = "ok", "warning", "error"
#: The rows the form starts with, and the most it shows.
START_ROWS = 10
MAX_ROWS = 200


@dataclass
class RowResult:
    """The check of one row: what was typed, the product found, the status and message."""

    number: int
    sku: str
    quantity_text: str
    status: str = OK
    message: str = ""
    product: Any = None
    variant: Any = None
    quantity: int | None = None
    available: int | None = None

    @property
    def ok(self) -> bool:
        return self.status != ERROR

    def as_dict(self) -> dict[str, Any]:
        """The row as a report shows it (and a signed token keeps it)."""
        return {
            "number": self.number,
            "sku": self.sku,
            "quantity": self.quantity_text,
            "status": self.status,
            "message": self.message,
        }


@dataclass
class Report:
    """The results of all rows that had input."""

    rows: list[RowResult] = field(default_factory=list)

    @property
    def valid(self) -> list[RowResult]:
        return [row for row in self.rows if row.ok]

    @property
    def invalid(self) -> list[RowResult]:
        return [row for row in self.rows if not row.ok]

    @property
    def all_valid(self) -> bool:
        return bool(self.rows) and not self.invalid


def check_row(
    number: int,
    sku: str,
    quantity_text: str,
    found: dict[str, tuple[Any, Any]] | None = None,
    stock: dict[tuple[int, int | None], int] | None = None,
) -> RowResult:
    """Check one row: the SKU is a known, active product or variant, and the quantity a
    whole number from 1; more than available only warns. ``found`` and ``stock`` are
    look-ups made for many rows at once (:func:`check_rows`)."""
    from magpie_catalog.stock import availability

    sku = (sku or "").strip()[:64]
    quantity_text = (str(quantity_text) if quantity_text is not None else "").strip()[:20]
    row = RowResult(number, sku, quantity_text)
    if not sku:
        row.status, row.message = ERROR, _("Enter an article number.")
        return row
    if found is not None:
        product, variant = found.get(sku.lower(), (None, None))
    else:
        product, variant = carts.find_sku(sku)
    if product is None:
        row.status, row.message = ERROR, _("Unknown article number.")
        return row
    row.product, row.variant = product, variant
    try:
        carts.check_product(product, variant)
    except carts.CartError as exc:
        row.status, row.message = ERROR, str(exc)
        return row
    try:
        row.quantity = carts.parse_quantity(quantity_text)
    except carts.CartError as exc:
        row.status, row.message = ERROR, str(exc)
        return row
    key = (product.pk, getattr(variant, "pk", None))
    if stock is not None and key in stock:
        row.available = stock[key]
    else:
        row.available = availability(product, variant).available
    if row.quantity > row.available:
        row.status = WARNING
        row.message = _("Only %(available)d available now; the rest is delivered later.") % {
            "available": row.available
        }
    return row


def check_rows(rows: Iterable[tuple[int, str, str]]) -> Report:
    """Check ``(row number, sku, quantity)`` rows; rows with neither SKU nor quantity are
    skipped."""
    report = Report()
    rows = [
        (number, sku, quantity)
        for number, sku, quantity in rows
        if (sku or "").strip() or str(quantity or "").strip()
    ]
    found = carts.find_skus([sku for _number, sku, _quantity in rows])
    stock = carts.available_units(list(set(found.values())))
    for number, sku, quantity in rows:
        report.rows.append(check_row(number, sku, quantity, found, stock))
    return report


def add_all(cart: Any, report: Report) -> int:
    """Add every row of ``report`` to ``cart`` in one transaction; nothing when a row is
    invalid (:class:`~magpie_checkout.cart.CartError`). Returns the number of rows added."""
    if not report.rows:
        raise carts.CartError(_("Enter at least one article number and quantity."))
    if not report.all_valid:
        raise carts.CartError(_("Nothing was added: correct the rows marked as errors."))
    with transaction.atomic():
        for row in report.rows:
            carts.add(cart, row.product, row.variant, row.quantity)
    return len(report.rows)


def add_valid(cart: Any, report: Report) -> int:
    """Add the valid rows of ``report`` in one transaction (the upload's confirmation)."""
    valid = report.valid
    if not valid:
        raise carts.CartError(_("No row can be added."))
    with transaction.atomic():
        for row in valid:
            carts.add(cart, row.product, row.variant, row.quantity)
    return len(valid)


def rows_from_post(data: Any) -> list[tuple[int, str, str]]:
    """The ``sku-N`` / ``quantity-N`` pairs of a quick-order form (N from 0)."""
    rows = []
    for index in range(MAX_ROWS):
        sku_key, qty_key = f"sku-{index}", f"quantity-{index}"
        if sku_key not in data and qty_key not in data:
            continue
        rows.append((index + 1, data.get(sku_key, ""), data.get(qty_key, "")))
    return rows


def suggest(prefix: str, limit: int = 10) -> list[dict[str, str]]:
    """Active products whose SKU starts with ``prefix`` (at least 2 characters)."""
    from magpie_catalog.models import Product

    prefix = (prefix or "").strip()[:64]
    if len(prefix) < 2:
        return []
    products = Product.objects.filter(status="active", sku__istartswith=prefix).order_by("sku")
    return [{"sku": p.sku, "name": p.name} for p in products[:limit]]
