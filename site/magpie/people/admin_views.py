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
from typing import Any

from django import forms
from django.contrib.auth.mixins import PermissionRequiredMixin
from django.core.exceptions import PermissionDenied
from django.core.serializers.json import DjangoJSONEncoder
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.urls import path, reverse
from django.utils.functional import cached_property
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views import View
from django.views.defaults import permission_denied
from django.views.generic import TemplateView
from wagtail.admin import messages
from wagtail.admin.panels import FieldPanel, FieldRowPanel, MultiFieldPanel
from wagtail.admin.ui.menus import MenuItem
from wagtail.admin.ui.tables import Column, DateColumn
from wagtail.admin.views.generic.base import WagtailAdminTemplateMixin
from wagtail.admin.views.generic.models import EditView, IndexView
from wagtail.admin.viewsets.base import ViewSetGroup
from wagtail.admin.viewsets.model import ModelViewSet
from wagtail.admin.widgets.button import Button

from magpie.people.models import Company, Contact, CustomerGroup
from magpie.people.privacy import erase_contact, export_contact

CUSTOMERS_MENU_HOOK = "register_magpie_customers_menu_item"

logger = logging.getLogger("magpie.people")


class CompanyViewSet(ModelViewSet):
    """Companies (business customers and prospects)."""

    model = Company
    icon = "site"
    menu_label = gettext_lazy("Companies")
    url_prefix = "customers/companies"
    name = "magpie_companies"
    copy_view_enabled = False
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
CONTACTS = "magpie_contacts"


def _privacy_actions(user: Any, contact: Contact, item: type) -> list[Any]:
    """The Export data / Erase buttons (``item``: Button or MenuItem) ``user`` may use."""
    actions = []
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
    return actions


class ForbiddenMixin(PermissionRequiredMixin):
    """A user without the permission gets a real 403 (Wagtail's admin would turn a raised
    ``PermissionDenied`` into a redirect to the dashboard)."""

    raise_exception = True

    def handle_no_permission(self) -> HttpResponse:
        return permission_denied(self.request, PermissionDenied())


class ContactIndexView(IndexView):
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
            accessor=lambda c: f"{c.first_name} {c.last_name}".strip(),
        ),
        Column("company", label=gettext_lazy("Company")),
        Column("stage", label=gettext_lazy("Lifecycle stage"), accessor="get_stage_display"),
        Column("engagement_score", label=gettext_lazy("Engagement"), sort_key="engagement_score"),
        Column("fit_score", label=gettext_lazy("Fit"), sort_key="fit_score"),
        Column("owner", label=gettext_lazy("Owner")),
        DateColumn("created_at", label=gettext_lazy("Created"), sort_key="created_at"),
    ]
    list_filter = ["stage", "owner", "company", "site", "created_at"]
    search_fields = ["email", "first_name", "last_name"]
    ordering = ["-created_at"]
    panels = [
        FieldRowPanel([FieldPanel("first_name"), FieldPanel("last_name")]),
        FieldRowPanel([FieldPanel("email"), FieldPanel("phone")]),
        FieldRowPanel([FieldPanel("job_title"), FieldPanel("company")]),
        FieldRowPanel([FieldPanel("site"), FieldPanel("locale")]),
        MultiFieldPanel(
            [
                FieldRowPanel([FieldPanel("stage"), FieldPanel("owner")]),
                FieldRowPanel([FieldPanel("engagement_score"), FieldPanel("fit_score")]),
                FieldPanel("source"),
            ],
            heading=gettext_lazy("Sales"),
        ),
    ]

    def get_queryset(self, request: HttpRequest) -> Any:
        return Contact.objects.select_related("company", "owner")

    def get_urlpatterns(self) -> list[Any]:
        return [
            *super().get_urlpatterns(),
            path("export/<int:pk>/", ContactExportView.as_view(), name="export"),
            path("erase/<int:pk>/", ContactEraseView.as_view(), name="erase"),
        ]


class CustomersViewSetGroup(ViewSetGroup):
    """The Customers menu: contacts, companies and customer groups, plus plugins' items."""

    menu_label = gettext_lazy("Customers")
    menu_icon = "group"
    menu_order = 260
    submenu_hook = CUSTOMERS_MENU_HOOK
    items = (ContactViewSet, CompanyViewSet, CustomerGroupViewSet)
