"""The per-site theme setting."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _
from wagtail.admin.panels import FieldPanel
from wagtail.contrib.settings.models import BaseSiteSetting, register_setting

from magpie.themes.registry import theme_choices


def _theme_choices():
    return theme_choices()


@register_setting(icon="image")
class ThemeSettings(BaseSiteSetting):
    """Which theme a site renders with."""

    theme = models.CharField(_("theme"), max_length=64, default="base", choices=_theme_choices)

    panels = [FieldPanel("theme")]

    class Meta:
        verbose_name = _("theme")
