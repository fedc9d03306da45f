"""Stock availability and reservations that can never oversell.

A reservation books units with one conditional ``UPDATE … SET reserved = reserved + n
WHERE on_hand >= reserved + n`` over all its stock rows, after reading those rows locked in
primary-key order (as Saleor does), so concurrent reservations wait for each other instead
of deadlocking and together never exceed what is on hand; a write whose condition fails
books nothing. The database constraint ``0 <= reserved <= on_hand`` guards it once more.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from django.db import DatabaseError, connection, transaction
from django.db.models import F, Q, Sum
from django.utils.translation import gettext as _

from magpie_catalog.models import Product, StockLevel, Variant


class InsufficientStock(Exception):
    """Not enough units available; nothing was reserved."""

    def __init__(self, sku: str, requested: int, available: int) -> None:
        super().__init__(
            _("%(sku)s: %(requested)d requested, %(available)d available")
            % {"sku": sku, "requested": requested, "available": available}
        )
        self.sku, self.requested, self.available = sku, requested, available


@dataclass(frozen=True)
class Availability:
    """Units available now, and the delivery time in days."""

    available: int
    lead_time_days: int

    @property
    def in_stock(self) -> bool:
        return self.available > 0


def _rows(product: Product, variant: Variant | None):
    rows = StockLevel.objects.filter(product=product)
    return rows.filter(variant=variant) if variant else rows.filter(variant__isnull=True)


def availability(product: Product, variant: Variant | None = None) -> Availability:
    """Units on hand minus reserved over all warehouses, and the lead time.

    In stock: the fastest warehouse's delivery time; out of stock: the product's lead time.
    """
    rows = _rows(product, variant).filter(on_hand__gt=F("reserved"))
    total = rows.aggregate(units=Sum(F("on_hand") - F("reserved")))["units"] or 0
    if total > 0:
        fastest = rows.order_by("warehouse__lead_time_days").values_list(
            "warehouse__lead_time_days", flat=True
        )[:1]
        return Availability(total, fastest[0] if fastest else 0)
    return Availability(0, product.lead_time_days)


def reserve(lines: Iterable[tuple[Product, Variant | None, int]]) -> list[tuple[int, int]]:
    """Reserve ``quantity`` of each ``(product, variant, quantity)`` line, all or nothing.

    Two statements whatever the number of lines: the lines' stock rows are read locked
    (``SELECT … FOR UPDATE`` in primary-key order, so concurrent reservations wait for
    each other instead of deadlocking), units are taken from warehouses in primary-key
    order, and one conditional ``UPDATE`` books them all (``WHERE on_hand >= reserved +
    units`` per row, the database's ``CHECK`` behind it). Returns ``(stock_level_id,
    units)`` pairs to release later; raises :class:`InsufficientStock` (and reserves
    nothing) when a line cannot be covered.
    """
    lines = list(lines)
    if any(quantity < 1 for _product, _variant, quantity in lines):
        raise ValueError(_("The quantity must be at least 1."))
    if not lines:
        return []
    with transaction.atomic(savepoint=False):
        booked, taken, short = _allocate(lines)
        if short is None and _add_reserved(booked) != len(booked):
            # Only if a row changed unlocked (SQLite's snapshot); nothing is kept.
            raise DatabaseError("Stock changed during the reservation; try again.")
    if short is not None:  # raised outside the block: the caller's transaction goes on
        raise short
    return taken


def _add_reserved(units: dict[int, int]) -> int:
    """``reserved += units[row]`` for every row that still has them free, in one
    statement (the hot path of every order, so written out in SQL); the rows updated."""
    if not units:
        return 0
    table = connection.ops.quote_name(StockLevel._meta.db_table)
    cases = " ".join(["WHEN %s THEN %s"] * len(units))
    marks = ", ".join(["%s"] * len(units))
    pairs = [value for pk, n in units.items() for value in (pk, n)]
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {table} SET reserved = reserved + (CASE id {cases} END) "  # noqa: S608
            f"WHERE id IN ({marks}) AND on_hand >= reserved + (CASE id {cases} END)",
            [*pairs, *units, *pairs],
        )
        return cursor.rowcount


def _allocate(
    lines: list[tuple[Product, Variant | None, int]],
) -> tuple[dict[int, int], list[tuple[int, int]], InsufficientStock | None]:
    """Lock the lines' stock rows and split each line over them: units per row, the
    ``(row, units)`` pairs in line order, and the first line that cannot be covered."""
    rows = (
        StockLevel.objects.select_for_update()
        .filter(product_id__in={product.pk for product, _variant, _quantity in lines})
        .order_by("pk")
        .values_list("pk", "product_id", "variant_id", "on_hand", "reserved")
    )
    free: dict[tuple[int, int | None], list[list[int]]] = {}
    for row_id, product_id, variant_id, on_hand, reserved in rows:
        free.setdefault((product_id, variant_id), []).append([row_id, on_hand - reserved])
    booked: dict[int, int] = {}
    taken: list[tuple[int, int]] = []
    for product, variant, quantity in lines:
        needed = quantity
        for row in free.get((product.pk, variant.pk if variant else None), []):
            units = min(row[1], needed)
            if units > 0:
                row[1] -= units
                booked[row[0]] = booked.get(row[0], 0) + units
                taken.append((row[0], units))
                needed -= units
            if needed == 0:
                break
        if needed:
            sku = variant.sku if variant else product.sku
            return booked, taken, InsufficientStock(sku, quantity, quantity - needed)
    return booked, taken, None


def release(reservations: Iterable[tuple[int, int]]) -> None:
    """Give back reserved units (e.g. an order was cancelled)."""
    with transaction.atomic():
        for row_id, units in sorted(reservations):
            StockLevel.objects.filter(pk=row_id, reserved__gte=units).update(
                reserved=F("reserved") - units
            )


def fulfil(stock_level_id: int, units: int) -> bool:
    """Take ``units`` reserved units out of the warehouse (they were shipped): on hand and
    reserved both drop by ``units``, in one conditional ``UPDATE`` that succeeds only while
    the row still holds that many reserved units. Returns whether it did; when not, nothing
    changed."""
    if units < 1:
        raise ValueError(_("The quantity must be at least 1."))
    return bool(
        StockLevel.objects.filter(pk=stock_level_id, reserved__gte=units).update(
            on_hand=F("on_hand") - units, reserved=F("reserved") - units
        )
    )


def fulfil_unreserved(
    product: Product, variant: Variant | None, units: int
) -> list[tuple[int, int]]:
    """Take ``units`` free (unreserved) units of a product out of its warehouses, rows in
    primary-key order, one conditional ``UPDATE … WHERE on_hand - reserved >= n`` per row
    (for lines that hold no reservation). All or nothing: raises :class:`InsufficientStock`
    and takes nothing when the free units do not suffice. Returns ``(stock_level_id,
    units)`` pairs."""
    if units < 1:
        raise ValueError(_("The quantity must be at least 1."))
    taken: list[tuple[int, int]] = []
    with transaction.atomic():
        needed = units
        for row_id, free in (
            _rows(product, variant).order_by("pk").values_list("pk", F("on_hand") - F("reserved"))
        ):
            if needed == 0:
                break
            take = min(free, needed)
            if take <= 0:
                continue
            if StockLevel.objects.filter(
                Q(pk=row_id) & Q(on_hand__gte=F("reserved") + take)
            ).update(on_hand=F("on_hand") - take):
                taken.append((row_id, take))
                needed -= take
        if needed:
            sku = variant.sku if variant else product.sku
            raise InsufficientStock(sku, units, units - needed)
    return taken


def restock(stock_level_id: int, units: int) -> None:
    """Put ``units`` back on hand (returned goods), in one ``UPDATE``."""
    if units < 1:
        raise ValueError(_("The quantity must be at least 1."))
    StockLevel.objects.filter(pk=stock_level_id).update(on_hand=F("on_hand") + units)
