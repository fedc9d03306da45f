"""Approving or rejecting a requester's order that is over budget.

* :func:`approve` — ``awaiting_approval`` → ``placed``: ``order.status_changed`` and, only
  now, ``order.placed`` (an order is announced as placed once, when it becomes placed;
  the journey's ``order_placed`` touchpoint is recorded then too).
* :func:`reject` — ``awaiting_approval`` → ``rejected``: the reserved stock is released
  (its reservations marked released) and ``order.status_changed`` is emitted.

Who may decide: an active approver or admin of the order's company, or a user with the
permission ``magpie_checkout.change_order`` (staff). Anyone else gets
:class:`ApprovalError`, and nothing changes.

Email links: :func:`approval_email` sends each approver of the company a text email with
one-click links (:func:`approval_url`) signed with :mod:`django.core.signing` for that
approver and valid for ``MAGPIE_CHECKOUT_APPROVAL_LINK_DAYS`` (7) days;
:func:`check_approval_token` reads a link's token back.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core import signing
from django.core.mail import send_mail
from django.db import transaction
from django.template.loader import render_to_string
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from magpie.events.outbox import emit
from magpie_checkout.models import (
    CompanyMember,
    Order,
    OrderEvent,
    OrderState,
    Role,
    StockReservation,
)

SALT = "magpie_checkout.approval"
ACTIONS = ("approve", "reject")
#: Roles that may approve or reject their company's orders.
DECIDING_ROLES = (Role.APPROVER, Role.ADMIN)
STAFF_PERMISSION = "magpie_checkout.change_order"


class ApprovalError(Exception):
    """The decision was refused (no permission, already decided, a bad or expired link)."""


def link_days() -> int:
    """How long an approval link is valid (days)."""
    return int(getattr(settings, "MAGPIE_CHECKOUT_APPROVAL_LINK_DAYS", 7))


def can_decide(order: Order, user: Any) -> bool:
    """Whether ``user`` may approve or reject ``order``."""
    if user is None or not getattr(user, "is_authenticated", False) or not user.is_active:
        return False
    if user.has_perm(STAFF_PERMISSION):
        return True
    return CompanyMember.objects.filter(
        user=user, company_id=order.company_id, active=True, role__in=DECIDING_ROLES
    ).exists()


def _status_payload(order: Order, from_state: str, user: Any) -> dict[str, Any]:
    return {
        "order": order.pk,
        "number": order.number,
        "company": order.company_id,
        "from": from_state,
        "to": order.state,
        "by": getattr(user, "pk", None),
    }


def _locked_for_decision(order: Order, user: Any) -> Order:
    locked = Order.objects.select_for_update().get(pk=order.pk)
    if not can_decide(locked, user):
        raise ApprovalError(_("You may not approve or reject orders of this company."))
    if locked.state != OrderState.AWAITING_APPROVAL:
        raise ApprovalError(
            _("Order %(number)s is not awaiting approval (it is %(state)s).")
            % {"number": locked.number, "state": locked.get_state_display()}
        )
    return locked


def approve(order: Order, user: Any) -> Order:
    """Approve ``order``: it becomes placed (see the module's docstring)."""
    from magpie_checkout.placement import placed_payload, record_order_placed

    with transaction.atomic():
        locked = _locked_for_decision(order, user)
        before = locked.state
        locked.state = OrderState.PLACED
        locked.approved_by = user
        locked.decided_at = timezone.now()
        locked.save(update_fields=["state", "approved_by", "decided_at", "updated_at"])
        OrderEvent.objects.create(
            order=locked, kind="approved", from_state=before, to_state=locked.state, user=user
        )
        emit("order.status_changed", _status_payload(locked, before, user), site=locked.site_id)
        emit("order.placed", placed_payload(locked), site=locked.site_id)
        transaction.on_commit(lambda: record_order_placed(locked))
    return locked


def reject(order: Order, user: Any, reason: str = "") -> Order:
    """Reject ``order``: its stock is released; ``reason`` is kept on its timeline."""
    from magpie_catalog.stock import release

    reason = (reason or "").strip()[:300]
    with transaction.atomic():
        locked = _locked_for_decision(order, user)
        before = locked.state
        held = list(
            StockReservation.objects.select_for_update()
            .filter(line__order=locked, released=False)
            .order_by("stock_level_id")
        )
        release([(row.stock_level_id, row.quantity) for row in held])
        StockReservation.objects.filter(pk__in=[row.pk for row in held]).update(released=True)
        locked.state = OrderState.REJECTED
        locked.approved_by = user
        locked.decided_at = timezone.now()
        locked.save(update_fields=["state", "approved_by", "decided_at", "updated_at"])
        OrderEvent.objects.create(
            order=locked,
            kind="rejected",
            from_state=before,
            to_state=locked.state,
            message=reason,
            user=user,
        )
        emit("order.status_changed", _status_payload(locked, before, user), site=locked.site_id)
    return locked


# -- signed links ---------------------------------------------------------------------------


@dataclass(frozen=True)
class ApprovalLink:
    """What a valid approval link says: the order, the action and (if named) the approver."""

    order: Order
    action: str
    user: Any


def approval_token(order: Order, action: str, user: Any = None) -> str:
    """A signed token for ``action`` (``approve``/``reject``) on ``order`` for ``user``."""
    if action not in ACTIONS:
        raise ValueError(f"action must be one of {ACTIONS}")
    return signing.dumps(
        {"o": order.pk, "a": action, "u": getattr(user, "pk", None)}, salt=SALT, compress=True
    )


def approval_url(order: Order, action: str, user: Any = None) -> str:
    """The absolute one-click link for ``action`` on ``order`` (signed for ``user``).

    The path is the URL named ``magpie_checkout:approval`` (``token`` argument) when the
    shop's URLs define it, else ``/shop/approval/<token>/``.
    """
    token = approval_token(order, action, user)
    try:
        path = reverse("magpie_checkout:approval", kwargs={"token": token})
    except NoReverseMatch:
        path = f"/shop/approval/{token}/"
    from magpie_checkout.accounts import absolute_url

    return absolute_url(path, order.site)


def check_approval_token(token: str, max_age: datetime.timedelta | None = None) -> ApprovalLink:
    """Read an approval link's token; :class:`ApprovalError` when it is forged, expired, or
    names an order or user that no longer exists."""
    max_age = max_age or datetime.timedelta(days=link_days())
    try:
        data = signing.loads(token, salt=SALT, max_age=max_age)
    except signing.SignatureExpired:
        raise ApprovalError(_("This approval link has expired.")) from None
    except signing.BadSignature:
        raise ApprovalError(_("This approval link is not valid.")) from None
    if not isinstance(data, dict) or data.get("a") not in ACTIONS:
        raise ApprovalError(_("This approval link is not valid."))
    order = Order.objects.filter(pk=data.get("o")).select_related("company").first()
    if order is None:
        raise ApprovalError(_("The order of this link no longer exists."))
    user = None
    if data.get("u") is not None:
        user = get_user_model().objects.filter(pk=data["u"], is_active=True).first()
        if user is None:
            raise ApprovalError(_("The approver of this link no longer exists."))
    return ApprovalLink(order=order, action=data["a"], user=user)


def approvers(order: Order) -> list[Any]:
    """The users who are asked to decide ``order``: its company's active approvers and
    admins with an email address."""
    members = CompanyMember.objects.filter(
        company_id=order.company_id, active=True, role__in=DECIDING_ROLES, user__is_active=True
    ).select_related("user")
    return [m.user for m in members if m.user.email]


def approval_email(order: Order) -> int:
    """Email each approver of the company the order with approve/reject links; return how
    many emails were sent."""
    sent = 0
    lines = list(order.lines.order_by("position"))
    for user in approvers(order):
        context = {
            "order": order,
            "lines": lines,
            "approver": user,
            "requester": order.placed_by,
            "approve_url": approval_url(order, "approve", user),
            "reject_url": approval_url(order, "reject", user),
            "days": link_days(),
        }
        subject = render_to_string(
            "magpie_checkout/emails/approval_request_subject.txt", context
        ).strip()
        body = render_to_string("magpie_checkout/emails/approval_request.txt", context)
        sent += send_mail(subject, body, None, [user.email])
    return sent
