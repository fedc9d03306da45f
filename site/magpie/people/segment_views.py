"""Admin screens of contact segments: Customers → Segments.

* the list shows each segment's live count (cached for a minute per site and rules) linked to
  the contacts list filtered by the segment (``?segment=<id>``);
* create/edit have a rule builder (``magpie/people/segments.js``, no CDN) that writes the
  rules JSON into the form's text area, which stays editable by hand, and shows the count
  while the rules are edited, from :class:`SegmentCountView` (``POST`` ``{"site": id,
  "rules": {...}}`` → ``{"count": n}`` or ``{"error": message}``).
"""

from __future__ import annotations

import json
from typing import Any

from django import forms
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.urls import path, reverse
from django.utils.functional import cached_property
from django.utils.text import Truncator
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views import View
from wagtail.admin.forms import WagtailAdminModelForm
from wagtail.admin.panels import FieldPanel, ObjectList
from wagtail.admin.ui.menus import MenuItem
from wagtail.admin.ui.tables import Column, DateColumn
from wagtail.admin.views.generic.models import CreateView, EditView, IndexView
from wagtail.admin.viewsets.model import ModelViewSet
from wagtail.admin.widgets.button import Button
from wagtail.models import Site

from magpie.people.models import Segment
from magpie.people.segments import FIELDS, cached_count, validate_rules

SEGMENTS = "magpie_segments"
VIEW_SEGMENT_PERMISSION = "magpie_people.view_segment"
COUNT_PERMISSION = "magpie_people.view_contact"
#: The largest request body the count endpoint reads.
MAX_BODY = 64 * 1024

FIELD_LABELS = {
    "email": gettext_lazy("Email"),
    "first_name": gettext_lazy("First name"),
    "last_name": gettext_lazy("Last name"),
    "job_title": gettext_lazy("Job title"),
    "locale": gettext_lazy("Language"),
    "country": gettext_lazy("Country"),
    "source": gettext_lazy("Source"),
    "stage": gettext_lazy("Lifecycle stage"),
    "owner": gettext_lazy("Owner (user ID)"),
    "engagement_score": gettext_lazy("Engagement score"),
    "fit_score": gettext_lazy("Fit score"),
    "score": gettext_lazy("Score (engagement + fit)"),
    "created_at": gettext_lazy("Created"),
    "updated_at": gettext_lazy("Updated"),
    "company.name": gettext_lazy("Company name"),
    "company.industry": gettext_lazy("Company industry"),
    "company.size": gettext_lazy("Company size"),
    "company.country": gettext_lazy("Company country"),
}
OP_LABELS = {
    "eq": gettext_lazy("is"),
    "ne": gettext_lazy("is not"),
    "in": gettext_lazy("is one of (comma-separated)"),
    "contains": gettext_lazy("contains"),
    "startswith": gettext_lazy("starts with"),
    "is_empty": gettext_lazy("is empty"),
    "gt": gettext_lazy("greater than"),
    "gte": gettext_lazy("at least"),
    "lt": gettext_lazy("less than"),
    "lte": gettext_lazy("at most"),
    "within_days": gettext_lazy("within the last … days"),
    "before_days": gettext_lazy("more than … days ago"),
}
DATE_OP_LABELS = {
    "gt": gettext_lazy("after (date)"),
    "gte": gettext_lazy("on or after (date)"),
    "lt": gettext_lazy("before (date)"),
    "lte": gettext_lazy("on or before (date)"),
}
RULES_HELP = gettext_lazy(
    "Build the rules with the controls below; they are saved as JSON, which you may also edit "
    'by hand: {"match": "all" or "any", "conditions": [...]}. A field condition is {"field": '
    '"stage", "op": "in", "value": ["mql", "sql"]}; a touchpoint condition is {"touchpoints": '
    '{"type": "page_view", "within_days": 30, "min_count": 3, "path_prefix": "/pricing"}} '
    '("negate": true for "has not"). See docs/segments.md.'
)


def segments_visible_to(user: Any) -> QuerySet:
    """The segments ``user`` may use to filter contacts.

    Magpie has no per-site admin permissions yet: a user with the view (or any other)
    segment permission sees every site's segments; this is the one place to narrow it.
    """
    if any(
        user.has_perm(f"magpie_people.{action}_segment")
        for action in ("view", "add", "change", "delete")
    ):
        return Segment.objects.all()
    return Segment.objects.none()


def contacts_url(segment: Segment) -> str:
    """The contacts list filtered by ``segment``."""
    return f"{reverse('magpie_contacts:index')}?segment={segment.pk}"


def builder_spec() -> dict[str, Any]:
    """What the rule builder offers: fields with their operators and choices, labels."""
    from magpie.journey.models import Channel
    from magpie.journey.recording import known_types

    fields = []
    for name, spec in FIELDS.items():
        ops = [
            {
                "op": op,
                "label": str(
                    (DATE_OP_LABELS.get(op) if spec.kind == "date" else None) or OP_LABELS[op]
                ),
            }
            for op in spec.ops
        ]
        fields.append(
            {
                "name": name,
                "label": str(FIELD_LABELS.get(name, name)),
                "kind": spec.kind,
                "ops": ops,
                "choices": list(spec.choices),
            }
        )
    return {
        "fields": fields,
        "touchpointTypes": sorted(known_types()),
        "channels": list(Channel.values),
        "text": {
            "match": _("Contacts must match"),
            "all": _("all conditions"),
            "any": _("any condition"),
            "field": _("Field"),
            "op": _("Operator"),
            "value": _("Value"),
            "remove": _("Remove condition"),
            "addField": _("Add field condition"),
            "addTouchpoints": _("Add activity condition"),
            "did": _("has done"),
            "didNot": _("has not done"),
            "type": _("Touchpoint type"),
            "withinDays": _("within the last … days"),
            "minCount": _("at least … times"),
            "pathPrefix": _("page path starts with"),
            "campaign": _("campaign ID"),
            "channel": _("channel"),
            "anyValue": _("any"),
            "yes": _("yes"),
            "no": _("no"),
            "counting": _("Counting…"),
            "count": _("%(count)s contacts match these rules now."),
            "countOne": _("1 contact matches these rules now."),
            "chooseSite": _("Choose a site to see how many contacts match."),
            "failed": _("The count could not be computed."),
            "badJson": _("The rules below are not valid JSON; fix them by hand."),
        },
    }


class RulesField(forms.JSONField):
    """The rules as indented JSON; validated with :func:`validate_rules`."""

    def prepare_value(self, value: Any) -> str:
        if isinstance(value, forms.fields.InvalidJSONInput):
            return value
        return json.dumps(value, ensure_ascii=False, indent=2)

    def validate(self, value: Any) -> None:
        super().validate(value)
        try:
            validate_rules(value)
        except ValidationError as error:
            raise ValidationError(error.messages, code="invalid_rules") from error

    def clean(self, value: Any) -> Any:
        value = super().clean(value)
        return validate_rules(value)


class RulesWidget(forms.Textarea):
    """A text area for the JSON with the rule builder and the live count around it."""

    template_name = "magpie/people/segments/rules_widget.html"

    def __init__(self, attrs: dict[str, Any] | None = None) -> None:
        super().__init__(attrs={"rows": 12, "class": "magpie-segment-rules", **(attrs or {})})

    def get_context(self, name: str, value: Any, attrs: dict[str, Any] | None) -> dict[str, Any]:
        context = super().get_context(name, value, attrs)
        context["count_url"] = reverse(f"{SEGMENTS}:count")
        context["builder_spec"] = builder_spec()
        return context

    @property
    def media(self) -> forms.Media:
        return forms.Media(
            js=["magpie/people/segments.js"], css={"all": ["magpie/people/segments.css"]}
        )


class SegmentForm(WagtailAdminModelForm):
    rules = RulesField(
        label=gettext_lazy("Rules"),
        widget=RulesWidget,
        help_text=RULES_HELP,
        initial={"match": "all", "conditions": []},
    )

    class Meta:
        model = Segment
        fields = ["site", "name", "description", "rules"]


def _count_or_error(segment: Segment) -> tuple[int | None, str]:
    try:
        return cached_count(segment.site_id, segment.rules), ""
    except ValidationError as error:
        return None, " ".join(error.messages)


class CountColumn(Column):
    """The live number of contacts, linked to the filtered contacts list."""

    cell_template_name = "magpie/people/segments/count_cell.html"

    def get_value(self, instance: Segment) -> None:
        return None  # computed (and cached) in get_cell_context_data

    def get_cell_context_data(self, instance: Segment, parent_context: Any) -> dict[str, Any]:
        context = super().get_cell_context_data(instance, parent_context)
        count, error = _count_or_error(instance)
        request = parent_context.get("request")
        context.update(
            count=count,
            error=error,
            url=contacts_url(instance)
            if request is not None and request.user.has_perm(COUNT_PERMISSION)
            else "",
        )
        return context


class SegmentIndexView(IndexView):
    def get_list_more_buttons(self, instance: Segment) -> list[Any]:
        buttons = list(super().get_list_more_buttons(instance))
        if self.request.user.has_perm(COUNT_PERMISSION):
            buttons.append(
                MenuItem(_("View contacts"), url=contacts_url(instance), icon_name="user")
            )
        return buttons


class SegmentCreateView(CreateView):
    def save_instance(self) -> Segment:
        self.form.instance.created_by = self.request.user
        return super().save_instance()


class SegmentEditView(EditView):
    @cached_property
    def header_more_buttons(self) -> list[Any]:
        buttons = list(super().header_more_buttons)
        if self.request.user.has_perm(COUNT_PERMISSION):
            buttons.append(
                Button(
                    _("View contacts"),
                    url=contacts_url(self.object),
                    icon_name="user",
                    priority=30,
                )
            )
        return buttons


class SegmentCountView(View):
    """``POST {"site": id, "rules": {...}}`` → ``{"count": n}``, or 400 ``{"error": …}``.

    Needs the view permission on contacts (403 otherwise); CSRF-protected like every admin
    POST. Counts are cached for a minute per site and rules.
    """

    http_method_names = ["post"]

    def post(self, request: HttpRequest) -> HttpResponse:
        if not request.user.has_perm(COUNT_PERMISSION):
            return JsonResponse({"error": _("You may not view contacts.")}, status=403)
        if len(request.body) > MAX_BODY:
            return self.error(_("The rules are too long."))
        try:
            payload = json.loads(request.body or b"{}")
        except (ValueError, UnicodeDecodeError):
            return self.error(_("The request is not valid JSON."))
        if not isinstance(payload, dict):
            return self.error(_("The request must be a JSON object."))
        site_id = payload.get("site")
        if isinstance(site_id, str) and site_id.isdigit():
            site_id = int(site_id)
        if isinstance(site_id, bool) or not isinstance(site_id, int):
            return self.error(_("Choose a site."))
        site = Site.objects.filter(pk=site_id).first()
        if site is None:
            return self.error(_("That site does not exist."))
        rules = payload.get("rules", {})
        try:
            count = cached_count(site, rules)
        except ValidationError as error:
            return self.error(" ".join(error.messages))
        return JsonResponse({"count": count})

    def error(self, message: str) -> JsonResponse:
        return JsonResponse({"error": message}, status=400)

    def handle_no_permission(self) -> HttpResponse:  # pragma: no cover - not used
        raise PermissionDenied


class SegmentViewSet(ModelViewSet):
    """Customers → Segments: saved, dynamic sets of contacts with their live counts."""

    model = Segment
    icon = "list-ul"
    menu_label = gettext_lazy("Segments")
    url_prefix = "customers/segments"
    name = SEGMENTS
    copy_view_enabled = False
    index_view_class = SegmentIndexView
    add_view_class = SegmentCreateView
    edit_view_class = SegmentEditView
    list_display = [
        "name",
        CountColumn("count", label=gettext_lazy("Contacts")),
        Column(
            "description",
            label=gettext_lazy("Description"),
            accessor=lambda s: Truncator(s.description).chars(120),
        ),
        Column("site", label=gettext_lazy("Site")),
        DateColumn("updated_at", label=gettext_lazy("Updated"), sort_key="updated_at"),
    ]
    list_filter = ["site"]
    search_fields = ["name", "description"]
    ordering = ["name"]
    form_fields = ["site", "name", "description", "rules"]
    edit_handler = ObjectList(
        [FieldPanel("site"), FieldPanel("name"), FieldPanel("description"), FieldPanel("rules")],
        base_form_class=SegmentForm,
    )

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        return Segment.objects.select_related("site")

    def get_urlpatterns(self) -> list[Any]:
        return [
            *super().get_urlpatterns(),
            path("count/", SegmentCountView.as_view(), name="count"),
        ]


def segment_contacts(queryset: QuerySet, segment: Segment) -> QuerySet:
    """``queryset`` (contacts) narrowed to the members of ``segment``."""
    members = segment.contacts()
    return queryset.filter(site_id=segment.site_id, pk__in=members.values("pk"))
