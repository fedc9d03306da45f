"""Approval rules for requesters: an order limit and a monthly budget (both net).

A company user with the role *requester* needs an approver's approval when the order's net
total (goods and shipping) is above their ``order_limit``, or when their orders of this
calendar month (in the site's time zone; cancelled and rejected ones do not count) plus
this one exceed their ``monthly_budget``. Other roles order without approval. Amounts are
in the company's currency.
"""

from __future__ import annotations

import datetime
from decimal import Decimal
from typing import Any

from django.db.models import Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from magpie_checkout.models import CompanyMember, Order, OrderState, Role

#: Order states that do not use up a requester's budget.
NOT_SPENT = (OrderState.CANCELLED, OrderState.REJECTED)


def month_start(at: datetime.datetime | None = None) -> datetime.datetime:
    """The start of ``at``'s calendar month in the current time zone."""
    local = timezone.localtime(at or timezone.now())
    return local.replace(day=1, hour=0, minute=0, second=0, microsecond=0)


def spent_this_month(user: Any, at: datetime.datetime | None = None) -> Decimal:
    """Net total of the orders ``user`` placed this month (not cancelled or rejected)."""
    total = (
        Order.objects.filter(placed_by=user, created_at__gte=month_start(at))
        .exclude(state__in=NOT_SPENT)
        .aggregate(total=Sum("net_total"))["total"]
    )
    return total or Decimal("0.00")


def approval_reasons(
    member: CompanyMember | None, net: Decimal, currency: str, at: datetime.datetime | None = None
) -> list[str]:
    """Why an order of ``net`` by ``member`` needs approval (empty: it does not)."""
    if member is None or member.role != Role.REQUESTER:
        return []
    reasons: list[str] = []
    if member.order_limit is not None and net > member.order_limit:
        reasons.append(
            _("%(net)s %(currency)s is above your order limit of %(limit)s %(currency)s.")
            % {"net": net, "limit": member.order_limit, "currency": currency}
        )
    if member.monthly_budget is not None:
        spent = spent_this_month(member.user_id, at)
        if spent + net > member.monthly_budget:
            reasons.append(
                _(
                    "With this order, %(total)s %(currency)s this month exceed your monthly "
                    "budget of %(budget)s %(currency)s."
                )
                % {"total": spent + net, "budget": member.monthly_budget, "currency": currency}
            )
    return reasons
