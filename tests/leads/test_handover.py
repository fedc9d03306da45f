"""Handover: owners (round robin, by country, none), the follow-up task and its due date,
the owner's email, accept / return with permission checks, and prospect alerts."""

from __future__ import annotations

import threading
from datetime import date, timedelta
from typing import Any
from unittest import mock

import pytest
from django.core import mail
from django.db import connection
from django.urls import reverse
from django.utils import timezone
from wagtail.users.models import UserProfile

from magpie.events.models import Event
from magpie.people.models import Contact
from magpie_leads.alerts import prospect_alert
from magpie_leads.handover import due_date, hand_over
from magpie_leads.lifecycle import change_stage
from magpie_leads.models import CountryAssignment, FollowUpTask, ProspectAlert, StageChange
from tests.leads.scoring_fixtures import (
    lead_settings,
    make_company,
    make_contact,
    sales_team,
    touch,
)

pytestmark = pytest.mark.django_db


def mql(site: Any, email: str = "anna@example.ch", **fields: Any) -> Contact:
    """A contact that just became an MQL (stage written directly: no event delivered)."""
    return make_contact(site, email, stage="mql", **fields)


# -- owners ---------------------------------------------------------------------------------


def test_round_robin_over_three_sales_users(site, django_user_model):
    users = sales_team(django_user_model, site, count=3)
    owners = [hand_over(mql(site, f"lead{n}@example.ch")).owner for n in range(5)]
    assert owners == [users[0], users[1], users[2], users[0], users[1]]


def test_inactive_users_are_skipped(site, django_user_model):
    users = sales_team(django_user_model, site, count=3)
    users[1].is_active = False
    users[1].save()
    owners = [hand_over(mql(site, f"lead{n}@example.ch")).owner for n in range(3)]
    assert owners == [users[0], users[2], users[0]]


def test_country_rule_then_round_robin(site, django_user_model):
    users = sales_team(django_user_model, site, count=2)
    lead_settings(site, assignment="country")
    CountryAssignment.objects.create(site=site, country="DE", owner=users[1])
    german = hand_over(mql(site, "de@example.de", company=make_company(country="DE")))
    swiss = hand_over(mql(site, "ch@example.ch", country="CH"))
    assert german.owner == users[1]
    assert swiss.owner == users[0]  # no rule for CH: round robin


def test_no_sales_users_leaves_the_mql_unassigned(site):
    contact = mql(site)
    assert hand_over(contact) is None
    contact.refresh_from_db()
    assert contact.owner is None
    assert not FollowUpTask.objects.exists()
    assert mail.outbox == []


def test_existing_owner_is_kept_and_handover_is_idempotent(site, django_user_model):
    users = sales_team(django_user_model, site, count=2)
    contact = mql(site, owner=users[1])
    task = hand_over(contact)
    assert task.owner == users[1]
    assert hand_over(contact) is None  # redelivered lead.qualified: the open task is found
    assert FollowUpTask.objects.count() == 1
    assert len(mail.outbox) == 1


def test_assignment_none(site, django_user_model):
    sales_team(django_user_model, site, count=2)
    lead_settings(site, assignment="none")
    assert hand_over(mql(site)) is None


@pytest.mark.parametrize(
    ("start", "days", "due"),
    [
        (date(2026, 11, 23), 2, date(2026, 11, 25)),  # Monday + 2: Wednesday
        (date(2026, 11, 26), 2, date(2026, 11, 30)),  # Thursday + 2: Saturday → Monday
        (date(2026, 11, 27), 2, date(2026, 11, 30)),  # Friday + 2: Sunday → Monday
        (date(2026, 11, 27), 0, date(2026, 11, 27)),
    ],
)
def test_due_date_skips_weekends(start, days, due):
    assert due_date(start, days) == due


def test_task_is_due_after_the_follow_up_days_titled_in_the_owners_language(
    site, django_user_model
):
    from wagtail.users.models import UserProfile

    (owner,) = sales_team(django_user_model, site, count=1)
    lead_settings(site, follow_up_days=2)
    with mock.patch("django.utils.timezone.localdate", return_value=date(2026, 11, 26)):
        task = hand_over(mql(site))
    assert task.due_on == date(2026, 11, 30)
    assert task.title == "Bei anna@example.ch nachfassen"  # the site's language: German
    profile = UserProfile.get_for_user(owner)
    profile.preferred_language = "en"
    profile.save()
    other = Contact.objects.create(site=site, email="ben@example.ch", stage=Contact.Stage.MQL)
    owner.refresh_from_db()
    assert hand_over(other).title == "Follow up ben@example.ch"


# -- the owner's email ----------------------------------------------------------------------


def test_owner_email_summarises_the_lead_escaped(site, django_user_model):
    [owner] = sales_team(django_user_model, site, count=1)
    profile = UserProfile.get_for_user(owner)
    profile.preferred_language = "en"  # the email speaks the owner's admin language
    profile.save()
    contact = mql(
        site,
        first_name="<b>Eve</b>",
        last_name="Muster",
        company=make_company(name="Alpen & Co"),
        engagement_score=50,
        fit_score=15,
        source="email",
    )
    touch(contact, path="/pricing/<script>", at=timezone.now())
    hand_over(contact)
    [message] = mail.outbox
    assert message.to == ["sales0@example.com"]
    assert message.subject == "New lead for you: <b>Eve</b> Muster (Alpen & Co)"
    timeline = f"http://localhost/admin/customers/contacts/timeline/{contact.pk}/"
    assert reverse("magpie_contacts:timeline", args=[contact.pk]) in timeline
    assert timeline in message.body
    assert "65" in message.body  # engagement + fit
    html = message.alternatives[0][0]
    assert "&lt;b&gt;Eve&lt;/b&gt;" in html and "<b>Eve</b>" not in html
    assert "/pricing/&lt;script&gt;" in html and "<script>" not in html
    assert "Alpen &amp; Co" in html
    assert f'href="{timeline}"' in html


# -- accept and return ----------------------------------------------------------------------


@pytest.fixture
def task(site, django_user_model) -> FollowUpTask:
    sales_team(django_user_model, site, count=2)
    return hand_over(mql(site))


def test_accept_makes_an_sql(task, client):
    client.force_login(task.owner)
    url = reverse("magpie_leads_my_leads:accept", args=[task.pk])
    assert client.get(url).status_code == 405  # POST only
    response = client.post(url)
    assert response.status_code == 302
    task.refresh_from_db()
    assert task.status == "accepted" and task.closed_at is not None
    assert Contact.objects.get(pk=task.contact_id).stage == "sql"
    change = StageChange.objects.get(contact=task.contact, to_stage="sql")
    assert (change.cause, change.changed_by) == ("handover", task.owner)
    assert Event.objects.filter(type="lead.accepted", payload__contact=task.contact_id).exists()
    # A second click changes nothing.
    client.post(url)
    assert StageChange.objects.filter(contact=task.contact).count() == 1


def test_return_needs_a_reason(task, client):
    client.force_login(task.owner)
    url = reverse("magpie_leads_my_leads:return", args=[task.pk])
    assert client.get(url).status_code == 200
    response = client.post(url, {"reason": "   "})
    assert response.status_code == 400
    task.refresh_from_db()
    assert task.status == "open"
    response = client.post(url, {"reason": "No budget before 2027"})
    assert response.status_code == 302
    task.refresh_from_db()
    assert (task.status, task.outcome_reason) == ("returned", "No budget before 2027")
    assert Contact.objects.get(pk=task.contact_id).stage == "lead"
    change = StageChange.objects.get(contact=task.contact)
    assert (change.from_stage, change.to_stage, change.reason) == (
        "mql",
        "lead",
        "No budget before 2027",
    )
    assert Event.objects.filter(type="lead.returned").count() == 1


def test_another_sales_user_may_not_decide(task, client, django_user_model):
    other = django_user_model.objects.get(username="sales1")
    assert other != task.owner
    client.force_login(other)
    accept = reverse("magpie_leads_my_leads:accept", args=[task.pk])
    back = reverse("magpie_leads_my_leads:return", args=[task.pk])
    assert client.post(accept).status_code == 403
    assert client.post(back, {"reason": "mine now"}).status_code == 403
    task.refresh_from_db()
    assert task.status == "open"
    assert Contact.objects.get(pk=task.contact_id).stage == "mql"


def test_a_manager_with_change_permission_may_decide(task, superuser, client):
    client.force_login(superuser)
    client.post(reverse("magpie_leads_my_leads:accept", args=[task.pk]))
    task.refresh_from_db()
    assert task.status == "accepted"


def test_my_leads_lists_own_open_tasks_overdue_marked(task, client, site, django_user_model):
    FollowUpTask.objects.filter(pk=task.pk).update(due_on=timezone.localdate() - timedelta(1))
    client.force_login(task.owner)
    text = client.get(reverse("magpie_leads_my_leads:index")).content.decode()
    assert "anna@example.ch" in text
    assert "leads-overdue" in text
    client.force_login(django_user_model.objects.get(username="sales1"))
    text = client.get(reverse("magpie_leads_my_leads:index")).content.decode()
    assert "anna@example.ch" not in text


# -- prospect alerts ------------------------------------------------------------------------


def _sql_with_owner(site, django_user_model) -> Contact:
    [owner] = sales_team(django_user_model, site, count=1)
    return make_contact(site, stage="sql", owner=owner, first_name="Ida")


def test_pricing_visit_of_an_sql_alerts_the_owner_throttled(site, django_user_model):
    lead_settings(site, alert_throttle_hours=24)
    contact = _sql_with_owner(site, django_user_model)
    now = timezone.now()
    assert prospect_alert(touch(contact, path="/pricing", at=now)) is not None
    [message] = mail.outbox
    assert message.to == ["sales0@example.com"] and "/pricing" in message.subject
    assert prospect_alert(touch(contact, path="/pricing/pro", at=now)) is None  # throttled
    assert len(mail.outbox) == 1
    ProspectAlert.objects.update(sent_at=now - timedelta(hours=25))
    assert prospect_alert(touch(contact, path="/preise", at=now)) is not None
    assert ProspectAlert.objects.count() == 2


def test_product_pages_count_other_pages_do_not(site, django_user_model):
    contact = _sql_with_owner(site, django_user_model)
    assert prospect_alert(touch(contact, path="/about")) is None
    product = touch(contact, path="/katalog/p/LM-100/", object_type="magpie_catalog.catalogpage")
    assert prospect_alert(product) is not None


def test_no_alert_for_leads_or_without_owner(site, django_user_model):
    [owner] = sales_team(django_user_model, site, count=1)
    lead = make_contact(site, "lead@example.ch", owner=owner)
    orphan = make_contact(site, "sql@example.ch", stage="sql")
    assert prospect_alert(touch(lead, path="/pricing")) is None
    assert prospect_alert(touch(orphan, path="/pricing")) is None
    assert mail.outbox == []


def test_page_view_event_triggers_the_alert(site, django_user_model):
    from magpie_leads.events import handle
    from tests.leads.scoring_fixtures import FakeEvent

    contact = _sql_with_owner(site, django_user_model)
    tp = touch(contact, path="/pricing")
    handle(FakeEvent("touchpoint.recorded", {"touchpoint": tp.pk, "type": "page_view"}))
    handle(FakeEvent("touchpoint.recorded", {"touchpoint": tp.pk, "type": "page_view"}))
    assert ProspectAlert.objects.count() == 1


# -- concurrency ----------------------------------------------------------------------------


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_two_handovers_at_once_pick_different_owners(magpie_site, django_user_model):
    users = sales_team(django_user_model, magpie_site, count=3)
    contacts = [mql(magpie_site, f"lead{n}@example.ch") for n in range(2)]
    start = threading.Barrier(2)
    errors: list[BaseException] = []

    def work(contact: Contact) -> None:
        try:
            start.wait()
            hand_over(contact)
        except BaseException as error:  # noqa: BLE001 - reported below
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=work, args=(c,)) for c in contacts]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    owners = sorted(FollowUpTask.objects.values_list("owner_id", flat=True))
    assert owners == [users[0].pk, users[1].pk]


def test_change_stage_to_mql_emits_lead_qualified(site):
    contact = make_contact(site)
    change_stage(contact, "mql", cause="score")
    assert Event.objects.filter(type="lead.qualified").count() == 1


def test_an_identified_sqls_page_view_reaches_its_owner_end_to_end(
    client, site, django_user_model, django_capture_on_commit_callbacks
):
    # The whole path: the visitor is known to be the SQL, its page view (through the
    # journey middleware) is a touchpoint of the contact, its touchpoint.recorded event is
    # delivered, and the owner gets the alert.
    from magpie.journey.consent import CONSENT_COOKIE
    from magpie.journey.models import JourneySettings, Visitor
    from magpie.journey.recording import identify

    JourneySettings.objects.create(site=site, consent_mode="opt_in")
    lead_settings(site, alert_path_prefixes="/")
    contact = _sql_with_owner(site, django_user_model)
    visitor = Visitor.objects.create(site=site)
    identify(visitor, contact)
    client.cookies[CONSENT_COOKIE] = "all"
    client.cookies["magpie_vid"] = str(visitor.pk)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.get(site.root_page.url, headers={"User-Agent": "Mozilla/5.0 Firefox"})
    assert response.status_code == 200
    [alert] = ProspectAlert.objects.all()
    assert alert.contact == contact and alert.path == site.root_page.url
    assert [m.to for m in mail.outbox] == [["sales0@example.com"]]
