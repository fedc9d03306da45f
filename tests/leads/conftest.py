"""Shared fixtures of the leads plugin's tests: a site, a lead form, a landing page with the
form, a superuser and a sales user (admin access, no leads permissions yet)."""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib.auth.models import Group, Permission
from wagtail.models import Site

from magpie_leads.models import LeadForm

CONSENT_TEXT = (
    "Yes, Alpenwerk may email me about products and events. "
    "I can withdraw this consent at any time."
)


@pytest.fixture
def site(magpie_site: Any) -> Site:
    """The default test site (``localhost:80``)."""
    return magpie_site


def make_lead_form(**overrides: Any) -> LeadForm:
    """A lead form asking first name (required), last name, company, job title and phone."""
    fields = overrides.pop(
        "fields",
        [
            ("field", {"target": "first_name", "label": "First name", "required": True}),
            ("field", {"target": "last_name", "label": "Last name", "required": False}),
            ("field", {"target": "company", "label": "Company", "required": False}),
            ("field", {"target": "job_title", "label": "Job title", "required": False}),
            ("field", {"target": "phone", "label": "Phone", "required": False}),
        ],
    )
    values: dict[str, Any] = {
        "name": "Whitepaper linear motion",
        "heading": "Get the whitepaper",
        "consent_text": CONSENT_TEXT,
        "tags": "Whitepaper, linear",
        "submit_label": "Send",
    }
    values.update(overrides)
    lead_form = LeadForm(**values)
    lead_form.fields = [(kind, {"key": "", "help_text": "", **value}) for kind, value in fields]
    lead_form.save()
    return lead_form


@pytest.fixture
def lead_form(db: None) -> LeadForm:
    """A lead form (see :func:`make_lead_form`)."""
    return make_lead_form()


@pytest.fixture
def landing_page(site: Site, lead_form: LeadForm) -> Any:
    """A live landing page below the site's home whose body is the lead form block."""
    from magpie.content.models import LandingPage

    page = LandingPage(title="Whitepaper", slug="whitepaper")
    page.body = [("lead_form", {"form": lead_form, "heading": ""})]
    site.root_page.add_child(instance=page)
    page.save_revision().publish()
    page.refresh_from_db()
    return page


@pytest.fixture
def superuser(django_user_model: Any) -> Any:
    """A superuser."""
    return django_user_model.objects.create_superuser("chef", "chef@example.com", "x")


@pytest.fixture
def sales_user(django_user_model: Any) -> Any:
    """A member of the "Sales" group who may use the admin (no model permissions yet)."""
    group, _created = Group.objects.get_or_create(name="Sales")
    group.permissions.add(Permission.objects.get(codename="access_admin"))
    user = django_user_model.objects.create_user("verkauf", "verkauf@example.com", "x")
    user.groups.add(group)
    return user
