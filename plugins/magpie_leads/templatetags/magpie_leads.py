"""Template tags of the leads plugin.

``{% lead_form form %}`` renders a lead form anywhere (the same HTML the landing page block
renders); ``{% lead_download %}`` shows the gated download link on a thank-you page reached
with ``?submission=<id>``.
"""

from __future__ import annotations

from typing import Any

from django import template
from django.template.loader import render_to_string
from django.utils.safestring import SafeString

register = template.Library()


@register.simple_tag(takes_context=True)
def lead_form(context: Any, lead_form: Any, form: Any = None, heading: str = "") -> SafeString:
    """The HTML of ``lead_form`` (a bound ``form`` re-renders answers and errors)."""
    from magpie_leads.rendering import form_context

    if lead_form is None:
        return SafeString("")
    request = context.get("request")
    return render_to_string(
        "magpie_leads/includes/form.html",
        form_context(lead_form, heading=heading, form=form),
        request=request,
    )


@register.inclusion_tag("magpie_leads/includes/download.html", takes_context=True)
def lead_download(context: Any) -> dict[str, Any]:
    """The gated download link of the submission named by ``?submission=`` (if any).

    The page showing it differs per submission (its URL includes the id), so it is cached
    per URL only.
    """
    import uuid

    from magpie_leads.models import Submission
    from magpie_leads.views import download_url

    request = context.get("request")
    raw = request.GET.get("submission", "") if request is not None else ""
    try:
        public_id = uuid.UUID(raw[:64])
    except ValueError:
        return {"download_url": ""}
    submission = (
        Submission.objects.select_related("form__download").filter(public_id=public_id).first()
    )
    document = submission.form.download if submission and submission.form else None
    if document is None:
        return {"download_url": ""}
    return {"download_url": download_url(submission), "document": document}
