"""The leads plugin speaks German (the site's default language): the lead form on a page, the
Leads admin menu and the email to a new lead's owner."""

from __future__ import annotations

import pytest
from django.core import mail
from django.test import Client
from django.urls import reverse

from magpie_leads.handover import hand_over
from tests.leads.scoring_fixtures import make_contact, sales_team

pytestmark = pytest.mark.django_db


def test_form_menu_and_owner_email_are_german(landing_page, admin_client, site, django_user_model):
    html = Client(headers={"Accept-Language": "de"}).get(landing_page.url).content.decode()
    assert "Dieses Feld leer lassen" in html  # the honeypot's label
    assert 'data-error-text="Bitte korrigieren Sie die unten markierten Felder."' in html

    dashboard = admin_client.get(reverse("wagtailadmin_home")).content.decode()
    assert "Lead-Formulare" in dashboard and "Scoring-Regeln" in dashboard

    sales_team(django_user_model, site, count=1)  # no preferred language: the site's German
    hand_over(make_contact(site, first_name="Anna", last_name="Muster", stage="mql"))
    [message] = mail.outbox
    assert message.subject == "Neuer Lead für Sie: Anna Muster"
    assert "ist ein Marketing-qualifizierter Lead (MQL)" in message.body
