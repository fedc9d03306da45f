"""Lifecycle: the MQL threshold, no automatic downgrade, customers on a company's order,
staff stage changes in the admin; every change is a StageChange."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Permission
from django.urls import reverse
from django.utils import timezone

from magpie.people.models import Contact
from magpie_leads.lifecycle import check_thresholds
from magpie_leads.models import FollowUpTask, StageChange
from magpie_leads.scoring import decay_scores, score_touchpoint
from tests.leads.scoring_fixtures import (
    days,
    deliver,
    lead_settings,
    make_company,
    make_contact,
    make_rule,
    sales_team,
    touch,
)

pytestmark = pytest.mark.django_db


def _stage(contact: Contact) -> str:
    return Contact.objects.values_list("stage", flat=True).get(pk=contact.pk)


def test_threshold_makes_an_mql_and_hands_it_over(
    site, django_user_model, django_capture_on_commit_callbacks
):
    lead_settings(site, mql_threshold=30)
    sales_team(django_user_model, site, count=1)
    make_rule(site, touchpoint_type="download", points=20)
    contact = make_contact(site)
    now = timezone.now()
    first = touch(contact, "download", at=now)
    deliver(
        django_capture_on_commit_callbacks, "touchpoint.recorded", {"touchpoint": first.pk}, site
    )
    assert _stage(contact) == "lead"
    second = touch(contact, "download", at=now)
    deliver(
        django_capture_on_commit_callbacks, "touchpoint.recorded", {"touchpoint": second.pk}, site
    )
    assert _stage(contact) == "mql"
    change = StageChange.objects.get(contact=contact)
    assert (change.from_stage, change.to_stage, change.cause) == ("lead", "mql", "score")
    assert "40" in change.reason
    # lead.qualified was delivered: the MQL has an owner and a task.
    assert FollowUpTask.objects.filter(contact=contact, status="open").count() == 1


def test_fit_counts_towards_the_threshold_on_capture(site, django_capture_on_commit_callbacks):
    lead_settings(site, mql_threshold=10)
    make_rule(site, kind="fit", field="job_title", operator="contains", value="einkauf", points=10)
    contact = make_contact(site, job_title="Einkauf")
    deliver(django_capture_on_commit_callbacks, "lead.captured", {"contact": contact.pk}, site)
    assert Contact.objects.get(pk=contact.pk).fit_score == 10
    assert _stage(contact) == "mql"


def test_no_automatic_downgrade_when_the_score_decays(site):
    lead_settings(site, mql_threshold=10, half_life_days=1)
    make_rule(site, touchpoint_type="download", points=10)
    contact = make_contact(site)
    now = timezone.now()
    score_touchpoint(touch(contact, "download", at=now), now=now)
    assert check_thresholds(contact)
    decay_scores(now=now + days(30))
    assert Contact.objects.get(pk=contact.pk).engagement_score == 0
    assert not check_thresholds(contact)
    assert _stage(contact) == "mql"
    assert StageChange.objects.filter(contact=contact).count() == 1


def test_later_stages_are_not_touched_by_scores(site):
    lead_settings(site, mql_threshold=0)
    contact = make_contact(site, stage="customer")
    assert not check_thresholds(contact)
    assert _stage(contact) == "customer"


def test_order_makes_the_company_customers_once(site, django_capture_on_commit_callbacks):
    company = make_company()
    buyer = make_contact(site, "buyer@alpenwerk.ch", company=company, stage="sql")
    colleague = make_contact(site, "colleague@alpenwerk.ch", company=company, stage="subscriber")
    already = make_contact(site, "boss@alpenwerk.ch", company=company, stage="customer")
    outsider = make_contact(site, "other@example.ch")
    payload = {
        "order": 41,
        "company": company.pk,
        "contact": buyer.pk,
        "email": buyer.email,
        "value": "1200.00",
        "currency": "CHF",
    }
    deliver(django_capture_on_commit_callbacks, "order.placed", payload, site)
    deliver(django_capture_on_commit_callbacks, "order.placed", payload, site)  # redelivered
    assert _stage(buyer) == _stage(colleague) == _stage(already) == "customer"
    assert _stage(outsider) == "lead"
    changes = StageChange.objects.filter(cause="order")
    assert sorted(changes.values_list("contact__email", flat=True)) == [
        "buyer@alpenwerk.ch",
        "colleague@alpenwerk.ch",
    ]
    assert all("41" in change.reason for change in changes)


def test_order_of_a_contact_without_company(site, django_capture_on_commit_callbacks):
    contact = make_contact(site)
    payload = {"order": 7, "company": None, "contact": contact.pk, "email": contact.email}
    deliver(django_capture_on_commit_callbacks, "order.placed", payload, site)
    assert _stage(contact) == "customer"


def test_staff_change_stage_with_a_reason(site, superuser, client):
    contact = make_contact(site, stage="customer")
    url = reverse("magpie_leads_score:detail", args=[contact.pk])
    client.force_login(superuser)
    response = client.post(url, {"stage": "lead", "reason": ""})
    assert response.status_code == 400
    assert _stage(contact) == "customer"
    response = client.post(url, {"stage": "lead", "reason": "Wrong company matched"})
    assert response.status_code == 302
    assert _stage(contact) == "lead"
    change = StageChange.objects.get(contact=contact)
    assert (change.cause, change.reason, change.changed_by) == (
        "staff",
        "Wrong company matched",
        superuser,
    )


def test_change_stage_needs_the_change_permission(site, client, django_user_model):
    contact = make_contact(site)
    viewer = django_user_model.objects.create_user("viewer", password="x")
    viewer.user_permissions.add(
        Permission.objects.get(codename="access_admin"),
        Permission.objects.get(codename="view_contact"),
    )
    client.force_login(viewer)
    url = reverse("magpie_leads_score:detail", args=[contact.pk])
    assert client.get(url).status_code == 200
    assert client.post(url, {"stage": "customer", "reason": "x"}).status_code == 403
    assert _stage(contact) == "lead"
