"""Shared fixtures of the Magpie test suite, and its policy for missing services.

Tests that need a real service (PostgreSQL, Chromium, OpenSearch, an SMTP server, …) ask
for it through :func:`require_service`. On a developer's machine without the service the
test is skipped with the reason; with ``MAGPIE_REQUIRE_SERVICES`` set (``.ci/run`` sets it)
the same test fails instead, so CI never goes green by silently skipping.

Fixtures:

``require_service``
    The function :func:`require_service` (``require_service(name, reason)``), for tests that
    find a service missing.
``chromium``
    Path of Debian's Chromium (``/usr/bin/chromium``, or ``$MAGPIE_CHROMIUM``); skips or
    fails through :func:`require_service` when it is not there.

Markers (declared in pyproject.toml):

``postgres``
    The test needs PostgreSQL: it is skipped in the SQLite pass (it runs in the PostgreSQL
    pass of ``make test``, see docs/testing.md).
``e2e``
    The test drives a real browser (``pytest -m "not e2e"`` leaves those out).
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

FALSE_WORDS = {"", "0", "false", "no", "off"}
DEFAULT_CHROMIUM = "/usr/bin/chromium"


def services_required() -> bool:
    """True when ``MAGPIE_REQUIRE_SERVICES`` says a missing service must fail the run."""
    return os.environ.get("MAGPIE_REQUIRE_SERVICES", "").strip().lower() not in FALSE_WORDS


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
    vendor = database_vendor()
    required = "yes" if services_required() else "no (missing services skip)"
    return [f"magpie: database={vendor or 'unknown'}, services required={required}"]


def pytest_runtest_setup(item: pytest.Item) -> None:
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
        "(make test, or python tests/pgcluster.py -- pytest)"
    )


@pytest.fixture(autouse=True)
def _fresh_cache():
    """Start every test with an empty cache: the page cache and site state are keyed by a
    generation that the database rollback between tests resets."""
    try:
        from django.conf import settings

        if not settings.configured:
            yield
            return
        from django.core.cache import cache
    except ImportError:
        yield
        return
    cache.clear()
    yield
    cache.clear()
