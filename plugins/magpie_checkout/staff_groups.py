"""The shop's staff groups — Sales, Warehouse, Accounting — created after ``migrate``.

:func:`ensure_groups` runs on ``post_migrate`` of the checkout app (connected in
:func:`magpie_checkout.signals.connect`): it creates a missing group and adds the group's
permissions. It never removes a permission an administrator gave a group, so it can run
on every ``migrate``.

==========  =================================================================================
Group       Permissions
==========  =================================================================================
Sales       admin access; orders: view, add, enter (phone and upload orders), change (notes);
            company users: view; company registrations: view, change (approve/reject)
Warehouse   admin access; orders: view, fulfil (confirm, start, ship, cancel), change (notes)
Accounting  admin access; orders: view, bill (invoice, complete, returns), change (notes);
            payment terms: view, add, change
==========  =================================================================================
"""

from __future__ import annotations

from typing import Any

#: Group name → permissions as ``app_label.codename``.
GROUPS: dict[str, tuple[str, ...]] = {
    "Sales": (
        "wagtailadmin.access_admin",
        "magpie_checkout.view_order",
        "magpie_checkout.add_order",
        "magpie_checkout.enter_order",
        "magpie_checkout.change_order",
        "magpie_checkout.view_companymember",
        "magpie_checkout.view_companyregistration",
        "magpie_checkout.change_companyregistration",
    ),
    "Warehouse": (
        "wagtailadmin.access_admin",
        "magpie_checkout.view_order",
        "magpie_checkout.fulfil_order",
        "magpie_checkout.change_order",
    ),
    "Accounting": (
        "wagtailadmin.access_admin",
        "magpie_checkout.view_order",
        "magpie_checkout.bill_order",
        "magpie_checkout.change_order",
        "magpie_checkout.view_companyterms",
        "magpie_checkout.add_companyterms",
        "magpie_checkout.change_companyterms",
    ),
}


def ensure_groups(using: str = "default") -> None:
    """Create the staff groups and add their permissions (only ever adding)."""
    from django.contrib.auth.models import Group, Permission

    wanted = {name for names in GROUPS.values() for name in names}
    found = {
        f"{app_label}.{codename}": pk
        for pk, app_label, codename in Permission.objects.using(using)
        .filter(content_type__app_label__in={n.split(".")[0] for n in wanted})
        .values_list("pk", "content_type__app_label", "codename")
        if f"{app_label}.{codename}" in wanted
    }
    for name, permissions in GROUPS.items():
        group, _created = Group.objects.using(using).get_or_create(name=name)
        group.permissions.add(*[found[p] for p in permissions if p in found])


def on_post_migrate(sender: Any, app_config: Any = None, using: str = "default", **kw: Any) -> None:
    """``post_migrate`` of the checkout app: the app's permissions exist (created first,
    again here to be independent of the receivers' order), then the groups."""
    from django.contrib.auth.management import create_permissions

    if app_config is not None:
        create_permissions(app_config, verbosity=0, using=using)
    ensure_groups(using)
