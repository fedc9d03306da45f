"""Themes: parent chains, lookup order, and per-site isolation through the template cache."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.template import engines
from wagtail.models import Locale, Page, Site

from magpie.content.models import HomePage
from magpie.themes import registry
from magpie.themes.models import ThemeSettings

REPO_THEMES = Path(__file__).resolve().parents[2] / "themes"


def _reset_theme_caches() -> None:
    registry.available_themes.cache_clear()
    registry.theme_chain.cache_clear()
    for loader in engines["django"].engine.template_loaders:
        if hasattr(loader, "reset"):
            loader.reset()


def _write_theme(root: Path, name: str, parent: str | None, templates: dict[str, str]) -> None:
    theme = root / name
    (theme / "templates").mkdir(parents=True)
    manifest = f'name = "{name}"\nlabel = "{name.title()}"\n'
    if parent:
        manifest += f'parent = "{parent}"\n'
    (theme / "theme.toml").write_text(manifest)
    for path, body in templates.items():
        target = theme / "templates" / path
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(body)


@pytest.fixture
def themes(tmp_path, settings):
    """Two test themes beside the shipped ones: ``one`` (parent base), ``two`` (parent one)."""
    _write_theme(tmp_path, "one", "base", {"pages/home_page.html": "THEME-ONE {{ page.title }}"})
    _write_theme(tmp_path, "two", "one", {"probe/only_two.html": "TWO"})
    _write_theme(tmp_path, "three", None, {"pages/home_page.html": "THEME-THREE {{ page.title }}"})
    settings.MAGPIE_THEME_DIRS = [REPO_THEMES, tmp_path]
    _reset_theme_caches()
    yield tmp_path
    settings.MAGPIE_THEME_DIRS = [REPO_THEMES]
    _reset_theme_caches()


def test_parent_chain_ends_in_base(themes):
    assert [t.name for t in registry.theme_chain("two")] == ["two", "one", "base"]
    assert [t.name for t in registry.theme_chain("three")] == ["three", "base"]  # implicit parent
    assert [t.name for t in registry.theme_chain("nonexistent")] == ["base"]


def test_shipped_second_theme_inherits_from_base():
    _reset_theme_caches()
    shipped = registry.available_themes()
    assert "base" in shipped
    children = [t for t in shipped.values() if t.name != "base"]
    assert children, "a second theme ships beside base"
    assert all(registry.theme_chain(t.name)[-1].name == "base" for t in children)


def test_unknown_parent_is_a_clear_error(tmp_path, settings):
    _write_theme(tmp_path, "orphan", "missing", {})
    settings.MAGPIE_THEME_DIRS = [REPO_THEMES, tmp_path]
    _reset_theme_caches()
    try:
        with pytest.raises(ImproperlyConfigured, match="unknown parent 'missing'"):
            registry.available_themes()
    finally:
        settings.MAGPIE_THEME_DIRS = [REPO_THEMES]
        _reset_theme_caches()


def test_lookup_order_theme_chain_then_apps_then_base(themes):
    token = registry.current_theme.set("two")
    try:
        cached = engines["django"].engine.template_loaders[0]
        origins = [
            str(origin.name)
            for loader in cached.loaders
            for origin in loader.get_template_sources("pages/home_page.html")
        ]
        assert origins[0].startswith(str(themes / "two"))
        assert origins[1].startswith(str(themes / "one"))
        assert origins[-1].startswith(str(REPO_THEMES / "base"))
        app_dirs = [o for o in origins[2:-1] if "/templates/" in o]
        assert app_dirs, "plugin and app template directories come between"
        assert engines["django"].get_template("probe/only_two.html").render() == "TWO"
    finally:
        registry.current_theme.reset(token)


@pytest.mark.django_db
def test_two_sites_with_different_themes_never_share_templates(themes, client):
    root = Page.get_first_root_node()
    home = root.add_child(
        instance=HomePage(title="Startseite", slug="start-theme", locale=Locale.get_default())
    )
    site_one = Site.objects.create(hostname="one.example", root_page=home, site_name="One")
    site_three = Site.objects.create(hostname="three.example", root_page=home, site_name="Three")
    for site, theme in ((site_one, "one"), (site_three, "three")):
        setting = ThemeSettings.for_site(site)
        setting.theme = theme
        setting.save()

    # Alternate between the sites: the cached loader must keep their templates apart.
    for _ in range(2):
        one = client.get("/de/", HTTP_HOST="one.example")
        three = client.get("/de/", HTTP_HOST="three.example")
        assert one.status_code == 200 and three.status_code == 200
        assert one.content.decode().startswith("THEME-ONE Startseite")
        assert three.content.decode().startswith("THEME-THREE Startseite")
