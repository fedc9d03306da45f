"""Template loaders that follow the active theme.

Order of lookup: the active theme and its parents (except ``base``), then plugins' and
apps' ``templates/`` directories, then the ``base`` theme. :class:`CachedThemeLoader`
puts the theme into Django's template cache key, so one site's theme is never served to
another.
"""

from __future__ import annotations

from django.template.loaders.cached import Loader as DjangoCachedLoader
from django.template.loaders.filesystem import Loader as FilesystemLoader

from magpie.themes.registry import BASE_THEME, active_theme_name, theme_chain


class ThemeLoader(FilesystemLoader):
    """Load templates from the active theme's chain, nearest first, without ``base``."""

    def get_dirs(self):
        return [t.template_dir for t in theme_chain(active_theme_name()) if t.name != BASE_THEME]


class BaseThemeLoader(FilesystemLoader):
    """Load templates from the ``base`` theme, the last resort of every chain."""

    def get_dirs(self):
        return [theme_chain(BASE_THEME)[-1].template_dir]


class CachedThemeLoader(DjangoCachedLoader):
    """Django's cached loader with the active theme in every cache key."""

    def cache_key(self, template_name, skip=None):
        return f"{active_theme_name()}:{super().cache_key(template_name, skip)}"
