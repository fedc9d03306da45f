"""Price resolution from price lists: the catalog's default ``resolve_price``.

The most specific valid list wins — a list for the company, then one for any of its
customer groups, then one for everyone — and among lists of the same scope the highest
priority. In the winning list, the entry with the largest ``min_quantity`` not above the
requested quantity applies (quantity tiers). A variant's own entries win over the
product's. Lists that hold no entry for the product are skipped.
"""

from __future__ import annotations

import datetime
from typing import Any

from django.db.models import Case, IntegerField, Q, Value, When

from magpie.pricing import Price
from magpie_catalog.models import PriceEntry, PriceList

SCOPE_RANK = {PriceList.Scope.COMPANY: 3, PriceList.Scope.GROUP: 2, PriceList.Scope.EVERYONE: 1}


def applicable_lists(company: Any, currency: str, at: datetime.datetime):
    """Valid, active price lists in ``currency`` that apply to ``company``, best first."""
    audience = Q(scope=PriceList.Scope.EVERYONE)
    if company is not None:
        audience |= Q(scope=PriceList.Scope.COMPANY, company=company)
        audience |= Q(scope=PriceList.Scope.GROUP, customer_group__companies=company)
    return (
        PriceList.objects.filter(audience, active=True, currency=currency)
        .filter(Q(valid_from__isnull=True) | Q(valid_from__lte=at))
        .filter(Q(valid_until__isnull=True) | Q(valid_until__gt=at))
        .annotate(
            rank=Case(
                *[When(scope=scope, then=Value(rank)) for scope, rank in SCOPE_RANK.items()],
                output_field=IntegerField(),
            )
        )
        .order_by("-rank", "-priority", "pk")
        .distinct()
    )


def resolve(
    product: Any, variant: Any, quantity: int, company: Any, currency: str, at: datetime.datetime
) -> Price | None:
    """The unit price for ``quantity`` from the best applicable list, or ``None``."""
    return resolve_many([(product, variant, quantity)], company, currency, at)[0]


def resolve_many(
    items: list[tuple[Any, Any, int]], company: Any, currency: str, at: datetime.datetime
) -> list[Price | None]:
    """:func:`resolve` for many ``(product, variant, quantity)`` items in two queries: the
    applicable lists, then every entry of the items' products and variants in them."""
    if not items:
        return []
    lists = list(applicable_lists(company, currency, at))
    if not lists:
        return [None] * len(items)
    target = Q(product_id__in={product.pk for product, _v, _q in items}, variant__isnull=True)
    variant_ids = {variant.pk for _p, variant, _q in items if variant is not None}
    if variant_ids:
        target |= Q(variant_id__in=variant_ids)
    entries = (
        PriceEntry.objects.filter(
            target,
            price_list__in=lists,
            min_quantity__lte=max(quantity for _p, _v, quantity in items),
        )
        .order_by("-min_quantity")
        .values("price_list_id", "product_id", "variant_id", "min_quantity", "amount")
    )
    # (list, "p" or "v", id) → entries, highest tier first.
    found: dict[tuple[int, str, int], list[dict[str, Any]]] = {}
    for entry in entries:
        if entry["variant_id"] is not None:
            key = (entry["price_list_id"], "v", entry["variant_id"])
        else:
            key = (entry["price_list_id"], "p", entry["product_id"])
        found.setdefault(key, []).append(entry)
    return [_best(lists, found, product, variant, quantity) for product, variant, quantity in items]


def _best(
    lists: list[PriceList],
    found: dict[tuple[int, str, int], list[dict[str, Any]]],
    product: Any,
    variant: Any,
    quantity: int,
) -> Price | None:
    """The first list holding an entry for the item; in it, the variant's own entry over
    the product's, the highest tier not above ``quantity``."""
    for price_list in lists:
        own = found.get((price_list.pk, "v", variant.pk)) if variant is not None else None
        for candidates in (own, found.get((price_list.pk, "p", product.pk))):
            tier = next((e for e in candidates or () if e["min_quantity"] <= quantity), None)
            if tier is not None:
                return Price(
                    amount=tier["amount"],
                    currency=price_list.currency,
                    includes_tax=price_list.includes_tax,
                    price_list=price_list.code,
                    min_quantity=tier["min_quantity"],
                )
    return None
