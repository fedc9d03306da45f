from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class JourneyConfig(AppConfig):
    name = "magpie.journey"
    label = "magpie_journey"
    verbose_name = _("Customer journey")
    default_auto_field = "django.db.models.BigAutoField"
