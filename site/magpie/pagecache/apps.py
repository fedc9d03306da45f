from django.apps import AppConfig


class PageCacheConfig(AppConfig):
    name = "magpie.pagecache"
    label = "magpie_pagecache"
    verbose_name = "Page cache"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from magpie.pagecache import signals

        signals.connect()
