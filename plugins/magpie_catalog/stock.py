"""Stock availability and reservations that can never oversell.

A reservation is one conditional ``UPDATE … SET reserved = reserved + n WHERE on_hand -
reserved >= n`` per stock row, never a read followed by a write, and rows are taken in
primary-key order inside one transaction (as Saleor does), so concurrent reservations
cannot deadlock and together never exceed what is on hand. The database constraint
``0 <= reserved <= on_hand`` guards it once more.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from django.db import transaction
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

    Takes units from warehouses in primary-key order. Returns ``(stock_level_id, units)``
    pairs to release later; raises :class:`InsufficientStock` (and reserves nothing) when a
    line cannot be covered.
    """
    taken: list[tuple[int, int]] = []
    with transaction.atomic():
        for product, variant, quantity in lines:
            if quantity < 1:
                raise ValueError(_("The quantity must be at least 1."))
            needed = quantity
            for row_id, free in (
                _rows(product, variant)
                .order_by("pk")
                .values_list("pk", F("on_hand") - F("reserved"))
            ):
                if needed == 0:
                    break
                units = min(free, needed)
                if units <= 0:
                    continue
                # Conditional update: succeeds only if the units are still free now.
                if StockLevel.objects.filter(
                    Q(pk=row_id) & Q(on_hand__gte=F("reserved") + units)
                ).update(reserved=F("reserved") + units):
                    taken.append((row_id, units))
                    needed -= units
            if needed:
                sku = variant.sku if variant else product.sku
                raise InsufficientStock(sku, quantity, quantity - needed)
    return taken


def release(reservations: Iterable[tuple[int, int]]) -> None:
    """Give back reserved units (e.g. an order was cancelled)."""
    with transaction.atomic():
        for row_id, units in sorted(reservations):
            StockLevel.objects.filter(pk=row_id, reserved__gte=units).update(
                reserved=F("reserved") - units
            )
