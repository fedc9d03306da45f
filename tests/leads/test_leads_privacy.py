"""The leads plugin in the host's privacy export and erasure: submissions and the rest."""

from __future__ import annotations

import datetime
import uuid

import pytest
from django.urls import reverse

from magpie.people.models import Contact
from magpie.people.privacy import erase_contact, export_contact
from magpie_leads.models import (
    FollowUpTask,
    ProspectAlert,
    ScoreEvent,
    StageChange,
    Submission,
)

pytestmark = pytest.mark.django_db


def _submit(client, lead_form, **extra):
    data = {
        "email": "eva@acme.ch",
        "first_name": "Eva",
        "last_name": "Beispiel",
        "consent": "on",
        "page": "/whitepaper/?utm_campaign=spring",
        "utm_campaign": "spring",
        "token": str(uuid.uuid4()),
        **extra,
    }
    response = client.post(
        reverse("magpie_leads:submit", args=[lead_form.pk]),
        data,
        headers={"Origin": "http://testserver"},
    )
    assert response.status_code == 303
    return Contact.objects.get(email="eva@acme.ch")


def test_export_includes_submissions_and_history(client, site, lead_form, superuser):
    contact = _submit(client, lead_form)
    FollowUpTask.objects.create(
        contact=contact, owner=superuser, title="Call Eva", due_on=datetime.date(2026, 12, 1)
    )
    ProspectAlert.objects.create(contact=contact, owner=superuser, path="/pricing/")
    data = export_contact(contact)["plugins"]["leads"]
    [submission] = data["submissions"]
    assert submission["form"] == lead_form.name
    assert submission["answers"] == {"first_name": "Eva", "last_name": "Beispiel"}
    assert submission["page"] == "/whitepaper/?utm_campaign=spring"
    assert submission["utm"] == {"utm_campaign": "spring"}
    assert data["stage_changes"][0]["to"] == "lead"
    assert data["follow_up_tasks"][0]["title"] == "Call Eva"
    assert data["prospect_alerts"][0]["page"] == "/pricing/"
    assert isinstance(data["score_events"], list)


def test_erase_deletes_submissions_and_history(client, site, lead_form, superuser):
    contact = _submit(client, lead_form)
    other = Contact.objects.create(site=site, email="other@acme.ch")
    Submission.objects.create(form=lead_form, site=site, contact=other, dedupe_key="x" * 64)
    FollowUpTask.objects.create(
        contact=contact, owner=superuser, title="Call Eva", due_on=datetime.date(2026, 12, 1)
    )
    erase_contact(contact, by=superuser)
    assert not Contact.objects.filter(email="eva@acme.ch").exists()
    assert list(Submission.objects.values_list("contact__email", flat=True)) == ["other@acme.ch"]
    assert not StageChange.objects.filter(contact_id=contact.pk).exists()
    assert not FollowUpTask.objects.exists()
    assert not ScoreEvent.objects.filter(contact_id=contact.pk).exists()
    assert lead_form.submissions.count() == 1


def test_nothing_stored_nothing_exported(site):
    contact = Contact.objects.create(site=site, email="quiet@acme.ch")
    assert "leads" not in export_contact(contact)["plugins"]
