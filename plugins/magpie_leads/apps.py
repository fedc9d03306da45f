from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class LeadsConfig(AppConfig):
    name = "magpie_leads"
    label = "magpie_leads"
    verbose_name = _("Leads")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        # Signal handlers: rules and settings caches, fit re-checks on contact/company saves.
        from magpie_leads import scoring  # noqa: F401
