"""Shared fixtures of the Magpie test suite.

The services policy (``require_service``, ``chromium``, the ``postgres`` marker) comes from
Magpie's own pytest plugin, :mod:`magpie.testing.pytest_plugin`, which plugin authors get too.
"""

from __future__ import annotations

import pytest


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
