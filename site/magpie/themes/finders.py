"""Static files of every theme, served under ``themes/<name>/``."""

from __future__ import annotations

from django.contrib.staticfiles.finders import FileSystemFinder
from django.core.files.storage import FileSystemStorage

from magpie.themes.registry import available_themes


class ThemeStaticFinder(FileSystemFinder):
    """Find ``static/`` files of all themes, prefixed ``themes/<theme name>/``."""

    def __init__(self, app_names=None, *args, **kwargs):
        self.locations = []
        self.storages = {}
        for theme in available_themes().values():
            if theme.static_dir.is_dir():
                prefix = f"themes/{theme.name}"
                root = str(theme.static_dir)
                self.locations.append((prefix, root))
                storage = FileSystemStorage(location=root)
                storage.prefix = prefix
                self.storages[root] = storage

    def check(self, **kwargs):
        return []
