from django.apps import AppConfig


class ContentConfig(AppConfig):
    name = "magpie.content"
    label = "magpie_content"
    verbose_name = "Content"
    default_auto_field = "django.db.models.BigAutoField"
