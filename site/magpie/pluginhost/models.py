"""Which plugin is enabled on which Wagtail site, and its per-site configuration."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class PluginState(models.Model):
    """One plugin's state on one site. No row means enabled (installed plugins are on)."""

    site = models.ForeignKey("wagtailcore.Site", on_delete=models.CASCADE, related_name="+")
    plugin = models.CharField(_("plugin"), max_length=100)
    enabled = models.BooleanField(_("enabled"), default=True)
    config = models.JSONField(_("configuration"), default=dict, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("plugin state")
        constraints = [
            models.UniqueConstraint(fields=["site", "plugin"], name="magpie_pluginstate_unique")
        ]
        permissions = [("manage_plugins", "Can enable and disable plugins")]

    def __str__(self) -> str:
        return f"{self.plugin} on {self.site}: {'on' if self.enabled else 'off'}"
