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
``require_service``
    The function :func:`require_service` (``require_service(name, reason)``) for tests that
    find a real service (OpenSearch, an SMTP server, an ERP, …) missing: skip with the reason,
    or fail when ``MAGPIE_REQUIRE_SERVICES`` is set (CI), so CI never goes green by skipping.
``chromium``
    Path of Debian's Chromium (``/usr/bin/chromium``, or ``$MAGPIE_CHROMIUM``), through
    :func:`require_service` when it is missing.
``opensearch_url``
    URL (``http://127.0.0.1:PORT``) of a real single-node OpenSearch 2.19, session-wide:
    ``$MAGPIE_TEST_OPENSEARCH_URL`` when set, else a node of :mod:`magpie.testing.opensearch`
    started on first use and stopped at the end of the session; through
    :func:`require_service` when java or mvn is missing.

Markers: ``postgres`` (the test needs PostgreSQL: skipped on another database unless
``MAGPIE_TEST_DATABASE_URL`` is set, when it fails), ``e2e`` (drives a browser) and
``slow`` (starts processes of its own). Run a suite on a throwaway PostgreSQL cluster with
``python -m magpie.testing.pgcluster -- pytest``.

Configuration (``[tool.pytest.ini_options]``):

``magpie_plugins``
    Plugin specs for ``MAGPIE_PLUGINS`` in this run, set before Django's settings are read.
    A plugin package sets it to ``""`` so only plugins installed through entry points load,
    not the host's own test plugins. An exported ``MAGPIE_PLUGINS`` variable wins.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from magpie.testing.pgcluster import services_required

PLUGINS_INI = "magpie_plugins"
MARKERS = [
    "postgres: the test needs PostgreSQL (python -m magpie.testing.pgcluster -- pytest)",
    "e2e: end-to-end test driving a real browser",
    "slow: starts processes of its own (CLI, servers, pip)",
]


def pytest_addoption(parser: pytest.Parser) -> None:
    """Register the ``magpie_plugins`` ini option."""
    parser.addini(
        PLUGINS_INI,
        "MAGPIE_PLUGINS for this test run (comma-separated name=module specs; empty: only "
        "plugins installed through entry points). An exported MAGPIE_PLUGINS wins.",
        type="string",
        default=None,
    )


def pytest_configure(config: pytest.Config) -> None:
    """Register Magpie's markers."""
    for marker in MARKERS:
        config.addinivalue_line("markers", marker)


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


# -- real services: skip on a developer's machine, fail in CI ---------------------------

DEFAULT_CHROMIUM = "/usr/bin/chromium"


def require_service(name: str, reason: str) -> None:
    """Call when service ``name`` is missing: skip with ``reason``, or fail in CI.

    Never returns: it raises pytest's skip outcome, or its failure outcome when
    ``MAGPIE_REQUIRE_SERVICES`` is set.
    """
    if services_required():
        pytest.fail(
            f"required service {name!r} is missing: {reason} "
            "(MAGPIE_REQUIRE_SERVICES is set, so this fails instead of skipping)",
            pytrace=False,
        )
    pytest.skip(f"{name} not available: {reason}")


@pytest.fixture(name="require_service")
def require_service_fixture():
    """``require_service(name, reason)``: skip, or fail when services are required."""
    return require_service


@pytest.fixture(scope="session")
def chromium() -> str:
    """Path of the Chromium binary the end-to-end tests drive."""
    path = os.environ.get("MAGPIE_CHROMIUM", DEFAULT_CHROMIUM)
    if not (Path(path).is_file() and os.access(path, os.X_OK)):
        require_service(
            "chromium",
            f"{path} not found; install Debian's 'chromium' package (apt-get install chromium)",
        )
    return path


@pytest.fixture(scope="session")
def opensearch_url() -> Iterator[str]:
    """URL of a real OpenSearch node: ``$MAGPIE_TEST_OPENSEARCH_URL``, or one started here."""
    url = os.environ.get("MAGPIE_TEST_OPENSEARCH_URL")
    if url:
        yield url.rstrip("/")
        return
    from magpie.testing import opensearch

    reason = opensearch.available()
    if reason:
        require_service("opensearch", reason)
    try:
        opensearch.build()  # Maven may be unable to fetch the jars (offline machine)
    except opensearch.OpenSearchError as error:
        require_service("opensearch", str(error))
    with opensearch.start() as node:
        yield node.url


def database_vendor() -> str | None:
    """Vendor of Django's default database connection, or None if Django is not set up."""
    try:
        from django.conf import settings

        if not settings.configured:
            return None
        from django.db import connection

        return connection.vendor
    except Exception:  # Django missing or misconfigured: pytest-django reports that itself
        return None


def pytest_report_header(config: pytest.Config) -> list[str]:
    """Show the database and the services policy in pytest's header."""
    vendor = database_vendor()
    required = "yes" if services_required() else "no (missing services skip)"
    return [f"magpie: database={vendor or 'unknown'}, services required={required}"]


def pytest_runtest_setup(item: pytest.Item) -> None:
    """Run ``postgres`` tests only on PostgreSQL (and fail if the URL was not honoured)."""
    if item.get_closest_marker("postgres") is None:
        return
    vendor = database_vendor()
    if vendor == "postgresql":
        return
    if os.environ.get("MAGPIE_TEST_DATABASE_URL"):
        pytest.fail(
            f"MAGPIE_TEST_DATABASE_URL is set but the suite runs on {vendor!r}",
            pytrace=False,
        )
    pytest.skip(
        "PostgreSQL only: runs in the PostgreSQL pass "
        "(make test, or python -m magpie.testing.pgcluster -- pytest)"
    )
