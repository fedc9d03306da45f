"""Contact enrichment: the email domain (free-mail excluded), the country from the ccTLD or
the phone, the company found by domain or created, and another plugin's answer first."""

from __future__ import annotations

from typing import Any

import pytest

from magpie.people.models import Company, Contact
from magpie_leads import enrichment
from magpie_leads.enrichment import (
    business_domain,
    country_from_phone,
    enrich,
    enrich_from_email_and_phone,
    find_company_by_domain,
    name_from_domain,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def recorder_answer():
    """Set what the test plugin ``recorder`` answers to ``enrich_contact``."""
    from magpie_testplugins import recorder

    def set_answer(answer: Any) -> None:
        recorder.enrich_answer = answer

    yield set_answer
    recorder.enrich_answer = None


@pytest.mark.parametrize(
    "email",
    [
        "x@gmail.com",
        "x@GoogleMail.com",
        "x@hotmail.ch",
        "x@gmx.ch",
        "x@bluewin.ch",
        "x@web.de",
        "x@proton.me",
        "x@mail.yahoo.com",
    ],
)
def test_free_mail_domains_are_excluded(email):
    assert business_domain(email) is None


def test_business_domain_and_name():
    assert business_domain("Anna@Acme-Tools.CH") == "acme-tools.ch"
    assert name_from_domain("acme-tools.ch") == "Acme Tools"
    assert name_from_domain("www.widgets.co.uk") == "Widgets"
    assert business_domain("not an email") is None
    assert business_domain("x@<script>.ch") is None


def test_country_from_cctld_not_from_com(site):
    ch = Contact(site=site, email="a@acme.ch")
    assert enrich_from_email_and_phone(ch) == {
        "company": {"domain": "acme.ch", "name": "Acme", "country": "CH"},
        "country": "CH",
    }
    com = Contact(site=site, email="a@acme.com")
    assert enrich_from_email_and_phone(com) == {"company": {"domain": "acme.com", "name": "Acme"}}


def test_country_from_the_phone(site):
    contact = Contact(site=site, email="a@gmail.com", phone="+49 30 1234567")
    assert enrich_from_email_and_phone(contact) == {"country": "DE"}
    assert country_from_phone("044 668 18 00", "CH") == "CH"
    assert country_from_phone("044 668 18 00") is None  # national, no region known
    assert country_from_phone("call me") is None
    assert enrich_from_email_and_phone(Contact(site=site, email="a@gmail.com")) is None


def test_enrich_creates_the_company_and_fills_empty_fields(site):
    contact = Contact.objects.create(site=site, email="eva@acme-tools.ch")
    enrich(contact)
    contact.refresh_from_db()
    assert contact.country == "CH"
    assert contact.company.name == "Acme Tools"
    assert contact.company.domains == ["acme-tools.ch"]
    assert contact.company.country == "CH"


def test_enrich_finds_the_company_by_domain(site):
    other = Company.objects.create(name="Acme Tooling", domains=["acme-tools.com"])
    company = Company.objects.create(name="Acme Tools AG", domains=["acme.ch", "acme-tools.ch"])
    contact = Contact.objects.create(site=site, email="eva@acme-tools.ch")
    enrich(contact)
    contact.refresh_from_db()
    assert contact.company == company and Company.objects.count() == 2
    assert find_company_by_domain("acme-tools.com") == other
    assert find_company_by_domain("tools.ch") is None  # not a substring match


def test_enrich_never_overwrites(site):
    company = Company.objects.create(name="Mine")
    contact = Contact.objects.create(site=site, email="eva@acme.de", country="AT", company=company)
    enrich(contact)
    contact.refresh_from_db()
    assert contact.country == "AT" and contact.company == company
    assert not Company.objects.filter(domains__icontains="acme.de").exists()


def test_free_mail_contact_gets_no_company(site):
    contact = Contact.objects.create(site=site, email="eva@gmail.com", phone="+41 44 668 18 00")
    enrich(contact)
    contact.refresh_from_db()
    assert contact.company is None and contact.country == "CH"
    assert not Company.objects.exists()


def test_another_plugin_wins_per_key(site, recorder_answer):
    recorder_answer(
        {
            "job_title": "Buyer",
            "country": "LI",
            "company": {"domain": "acme-tools.ch", "name": "ACME Tools Group", "industry": "Tools"},
        }
    )
    contact = Contact.objects.create(site=site, email="eva@acme-tools.ch")
    merged = enrich(contact)
    contact.refresh_from_db()
    assert merged["country"] == "LI" and contact.country == "LI"  # the other plugin first
    assert contact.job_title == "Buyer"
    assert contact.company.name == "ACME Tools Group"
    assert contact.company.industry == "Tools"
    assert contact.company.country == "CH"  # filled from the first-party answer


def test_a_failing_or_odd_plugin_answer_is_skipped(site, recorder_answer):
    recorder_answer(["not", "a", "dict"])
    contact = Contact.objects.create(site=site, email="eva@acme.at")
    enrich(contact)
    contact.refresh_from_db()
    assert contact.country == "AT"


def test_disabled_plugin_is_not_asked(site, recorder_answer, magpie_plugin_state):
    recorder_answer({"job_title": "Buyer"})
    magpie_plugin_state("recorder", False)
    contact = Contact.objects.create(site=site, email="eva@acme.at")
    enrich(contact)
    contact.refresh_from_db()
    assert contact.job_title == ""


def test_free_mail_list_is_one_frozenset():
    assert isinstance(enrichment.FREE_MAIL_DOMAINS, frozenset)
    assert {"gmail.com", "gmx.ch", "bluewin.ch", "proton.me"} <= enrichment.FREE_MAIL_DOMAINS
