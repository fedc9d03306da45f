"""The landing page's lead form block.

The form HTML is the same for every visitor (no CSRF token, nothing personal), so a landing
page with a form stays in the page cache; ``leadform.js`` adds what is per visitor (UTM
tags, the one-time token, progressive profiling) in the browser.
"""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _
from wagtail import blocks
from wagtail.snippets.blocks import SnippetChooserBlock


class LeadFormBlock(blocks.StructBlock):
    """A lead form chosen among the lead form snippets, with an optional heading."""

    form = SnippetChooserBlock("magpie_leads.LeadForm", label=_("lead form"))
    heading = blocks.CharBlock(
        required=False,
        max_length=200,
        label=_("heading"),
        help_text=_("Leave empty to use the form's own heading."),
    )

    class Meta:
        icon = "form"
        label = _("Lead form")
        template = "magpie_leads/blocks/lead_form.html"

    def get_context(self, value: Any, parent_context: dict[str, Any] | None = None) -> dict:
        """Add the unbound form (``lead_form_html`` context of the partial)."""
        from magpie_leads.rendering import form_context

        context = super().get_context(value, parent_context=parent_context)
        lead_form = value.get("form")
        if lead_form is not None:
            context.update(form_context(lead_form, heading=value.get("heading") or ""))
        return context
