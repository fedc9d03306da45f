"""Privacy: export, erasure (with its audit log and rollback), anonymous-data retention,
and the contacts admin's Export / Erase actions."""

from __future__ import annotations

import io
import json
from datetime import timedelta
from decimal import Decimal

import pytest
from django.contrib.auth.models import Group, Permission
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

from magpie.hookspecs import hookimpl
from magpie.journey.models import Campaign, JourneySettings, Touchpoint, Visitor
from magpie.people.models import ConsentRecord, Contact, ErasureLog
from magpie.people.privacy import email_hash, erase_contact, export_contact, purge_anonymous
from magpie.plugins import get_host

pytestmark = pytest.mark.django_db


@pytest.fixture
def contact(magpie_site):
    return Contact.objects.create(
        site=magpie_site, email="Anna.Muster@Example.CH", first_name="Anna", last_name="Muster"
    )


@pytest.fixture
def journey(magpie_site, contact):
    """A campaign, a visitor of the contact with two touchpoints, an anonymous visitor."""
    campaign = Campaign.objects.create(site=magpie_site, name="Messe 2026", utm_campaign="messe")
    visitor = Visitor.objects.create(site=magpie_site, contact=contact)
    now = timezone.now()
    Touchpoint.objects.create(
        site=magpie_site,
        visitor=visitor,
        contact=contact,
        type="page_view",
        occurred_at=now - timedelta(days=2),
        channel="paid",
        campaign=campaign,
        utm_source="linkedin",
        utm_campaign="messe",
        referrer="https://www.linkedin.com/",
        path="/de/messe/",
        data={"title": "Messe"},
    )
    Touchpoint.objects.create(
        site=magpie_site,
        visitor=visitor,
        contact=contact,
        type="form_submit",
        occurred_at=now - timedelta(days=1),
        channel="direct",
        path="/de/kontakt/",
        value=Decimal("120.50"),
        currency="CHF",
        data={"form": "contact", "message": "Bitte anrufen"},
    )
    ConsentRecord.objects.create(
        contact=contact,
        purpose="marketing",
        granted=True,
        wording="Ja, senden Sie mir Neuigkeiten.",
        source="/de/kontakt/",
    )
    stranger = Visitor.objects.create(site=magpie_site)
    Touchpoint.objects.create(
        site=magpie_site, visitor=stranger, type="page_view", occurred_at=now, path="/de/"
    )
    return {"campaign": campaign, "visitor": visitor, "stranger": stranger}


class ExportingPlugin:
    @hookimpl
    def export_personal_data(self, contact):
        return {"newsletters": ["monthly"], "email": contact.email}


class BrokenExportPlugin:
    @hookimpl
    def export_personal_data(self, contact):
        raise RuntimeError("export broke")


class ErasingPlugin:
    erased: list[str] = []

    @hookimpl
    def erase_personal_data(self, contact):
        ErasingPlugin.erased.append(contact.email)


class FailingErasePlugin:
    @hookimpl
    def erase_personal_data(self, contact):
        Contact.objects.filter(pk=contact.pk).update(first_name="half-erased")
        raise RuntimeError("CRM unreachable")


@pytest.fixture
def register_plugin():
    pm = get_host().pm
    names = []

    def register(plugin, name):
        pm.register(plugin, name=name)
        names.append(name)

    yield register
    for name in names:
        pm.unregister(name=name)


def test_export_holds_contact_consents_visitors_touchpoints_and_plugins(
    contact, journey, register_plugin
):
    register_plugin(ExportingPlugin(), "acme_newsletter")
    register_plugin(BrokenExportPlugin(), "acme_broken")
    data = export_contact(contact)
    json.dumps(data)  # JSON-serialisable as it is
    assert data["contact"]["email"] == "anna.muster@example.ch"
    assert data["contact"]["first_name"] == "Anna"
    assert data["consents"] == [
        {
            "purpose": "marketing",
            "granted": True,
            "wording": "Ja, senden Sie mir Neuigkeiten.",
            "source": "/de/kontakt/",
            "recorded_at": data["consents"][0]["recorded_at"],
        }
    ]
    assert [v["id"] for v in data["visitors"]] == [str(journey["visitor"].id)]
    assert [tp["type"] for tp in data["touchpoints"]] == ["page_view", "form_submit"]
    first, second = data["touchpoints"]
    assert first["campaign"] == "Messe 2026" and first["utm_source"] == "linkedin"
    assert first["channel"] == "paid" and first["path"] == "/de/messe/"
    assert second["value"] == "120.50" and second["data"]["message"] == "Bitte anrufen"
    assert data["plugins"] == {
        "acme_newsletter": {"newsletters": ["monthly"], "email": "anna.muster@example.ch"}
    }  # the broken plugin is logged and left out


def test_erase_removes_the_person_and_keeps_anonymised_touchpoints(
    contact, journey, register_plugin, admin_user
):
    ErasingPlugin.erased = []
    register_plugin(ErasingPlugin(), "acme_crm")
    log = erase_contact(contact, by=admin_user)

    assert ErasingPlugin.erased == ["anna.muster@example.ch"]
    assert not Contact.objects.filter(pk=contact.pk).exists()
    assert not ConsentRecord.objects.exists()
    assert not Visitor.objects.filter(pk=journey["visitor"].pk).exists()
    assert Visitor.objects.filter(pk=journey["stranger"].pk).exists()  # someone else's

    kept = Touchpoint.objects.exclude(visitor=journey["stranger"]).order_by("occurred_at")
    assert [tp.type for tp in kept] == ["page_view", "form_submit"]
    for tp in kept:
        assert tp.contact_id is None and tp.visitor_id is None
        assert tp.data == {} and tp.referrer == ""
    assert kept[0].campaign == journey["campaign"] and kept[0].channel == "paid"
    assert kept[1].value == Decimal("120.50")

    assert ErasureLog.objects.get() == log
    assert log.email_hash == email_hash("anna.muster@example.ch")
    assert "anna" not in log.email_hash and len(log.email_hash) == 64
    assert log.site == contact.site and log.erased_by == admin_user
    assert log.counts == {"touchpoints_anonymised": 2, "visitors": 1, "consents": 1}


def test_plugins_switched_off_for_the_site_still_export_and_erase(
    contact, journey, register_plugin, magpie_plugin_state
):
    """Data a plugin stored while it was on must not escape a data-subject request."""
    ErasingPlugin.erased = []
    register_plugin(ExportingPlugin(), "acme_newsletter")
    register_plugin(ErasingPlugin(), "acme_crm")
    magpie_plugin_state("acme_newsletter", False)
    magpie_plugin_state("acme_crm", False)
    assert "acme_newsletter" in export_contact(contact)["plugins"]
    erase_contact(contact)
    assert ErasingPlugin.erased == ["anna.muster@example.ch"]


def test_email_hash_is_salted_with_the_secret_key(settings):
    before = email_hash("a@example.ch")
    assert email_hash(" A@Example.CH ") == before
    settings.SECRET_KEY = "another-install-" * 4
    assert email_hash("a@example.ch") != before


def test_erase_rolls_back_completely_when_a_plugin_raises(contact, journey, register_plugin):
    register_plugin(FailingErasePlugin(), "acme_failing")
    with pytest.raises(RuntimeError, match="CRM unreachable"):
        erase_contact(contact)
    contact.refresh_from_db()
    assert contact.first_name == "Anna"
    assert ConsentRecord.objects.filter(contact=contact).count() == 1
    assert Visitor.objects.filter(contact=contact).count() == 1
    assert Touchpoint.objects.filter(contact=contact).count() == 2
    assert Touchpoint.objects.filter(contact=contact, data={}).count() == 0
    assert not ErasureLog.objects.exists()


def _age(days: int) -> timezone.datetime:
    return timezone.now() - timedelta(days=days)


@pytest.fixture
def old_and_new(magpie_site, contact):
    """Old and recent anonymous visitors and touchpoints, and an old known visitor."""
    old = Visitor.objects.create(site=magpie_site)
    recent = Visitor.objects.create(site=magpie_site)
    known = Visitor.objects.create(site=magpie_site, contact=contact)
    Visitor.objects.filter(pk__in=[old.pk, known.pk]).update(last_seen=_age(40))
    Visitor.objects.filter(pk=recent.pk).update(last_seen=_age(5))
    tp = {"site": magpie_site, "type": "page_view"}
    Touchpoint.objects.create(visitor=old, occurred_at=_age(45), **tp)
    Touchpoint.objects.create(visitor=recent, occurred_at=_age(45), **tp)  # old, anonymous
    Touchpoint.objects.create(visitor=recent, occurred_at=_age(5), **tp)
    Touchpoint.objects.create(visitor=known, contact=contact, occurred_at=_age(45), **tp)
    return {"old": old, "recent": recent, "known": known}


def test_purge_anonymous_deletes_only_old_anonymous_data(magpie_site, old_and_new):
    assert purge_anonymous(magpie_site, 30) == 3  # one visitor, two touchpoints
    assert set(Visitor.objects.values_list("pk", flat=True)) == {
        old_and_new["recent"].pk,
        old_and_new["known"].pk,
    }
    assert Touchpoint.objects.count() == 2
    assert Touchpoint.objects.filter(contact__isnull=False).count() == 1


def test_purge_journey_command_uses_each_sites_retention(magpie_site, old_and_new):
    JourneySettings.objects.update_or_create(
        site=magpie_site, defaults={"anonymous_retention_days": 30}
    )
    out = io.StringIO()
    call_command("purge_journey", "--dry-run", stdout=out)
    assert "would delete 1 visitor(s) and 2 touchpoint(s) older than 30 days" in out.getvalue()
    assert Visitor.objects.count() == 3 and Touchpoint.objects.count() == 4

    out = io.StringIO()
    call_command("purge_journey", stdout=out)
    assert "deleted 1 visitor(s) and 2 touchpoint(s)" in out.getvalue()
    assert Visitor.objects.count() == 2 and Touchpoint.objects.count() == 2


def test_purge_journey_default_retention_keeps_recent_data(magpie_site, old_and_new):
    call_command("purge_journey", stdout=io.StringIO())  # 395 days by default
    assert Visitor.objects.count() == 3 and Touchpoint.objects.count() == 4


# --- the contacts admin ---------------------------------------------------------------


def test_contacts_are_in_the_customers_menu_with_filters_and_search(admin_client, contact):
    index = reverse("magpie_contacts:index")
    response = admin_client.get(index)
    assert response.status_code == 200
    assert index in admin_client.get(reverse("wagtailadmin_home")).content.decode()
    html = response.content.decode()
    assert "anna.muster@example.ch" in html
    assert reverse("magpie_contacts:export", args=[contact.pk]) in html  # the more menu
    filters = response.context["filters"].form.fields
    assert {"stage", "owner", "company", "site", "created_at"} <= set(filters)
    found = admin_client.get(index, {"q": "muster"})
    assert found.context["object_list"].count() == 1
    assert admin_client.get(index, {"q": "nobody"}).context["object_list"].count() == 0
    assert admin_client.get(index, {"stage": "customer"}).context["object_list"].count() == 0


def test_edit_view_links_export_and_erase(admin_client, contact):
    response = admin_client.get(reverse("magpie_contacts:edit", args=[contact.pk]))
    assert response.status_code == 200
    html = response.content.decode()
    assert reverse("magpie_contacts:export", args=[contact.pk]) in html
    assert reverse("magpie_contacts:erase", args=[contact.pk]) in html


def test_edit_view_offers_plugins_contact_actions(admin_client, contact):
    # The leads plugin adds "Score" through the register_magpie_contact_actions hook.
    html = admin_client.get(reverse("magpie_contacts:edit", args=[contact.pk])).content.decode()
    assert reverse("magpie_leads_score:detail", args=[contact.pk]) in html


def test_delete_of_a_contact_leads_to_the_erasure(admin_client, contact):
    for method in (admin_client.get, admin_client.post):
        response = method(reverse("magpie_contacts:delete", args=[contact.pk]))
        assert response.status_code == 302
        assert response["Location"] == reverse("magpie_contacts:erase", args=[contact.pk])
    contact.refresh_from_db()  # still there: erasure needs its own confirmation


def test_scores_and_source_are_read_only_in_the_contact_form(admin_client, contact):
    url = reverse("magpie_contacts:edit", args=[contact.pk])
    form = admin_client.get(url).context["form"]
    for name in ("engagement_score", "fit_score", "source", "stage"):
        assert name not in form.fields


def test_admin_export_downloads_json(admin_client, contact, journey):
    response = admin_client.get(reverse("magpie_contacts:export", args=[contact.pk]))
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/json")
    assert "attachment" in response["Content-Disposition"]
    data = json.loads(response.content)
    assert data["contact"]["email"] == "anna.muster@example.ch"
    assert data["consents"][0]["wording"] == "Ja, senden Sie mir Neuigkeiten."


def test_admin_erase_confirms_then_erases(admin_client, admin_user, contact, journey):
    url = reverse("magpie_contacts:erase", args=[contact.pk])
    confirm = admin_client.get(url)
    assert confirm.status_code == 200
    assert confirm.context["contact"] == contact and confirm.context["touchpoints"] == 2
    assert Contact.objects.filter(pk=contact.pk).exists()  # GET changes nothing
    response = admin_client.post(url)
    assert response.status_code == 302
    assert response["Location"] == reverse("magpie_contacts:index")
    assert not Contact.objects.filter(pk=contact.pk).exists()
    assert ErasureLog.objects.get().erased_by == admin_user


def test_admin_erase_shows_a_plugins_refusal_and_erases_nothing(
    admin_client, contact, journey, register_plugin
):
    register_plugin(FailingErasePlugin(), "acme_failing")
    response = admin_client.post(reverse("magpie_contacts:erase", args=[contact.pk]))
    assert response.status_code == 302
    assert response["Location"] == reverse("magpie_contacts:edit", args=[contact.pk])
    contact.refresh_from_db()
    assert contact.first_name == "Anna" and not ErasureLog.objects.exists()
    shown = [str(m) for m in response.wsgi_request._messages]
    assert any("CRM unreachable" in m for m in shown)


def test_admin_erase_needs_a_csrf_token(client, admin_user, contact):
    from django.test import Client

    csrf_client = Client(enforce_csrf_checks=True)
    csrf_client.force_login(admin_user)
    response = csrf_client.post(reverse("magpie_contacts:erase", args=[contact.pk]))
    assert response.status_code == 403
    assert Contact.objects.filter(pk=contact.pk).exists()


@pytest.fixture
def editor(django_user_model):
    """A Wagtail editor who may view and change contacts, but not delete them."""
    user = django_user_model.objects.create_user("redaktor", password="x")
    group = Group.objects.create(name="Vertrieb")
    group.permissions.add(
        Permission.objects.get(codename="access_admin"),
        *Permission.objects.filter(
            content_type__app_label="magpie_people", codename__in=["view_contact", "change_contact"]
        ),
    )
    user.groups.add(group)
    return user


def test_erase_needs_delete_permission(client, editor, contact):
    client.force_login(editor)
    url = reverse("magpie_contacts:erase", args=[contact.pk])
    assert client.get(url).status_code == 403
    assert client.post(url).status_code == 403
    assert Contact.objects.filter(pk=contact.pk).exists()
    # export is allowed with view permission; the edit view offers no Erase
    assert client.get(reverse("magpie_contacts:export", args=[contact.pk])).status_code == 200
    edit = client.get(reverse("magpie_contacts:edit", args=[contact.pk])).content.decode()
    assert reverse("magpie_contacts:export", args=[contact.pk]) in edit
    assert url not in edit


def test_export_needs_view_permission(client, django_user_model, contact):
    user = django_user_model.objects.create_user("gast", password="x")
    user.user_permissions.add(Permission.objects.get(codename="access_admin"))
    client.force_login(user)
    assert client.get(reverse("magpie_contacts:export", args=[contact.pk])).status_code == 403
    client.logout()
    response = client.get(reverse("magpie_contacts:export", args=[contact.pk]))
    assert response.status_code == 302  # to the admin login
