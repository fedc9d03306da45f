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
    lists = list(applicable_lists(company, currency, at))
    if not lists:
        return None
    target = Q(product=product, variant__isnull=True)
    if variant is not None:
        target |= Q(variant=variant)
    entries = (
        PriceEntry.objects.filter(target, price_list__in=lists, min_quantity__lte=quantity)
        .order_by("-min_quantity")
        .values("price_list_id", "variant_id", "min_quantity", "amount")
    )
    by_list: dict[int, list[dict[str, Any]]] = {}
    for entry in entries:
        by_list.setdefault(entry["price_list_id"], []).append(entry)
    for price_list in lists:
        candidates = by_list.get(price_list.pk)
        if not candidates:
            continue
        own = [e for e in candidates if e["variant_id"] is not None]
        best = (own or candidates)[0]  # the highest tier not above the quantity
        return Price(
            amount=best["amount"],
            currency=price_list.currency,
            includes_tax=price_list.includes_tax,
            price_list=price_list.code,
            min_quantity=best["min_quantity"],
        )
    return None
