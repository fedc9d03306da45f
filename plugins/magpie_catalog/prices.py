"""Price resolution from price lists: the catalog's default ``resolve_price``.

The most specific valid list wins — a list for the company, then one for any of its
customer groups, then one for everyone — and among lists of the same scope the highest
priority. In the winning list, the entry with the largest ``min_quantity`` not above the
requested quantity applies (quantity tiers). A variant's own entries win over the
product's. Lists that hold no entry for the product are skipped.
"""

from __future__ import annotations

import datetime
from decimal import Decimal
from typing import Any

from django.db import connection
from django.db.models import Case, IntegerField, Q, Value, When

from magpie.people.models import Company
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
    """:func:`resolve` for many ``(product, variant, quantity)`` items in one query: every
    entry of the items' products and variants in the lists that apply, best list first.

    Every order and cart prices through here, so the query is written out in SQL (the
    ORM would spend more time building it than the database spends answering it); the
    rule is :func:`applicable_lists`' and the tests hold both to the same answers.
    """
    if not items:
        return []
    rows = _entry_rows(items, company, currency, at)
    lists: dict[int, PriceList] = {}
    # (list, "p" or "v", id) → entries, highest tier first.
    found: dict[tuple[int, str, int], list[dict[str, Any]]] = {}
    for list_id, code, list_currency, gross, product_id, variant_id, min_quantity, amount in rows:
        if list_id not in lists:
            lists[list_id] = PriceList(
                pk=list_id, code=code, currency=list_currency, includes_tax=bool(gross)
            )
        if variant_id is not None:
            key = (list_id, "v", variant_id)
        else:
            key = (list_id, "p", product_id)
        found.setdefault(key, []).append({"min_quantity": min_quantity, "amount": _amount(amount)})
    ordered = list(lists.values())
    return [
        _best(ordered, found, product, variant, quantity) for product, variant, quantity in items
    ]


def _amount(value: Any) -> Decimal:
    """A price as stored: PostgreSQL answers a Decimal, SQLite a float or an int."""
    if isinstance(value, Decimal):
        return value
    places = PriceEntry._meta.get_field("amount").decimal_places
    return Decimal(repr(value)).quantize(Decimal(1).scaleb(-places))


def _entry_rows(
    items: list[tuple[Any, Any, int]], company: Any, currency: str, at: datetime.datetime
) -> list[tuple[Any, ...]]:
    """The entries of the items in the applicable lists, ordered by list rank (company,
    group, everyone), priority and id, then tier (highest first)."""
    quote = connection.ops.quote_name
    entry, price_list = PriceEntry._meta.db_table, PriceList._meta.db_table
    through = Company.groups.through
    member = through._meta.get_field("company").column
    group = through._meta.get_field("customergroup").column
    product_ids = sorted({product.pk for product, _variant, _quantity in items})
    variant_ids = sorted({variant.pk for _p, variant, _q in items if variant is not None})
    targets = f"(e.product_id IN ({', '.join(['%s'] * len(product_ids))}) AND e.variant_id IS NULL)"
    if variant_ids:
        targets += f" OR e.variant_id IN ({', '.join(['%s'] * len(variant_ids))})"
    moment = connection.ops.adapt_datetimefield_value(at)
    company_id = getattr(company, "pk", None)
    sql = f"""
        SELECT l.id, l.code, l.currency, l.includes_tax,
               e.product_id, e.variant_id, e.min_quantity, e.amount
        FROM {quote(entry)} e JOIN {quote(price_list)} l ON l.id = e.price_list_id
        WHERE l.active AND l.currency = %s
          AND (l.valid_from IS NULL OR l.valid_from <= %s)
          AND (l.valid_until IS NULL OR l.valid_until > %s)
          AND (l.scope = 'everyone'
               OR (l.scope = 'company' AND l.company_id = %s)
               OR (l.scope = 'group' AND l.customer_group_id IN (
                   SELECT g.{quote(group)} FROM {quote(through._meta.db_table)} g
                   WHERE g.{quote(member)} = %s)))
          AND ({targets})
          AND e.min_quantity <= %s
        ORDER BY CASE l.scope WHEN 'company' THEN 3 WHEN 'group' THEN 2 ELSE 1 END DESC,
                 l.priority DESC, l.id, e.min_quantity DESC
    """  # noqa: S608 (names from the models, values as parameters)
    params = [currency, moment, moment, company_id, company_id, *product_ids, *variant_ids]
    params.append(max(quantity for _p, _v, quantity in items))
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


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
