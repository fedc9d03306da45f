"""Admin wiring of the leads plugin: the Leads menu.

Capture screens (lead forms, submissions) come from ``capture_admin``; scoring, lifecycle
and handover screens (scoring rules, follow-up tasks, country assignments, the contact's
score history and handover actions) from ``scoring_admin``.
"""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _
from wagtail import hooks
from wagtail.admin.viewsets.base import ViewSetGroup

from magpie_leads.capture_admin import capture_viewsets
from magpie_leads.scoring_admin import register_scoring_hooks, scoring_viewsets


class LeadsViewSetGroup(ViewSetGroup):
    menu_label = _("Leads")
    menu_icon = "crosshairs"
    menu_order = 260

    def __init__(self) -> None:
        self.items = [*capture_viewsets(), *scoring_viewsets()]
        super().__init__()


@hooks.register("register_admin_viewset")
def register_leads_viewsets() -> Any:
    """Leads → Lead forms, Submissions, Scoring rules, Follow-up tasks, …"""
    return LeadsViewSetGroup()


register_scoring_hooks()
