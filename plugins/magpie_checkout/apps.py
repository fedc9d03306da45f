from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CheckoutConfig(AppConfig):
    name = "magpie_checkout"
    label = "magpie_checkout"
    verbose_name = _("Checkout and orders")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        """Connect the signal receivers: the cart merge at login, and the staff groups
        created after ``migrate`` (:mod:`magpie_checkout.staff_groups`)."""
        from magpie_checkout.signals import connect

        connect(self)
