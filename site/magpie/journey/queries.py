"""Read queries over touchpoints that need more than the ORM's plain filters to stay fast.

A company's timeline page is the newest touchpoints of all its contacts. Asked directly
(``contact__company=…``, ordered, limited), PostgreSQL gathers every touchpoint of every
contact before it can sort: ~100 ms for a company with 100,000 touchpoints. Asked as one
top-N per contact (each an index range on ``journey_tp_contact_time_id``), merged, it is
well under a millisecond however long the histories (``bench/run.py journey``).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.db import connection
from django.db.models.expressions import RawSQL

from magpie.journey.models import Touchpoint


def company_page_ids(
    company_id: int,
    *,
    kind: str = "",
    before: tuple[datetime, int] | None = None,
    limit: int = 51,
) -> Any:
    """The ids of one page of a company's timeline, newest first, for ``filter(id__in=…)``.

    ``kind`` filters by touchpoint type; ``before`` is the keyset cursor ``(occurred_at, id)``
    of the previous page's last row (rows strictly older, ties broken by id). On PostgreSQL a
    ``LATERAL`` top-``limit`` per contact of the company, merged; elsewhere the plain
    subquery. Order and slice the outer queryset again (``-occurred_at``, ``-id``,
    ``[:limit]``): an ``IN`` keeps no order.
    """
    if connection.vendor != "postgresql":
        queryset = Touchpoint.objects.filter(contact__company_id=company_id)
        if kind:
            queryset = queryset.filter(type=kind)
        if before is not None:
            when, pk = before
            queryset = queryset.filter(occurred_at__lte=when).exclude(occurred_at=when, id__gte=pk)
        return queryset.order_by("-occurred_at", "-id").values("id")[:limit]
    from magpie.people.models import Contact

    touchpoints = connection.ops.quote_name(Touchpoint._meta.db_table)
    contacts = connection.ops.quote_name(Contact._meta.db_table)
    conditions, params = [], []
    if kind:
        conditions.append("AND tp.type = %s")
        params.append(kind)
    if before is not None:
        conditions.append("AND (tp.occurred_at, tp.id) < (%s, %s)")
        params.extend(before)
    sql = (
        f"SELECT t.id FROM {contacts} c CROSS JOIN LATERAL ("
        f"SELECT tp.id, tp.occurred_at FROM {touchpoints} tp WHERE tp.contact_id = c.id "
        f"{' '.join(conditions)} ORDER BY tp.occurred_at DESC, tp.id DESC LIMIT %s) t "
        "WHERE c.company_id = %s ORDER BY t.occurred_at DESC, t.id DESC LIMIT %s"
    )
    return RawSQL(sql, [*params, limit, company_id, limit])
