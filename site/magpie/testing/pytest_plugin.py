"""pytest fixtures for testing Magpie and Magpie plugins.

Registered as the ``magpie`` ``pytest11`` entry point, so it is active in every pytest run of
a project that has Magpie installed. It therefore imports neither Django nor Magpie's models at
module level; each fixture imports what it needs when a test asks for it. Fixtures that touch
the database depend on pytest-django's ``db`` fixture, so they work with pytest-django's usual
settings (``DJANGO_SETTINGS_MODULE = "magpie.settings.test"``).

Fixtures:

``magpie_host``
    The process-wide :class:`magpie.plugins.PluginHost` (every discovered plugin).
``magpie_plugin``
    A function ``magpie_plugin(name)`` that fails the test unless plugin ``name`` was found
    and loaded without error, and returns its :class:`magpie.plugins.PluginInfo`.
``magpie_site``
    A default Wagtail ``Site`` (``localhost:80``) whose root page is a fresh
    :class:`magpie.content.models.HomePage`, created in the test database.
``magpie_plugin_state``
    A function ``magpie_plugin_state(name, enabled, site=None)`` that switches a plugin on or
    off for a site (default: ``magpie_site``), as Settings → Plugins does.

Configuration (``[tool.pytest.ini_options]``):

``magpie_plugins``
    Plugin specs for ``MAGPIE_PLUGINS`` in this run, set before Django's settings are read.
    A plugin package sets it to ``""`` so only plugins installed through entry points load,
    not the host's own test plugins. An exported ``MAGPIE_PLUGINS`` variable wins.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import Any

import pytest

PLUGINS_INI = "magpie_plugins"


def pytest_addoption(parser: pytest.Parser) -> None:
    """Register the ``magpie_plugins`` ini option."""
    parser.addini(
        PLUGINS_INI,
        "MAGPIE_PLUGINS for this test run (comma-separated name=module specs; empty: only "
        "plugins installed through entry points). An exported MAGPIE_PLUGINS wins.",
        type="string",
        default=None,
    )


@pytest.hookimpl(tryfirst=True)
def pytest_load_initial_conftests(early_config: pytest.Config) -> None:
    """Apply ``magpie_plugins`` before pytest-django imports the settings (which read it)."""
    value = early_config.getini(PLUGINS_INI)
    if value is not None:
        os.environ.setdefault("MAGPIE_PLUGINS", value)


@pytest.fixture
def magpie_host() -> Any:
    """The plugin host: ``magpie_host.plugins`` maps plugin names to what was loaded."""
    from magpie.plugins import get_host

    return get_host()


@pytest.fixture
def magpie_plugin(magpie_host: Any) -> Callable[[str], Any]:
    """Return ``check(name)``: assert plugin ``name`` is loaded and return its info."""

    def check(name: str) -> Any:
        info = magpie_host.plugins.get(name)
        if info is None:
            found = ", ".join(sorted(magpie_host.plugins)) or "none"
            pytest.fail(
                f"Magpie plugin {name!r} was not found (plugins found: {found}). Is its "
                'package installed with a [project.entry-points."magpie.plugins"] entry?'
            )
        if info.error:
            pytest.fail(f"Magpie plugin {name!r} failed to load: {info.error}")
        return info

    return check


@pytest.fixture
def magpie_site(db: None) -> Any:
    """A default Wagtail site on ``localhost:80`` whose root is a new ``HomePage``."""
    from magpie.testing.factories import create_site

    return create_site()


@pytest.fixture
def magpie_plugin_state(magpie_site: Any) -> Callable[..., Any]:
    """Return ``set_state(name, enabled, site=None)`` to switch a plugin per site."""
    from magpie.pluginhost.models import PluginState

    def set_state(name: str, enabled: bool, site: Any | None = None) -> Any:
        state, _created = PluginState.objects.update_or_create(
            site=site or magpie_site, plugin=name, defaults={"enabled": enabled}
        )
        return state

    return set_state
