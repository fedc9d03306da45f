from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class JourneyConfig(AppConfig):
    name = "magpie.journey"
    label = "magpie_journey"
    verbose_name = _("Customer journey")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from django.contrib.auth.signals import user_logged_in

        from magpie.journey import recording

        recording._connect_site_signals()
        user_logged_in.connect(
            recording.on_user_logged_in, dispatch_uid="magpie_journey_user_logged_in"
        )
