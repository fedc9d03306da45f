"""Expose the active theme's name to templates as ``magpie_theme``."""

from magpie.themes.registry import active_theme_name


def theme(request):
    return {"magpie_theme": active_theme_name()}
