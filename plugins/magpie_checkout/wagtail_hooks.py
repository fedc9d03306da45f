"""Admin wiring of the checkout plugin: the Shop menu.

* Orders (``oms_admin``): the order list and detail page with the order actions, entering
  phone and upload orders (``phone_orders``), and Payment terms.
* Company accounts (``admin_views``): registrations to approve or reject, company users
  with their roles and budgets, and invitations staff send for a company.

The permissions of orders (view, add, change, enter, fulfil, bill) and payment terms are
offered in Wagtail's group editor through the viewsets' ``register_permissions``.
"""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _
from wagtail import hooks
from wagtail.admin.viewsets.base import ViewSetGroup

from magpie_checkout.admin_views import account_viewsets
from magpie_checkout.oms_admin import order_viewsets
from magpie_checkout.phone_orders import company_chooser


class ShopViewSetGroup(ViewSetGroup):
    menu_label = _("Shop")
    menu_icon = "cogs"
    menu_order = 270

    def __init__(self) -> None:
        self.items = [*order_viewsets(), *account_viewsets()]
        super().__init__()


@hooks.register("register_admin_viewset")
def register_shop_viewsets() -> Any:
    """Shop → Orders, Payment terms, Registrations, Company users, Invitations; and the
    company chooser of the order entry."""
    return [company_chooser, ShopViewSetGroup()]
