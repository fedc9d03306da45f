"""Admin screens of the people app: Customers → Companies, Customer groups.

Other apps add items to the Customers menu with the ``register_magpie_customers_menu_item``
hook (contacts, company accounts, …).
"""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy
from wagtail.admin.panels import FieldPanel, FieldRowPanel
from wagtail.admin.viewsets.base import ViewSetGroup
from wagtail.admin.viewsets.model import ModelViewSet

from magpie.people.models import Company, CustomerGroup

CUSTOMERS_MENU_HOOK = "register_magpie_customers_menu_item"


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


class CustomersViewSetGroup(ViewSetGroup):
    """The Customers menu: companies and customer groups, plus plugins' items."""

    menu_label = gettext_lazy("Customers")
    menu_icon = "group"
    menu_order = 260
    submenu_hook = CUSTOMERS_MENU_HOOK
    items = (CompanyViewSet, CustomerGroupViewSet)
