"""End to end: a buyer types an article number into the header's search box, picks a
suggestion with the keyboard and lands on the product; then searches by word and filters.

Playwright drives Debian's Chromium against ``live_server`` with the demo content (search
pages, synonyms and the index come from the search plugin's demo data).
"""

from __future__ import annotations

import io
import re

import pytest
from django.core.management import call_command
from playwright.sync_api import expect


@pytest.mark.e2e
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_autocomplete_then_search_and_filter(browser_page, settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path / "media")
    call_command("load_demo", stdout=io.StringIO(), stderr=io.StringIO())
    page = browser_page

    page.goto("/de/")
    box = page.locator("#site-search-q")
    box.press_sequentially("gm-0.12", delay=40)
    options = page.locator("#site-search-suggestions [role=option]")
    expect(options.first).to_be_visible()
    expect(box).to_have_attribute("aria-expanded", "true")
    expect(options.first).to_contain_text("GM-0.12")
    box.press("ArrowDown")
    expect(options.first).to_have_attribute("aria-selected", "true")
    box.press("Enter")
    page.wait_for_url(re.compile(r"/de/katalog/p/GM-0_2e12"))
    expect(page.locator("h1")).to_contain_text("0,12 kW")

    box = page.locator("#site-search-q")
    box.fill("rillenkugel")
    box.press("Enter")
    page.wait_for_url(re.compile(r"/de/suche/\?q=rillenkugel"))
    count = page.locator("#product-count")
    expect(count).to_contain_text("Produkte")
    total = int(count.inner_text().split()[0])
    assert total > 0
    expect(page.locator(".product-card__title mark").first).to_be_visible()
    page.locator("[data-facet=category] a").first.click()
    expect(page.locator(".search-scope")).to_be_visible()
    assert int(page.locator("#product-count").inner_text().split()[0]) <= total
