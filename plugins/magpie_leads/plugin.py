"""The leads plugin's hook implementations (the entry point ``magpie.plugins: leads``).

Each hook hands over to the module that does the work: capture (``blocks``, ``urls``,
``enrichment``, ``privacy``), scoring and lifecycle (``events``).
"""

from __future__ import annotations

from typing import Any

from magpie.hookspecs import hookimpl

#: The domain events this plugin emits (documented in docs/leads.md).
EMITS = (
    "lead.captured",
    "lead.qualified",
    "lead.accepted",
    "lead.returned",
    "contact.stage_changed",
)


@hookimpl
def django_apps() -> list[str]:
    return ["magpie_leads"]


@hookimpl
def url_patterns() -> list[Any]:
    """``/leads/…``: form submission, progressive profiling, thank-you and downloads."""
    from magpie_leads.urls import urlpatterns

    return urlpatterns


@hookimpl
def landing_page_blocks() -> list[tuple[str, Any]]:
    """The lead form block."""
    from magpie_leads.blocks import LeadFormBlock

    return [("lead_form", LeadFormBlock())]


@hookimpl(trylast=True)
def enrich_contact(contact: Any) -> dict[str, Any] | None:
    """First-party enrichment: the company from the email domain (free-mail domains left
    out), the country from the domain or the phone number."""
    from magpie_leads.enrichment import enrich_from_email_and_phone

    return enrich_from_email_and_phone(contact)


@hookimpl
def event_types() -> list[str]:
    """Touchpoints feed the scores; a first order makes a customer."""
    from magpie_leads.events import WANTED

    return list(WANTED)


@hookimpl
def handle_event(event: Any) -> None:
    """Score touchpoints, advance lifecycle stages, alert owners (see ``events``)."""
    from magpie_leads.events import handle

    handle(event)


@hookimpl
def export_personal_data(contact: Any) -> dict[str, Any] | None:
    """Submissions, score history, stage changes, tasks and alerts of ``contact``."""
    from magpie_leads.privacy import export_contact

    return export_contact(contact)


@hookimpl
def erase_personal_data(contact: Any) -> None:
    """Submissions' answers are personal data: delete them with the contact."""
    from magpie_leads.privacy import erase_contact

    erase_contact(contact)


@hookimpl
def demo_data(stdout: Any) -> None:
    """A whitepaper form on the demo landing page, scoring rules and lead settings."""
    from magpie_leads.demo import load_demo

    load_demo(stdout)
