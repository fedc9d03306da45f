"""End to end: a visitor sends a lead form in Chromium (``leadform.js``).

UTM tags of the landing URL survive navigation (sessionStorage), errors show next to the
fields (``aria-invalid``, focus on the first one), a valid form goes to the thank-you page,
and a known contact's browser hides the fields already known (progressive profiling).
"""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from magpie.journey.consent import CONSENT_COOKIE, VISITOR_COOKIE
from magpie.journey.models import JourneySettings, Visitor
from magpie.people.models import Contact
from magpie.testing.factories import create_site
from magpie_leads.models import Submission
from tests.leads.conftest import make_lead_form

# The transactional database is flushed after each test: restore Wagtail's root page and
# locale (written by migrations) for the next one.
pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)


@pytest.fixture
def landing():
    from magpie.content.models import LandingPage

    site = create_site()
    lead_form = make_lead_form()
    page = LandingPage(title="Whitepaper", slug="whitepaper")
    page.body = [("lead_form", {"form": lead_form, "heading": ""})]
    site.root_page.add_child(instance=page)
    page.save_revision().publish()
    page.refresh_from_db()
    return site, lead_form, page


def test_send_a_lead_form_with_inline_errors_and_utm_tags(browser_page, landing):
    site, lead_form, landing_page = landing
    page = browser_page
    page.goto(landing_page.url + "?utm_source=linkedin&utm_campaign=autumn")
    form = page.locator(f"#leadform-{lead_form.pk}")
    expect(form.locator('input[name="utm_source"]')).to_have_value("linkedin")
    page.goto(landing_page.url)  # no tags in the URL any more: kept from the landing
    expect(form.locator('input[name="utm_campaign"]')).to_have_value("autumn")
    expect(form.locator('input[name="token"]')).to_have_value(re.compile(r"^[0-9a-f-]{32,36}$"))

    form.get_by_role("button", name="Send").click()
    email = form.locator('input[name="email"]')
    expect(email).to_have_attribute("aria-invalid", "true")
    expect(form.locator('[data-error-for="email"]')).to_be_visible()
    expect(form.locator('[data-error-for="consent"]')).to_be_visible()
    expect(email).to_be_focused()
    assert not Submission.objects.exists()

    email.fill("lea@acme.ch")
    form.locator('input[name="first_name"]').fill("Lea")
    form.locator('input[name="consent"]').check()
    form.get_by_role("button", name="Send").click()
    page.wait_for_url(re.compile(r"/leads/thanks/"))
    submission = Submission.objects.get()
    assert submission.utm == {"utm_source": "linkedin", "utm_campaign": "autumn"}
    assert submission.contact.first_name == "Lea"


def test_known_visitor_is_asked_only_what_is_unknown(browser_page, landing, live_server):
    site, lead_form, landing_page = landing
    JourneySettings.objects.create(site=site, consent_mode="opt_in")
    contact = Contact.objects.create(
        site=site, email="kim@acme.ch", first_name="Kim", last_name="Known"
    )
    visitor = Visitor.objects.create(site=site, contact=contact)
    page = browser_page
    page.context.add_cookies(
        [
            {"name": CONSENT_COOKIE, "value": "all", "url": live_server.url},
            {"name": VISITOR_COOKIE, "value": str(visitor.pk), "url": live_server.url},
        ]
    )
    page.goto(landing_page.url)
    form = page.locator(f"#leadform-{lead_form.pk}")
    expect(form.locator('[data-field="first_name"]')).to_be_hidden()
    expect(form.locator('[data-field="last_name"]')).to_be_hidden()
    expect(form.locator('[data-field="company"]')).to_be_visible()
    expect(form.locator('[data-field="email"]')).to_be_visible()
    form.locator('input[name="email"]').fill("kim@acme.ch")
    form.locator('input[name="company"]').fill("Acme")
    form.locator('input[name="consent"]').check()
    form.get_by_role("button", name="Send").click()
    page.wait_for_url(re.compile(r"/leads/thanks/"))
    contact.refresh_from_db()
    assert contact.first_name == "Kim" and contact.company.name == "Acme"
