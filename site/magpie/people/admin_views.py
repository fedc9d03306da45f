"""Admin screens of the people app: Customers → Contacts, Companies, Customer groups.

Contacts have two privacy actions besides editing: *Export data* (the JSON of
:func:`magpie.people.privacy.export_contact`) and *Erase* (a confirmation, then
:func:`magpie.people.privacy.erase_contact`), in the edit view's header menu and each row's
"more" menu.

Other apps add items to the Customers menu with the ``register_magpie_customers_menu_item``
hook (contacts, company accounts, …).
"""

from __future__ import annotations

import json
import logging
from datetime import date, datetime
from itertools import groupby
from typing import Any
from urllib.parse import urlencode

import django_filters
from django import forms
from django.apps import apps
from django.contrib.auth import get_user_model
from django.contrib.auth.mixins import PermissionRequiredMixin
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.serializers.json import DjangoJSONEncoder
from django.db.models import Q
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.urls import path, reverse
from django.utils import timezone
from django.utils.functional import cached_property
from django.utils.text import Truncator
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views import View
from django.views.defaults import permission_denied
from django.views.generic import TemplateView
from wagtail import hooks
from wagtail.admin import messages
from wagtail.admin.filters import DateRangePickerWidget, WagtailFilterSet
from wagtail.admin.panels import FieldPanel, FieldRowPanel, MultiFieldPanel
from wagtail.admin.ui.menus import MenuItem
from wagtail.admin.ui.tables import Column, DateColumn
from wagtail.admin.views.generic.base import WagtailAdminTemplateMixin
from wagtail.admin.views.generic.models import EditView, IndexView
from wagtail.admin.viewsets.base import ViewSetGroup
from wagtail.admin.viewsets.model import ModelViewSet
from wagtail.admin.widgets.button import Button

from magpie.journey.models import Channel
from magpie.people.models import Company, ConsentRecord, Contact, CustomerGroup, Segment
from magpie.people.privacy import erase_contact, export_contact
from magpie.people.segment_views import SegmentViewSet, segment_contacts, segments_visible_to

CUSTOMERS_MENU_HOOK = "register_magpie_customers_menu_item"
#: Wagtail hook: ``fn(user, contact, item)`` returns more buttons (``item`` is Button or
#: MenuItem) for a contact's edit view header and list row (the leads plugin's Score).
CONTACT_ACTIONS_HOOK = "register_magpie_contact_actions"
CONTACTS = "magpie_contacts"
COMPANIES = "magpie_companies"

logger = logging.getLogger("magpie.people")


class CompanyEditView(EditView):
    @cached_property
    def header_more_buttons(self) -> list[Any]:
        buttons = list(super().header_more_buttons)
        if self.request.user.has_perm(TIMELINE_PERMISSION):
            buttons.append(
                Button(
                    _("Timeline"),
                    url=reverse(f"{COMPANIES}:timeline", args=[self.object.pk]),
                    icon_name="history",
                    priority=30,
                )
            )
        return buttons


class CompanyViewSet(ModelViewSet):
    """Companies (business customers and prospects)."""

    model = Company
    icon = "site"
    menu_label = gettext_lazy("Companies")
    url_prefix = "customers/companies"
    name = COMPANIES
    copy_view_enabled = False
    edit_view_class = CompanyEditView
    list_display = ["name", "country", "currency", "vat_id", "industry"]
    list_filter = ["country", "currency", "groups"]
    search_fields = ["name", "vat_id"]
    panels = [
        FieldPanel("name"),
        FieldPanel("domains"),
        FieldRowPanel([FieldPanel("industry"), FieldPanel("size")]),
        FieldRowPanel([FieldPanel("country"), FieldPanel("vat_id"), FieldPanel("currency")]),
        FieldPanel("groups", widget=forms.CheckboxSelectMultiple),
    ]

    def get_urlpatterns(self) -> list[Any]:
        return [
            *super().get_urlpatterns(),
            path("timeline/<int:pk>/", CompanyTimelineView.as_view(), name="timeline"),
        ]


class CustomerGroupViewSet(ModelViewSet):
    """Customer groups (shared prices and terms)."""

    model = CustomerGroup
    icon = "group"
    menu_label = gettext_lazy("Customer groups")
    url_prefix = "customers/groups"
    name = "magpie_customer_groups"
    copy_view_enabled = False
    list_display = ["name", "code"]
    search_fields = ["name", "code"]
    form_fields = ["code", "name"]


EXPORT_PERMISSION = "magpie_people.view_contact"
ERASE_PERMISSION = "magpie_people.delete_contact"
TIMELINE_PERMISSION = "magpie_people.view_contact"


def _privacy_actions(user: Any, contact: Contact, item: type) -> list[Any]:
    """The Timeline / Export data / Erase buttons (``item``: Button or MenuItem) of ``user``."""
    actions = []
    if user.has_perm(TIMELINE_PERMISSION):
        actions.append(
            item(
                _("Timeline"),
                url=reverse(f"{CONTACTS}:timeline", args=[contact.pk]),
                icon_name="history",
                priority=30,
            )
        )
    if user.has_perm(EXPORT_PERMISSION):
        actions.append(
            item(
                _("Export data"),
                url=reverse(f"{CONTACTS}:export", args=[contact.pk]),
                icon_name="download",
                priority=40,
            )
        )
    if user.has_perm(ERASE_PERMISSION):
        actions.append(
            item(
                _("Erase personal data"),
                url=reverse(f"{CONTACTS}:erase", args=[contact.pk]),
                icon_name="bin",
                priority=50,
            )
        )
    for extra in hooks.get_hooks(CONTACT_ACTIONS_HOOK):
        actions.extend(extra(user, contact, item) or [])
    return actions


class ForbiddenMixin(PermissionRequiredMixin):
    """A user without the permission gets a real 403 (Wagtail's admin would turn a raised
    ``PermissionDenied`` into a redirect to the dashboard)."""

    raise_exception = True

    def handle_no_permission(self) -> HttpResponse:
        return permission_denied(self.request, PermissionDenied())


class ContactFilterSet(WagtailFilterSet):
    """Filters of Customers → Contacts, and ``?segment=<id>`` (a saved segment's members).

    A segment id that does not exist or that the user may not see is dropped (the view says
    so) and the other filters still apply.
    """

    segment = django_filters.ModelChoiceFilter(
        label=gettext_lazy("Segment"),
        queryset=lambda request: segments_visible_to(request.user) if request else None,
        method="filter_segment",
    )
    stage = django_filters.MultipleChoiceFilter(
        label=gettext_lazy("Lifecycle stage"),
        choices=Contact.Stage.choices,
        widget=forms.CheckboxSelectMultiple,
    )
    source = django_filters.MultipleChoiceFilter(
        label=gettext_lazy("Source"), choices=Channel.choices, widget=forms.CheckboxSelectMultiple
    )
    owner = django_filters.ModelChoiceFilter(
        label=gettext_lazy("Owner"),
        queryset=lambda request: get_user_model().objects.order_by(get_user_model().USERNAME_FIELD),
    )
    country = django_filters.CharFilter(
        label=gettext_lazy("Country"), lookup_expr="iexact", help_text="ISO 3166-1, e.g. CH"
    )
    company_country = django_filters.CharFilter(
        field_name="company__country",
        label=gettext_lazy("Company country"),
        lookup_expr="iexact",
        help_text="ISO 3166-1, e.g. CH",
    )
    engagement_min = django_filters.NumberFilter(
        field_name="engagement_score", lookup_expr="gte", label=gettext_lazy("Engagement at least")
    )
    engagement_max = django_filters.NumberFilter(
        field_name="engagement_score", lookup_expr="lte", label=gettext_lazy("Engagement at most")
    )
    fit_min = django_filters.NumberFilter(
        field_name="fit_score", lookup_expr="gte", label=gettext_lazy("Fit at least")
    )
    fit_max = django_filters.NumberFilter(
        field_name="fit_score", lookup_expr="lte", label=gettext_lazy("Fit at most")
    )
    created_at = django_filters.DateFromToRangeFilter(
        label=gettext_lazy("Created"), widget=DateRangePickerWidget
    )

    class Meta:
        model = Contact
        fields = ["site", "company"]

    def __init__(self, data: Any = None, *args: Any, **kwargs: Any) -> None:
        self.segment_error = ""
        request = kwargs.get("request")
        raw = data.get("segment") if data is not None else None
        if raw:
            visible = segments_visible_to(request.user) if request else Segment.objects.none()
            if not (str(raw).isdigit() and visible.filter(pk=int(raw)).exists()):
                data = data.copy()
                data.pop("segment")
                self.segment_error = _("That segment does not exist or you may not see it.")
        super().__init__(data, *args, **kwargs)

    def filter_segment(self, queryset: Any, name: str, value: Segment | None) -> Any:
        if value is None:
            return queryset
        try:
            return segment_contacts(queryset, value)
        except ValidationError as error:
            self.segment_error = _("The rules of segment %(name)s are invalid: %(error)s") % {
                "name": value.name,
                "error": " ".join(error.messages),
            }
            return queryset


class ContactIndexView(IndexView):
    def filter_queryset(self, queryset: Any) -> Any:
        queryset = super().filter_queryset(queryset)
        error = getattr(self.filters, "segment_error", "") if self.filters else ""
        if error:
            messages.warning(self.request, error + " " + _("The list is not filtered by it."))
        return queryset

    def get_list_more_buttons(self, instance: Contact) -> list[Any]:
        buttons = list(super().get_list_more_buttons(instance))
        return buttons + _privacy_actions(self.request.user, instance, MenuItem)


class ContactEditView(EditView):
    @cached_property
    def header_more_buttons(self) -> list[Any]:
        buttons = list(super().header_more_buttons)
        return buttons + _privacy_actions(self.request.user, self.object, Button)


class ContactExportView(ForbiddenMixin, View):
    """Download everything stored about a contact as JSON."""

    permission_required = EXPORT_PERMISSION

    def get(self, request: HttpRequest, pk: int) -> HttpResponse:
        contact = get_object_or_404(Contact.objects.select_related("site", "company"), pk=pk)
        body = json.dumps(
            export_contact(contact), cls=DjangoJSONEncoder, indent=2, ensure_ascii=False
        )
        response = HttpResponse(body, content_type="application/json; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="contact-{contact.pk}.json"'
        response["Cache-Control"] = "no-store"
        return response


def source_label(contact: Contact) -> str:
    """The contact's source channel, by its label (``paid`` → "Paid")."""
    labels = dict(Channel.choices)
    return str(labels.get(contact.source, contact.source))


class ContactDeleteRedirectView(View):
    """Wagtail's "Delete" of a contact leads to the erasure instead."""

    def dispatch(self, request: HttpRequest, pk: Any, *args: Any, **kwargs: Any) -> HttpResponse:
        return HttpResponseRedirect(reverse(f"{CONTACTS}:erase", args=[pk]))


class ContactEraseView(ForbiddenMixin, WagtailAdminTemplateMixin, TemplateView):
    """Confirm (GET), then erase (POST) a contact and its personal data."""

    permission_required = ERASE_PERMISSION
    template_name = "magpie/people/confirm_erase.html"
    page_title = gettext_lazy("Erase personal data")
    header_icon = "bin"

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not self.has_permission():
            return self.handle_no_permission()
        self.contact = get_object_or_404(Contact, pk=kwargs["pk"])
        return super().dispatch(request, *args, **kwargs)

    def get_page_subtitle(self) -> str:
        return str(self.contact)

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        from magpie.journey.models import Touchpoint, Visitor

        context = super().get_context_data(**kwargs)
        context.update(
            contact=self.contact,
            touchpoints=Touchpoint.objects.filter(contact=self.contact).count(),
            visitors=Visitor.objects.filter(contact=self.contact).count(),
            consents=self.contact.consents.count(),
            cancel_url=reverse(f"{CONTACTS}:edit", args=[self.contact.pk]),
        )
        return context

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        label = str(self.contact)
        try:
            erase_contact(self.contact, by=request.user)
        except Exception as error:  # a plugin refused: nothing was erased
            logger.exception("Erasing contact %s failed; nothing was erased.", self.contact.pk)
            messages.error(
                request,
                _("Nothing was erased: %(error)s") % {"error": error or type(error).__name__},
            )
            return HttpResponseRedirect(reverse(f"{CONTACTS}:edit", args=[self.contact.pk]))
        messages.success(
            request, _("The personal data of %(contact)s was erased.") % {"contact": label}
        )
        return HttpResponseRedirect(reverse(f"{CONTACTS}:index"))


# --- timelines -----------------------------------------------------------------------

TIMELINE_PAGE_SIZE = 50
#: German labels come from the translations of these names; unknown (plugin) types show as is.
TOUCHPOINT_TYPE_LABELS = {
    "page_view": gettext_lazy("Page view"),
    "form_submission": gettext_lazy("Form submission"),
    "search": gettext_lazy("Search"),
    "download": gettext_lazy("Download"),
    "email_open": gettext_lazy("Email opened"),
    "email_click": gettext_lazy("Email link clicked"),
    "cart_add": gettext_lazy("Added to cart"),
    "checkout_started": gettext_lazy("Checkout started"),
    "order_placed": gettext_lazy("Order placed"),
    "login": gettext_lazy("Login"),
    "client_event": gettext_lazy("Browser event"),
    "video_play": gettext_lazy("Video played"),
    "cta_click": gettext_lazy("Call to action clicked"),
}
DETAIL_VALUE_LENGTH = 60
DETAIL_LENGTH = 200


def type_label(kind: str) -> str:
    return str(TOUCHPOINT_TYPE_LABELS.get(kind, kind))


def detail_line(data: Any) -> str:
    """``data`` as one short line of plain text (escaped by the template), long values cut."""
    if not isinstance(data, dict):
        return Truncator(str(data)).chars(DETAIL_LENGTH) if data else ""
    parts = []
    for key, value in data.items():
        if isinstance(value, dict | list):
            value = json.dumps(value, ensure_ascii=False, default=str)
        parts.append(f"{key}: {Truncator(str(value)).chars(DETAIL_VALUE_LENGTH)}")
    return Truncator(" · ".join(parts)).chars(DETAIL_LENGTH)


def parse_cursor(value: str) -> tuple[datetime, int] | None:
    """``<iso time>,<id>`` → (time, id); None when missing or malformed (the first page)."""
    stamp, _sep, pk = (value or "").rpartition(",")
    try:
        when = datetime.fromisoformat(stamp)
        number = int(pk)
    except ValueError:
        return None
    if timezone.is_naive(when):
        when = timezone.make_aware(when, timezone.get_default_timezone())
    return when, number


class TimelineFilterForm(forms.Form):
    type = forms.ChoiceField(label=gettext_lazy("Type"), required=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        from magpie.journey.recording import known_types

        super().__init__(*args, **kwargs)
        choices = sorted(((kind, type_label(kind)) for kind in known_types()), key=lambda c: c[1])
        self.fields["type"].choices = [("", _("All types")), *choices]


class BaseTimelineView(ForbiddenMixin, WagtailAdminTemplateMixin, TemplateView):
    """A keyset-paged timeline of touchpoints (newest first), grouped by day.

    One query per page: ``ORDER BY occurred_at DESC, id DESC LIMIT 51`` below the cursor
    ``?before=<iso>,<id>`` (the last row of the previous page), on the index
    ``journey_tp_contact_time``.
    """

    permission_required = TIMELINE_PERMISSION
    template_name = "magpie/people/timeline.html"
    header_icon = "history"
    page_title = gettext_lazy("Timeline")
    show_contact = False

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not self.has_permission():
            return self.handle_no_permission()
        self.object = self.get_object(kwargs["pk"])
        return super().dispatch(request, *args, **kwargs)

    def get_object(self, pk: int) -> Any:
        raise NotImplementedError

    def get_touchpoints(self) -> Any:
        raise NotImplementedError

    def get_header_title(self) -> str:
        return str(self.object)

    def get_page_subtitle(self) -> str:
        return str(self.object)

    def get_summary(self) -> dict[str, Any]:
        return {}

    def page_touchpoints(self, kind: str, cursor: tuple[datetime, int] | None) -> Any:
        """The touchpoints a page is cut from: of type ``kind`` (if any), older than
        ``cursor`` (``(occurred_at, id)`` of the previous page's last row, if any)."""
        queryset = self.get_touchpoints()
        if kind:
            queryset = queryset.filter(type=kind)
        if cursor:
            when, pk = cursor
            queryset = queryset.filter(occurred_at__lte=when).filter(
                Q(occurred_at__lt=when) | Q(id__lt=pk)
            )
        return queryset

    def page(self) -> tuple[list[Any], str | None, str | None]:
        """The touchpoints of this page, the next and the first page's URLs (or None)."""
        self.filter_form = TimelineFilterForm(self.request.GET or None)
        kind = ""
        if self.filter_form.is_valid():
            kind = self.filter_form.cleaned_data["type"]
        cursor = parse_cursor(self.request.GET.get("before", ""))
        queryset = self.page_touchpoints(kind, cursor)
        rows = list(queryset.order_by("-occurred_at", "-id")[: TIMELINE_PAGE_SIZE + 1])
        next_url = None
        if len(rows) > TIMELINE_PAGE_SIZE:
            rows = rows[:TIMELINE_PAGE_SIZE]
            last = rows[-1]
            params = {"before": f"{last.occurred_at.isoformat()},{last.pk}"}
            if kind:
                params["type"] = kind
            next_url = f"{self.request.path}?{urlencode(params)}"
        first_url = None
        if cursor:
            first_url = self.request.path + (f"?{urlencode({'type': kind})}" if kind else "")
        return rows, next_url, first_url

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        rows, next_url, first_url = self.page()
        for row in rows:
            row.type_label = type_label(row.type)
            row.detail = detail_line(row.data)
        days: list[tuple[date, list[Any]]] = [
            (day, list(items))
            for day, items in groupby(rows, key=lambda r: timezone.localtime(r.occurred_at).date())
        ]
        context.update(
            object=self.object,
            touchpoints=rows,
            days=days,
            next_url=next_url,
            first_url=first_url,
            filter_form=self.filter_form,
            show_contact=self.show_contact,
            **self.get_summary(),
        )
        return context


class ContactTimelineView(BaseTimelineView):
    """Customers → Contacts → (contact) → Timeline."""

    def get_object(self, pk: int) -> Contact:
        return get_object_or_404(Contact.objects.select_related("company", "owner"), pk=pk)

    def get_touchpoints(self) -> Any:
        from magpie.journey.models import Touchpoint

        return Touchpoint.objects.filter(contact=self.object).select_related("campaign")

    def get_header_title(self) -> str:
        contact = self.object
        return contact.display_name

    def get_breadcrumbs_items(self) -> list[dict[str, Any]]:
        return [
            *self.breadcrumbs_items,
            {"url": reverse(f"{CONTACTS}:index"), "label": Contact._meta.verbose_name_plural},
            {"url": reverse(f"{CONTACTS}:edit", args=[self.object.pk]), "label": str(self.object)},
            {"url": "", "label": _("Timeline")},
        ]

    def get_summary(self) -> dict[str, Any]:
        latest: dict[str, ConsentRecord] = {}
        for record in self.object.consents.order_by("purpose", "-recorded_at", "-pk"):
            latest.setdefault(record.purpose, record)
        company = self.object.company
        return {
            "contact": self.object,
            "company_url": reverse(f"{COMPANIES}:edit", args=[company.pk]) if company else None,
            "consents": list(latest.values()),
        }


class CompanyTimelineView(BaseTimelineView):
    """Customers → Companies → (company) → Timeline: the touchpoints of all its contacts."""

    show_contact = True

    def get_object(self, pk: int) -> Company:
        return get_object_or_404(Company, pk=pk)

    def get_touchpoints(self) -> Any:
        from magpie.journey.models import Touchpoint

        return Touchpoint.objects.filter(contact__company=self.object).select_related(
            "campaign", "contact"
        )

    def page_touchpoints(self, kind: str, cursor: tuple[datetime, int] | None) -> Any:
        """One page's ids from the newest rows of each contact, merged
        (:func:`magpie.journey.queries.company_page_ids`): a big company's page costs a few
        milliseconds instead of sorting all its touchpoints."""
        from magpie.journey.models import Touchpoint
        from magpie.journey.queries import company_page_ids

        ids = company_page_ids(
            self.object.pk, kind=kind, before=cursor, limit=TIMELINE_PAGE_SIZE + 1
        )
        return Touchpoint.objects.filter(id__in=ids).select_related("campaign", "contact")

    def get_breadcrumbs_items(self) -> list[dict[str, Any]]:
        return [
            *self.breadcrumbs_items,
            {"url": reverse(f"{COMPANIES}:index"), "label": Company._meta.verbose_name_plural},
            {"url": reverse(f"{COMPANIES}:edit", args=[self.object.pk]), "label": str(self.object)},
            {"url": "", "label": _("Timeline")},
        ]

    def get_summary(self) -> dict[str, Any]:
        return {"company": self.object}


class ContactViewSet(ModelViewSet):
    """Contacts: leads, buyers and subscribers, with privacy export and erasure."""

    model = Contact
    icon = "user"
    menu_label = gettext_lazy("Contacts")
    url_prefix = "customers/contacts"
    name = CONTACTS
    copy_view_enabled = False
    index_view_class = ContactIndexView
    edit_view_class = ContactEditView
    list_display = [
        "email",
        Column(
            "name",
            label=gettext_lazy("Name"),
            accessor="full_name",
        ),
        Column("company", label=gettext_lazy("Company")),
        Column("stage", label=gettext_lazy("Lifecycle stage"), accessor="get_stage_display"),
        Column("engagement_score", label=gettext_lazy("Engagement"), sort_key="engagement_score"),
        Column("fit_score", label=gettext_lazy("Fit"), sort_key="fit_score"),
        Column("source", label=gettext_lazy("Source"), accessor=source_label),
        Column("owner", label=gettext_lazy("Owner")),
        DateColumn("created_at", label=gettext_lazy("Created"), sort_key="created_at"),
    ]
    filterset_class = ContactFilterSet
    search_fields = ["email", "first_name", "last_name"]
    ordering = ["-created_at"]
    panels = [
        FieldRowPanel([FieldPanel("first_name"), FieldPanel("last_name")]),
        FieldRowPanel([FieldPanel("email"), FieldPanel("phone")]),
        FieldRowPanel([FieldPanel("job_title"), FieldPanel("company")]),
        FieldRowPanel([FieldPanel("site"), FieldPanel("locale"), FieldPanel("country")]),
        MultiFieldPanel(
            [
                # With the leads plugin the stage changes through its "Change stage" action
                # (with a reason, logged); scores are computed, never typed.
                FieldRowPanel(
                    [
                        FieldPanel("stage", read_only=apps.is_installed("magpie_leads")),
                        FieldPanel("owner"),
                    ]
                ),
                FieldRowPanel(
                    [
                        FieldPanel("engagement_score", read_only=True),
                        FieldPanel("fit_score", read_only=True),
                    ]
                ),
                FieldPanel("source", read_only=True),
            ],
            heading=gettext_lazy("Sales"),
        ),
    ]

    @property
    def delete_view(self) -> Any:
        """Deleting a contact goes through the erasure (anonymised touchpoints, plugins'
        data, the audit entry), never a bare ``DELETE``."""
        return ContactDeleteRedirectView.as_view()

    def get_queryset(self, request: HttpRequest) -> Any:
        return Contact.objects.select_related("company", "owner")

    def get_urlpatterns(self) -> list[Any]:
        return [
            *super().get_urlpatterns(),
            path("export/<int:pk>/", ContactExportView.as_view(), name="export"),
            path("erase/<int:pk>/", ContactEraseView.as_view(), name="erase"),
            path("timeline/<int:pk>/", ContactTimelineView.as_view(), name="timeline"),
        ]


class CustomersViewSetGroup(ViewSetGroup):
    """The Customers menu: contacts, segments, companies and customer groups, plus plugins'
    items."""

    menu_label = gettext_lazy("Customers")
    menu_icon = "group"
    menu_order = 260
    submenu_hook = CUSTOMERS_MENU_HOOK
    items = (ContactViewSet, SegmentViewSet, CompanyViewSet, CustomerGroupViewSet)
