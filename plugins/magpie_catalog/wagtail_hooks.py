"""Admin wiring of the catalog: the Catalog menu, choosers, price permissions.

The price permission policy is registered first, before anything can ask Wagtail for the
fallback policy of the price models.
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth.models import Permission
from django.db.models import QuerySet
from django.http import HttpRequest
from django.urls import reverse_lazy
from django.utils.translation import gettext_lazy
from wagtail import hooks
from wagtail.admin.menu import MenuItem
from wagtail.permissions import register_permission_policy

from magpie_catalog.admin_views import (
    CATALOG_MENU_HOOK,
    PRICE_PERMISSION,
    CatalogViewSetGroup,
    PricePermissionPolicy,
    ProductChooserViewSet,
    VariantChooserViewSet,
)
from magpie_catalog.import_views import IMPORT_PERMISSIONS, import_urls
from magpie_catalog.models import PriceEntry, PriceList

register_permission_policy(PriceList, PricePermissionPolicy(PriceList))
register_permission_policy(PriceEntry, PricePermissionPolicy(PriceEntry))

product_chooser_viewset = ProductChooserViewSet("magpie_catalog_product_chooser")
variant_chooser_viewset = VariantChooserViewSet("magpie_catalog_variant_chooser")


@hooks.register("register_admin_viewset")
def register_catalog_viewsets() -> list[Any]:
    """The Catalog menu with its screens, and the product/variant choosers."""
    return [
        product_chooser_viewset,
        variant_chooser_viewset,
        CatalogViewSetGroup(),
    ]


@hooks.register("register_permissions")
def register_price_permission() -> QuerySet:
    """Show "Can change product prices" in the group editor (the Product viewset lists it
    with the product permissions too; registering it twice is harmless)."""
    app_label, codename = PRICE_PERMISSION.split(".")
    return Permission.objects.filter(content_type__app_label=app_label, codename=codename)


class ImportMenuItem(MenuItem):
    """Catalog → Import / export, shown to users who may add and change products."""

    def is_shown(self, request: HttpRequest) -> bool:
        return request.user.has_perms(IMPORT_PERMISSIONS)


@hooks.register("register_admin_urls")
def register_import_urls() -> list[Any]:
    """The import/export screens (upload, preview, confirm)."""
    return import_urls()


@hooks.register(CATALOG_MENU_HOOK)
def register_import_menu_item() -> MenuItem:
    """Catalog → Import / export."""
    return ImportMenuItem(
        gettext_lazy("Import / export"),
        reverse_lazy("magpie_catalog_import"),
        name="magpie-catalog-import",
        icon_name="upload",
        order=900,
    )
