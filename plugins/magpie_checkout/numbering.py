"""Gap-free numbers per kind and year: ``next_number("order", 2026)`` → ``"2026-000123"``.

Each kind and year has a :class:`~magpie_checkout.models.NumberSequence` row
(``order-2026``). Taking a number increments that row in the *caller's* transaction with
one ``UPDATE … RETURNING``, which locks the row until the transaction ends (as
``select_for_update`` would, in one statement instead of two). A transaction that rolls
back gives its number back, so numbers have no gaps; concurrent transactions wait for the
row in turn, so the lock is taken as late as possible (the checkout takes it last).

The first number of a year creates the row; two transactions creating it at once are
resolved by the primary key (the loser's insert fails inside a savepoint and it takes the
winner's row).
"""

from __future__ import annotations

from django.db import IntegrityError, connection, transaction

from magpie_checkout.models import NumberSequence

#: Digits of the running number (``2026-000123``).
DIGITS = 6


def format_number(year: int, value: int) -> str:
    """``2026-000123``."""
    return f"{year}-{value:0{DIGITS}d}"


def _increment(key: str) -> int | None:
    quote = connection.ops.quote_name
    table, last, pk = quote(NumberSequence._meta.db_table), quote("last"), quote("key")
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {table} SET {last} = {last} + 1 WHERE {pk} = %s RETURNING {last}",  # noqa: S608
            [key],
        )
        row = cursor.fetchone()
    return None if row is None else int(row[0])


def next_number(kind: str, year: int) -> str:
    """The next number of ``kind`` in ``year``, taken in the caller's transaction.

    Must run inside ``transaction.atomic()``: the number is final only when that
    transaction commits, and is given back when it rolls back.
    """
    if not connection.in_atomic_block:
        raise RuntimeError("next_number() must run inside the transaction that uses the number")
    key = f"{kind}-{year}"
    value = _increment(key)
    if value is None:
        try:
            with transaction.atomic():  # a savepoint: a concurrent first insert may win
                NumberSequence.objects.create(key=key, last=0)
        except IntegrityError:
            pass
        value = _increment(key)
        if value is None:  # pragma: no cover - the row exists now
            raise RuntimeError(f"number sequence {key} could not be created")
    return format_number(year, value)
