"""Fixtures for end-to-end tests: Playwright driving Debian's Chromium against live_server.

Playwright's sync API keeps an asyncio event loop running in the test's thread, so Django's
async-safety check would refuse ORM calls from the test; ``DJANGO_ALLOW_ASYNC_UNSAFE`` is set
for as long as the browser runs (only in e2e tests). The browser is closed before
pytest-django flushes the database.

On failure a screenshot of the page is written to ``test-results/<test name>.png``.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-quic",
    "--no-first-run",
]
RESULTS_DIR = Path(__file__).resolve().parents[2] / "test-results"


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo):
    report = yield
    if report.when == "call":
        item.stash[CALL_FAILED] = report.failed
    return report


CALL_FAILED = pytest.StashKey[bool]()


@pytest.fixture
def browser_page(request, chromium, live_server, transactional_db, monkeypatch):
    """A Playwright ``Page`` in headless Chromium whose ``base_url`` is the live server."""
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    from django.db import connections
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=chromium, headless=True, args=CHROMIUM_ARGS
        )
        context = browser.new_context(
            base_url=live_server.url, locale="en-GB", viewport={"width": 1400, "height": 1000}
        )
        context.set_default_timeout(30_000)
        page = context.new_page()
        try:
            yield page
        finally:
            if request.node.stash.get(CALL_FAILED, False):
                RESULTS_DIR.mkdir(exist_ok=True)
                name = re.sub(r"[^\w.-]+", "_", request.node.nodeid)
                page.screenshot(path=str(RESULTS_DIR / f"{name}.png"), full_page=True)
            context.close()
            browser.close()
            # Connections opened while Playwright runs belong to its execution context and
            # would be lost (left open) once it exits: close them here.
            connections.close_all()
