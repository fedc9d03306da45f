"""Fixtures for the host's page and demo tests: the Alpenwerk demo site.

* ``demo_site`` loads the demo into the test's own transaction (use it when a test writes
  or counts);
* ``demo_content`` loads it once per test module inside an outer transaction that is rolled
  back after the module; each test still runs in its own savepoint, so what a test changes
  is undone before the next one. Read-mostly page tests use it through ``demo_page``.
"""

from __future__ import annotations

import io
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.core.cache import cache
from django.db import transaction
from django.test import override_settings
from wagtail.models import Locale, Page

from magpie.content.demo import DemoReport, demo_key, load_demo


@pytest.fixture
def demo_media(settings: Any, tmp_path: Path) -> Path:
    """A fresh MEDIA_ROOT for the test (images, renditions and documents land here)."""
    settings.MEDIA_ROOT = str(tmp_path / "media")
    return tmp_path / "media"


@pytest.fixture
def demo_site(db: None, demo_media: Path) -> Iterator[DemoReport]:
    """The demo content (German and English), loaded in the test's transaction."""
    yield load_demo(stdout=io.StringIO())
    cache.clear()  # Wagtail keeps site root paths in the cache; the rows are rolled back


@pytest.fixture(scope="module")
def demo_content(
    django_db_setup: None, django_db_blocker: Any, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[DemoReport]:
    """The demo content, loaded once for the module and rolled back after it."""
    media = tmp_path_factory.mktemp("demo-media")
    with override_settings(MEDIA_ROOT=str(media)), django_db_blocker.unblock():
        atomic = transaction.atomic()
        atomic.__enter__()
        try:
            yield load_demo(stdout=io.StringIO())
        finally:
            transaction.set_rollback(True)
            atomic.__exit__(None, None, None)
            cache.clear()


@pytest.fixture
def demo_page(demo_content: DemoReport, db: None):
    """Look up a demo page by its demo name and language: ``demo_page("home", "en")``."""

    def lookup(name: str, language: str = "de") -> Page:
        locale = Locale.objects.get(language_code=language)
        return Page.objects.get(translation_key=demo_key(name), locale=locale).specific

    return lookup
