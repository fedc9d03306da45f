"""Signal receivers of the checkout plugin, connected in :meth:`CheckoutConfig.ready`."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.signals import user_logged_in
from django.db.models.signals import post_migrate


def connect(app_config: Any = None) -> None:
    """Merge a visitor's cart into the user's cart at login; create the staff groups
    (Sales, Warehouse, Accounting) after ``migrate`` of the checkout app."""
    from magpie_checkout.cart import merge_at_login
    from magpie_checkout.staff_groups import on_post_migrate

    user_logged_in.connect(merge_at_login, dispatch_uid="magpie_checkout.merge_cart_at_login")
    post_migrate.connect(
        on_post_migrate, sender=app_config, dispatch_uid="magpie_checkout.staff_groups"
    )
