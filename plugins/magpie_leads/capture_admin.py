"""Admin screens of lead capture: Leads → Lead forms and Leads → Submissions.

* Lead forms: a snippet viewset (so the landing page's block can choose one) with Wagtail's
  own create and edit views (the panels on the model) and the number of submissions.
* Submissions: read-only — a list (time, form, contact, page, UTM tags) filtered by form and
  date, exported as a spreadsheet, and a detail view of the answers. Nobody adds, edits or
  deletes a submission here (erasure goes through the contact's privacy actions).

Both follow Wagtail's model permissions: without ``view`` a user gets 403.
"""

from __future__ import annotations

import json
from typing import Any

from django.core.exceptions import PermissionDenied
from django.db.models import Count
from django.urls import reverse
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext_lazy as _
from django.views.defaults import permission_denied
from wagtail.admin.ui.tables import Column, DateColumn, TitleColumn
from wagtail.admin.views.generic import InspectView
from wagtail.admin.viewsets.model import ModelViewSet
from wagtail.permission_policies.base import ModelPermissionPolicy
from wagtail.permissions import register_permission_policy
from wagtail.snippets.views.snippets import IndexView as SnippetIndexView
from wagtail.snippets.views.snippets import SnippetViewSet

from magpie_leads.models import LeadForm, Submission

READ_ONLY_ACTIONS = frozenset({"add", "change", "delete"})


class ReadOnlyPermissionPolicy(ModelPermissionPolicy):
    """Model permissions, except that nobody may add, change or delete (records of what
    visitors sent)."""

    def user_has_permission(self, user: Any, action: str) -> bool:
        if action in READ_ONLY_ACTIONS:
            return False
        return super().user_has_permission(user, action)

    def user_has_any_permission(self, user: Any, actions: Any) -> bool:
        return any(self.user_has_permission(user, action) for action in actions)

    def user_has_permission_for_instance(self, user: Any, action: str, instance: Any) -> bool:
        return self.user_has_permission(user, action)

    def user_has_any_permission_for_instance(self, user: Any, actions: Any, instance: Any) -> bool:
        return self.user_has_any_permission(user, actions)


register_permission_policy(Submission, ReadOnlyPermissionPolicy(Submission))


class Forbidden403Mixin:
    """A user without ``view`` permission gets a real 403 (Wagtail's generic views would
    redirect to the dashboard with a message)."""

    permission_policy: Any

    def dispatch(self, request: Any, *args: Any, **kwargs: Any) -> Any:
        policy = self.permission_policy
        if policy is not None and not policy.user_has_any_permission(
            request.user, ["view", "add", "change", "delete"]
        ):
            return permission_denied(request, PermissionDenied())
        return super().dispatch(request, *args, **kwargs)  # type: ignore[misc]


class LeadFormIndexView(Forbidden403Mixin, SnippetIndexView):
    """Leads → Lead forms (403 without permission)."""


class LeadFormViewSet(SnippetViewSet):
    """Leads → Lead forms."""

    model = LeadForm
    icon = "form"
    menu_label = _("Lead forms")
    menu_order = 10
    url_prefix = "leads/forms"
    url_namespace = "magpie_leads_forms"
    list_display = [
        "name",
        "tags",
        Column("submission_count", label=_("Submissions"), sort_key="submission_count"),
        DateColumn("updated_at", label=_("Updated"), sort_key="updated_at"),
    ]
    index_view_class = LeadFormIndexView
    search_fields = ["name", "heading", "tags"]
    ordering = ["name"]

    def get_queryset(self, request: Any) -> Any:
        """The forms with their number of submissions (one query)."""
        return LeadForm.objects.annotate(submission_count=Count("submissions"))


class ContactColumn(Column):
    """The submission's contact, linked to its edit view."""

    def get_value(self, instance: Submission) -> Any:
        contact = instance.contact
        if contact is None:
            return "—"
        return format_html(
            '<a href="{}">{}</a>', reverse("magpie_contacts:edit", args=[contact.pk]), contact
        )


class UTMColumn(Column):
    """The UTM tags sent with the submission as ``source / medium / campaign``."""

    def get_value(self, instance: Submission) -> str:
        utm = instance.utm or {}
        parts = [str(utm.get(name, "")) for name in ("utm_source", "utm_medium", "utm_campaign")]
        return " / ".join(part for part in parts if part) or "—"


class SubmissionInspectView(Forbidden403Mixin, InspectView):
    """A submission: its answers (escaped), page, UTM tags, contact and form."""

    def get_fields(self) -> list[str]:
        return ["created_at", "form", "contact", "page_path", "utm", "data", "public_id"]

    def _pairs(self, values: dict[str, Any]) -> Any:
        if not values:
            return "—"
        return format_html(
            "<dl>{}</dl>",
            format_html_join("", "<dt>{}</dt><dd>{}</dd>", sorted(values.items())),
        )

    def get_data_display_value(self) -> Any:
        answers = dict(self.object.data or {})
        labels = {}
        if self.object.form is not None:
            from magpie_leads.forms import field_specs

            labels = {spec.name: spec.label for spec in field_specs(self.object.form)}
        return self._pairs({labels.get(k, k): v for k, v in answers.items()})

    def get_utm_display_value(self) -> Any:
        return self._pairs(dict(self.object.utm or {}))

    def get_contact_display_value(self) -> Any:
        contact = self.object.contact
        if contact is None:
            return "—"
        return format_html(
            '<a href="{}">{}</a>', reverse("magpie_contacts:edit", args=[contact.pk]), contact
        )


def _json_cell(value: Any) -> str:
    return json.dumps(value or {}, ensure_ascii=False, sort_keys=True)


class SubmissionViewSet(ModelViewSet):
    """Leads → Submissions (read-only)."""

    model = Submission
    name = "magpie_leads_submissions"
    url_prefix = "leads/submissions"
    icon = "doc-full-inverse"
    menu_label = _("Submissions")
    menu_order = 20
    inspect_view_enabled = True
    inspect_view_class = SubmissionInspectView
    form_fields = ["page_path"]  # never reachable: nobody may add or change
    list_display = [
        TitleColumn(
            "created_at",
            label=_("Sent"),
            sort_key="created_at",
            url_name="magpie_leads_submissions:inspect",
        ),
        Column("form", label=_("Form")),
        ContactColumn("contact", label=_("Contact")),
        Column("page_path", label=_("Page")),
        UTMColumn("utm", label=_("UTM (source / medium / campaign)")),
    ]
    list_filter = ["form", "created_at"]
    list_export = [
        "created_at",
        "form.name",
        "contact.email",
        "page_path",
        "utm",
        "data",
    ]
    export_headings = {
        "created_at": _("Sent"),
        "form.name": _("Form"),
        "contact.email": _("Email"),
        "page_path": _("Page"),
        "utm": _("UTM tags"),
        "data": _("Answers"),
    }
    export_filename = "lead-submissions"
    ordering = ["-created_at", "-pk"]

    def get_queryset(self, request: Any) -> Any:
        return Submission.objects.select_related("form", "contact")

    @property
    def index_view_class(self) -> Any:  # type: ignore[override]
        from wagtail.admin.views.generic import IndexView

        class SubmissionIndexView(Forbidden403Mixin, IndexView):
            custom_field_preprocess = {
                "data": {"csv": _json_cell, "xlsx": _json_cell},
                "utm": {"csv": _json_cell, "xlsx": _json_cell},
            }

            def get_inspect_url(self, instance: Any) -> str | None:
                return reverse("magpie_leads_submissions:inspect", args=[instance.pk])

            def get_edit_url(self, instance: Any) -> str | None:
                # The title column links to the detail view (nobody edits a submission).
                return self.get_inspect_url(instance)

        return SubmissionIndexView


def capture_viewsets() -> list[Any]:
    """The capture screens of the Leads menu: lead forms, then submissions."""
    return [LeadFormViewSet(), SubmissionViewSet()]
