"""Admin wiring of the checkout plugin: the Shop menu.

Company accounts (``admin_views``): registrations to approve or reject, company users with
their roles and budgets, and invitations staff send for a company.
"""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _
from wagtail import hooks
from wagtail.admin.viewsets.base import ViewSetGroup

from magpie_checkout.admin_views import account_viewsets


class ShopViewSetGroup(ViewSetGroup):
    menu_label = _("Shop")
    menu_icon = "cogs"
    menu_order = 270

    def __init__(self) -> None:
        self.items = [*account_viewsets()]
        super().__init__()


@hooks.register("register_admin_viewset")
def register_shop_viewsets() -> Any:
    """Shop → Registrations, Company users, Invitations."""
    return ShopViewSetGroup()
