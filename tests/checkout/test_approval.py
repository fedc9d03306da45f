"""Approving and rejecting a requester's order: who may, stock, events, signed links,
the approval email."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from django.contrib.auth.models import Permission
from django.core import mail, signing

from magpie.events.models import Event
from magpie.journey.models import Touchpoint
from magpie_checkout.approval import (
    ApprovalError,
    approval_email,
    approval_token,
    approval_url,
    approve,
    check_approval_token,
    reject,
)
from magpie_checkout.models import CompanyMember, StockReservation
from tests.checkout.conftest import make_cart, make_user, on_hand, place


@pytest.fixture
def waiting(shop, django_capture_on_commit_callbacks):
    """An order of the Swiss requester over their limit (2 motors), awaiting approval."""
    ch = shop.ch
    CompanyMember.objects.filter(user=ch.requester).update(order_limit=Decimal("100"))
    cart = make_cart(shop.site, ch.requester, ch.company, [(shop.products["MOTOR"], 2)])
    with django_capture_on_commit_callbacks(execute=True):
        order = place(cart, ch.requester, ch, po_number="PO-77")
    assert order.state == "awaiting_approval"
    return order


def test_the_approvers_get_an_email_with_signed_links(shop, waiting):
    ch = shop.ch
    recipients = sorted(message.to[0] for message in mail.outbox)
    assert recipients == ["admin@alpenwerkag.example", "approver@alpenwerkag.example"]
    message = next(m for m in mail.outbox if m.to == ["approver@alpenwerkag.example"])
    assert waiting.number in message.subject
    # amounts are formatted for the site's language (German by default: 960,00)
    assert "2 × MOTOR Motor DE — 960" in message.body
    assert "PO-77" in message.body and "Requester Alpenwerk AG" in message.body
    link = approval_url(waiting, "approve", ch.approver)
    assert link.startswith("http") and "/approval/" in link
    token = next(  # the first link approves, the second rejects
        line.split("/approval/")[1].strip().strip("/")
        for line in message.body.splitlines()
        if "/approval/" in line
    )
    found = check_approval_token(token)
    assert (found.order, found.action, found.user) == (waiting, "approve", ch.approver)
    assert approval_email(waiting) == 2


def test_an_approver_approves_and_the_order_is_placed_once(
    shop, waiting, django_capture_on_commit_callbacks
):
    ch = shop.ch
    assert not Event.objects.filter(type="order.placed").exists()
    with django_capture_on_commit_callbacks(execute=True):
        approved = approve(waiting, ch.approver)
    assert approved.state == "placed" and approved.approved_by == ch.approver
    assert approved.decided_at is not None
    placed = Event.objects.get(type="order.placed")
    assert placed.payload["order"] == waiting.pk and placed.payload["value"] == "960.00"
    changed = Event.objects.get(type="order.status_changed")
    assert (changed.payload["from"], changed.payload["to"]) == ("awaiting_approval", "placed")
    assert Touchpoint.objects.get(type="order_placed").value == Decimal("960.00")
    assert on_hand(shop.products["MOTOR"]) == (10, 2)
    decisions = waiting.events.exclude(kind="email").values_list("kind", flat=True)
    assert list(decisions) == ["placed", "approved"]
    with pytest.raises(ApprovalError, match="not awaiting approval"):
        approve(waiting, ch.approver)  # a second click
    assert Event.objects.filter(type="order.placed").count() == 1


def test_rejecting_releases_the_stock(shop, waiting):
    ch = shop.ch
    rejected = reject(waiting, ch.admin, reason="Not in this quarter's budget")
    assert rejected.state == "rejected"
    assert on_hand(shop.products["MOTOR"]) == (10, 0)
    assert set(StockReservation.objects.values_list("released", flat=True)) == {True}
    event = waiting.events.get(kind="rejected")
    assert event.message == "Not in this quarter's budget" and event.user == ch.admin
    assert Event.objects.get(type="order.status_changed").payload["to"] == "rejected"
    assert not Event.objects.filter(type="order.placed").exists()
    with pytest.raises(ApprovalError):
        approve(waiting, ch.approver)
    assert on_hand(shop.products["MOTOR"]) == (10, 0)  # released once only


@pytest.mark.parametrize("who", ["requester", "buyer", "other_company", "stranger"])
def test_only_approvers_admins_or_staff_with_permission_decide(shop, waiting, who):
    users = {
        "requester": shop.ch.requester,
        "buyer": shop.ch.buyer,
        "other_company": shop.de.approver,
        "stranger": make_user("stranger@example.com"),
    }
    with pytest.raises(ApprovalError, match="may not"):
        approve(waiting, users[who])
    with pytest.raises(ApprovalError, match="may not"):
        reject(waiting, users[who])
    waiting.refresh_from_db()
    assert waiting.state == "awaiting_approval"
    assert on_hand(shop.products["MOTOR"]) == (10, 2)


def test_staff_with_the_permission_and_inactive_approvers(shop, waiting):
    staff = make_user("backoffice@example.com", is_staff=True)
    staff.user_permissions.add(Permission.objects.get(codename="change_order"))
    CompanyMember.objects.filter(user=shop.ch.approver).update(active=False)
    with pytest.raises(ApprovalError):
        approve(waiting, shop.ch.approver)
    assert approve(waiting, staff).state == "placed"


def test_tokens_are_signed_and_expire(shop, waiting):
    token = approval_token(waiting, "reject", shop.ch.approver)
    assert check_approval_token(token).action == "reject"
    with pytest.raises(ApprovalError, match="not valid"):
        check_approval_token(token[:-2] + "xx")
    with pytest.raises(ApprovalError, match="not valid"):
        check_approval_token(
            signing.dumps({"o": waiting.pk, "a": "delete"}, salt="magpie_checkout.approval")
        )
    with pytest.raises(ApprovalError, match="expired"):
        check_approval_token(token, max_age=datetime.timedelta(seconds=-1))
    with pytest.raises(ValueError):
        approval_token(waiting, "delete")
