from django.apps import AppConfig


class ThemesConfig(AppConfig):
    name = "magpie.themes"
    label = "magpie_themes"
    verbose_name = "Themes"
    default_auto_field = "django.db.models.BigAutoField"
