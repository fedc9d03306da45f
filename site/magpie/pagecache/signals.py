"""Bump the content generation when anything that pages show changes."""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from django.db.models.signals import m2m_changed, post_delete, post_save

DISPATCH_UID = "magpie.pagecache.invalidate"


@lru_cache(maxsize=1)
def _content_classes() -> tuple[type, ...]:
    """Models whose rows pages show (a function of the code, computed once)."""
    from wagtail.contrib.redirects.models import Redirect
    from wagtail.contrib.settings.models import BaseGenericSetting, BaseSiteSetting
    from wagtail.documents.models import AbstractDocument
    from wagtail.images.models import AbstractImage
    from wagtail.models import Collection, Locale, Page, Site
    from wagtail.snippets.models import get_snippet_models

    from magpie.pluginhost.models import PluginState

    return (
        Page,
        Site,
        Locale,
        Collection,
        Redirect,
        AbstractImage,
        AbstractDocument,
        BaseSiteSetting,
        BaseGenericSetting,
        PluginState,
        *get_snippet_models(),
    )


def _on_change(sender: type, instance: Any = None, **kwargs: Any) -> None:
    if kwargs.get("raw"):  # loaddata
        return
    if isinstance(instance, _content_classes()):
        from magpie.pagecache.state import invalidate

        invalidate()


def connect() -> None:
    """Connect the invalidation receivers (called from the app's ``ready()``)."""
    from wagtail.signals import page_published, page_unpublished, post_page_move

    post_save.connect(_on_change, dispatch_uid=DISPATCH_UID)
    post_delete.connect(_on_change, dispatch_uid=DISPATCH_UID)
    m2m_changed.connect(_on_change, dispatch_uid=DISPATCH_UID)
    for signal in (page_published, page_unpublished, post_page_move):
        signal.connect(_on_change, dispatch_uid=DISPATCH_UID)
