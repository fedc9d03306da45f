"""End to end: an editor builds a landing page from blocks in the admin and publishes it.

Playwright drives Debian's Chromium (``/usr/bin/chromium``) against pytest-django's
``live_server``: log in, add a landing page below the home page, add a hero and a rich-text
block from the block library, fill them in, publish, then open the public URL and find the
hero heading and the text there.
"""

from __future__ import annotations

import io
import re

import pytest
from django.core.management import call_command, get_commands
from django.urls import reverse
from playwright.sync_api import expect
from wagtail.models import Page, Site

from magpie.content.models import HomePage, LandingPage

USERNAME = "e2e-editor"
PASSWORD = "e2e-Pa55word-not-secret"
TITLE = "Pump retrofit programme"
HERO_HEADING = "Retrofit your pumps in one shutdown"
HERO_TEXT = "Swiss-made drive kits, installed by our service engineers."
CTA_LABEL = "Book a plant survey"
CTA_URL = "https://example.com/survey"
RICH_TEXT = "Our engineers survey the plant, plan the work and hand over a tested system."


def home_page() -> Page:
    """The site's home page: the demo content's if ``load_demo`` exists, else a new one."""
    if "load_demo" in get_commands():
        call_command("load_demo", stdout=io.StringIO(), stderr=io.StringIO())
        site = Site.objects.get(is_default_site=True)
        return site.root_page.specific
    home = HomePage(title="Home", slug="e2e-home")
    Page.get_first_root_node().add_child(instance=home)
    Site.objects.update_or_create(
        is_default_site=True,
        defaults={"hostname": "localhost", "port": 80, "root_page": home, "site_name": "E2E"},
    )
    return home


def create_editor() -> None:
    from django.contrib.auth import get_user_model
    from wagtail.users.models import UserProfile

    user = get_user_model().objects.create_superuser(USERNAME, "editor@example.com", PASSWORD)
    profile = UserProfile.get_for_user(user)
    profile.preferred_language = "en"  # the admin's language (the site default is German)
    profile.save()


def add_block(page, label: str) -> None:
    """Open the last "insert a block" menu of the body and pick ``label``."""
    page.locator("button.c-sf-add-button").last.click()
    page.get_by_role("option", name=label, exact=True).click()


@pytest.mark.e2e
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_editor_builds_and_publishes_landing_page(browser_page, live_server):
    page = browser_page
    home = home_page()
    create_editor()

    # Log in.
    page.goto(reverse("wagtailadmin_login"))
    page.locator("#id_username").fill(USERNAME)
    page.locator("#id_password").fill(PASSWORD)
    page.locator("form button[type=submit]").click()
    page.wait_for_url(re.compile(r"/admin/$"))

    # Add a landing page below the home page, through the page explorer.
    page.goto(reverse("wagtailadmin_explore", args=[home.pk]))
    page.get_by_role("link", name=re.compile(r"Add child page", re.I)).first.click()
    page.get_by_role("link", name=re.compile(r"^Landing page", re.I)).click()
    page.wait_for_url(re.compile(r"/pages/add/magpie_content/landingpage/"))

    page.locator("#id_title").fill(TITLE)

    add_block(page, "Hero")
    hero = page.locator("[data-contentpath='body'] [data-contentpath='heading'] input").first
    hero.fill(HERO_HEADING)
    page.locator("[data-contentpath='body'] [data-contentpath='text'] textarea").first.fill(
        HERO_TEXT
    )

    cta = page.locator("[data-contentpath='body'] [data-contentpath='cta']").first
    cta.locator("[data-contentpath='label'] input").fill(CTA_LABEL)
    cta.locator("[data-contentpath='url'] input").fill(CTA_URL)

    add_block(page, "Rich text")
    editor = page.locator("[data-contentpath='body'] .public-DraftEditor-content").last
    editor.click()
    editor.press_sequentially(RICH_TEXT)
    # Draftail writes its content to the form's hidden input a moment after typing stops.
    page.wait_for_function(
        "text => [...document.querySelectorAll('input[type=hidden]')]"
        ".some(input => input.value.includes(text))",
        arg=RICH_TEXT,
    )

    # Publish: it sits in the save button's dropdown menu.
    page.locator("footer [data-w-dropdown-target='toggle']").last.click()
    with page.expect_navigation():
        page.locator("button[name='action-publish']").click()
    errors = page.locator(".error-message").evaluate_all(
        """nodes => nodes.map(node => {
            const path = [];
            for (let el = node; el; el = el.parentElement.closest("[data-contentpath]")) {
                if (el.dataset.contentpath) path.unshift(el.dataset.contentpath);
                if (!el.parentElement) break;
            }
            return path.join(".") + ": " + node.innerText.trim();
        })"""
    )
    assert not errors, f"the editor reported errors: {errors}"
    page.wait_for_url(re.compile(rf"/admin/pages/{home.pk}/"))
    expect(page.get_by_text(re.compile(rf"{re.escape(TITLE)}.*published", re.I))).to_be_visible()

    landing = LandingPage.objects.get(title=TITLE)
    assert landing.live
    assert landing.get_parent().pk == home.pk
    assert [block.block_type for block in landing.body] == ["hero", "rich_text"]

    # The public page shows what the editor entered.
    _site_id, _root_url, path = landing.get_url_parts()
    response = page.goto(live_server.url + path)
    assert response is not None and response.status == 200, path
    expect(page.get_by_role("heading", name=HERO_HEADING)).to_be_visible()
    expect(page.get_by_text(HERO_TEXT)).to_be_visible()
    expect(page.get_by_text(RICH_TEXT)).to_be_visible()
    expect(page.get_by_role("link", name=CTA_LABEL)).to_have_attribute("href", CTA_URL)
