from django.apps import AppConfig


class CatalogConfig(AppConfig):
    name = "magpie_catalog"
    label = "magpie_catalog"
    verbose_name = "Catalog"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from magpie_catalog import signals  # noqa: F401
