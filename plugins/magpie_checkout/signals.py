"""Signal receivers of the checkout plugin, connected in :meth:`CheckoutConfig.ready`."""

from __future__ import annotations

from django.contrib.auth.signals import user_logged_in


def connect() -> None:
    """Merge a visitor's cart into the user's cart at login."""
    from magpie_checkout.cart import merge_at_login

    user_logged_in.connect(merge_at_login, dispatch_uid="magpie_checkout.merge_cart_at_login")
