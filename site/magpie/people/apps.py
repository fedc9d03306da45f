from django.apps import AppConfig


class PeopleConfig(AppConfig):
    name = "magpie.people"
    label = "magpie_people"
    verbose_name = "People"
    default_auto_field = "django.db.models.BigAutoField"
