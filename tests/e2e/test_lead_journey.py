"""End to end, the issue's lead journey: a visitor lands on the demo's whitepaper landing page
from a newsletter link (UTM tags), accepts the consent banner, sends the lead form, gets the
gated download; a sales manager then finds the contact in the admin with the source (Email)
and the score the demo's rules give (whitepaper form +25, any form +15; buyer +10 fit).
"""

from __future__ import annotations

import io
import re

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from playwright.sync_api import expect
from wagtail.users.models import UserProfile

from magpie.content.demo import demo_key
from magpie.content.models import LandingPage
from magpie.journey.models import Touchpoint
from magpie.people.models import Contact

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

UTM = "?utm_source=newsletter&utm_medium=email&utm_campaign=herbst-2026"


def test_utm_landing_consent_lead_form_then_contact_in_admin(browser_page, settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path / "media")
    call_command("load_demo", stdout=io.StringIO(), stderr=io.StringIO())
    landing = LandingPage.objects.get(
        translation_key=demo_key("landing:whitepaper"), locale__language_code="de"
    )
    page = browser_page

    page.goto(landing.url + UTM)
    banner = page.locator("#consent-banner")
    expect(banner).to_be_visible()
    banner.locator("button[value=all]").click()
    expect(banner).to_be_hidden()

    form = page.locator("form[data-lead-form]")
    expect(form.locator('input[name="utm_medium"]')).to_have_value("email")
    form.locator('input[name="email"]').fill("Lea.Keller@acme-antriebe.ch")
    form.locator('input[name="first_name"]').fill("Lea")
    form.locator('input[name="last_name"]').fill("Keller")
    form.locator('input[name="company"]').fill("Acme Antriebe AG")
    form.locator('input[name="job_title"]').fill("Leiterin Einkauf")
    form.locator('input[name="consent"]').check()
    form.locator("button[type=submit]").click()
    page.wait_for_url(re.compile(r"/leads/thanks/"))
    expect(page.locator("a[href*='/leads/download/']")).to_be_visible()

    contact = Contact.objects.get(email="lea.keller@acme-antriebe.ch")
    assert Touchpoint.objects.filter(contact=contact, type="form_submission").exists()

    user = get_user_model().objects.create_superuser("sales", "sales@example.com", "pw-e2e-123")
    UserProfile.get_for_user(user).__class__.objects.filter(user=user).update(
        preferred_language="en"
    )
    page.goto("/admin/login/")
    page.locator("#id_username").fill("sales")
    page.locator("#id_password").fill("pw-e2e-123")
    page.locator("button[type=submit]").click()
    page.wait_for_url(re.compile(r"/admin/$"))

    page.goto("/admin/customers/contacts/?q=lea.keller")
    row = page.locator("table.listing tbody tr", has_text="lea.keller@acme-antriebe.ch")
    expect(row).to_have_count(1)
    cells = row.locator("td")
    texts = [text.strip() for text in cells.all_inner_texts()]
    assert "Email" in texts  # the source: the newsletter link's channel
    assert "40" in texts  # engagement: whitepaper form 25 + any form 15
    assert "10" in texts  # fit: a buyer's job title
    assert "Acme Antriebe AG" in texts
