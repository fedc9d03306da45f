"""The context of the lead form partial (``magpie_leads/includes/form.html``)."""

from __future__ import annotations

from typing import Any

from django.urls import reverse

from magpie_leads.forms import HONEYPOT, build_form
from magpie_leads.models import LeadForm


def form_context(lead_form: LeadForm, *, heading: str = "", form: Any = None) -> dict[str, Any]:
    """What the partial needs: the (bound or unbound) form, its URLs and the field groups.

    The same for every visitor unless ``form`` is a bound form (the 400 page).
    """
    form = form if form is not None else build_form(lead_form)
    if form.is_bound:
        for name in form.errors:
            if name in form.fields:
                # Point the field at its error message (and help text) for screen readers.
                ids = [f"{form[name].auto_id}-error"]
                if form.fields[name].help_text:
                    ids.append(f"{form[name].auto_id}_helptext")
                form.fields[name].widget.attrs["aria-describedby"] = " ".join(ids)
    spec_names = [spec.name for spec in form.specs]
    return {
        "lead_form": lead_form,
        "form": form,
        "heading": heading or lead_form.heading,
        "action": reverse("magpie_leads:submit", args=[lead_form.pk]),
        "profile_url": reverse("magpie_leads:profile", args=[lead_form.pk]),
        "question_fields": [form[name] for name in spec_names],
        "email_field": form["email"],
        "consent_field": form["consent"],
        "honeypot_field": form[HONEYPOT],
        "hidden_fields": form.hidden_fields(),
    }
