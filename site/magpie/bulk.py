"""Insert many rows at once: ``bulk_create``, or ``COPY`` on PostgreSQL.

Django's ``bulk_create`` sends a batch as ``INSERT … SELECT * FROM UNNEST(arrays)`` on
PostgreSQL, and psycopg formats those arrays in Python. ``COPY`` formats rows in C: for the
journey's batches of a hundred touchpoints and their outbox rows it is about 1.4× as fast.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.db import connection, models
from django.db.models.fields import AutoFieldMixin
from django.db.models.sql import InsertQuery

#: Below this many rows a batch goes through ``bulk_create`` (COPY's set-up costs more).
COPY_MIN_ROWS = 20


def bulk_insert(model: type[models.Model], objs: Iterable[models.Model]) -> list[Any]:
    """Insert unsaved ``objs`` of ``model`` in one go; return them with their primary keys.

    On PostgreSQL, from :data:`COPY_MIN_ROWS` rows on, automatic ids are taken from the
    table's sequence in one query and the rows written with ``COPY``; values go through
    each field's ``pre_save`` and ``get_db_prep_save`` as in ``bulk_create``. Elsewhere, and
    for smaller batches, ``bulk_create``. Like ``bulk_create``, no signals are sent.
    """
    objs = list(objs)
    if connection.vendor != "postgresql" or len(objs) < COPY_MIN_ROWS:
        return model.objects.bulk_create(objs)
    meta = model._meta
    fields = list(meta.concrete_fields)
    quote = connection.ops.quote_name
    with connection.cursor() as cursor:
        if isinstance(meta.pk, AutoFieldMixin):
            cursor.execute(
                "SELECT nextval(pg_get_serial_sequence(%s, %s)) FROM generate_series(1, %s)",
                [meta.db_table, meta.pk.column, len(objs)],
            )
            for obj, (pk,) in zip(objs, cursor.fetchall(), strict=True):
                setattr(obj, meta.pk.attname, pk)
        columns = ", ".join(quote(field.column) for field in fields)
        with cursor.cursor.copy(f"COPY {quote(meta.db_table)} ({columns}) FROM STDIN") as copy:
            for obj in objs:
                copy.write_row(
                    [
                        field.get_db_prep_save(field.pre_save(obj, True), connection)
                        for field in fields
                    ]
                )
    for obj in objs:
        obj._state.adding = False
        obj._state.db = connection.alias
    return objs


def insert_statement(
    model: type[models.Model], objs: Iterable[models.Model], returning_keys: bool = False
) -> tuple[str, list]:
    """The one ``INSERT`` statement of unsaved ``objs`` of ``model``, and its parameters.

    As ``bulk_create`` would write them (defaults and ``auto_now`` filled in), but not run:
    for :func:`execute_together`. Objects with an automatic key do not get it back; give
    them one first when something refers to them, or ask for ``returning_keys`` (the
    statement then returns them in order, where the database can: PostgreSQL, SQLite).
    """
    objs = list(objs)
    if not objs:
        raise ValueError("insert_statement() needs at least one object")
    meta = model._meta
    fields = [
        field
        for field in meta.concrete_fields
        if not field.generated
        and not (field is meta.pk and isinstance(field, AutoFieldMixin) and objs[0].pk is None)
    ]
    for obj in objs:
        if obj.pk is None:
            obj.pk = meta.pk.get_pk_value_on_save(obj)
    query = InsertQuery(model)
    query.insert_values(fields, objs, raw=False)
    compiler = query.get_compiler(connection=connection)
    if returning_keys:
        compiler.returning_fields = [meta.pk]
    statements = compiler.as_sql()
    if len(statements) != 1:  # pragma: no cover - every backend here inserts in one go
        raise ValueError(f"{connection.vendor} needs {len(statements)} statements")
    sql, params = statements[0]
    return sql, list(params)


def execute_together(statements: Iterable[tuple[str, list]]) -> list[tuple[Any, ...]]:
    """Run independent writes (no one reads what another writes) in one round trip; return
    the rows the last one returns (``RETURNING``), if any.

    On PostgreSQL they become one statement of data-modifying CTEs (``WITH a AS (INSERT …),
    b AS (DELETE …) INSERT …``), which PostgreSQL runs on one snapshot: for writes to
    different rows, such as an order's reservations, its timeline entry and the emptied cart.
    Foreign keys between them hold (they are checked when the statement ends). Elsewhere
    they run one after the other.
    """
    statements = list(statements)
    with connection.cursor() as cursor:
        if connection.vendor != "postgresql" or len(statements) < 2:
            for sql, params in statements:
                cursor.execute(sql, params)
        else:
            *first, (last_sql, last_params) = statements
            ctes = ", ".join(f"w{index} AS ({sql})" for index, (sql, _params) in enumerate(first))
            params = [param for _sql, values in first for param in values]
            cursor.execute(f"WITH {ctes} {last_sql}", [*params, *last_params])
        return cursor.fetchall() if cursor.description is not None else []
