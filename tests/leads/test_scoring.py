"""Scoring: rule matching, caps, decay, the history that explains the score, fit rules,
plugin rules, idempotent events, the decay and rescore commands and the admin screens."""

from __future__ import annotations

import io
import threading
from typing import Any

import pytest
from django.core.management import call_command
from django.db import connection
from django.urls import reverse
from django.utils import timezone

from magpie.journey.models import Campaign
from magpie.journey.recording import record
from magpie.people.models import Contact
from magpie.plugins import get_host
from magpie_leads import events
from magpie_leads.models import ScoreEvent, ScoreState, ScoringRule
from magpie_leads.scoring import (
    PluginRule,
    compare,
    decay_scores,
    engagement_now,
    history,
    rescore,
    rules_for,
    score_fit,
    score_touchpoint,
)
from tests.leads.scoring_fixtures import (
    T0,
    FakeEvent,
    days,
    deliver,
    lead_settings,
    make_company,
    make_contact,
    make_rule,
    touch,
)

pytestmark = pytest.mark.django_db


def _score(contact: Contact) -> int:
    return Contact.objects.values_list("engagement_score", flat=True).get(pk=contact.pk)


def _fit(contact: Contact) -> int:
    return Contact.objects.values_list("fit_score", flat=True).get(pk=contact.pk)


# -- matching -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("condition", "matching", "other"),
    [
        ({"path_prefix": "/pricing"}, {"path": "/pricing/pro"}, {"path": "/about"}),
        ({"channel": "email"}, {"channel": "email"}, {"channel": "social"}),
        ({"tag": "Whitepaper"}, {"data": {"tags": ["whitepaper"]}}, {"data": {"tags": ["x"]}}),
        (
            {"object_type": "magpie_catalog.product"},
            {"object_type": "magpie_catalog.product"},
            {"object_type": "magpie_content.homepage"},
        ),
    ],
)
def test_engagement_rule_needs_type_and_every_condition(site, condition, matching, other):
    make_rule(site, touchpoint_type="page_view", points=7, **condition)
    contact = make_contact(site)
    assert score_touchpoint(touch(contact, **other)) == []
    assert score_touchpoint(touch(contact, type="download", **matching)) == []
    [event] = score_touchpoint(touch(contact, **matching), now=T0)
    assert event.points == 7
    assert _score(contact) == 7


def test_campaign_condition(site):
    spring = Campaign.objects.create(site=site, name="Spring", utm_campaign="spring")
    autumn = Campaign.objects.create(site=site, name="Autumn", utm_campaign="autumn")
    make_rule(site, touchpoint_type="page_view", campaign=spring, points=4)
    contact = make_contact(site)
    assert score_touchpoint(touch(contact, campaign=autumn)) == []
    assert len(score_touchpoint(touch(contact, campaign=spring), now=T0)) == 1


@pytest.mark.parametrize(
    ("actual", "operator", "expected", "result"),
    [
        ("Manufacturing", "eq", "manufacturing", True),
        ("Retail", "ne", "manufacturing", True),
        ("CH", "in", "ch, de, at", True),
        ("FR", "in", "ch, de, at", False),
        ("Leiter Einkauf", "contains", "einkauf, purchas", True),
        ("Head of Purchasing", "contains", "einkauf, purchas", True),
        ("CEO", "contains", "einkauf, purchas", False),
        ("50-249", "gte", "50", True),
        ("10-49", "gte", "50", False),
        ("250+", "gte", "50", True),
        ("10-49", "lte", "49", True),
        ("", "gte", "50", False),
        ("x", "filled", "", True),
        ("", "empty", "", True),
    ],
)
def test_fit_operators(actual, operator, expected, result):
    assert compare(actual, operator, expected) is result


# -- caps and decay -------------------------------------------------------------------------


def test_cap_per_period(site):
    make_rule(site, touchpoint_type="page_view", points=10, cap_points=30, cap_period_days=7)
    contact = make_contact(site)
    awarded = [
        sum(e.points for e in score_touchpoint(touch(contact, at=T0 + days(n)), now=T0))
        for n in (0, 1, 2, 3)
    ]
    assert awarded == [10, 10, 10, 0]
    # Eight days on, the visit of day 0 and 1 left the window: 20 used, 10 more allowed.
    assert sum(e.points for e in score_touchpoint(touch(contact, at=T0 + days(8)))) == 10


def test_cap_cuts_the_last_award_and_says_so(site):
    make_rule(site, touchpoint_type="download", points=25, cap_points=30, cap_period_days=30)
    contact = make_contact(site)
    score_touchpoint(touch(contact, "download"), now=T0)
    [event] = score_touchpoint(touch(contact, "download", at=T0 + days(1)), now=T0 + days(1))
    assert event.points == 5
    assert "30" in event.reason  # the history says which cap cut it


def test_points_halve_after_the_half_life(site):
    lead_settings(site, half_life_days=30)
    make_rule(site, touchpoint_type="download", points=40)
    contact = make_contact(site)
    score_touchpoint(touch(contact, "download", at=T0), now=T0)
    assert _score(contact) == 40
    assert engagement_now(contact, T0 + days(30)) == pytest.approx(20)
    assert decay_scores(now=T0 + days(30)) == 1
    assert _score(contact) == 20
    # A second touchpoint a month later adds full points to the halved score.
    score_touchpoint(touch(contact, "download", at=T0 + days(30)), now=T0 + days(30))
    assert _score(contact) == 60
    decay_scores(now=T0 + days(60))
    assert _score(contact) == 30


def test_history_explains_the_score(site):
    lead_settings(site, half_life_days=14)
    make_rule(site, name="Pricing", touchpoint_type="page_view", path_prefix="/pricing", points=10)
    make_rule(site, name="Form", touchpoint_type="form_submission", points=15)
    make_rule(site, name="Careers", touchpoint_type="page_view", path_prefix="/jobs", points=-5)
    contact = make_contact(site)
    visits = [
        ("page_view", "/pricing", 0),
        ("form_submission", "/lp", 3),
        ("page_view", "/jobs", 5),
        ("page_view", "/pricing/pro", 9.5),
    ]
    for kind, path, day in visits:
        score_touchpoint(touch(contact, kind, at=T0 + days(day), path=path), now=T0 + days(day))
    now = T0 + days(20)
    decay_scores(now=now)
    events = history(contact, now)
    assert [e.rule_label for e in events] == ["Pricing", "Careers", "Form", "Pricing"]
    explained = sum(e.worth_now for e in events)
    assert explained == pytest.approx(engagement_now(contact, now))
    assert abs(explained - _score(contact)) <= 0.5


def test_out_of_order_touchpoints_decay_from_their_own_time(site):
    lead_settings(site, half_life_days=10)
    make_rule(site, touchpoint_type="download", points=16)
    contact = make_contact(site)
    score_touchpoint(touch(contact, "download", at=T0 + days(10)), now=T0 + days(10))
    score_touchpoint(touch(contact, "download", at=T0), now=T0 + days(10))  # arrives late
    assert _score(contact) == 16 + 8


# -- idempotency and events -----------------------------------------------------------------


def test_redelivered_touchpoint_counts_once(site):
    make_rule(site, touchpoint_type="email_click", points=5)
    contact = make_contact(site)
    tp = touch(contact, "email_click", at=timezone.now())
    event = FakeEvent("touchpoint.recorded", {"touchpoint": tp.pk, "contact": contact.pk})
    events.handle(event)
    events.handle(event)
    assert ScoreEvent.objects.filter(contact=contact).count() == 1
    assert _score(contact) == 5


def test_recorded_touchpoint_is_scored_through_the_outbox(site, django_capture_on_commit_callbacks):
    make_rule(site, touchpoint_type="form_submission", tag="whitepaper", points=25)
    contact = make_contact(site)
    with django_capture_on_commit_callbacks(execute=True):
        record("form_submission", site=site, contact=contact, data={"tags": ["whitepaper"]})
    assert _score(contact) == 25
    assert ScoreEvent.objects.get(contact=contact).touchpoint.type == "form_submission"


def test_contact_identified_scores_the_joined_page_views(site, django_capture_on_commit_callbacks):
    make_rule(site, touchpoint_type="page_view", path_prefix="/pricing", points=10)
    contact = make_contact(site)
    for n in range(3):
        touch(contact, path="/pricing", at=T0 + days(n))
    touch(contact, path="/about")
    payload = {"contact": contact.pk, "visitor": "x", "moved": 4}
    deliver(django_capture_on_commit_callbacks, "contact.identified", payload, site)
    deliver(django_capture_on_commit_callbacks, "contact.identified", payload, site)
    assert ScoreEvent.objects.filter(contact=contact).count() == 3


# -- fit ------------------------------------------------------------------------------------


def test_fit_gains_and_losses_are_in_the_history(site):
    buyer = make_rule(
        site,
        name="Buyer",
        kind="fit",
        field="job_title",
        operator="contains",
        value="einkauf, purchas",
        points=10,
    )
    make_rule(
        site, name="Big", kind="fit", field="company.size", operator="gte", value="50", points=15
    )
    contact = make_contact(site, job_title="Leiter Einkauf", company=make_company(size="50-249"))
    assert score_fit(contact) == 25
    assert score_fit(contact) == 25  # idempotent: no new events
    assert ScoreEvent.objects.filter(contact=contact, kind="fit").count() == 2

    Contact.objects.filter(pk=contact.pk).update(job_title="CEO")
    assert score_fit(contact) == 15
    loss = ScoreEvent.objects.filter(contact=contact, kind="fit").order_by("-pk").first()
    assert (loss.points, loss.rule_label) == (-10, "Buyer")
    assert "job_title" in loss.reason

    buyer.points = 20
    buyer.save()
    Contact.objects.filter(pk=contact.pk).update(job_title="Purchasing manager")
    assert score_fit(contact) == 35
    ScoringRule.objects.filter(name="Big").delete()
    assert score_fit(contact) == 20
    total = sum(
        ScoreEvent.objects.filter(contact=contact, kind="fit").values_list("points", flat=True)
    )
    assert total == _fit(contact) == 20


def test_editing_a_contact_re_evaluates_fit(site, django_capture_on_commit_callbacks):
    make_rule(site, kind="fit", field="country", operator="in", value="ch, li", points=5)
    with django_capture_on_commit_callbacks(execute=True):
        contact = make_contact(site, country="CH")
    assert _fit(contact) == 5
    with django_capture_on_commit_callbacks(execute=True):
        contact.country = "FR"
        contact.save()
    assert _fit(contact) == 0


# -- plugin rules ---------------------------------------------------------------------------


class ScoringPlugin:
    """A plugin adding two rules through the ``lead_scoring_rules`` hook."""

    from magpie.hookspecs import hookimpl

    @hookimpl
    def lead_scoring_rules(self, site):
        return [
            PluginRule(
                key="webinar:attended",
                label="Attended a webinar",
                kind="engagement",
                points=20,
                cap_points=20,
                cap_period_days=30,
                condition=lambda contact, tp: (
                    tp.type == "client_event" and tp.data.get("event") == "webinar"
                ),
            ),
            PluginRule(
                key="webinar:swiss",
                label="Swiss",
                kind="fit",
                points=3,
                condition=lambda contact, tp: contact.country == "CH",
            ),
        ]


class BrokenScoringPlugin:
    from magpie.hookspecs import hookimpl

    @hookimpl
    def lead_scoring_rules(self, site):
        raise RuntimeError("no rules today")


@pytest.fixture
def scoring_plugins() -> Any:
    pm = get_host().pm
    pm.register(ScoringPlugin(), name="test_scoring_rules")
    pm.register(BrokenScoringPlugin(), name="test_broken_rules")
    yield
    pm.unregister(name="test_scoring_rules")
    pm.unregister(name="test_broken_rules")


def test_plugin_rules_count_and_a_failing_plugin_is_left_out(site, scoring_plugins):
    make_rule(site, touchpoint_type="client_event", points=1)
    keys = {rule.key for rule in rules_for(site)}
    assert {"webinar:attended", "webinar:swiss"} <= keys
    contact = make_contact(site, country="CH")
    webinar = {"data": {"event": "webinar"}}
    first = score_touchpoint(touch(contact, "client_event", **webinar), now=T0)
    assert {e.rule_key for e in first} == {
        "webinar:attended",
        f"rule:{ScoringRule.objects.get().pk}",
    }
    second = score_touchpoint(touch(contact, "client_event", at=T0 + days(1), **webinar), now=T0)
    assert [e.rule_key for e in second] == [f"rule:{ScoringRule.objects.get().pk}"]  # capped
    assert score_fit(contact) == 3


# -- commands -------------------------------------------------------------------------------


def test_decay_command_only_touches_changed_scores(site):
    lead_settings(site, half_life_days=1)
    make_rule(site, touchpoint_type="download", points=10)
    old, fresh = make_contact(site, "old@example.ch"), make_contact(site, "new@example.ch")
    score_touchpoint(touch(old, "download", at=T0 - days(30)), now=T0 - days(30))
    score_touchpoint(touch(fresh, "download", at=T0), now=T0)
    out = io.StringIO()
    call_command("decay_scores", stdout=out)
    assert "2 engagement score(s) changed" in out.getvalue()
    assert _score(old) == 0 and _score(fresh) < 10
    out = io.StringIO()
    call_command("decay_scores", stdout=out)
    assert _score(old) == 0


def test_rescore_applies_changed_rules_to_past_touchpoints(site):
    contact = make_contact(site)
    touch(contact, "download", at=T0)
    touch(contact, "download", at=T0 + days(1))
    rule = make_rule(site, touchpoint_type="download", points=10)
    assert _score(contact) == 0
    call_command("rescore", "--contact", str(contact.pk), "--no-progress", stdout=io.StringIO())
    assert ScoreEvent.objects.filter(contact=contact).count() == 2
    rule.points = 3
    rule.save()
    rescore(contact, now=T0 + days(1))
    assert [e.points for e in ScoreEvent.objects.filter(contact=contact)] == [3, 3]
    assert ScoreState.objects.filter(pk=contact.pk).exists()


def test_rule_cache_follows_edits(site):
    rule = make_rule(site, touchpoint_type="download", points=10)
    assert [r.points for r in rules_for(site)] == [10]
    rule.points = 12
    rule.save()
    assert [r.points for r in rules_for(site)] == [12]
    rule.delete()
    assert rules_for(site) == []


# -- admin ----------------------------------------------------------------------------------


def test_rule_form_validates_per_kind(site, superuser, client):
    client.force_login(superuser)
    url = reverse("magpie_leads_rules:add")
    assert client.get(url).status_code == 200
    base = {"name": "x", "site": site.pk, "points": 5, "active": "on"}
    response = client.post(url, {**base, "kind": "engagement", "cap_points": 10})
    assert response.status_code == 200
    assert set(response.context["form"].errors) == {"touchpoint_type", "cap_period_days"}
    response = client.post(url, {**base, "kind": "fit", "field": "job_title"})
    assert set(response.context["form"].errors) == {"operator"}
    response = client.post(
        url, {**base, "kind": "fit", "field": "company.size", "operator": "gte", "value": "many"}
    )
    assert set(response.context["form"].errors) == {"value"}
    assert not ScoringRule.objects.exists()
    response = client.post(
        url,
        {**base, "kind": "engagement", "touchpoint_type": "page_view", "path_prefix": "/pricing"},
    )
    assert response.status_code == 302
    assert ScoringRule.objects.get().path_prefix == "/pricing"
    assert client.get(reverse("magpie_leads_rules:index")).status_code == 200


def test_score_page_explains_and_escapes(site, superuser, client, django_user_model):
    make_rule(site, name="<i>Pricing</i>", touchpoint_type="page_view", points=10)
    contact = make_contact(site, first_name="<b>Eve</b>")
    score_touchpoint(touch(contact, path="/pricing"))
    client.force_login(superuser)
    response = client.get(reverse("magpie_leads_score:detail", args=[contact.pk]))
    text = response.content.decode()
    assert response.status_code == 200
    assert "&lt;i&gt;Pricing&lt;/i&gt;" in text and "<i>Pricing</i>" not in text
    assert reverse("magpie_contacts:timeline", args=[contact.pk]) in text
    nobody = django_user_model.objects.create_user("nobody", password="x", is_staff=True)
    from django.contrib.auth.models import Permission

    nobody.user_permissions.add(Permission.objects.get(codename="access_admin"))
    client.force_login(nobody)
    assert client.get(reverse("magpie_leads_score:detail", args=[contact.pk])).status_code == 403


# -- concurrency ----------------------------------------------------------------------------


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_concurrent_touchpoints_of_one_contact_lose_no_points(magpie_site):
    make_rule(magpie_site, touchpoint_type="download", points=10)
    contact = make_contact(magpie_site)
    touchpoints = [touch(contact, "download", at=T0 + days(n / 100)) for n in range(8)]
    start = threading.Barrier(len(touchpoints))
    errors: list[BaseException] = []

    def work(tp: Any) -> None:
        try:
            start.wait()
            score_touchpoint(tp, now=T0 + days(1))
        except BaseException as error:  # noqa: BLE001 - reported below
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=work, args=(tp,)) for tp in touchpoints]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert ScoreEvent.objects.filter(contact=contact).count() == 8
    expected = sum(e.worth_now for e in history(contact, T0 + days(1)))
    assert engagement_now(contact, T0 + days(1)) == pytest.approx(expected)
    assert _score(contact) == round(expected)


# -- demo -----------------------------------------------------------------------------------


def test_scoring_demo_is_idempotent(site):
    from magpie_leads.models import LeadSettings
    from magpie_leads.scoring_demo import DEMO_RULES, load_scoring_demo

    out = io.StringIO()
    load_scoring_demo(out)
    assert "scoring rule" in out.getvalue()
    assert ScoringRule.objects.filter(site=site).count() == len(DEMO_RULES)
    assert LeadSettings.objects.get(site=site).sales_group.name == "Sales"
    again = io.StringIO()
    load_scoring_demo(again)
    assert again.getvalue() == ""
    assert ScoringRule.objects.filter(site=site).count() == len(DEMO_RULES)
    # The demo's rules score what they say: a purchaser at a 50+ manufacturer.
    contact = make_contact(
        site,
        job_title="Head of Purchasing",
        company=make_company(industry="Manufacturing", size="50-249"),
    )
    assert score_fit(contact) == 35


def test_decay_task_runs_the_decay(site):
    from magpie_leads.tasks import decay_scores_task

    lead_settings(site, half_life_days=1)
    make_rule(site, touchpoint_type="download", points=10)
    contact = make_contact(site)
    score_touchpoint(touch(contact, "download", at=T0), now=T0)
    result = decay_scores_task.enqueue()  # the immediate backend of the tests runs it now
    assert result.return_value == 1
    assert _score(contact) == 0


def test_leads_menu_offers_the_scoring_screens(superuser, client, site):
    client.force_login(superuser)
    text = client.get(reverse("wagtailadmin_home")).content.decode()
    for name in ("magpie_leads_rules", "magpie_leads_my_leads", "magpie_leads_countries"):
        assert reverse(f"{name}:index") in text
    assert client.get(reverse("magpie_leads_countries:index")).status_code == 200


def test_country_assignment_needs_a_country_code(superuser, client, site):
    from magpie_leads.models import CountryAssignment

    client.force_login(superuser)
    url = reverse("magpie_leads_countries:add")
    response = client.post(url, {"site": site.pk, "country": "1A", "owner": superuser.pk})
    assert response.status_code == 200
    assert list(response.context["form"].errors) == ["country"]
    assert not CountryAssignment.objects.exists()
    response = client.post(url, {"site": site.pk, "country": "ch", "owner": superuser.pk})
    assert response.status_code == 302
    assert CountryAssignment.objects.get().country == "CH"
