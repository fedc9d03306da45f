from django.apps import AppConfig


class PluginHostConfig(AppConfig):
    name = "magpie.pluginhost"
    label = "magpie_pluginhost"
    verbose_name = "Plugins"
    default_auto_field = "django.db.models.BigAutoField"
