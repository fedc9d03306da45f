"""Demo data of scoring: lead settings, a Sales group and six sensible scoring rules on the
demo (default) site. Idempotent: rules are found again by name."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.models import Group
from wagtail.models import Site

from magpie_leads.models import LeadSettings, ScoringRule

SALES_GROUP = "Sales"

#: name → fields of the demo's rules.
DEMO_RULES: dict[str, dict[str, Any]] = {
    "Pricing page visit": {
        "kind": "engagement",
        "touchpoint_type": "page_view",
        "path_prefix": "/pricing",
        "points": 10,
        "cap_points": 30,
        "cap_period_days": 7,
    },
    "Whitepaper downloaded (form)": {
        "kind": "engagement",
        "touchpoint_type": "form_submission",
        "tag": "whitepaper",
        "points": 25,
    },
    "Any form sent": {"kind": "engagement", "touchpoint_type": "form_submission", "points": 15},
    "Email link clicked": {
        "kind": "engagement",
        "touchpoint_type": "email_click",
        "points": 5,
        "cap_points": 20,
        "cap_period_days": 30,
    },
    "Industry: manufacturing": {
        "kind": "fit",
        "field": "company.industry",
        "operator": "contains",
        "value": "manufactur, maschinenbau, industrie",
        "points": 15,
    },
    "Company of 50 or more": {
        "kind": "fit",
        "field": "company.size",
        "operator": "gte",
        "value": "50",
        "points": 10,
    },
    "Buyer (job title)": {
        "kind": "fit",
        "field": "job_title",
        "operator": "contains",
        "value": "einkauf, purchas, procurement",
        "points": 10,
    },
}


def load_scoring_demo(stdout: Any) -> None:
    """Lead settings (half-life 30 days, MQL at 60, round robin among "Sales") and the
    demo rules on the default site; a second call changes nothing."""
    site = Site.objects.filter(is_default_site=True).first()
    if site is None:
        return
    group, created = Group.objects.get_or_create(name=SALES_GROUP)
    if created:
        stdout.write(f"leads: group {SALES_GROUP!r}\n")
    lead_settings, created = LeadSettings.objects.get_or_create(
        site=site, defaults={"sales_group": group}
    )
    if lead_settings.sales_group_id is None:
        lead_settings.sales_group = group
        lead_settings.save(update_fields=["sales_group"])
        created = True
    if created:
        stdout.write("leads: lead settings (MQL at 60, round robin among Sales)\n")
    for order, (name, fields) in enumerate(DEMO_RULES.items()):
        _rule, created = ScoringRule.objects.get_or_create(
            site=site, name=name, defaults={**fields, "sort_order": order}
        )
        if created:
            stdout.write(f"leads: scoring rule {name!r}\n")
