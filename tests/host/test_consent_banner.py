"""The consent banner in the base theme and ``POST /consent/``."""

from __future__ import annotations

import re

import pytest
from wagtail.models import Locale, Page

from magpie import pagecache
from magpie.content.models import LandingPage
from magpie.journey.models import JourneySettings

pytestmark = pytest.mark.django_db

ORIGIN = {"HTTP_ORIGIN": "http://testserver"}


@pytest.fixture
def landing(magpie_site):
    home = Page.objects.get(pk=magpie_site.root_page_id)
    return home.add_child(
        instance=LandingPage(title="Messe", slug="messe", locale=Locale.get_default())
    )


def _mode(site, mode: str) -> None:
    settings, _ = JourneySettings.objects.get_or_create(site=site)
    settings.consent_mode = mode
    settings.save()
    pagecache.invalidate()


@pytest.mark.parametrize("mode", ["opt_in", "notice"])
def test_banner_is_rendered_when_the_site_asks_for_consent(client, magpie_site, landing, mode):
    _mode(magpie_site, mode)
    html = client.get(landing.url).content.decode()
    assert 'id="consent-banner"' in html
    assert f'data-mode="{mode}"' in html
    assert 'role="dialog"' in html and 'aria-labelledby="consent-banner-title"' in html
    assert 'value="all"' in html and 'value="necessary"' in html
    assert 'action="/consent/"' in html


def test_banner_is_rendered_by_default(client, landing):
    """No settings row yet: the default mode (opt-in) asks."""
    assert 'id="consent-banner"' in client.get(landing.url).content.decode()


def test_no_banner_when_tracking_is_off(client, magpie_site, landing):
    _mode(magpie_site, "off")
    html = client.get(landing.url).content.decode()
    assert 'id="consent-banner"' not in html
    assert '<div class="consent-region" role="region"' in html
    assert 'href="#consent-banner"' not in html and "magpie/journey.js" not in html


@pytest.mark.parametrize("theme", ["base", "alpine"])
def test_footer_reopens_the_banner_and_the_page_loads_the_journey_script(
    client, magpie_site, landing, theme
):
    from magpie.themes.models import ThemeSettings

    ThemeSettings.objects.update_or_create(site=magpie_site, defaults={"theme": theme})
    pagecache.invalidate()
    html = client.get(landing.url).content.decode()
    footer = html[html.index("<footer") : html.index("</footer>")]
    assert 'href="#consent-banner"' in footer
    assert re.search(r'<script src="[^"]*magpie/journey\.js" defer></script>', html)


def test_privacy_link_when_configured(client, landing, settings):
    settings.MAGPIE_PRIVACY_URL = "/de/datenschutz/"
    pagecache.invalidate()
    assert 'href="/de/datenschutz/"' in client.get(landing.url).content.decode()


def test_cached_page_is_the_same_with_and_without_the_consent_cookie(client, landing, settings):
    settings.MAGPIE_PAGE_CACHE_SECONDS = 600
    first = client.get(landing.url)
    assert first.status_code == 200
    assert not first.cookies  # the banner sets no cookie: the page stays shareable
    assert client.get(landing.url)["X-Magpie-Cache"] == "hit"
    client.cookies["magpie_consent"] = "all"
    with_cookie = client.get(landing.url)
    assert with_cookie.content == first.content
    client.cookies["magpie_consent"] = "necessary"
    assert client.get(landing.url).content == first.content
    html = first.content.decode()
    assert 'id="consent-banner"' in html  # hidden in the browser by its script
    assert "magpie_consent=/.test(document.cookie)" in html
    assert 'location.hash !== "#consent-banner"' in html  # a link can open it again


def test_accepting_sets_the_cookie_and_goes_back(client, magpie_site):
    response = client.post("/consent/", {"choice": "all", "next": "/de/messe/?a=1"}, **ORIGIN)
    assert response.status_code == 302
    assert response["Location"] == "/de/messe/?a=1"
    cookie = response.cookies["magpie_consent"]
    assert cookie.value == "all"
    assert int(cookie["max-age"]) == 365 * 24 * 3600
    assert cookie["samesite"] == "Lax"
    assert not cookie["httponly"]
    assert not cookie["secure"]
    assert "magpie_vid" not in response.cookies


def test_cookie_is_secure_over_https(client, magpie_site):
    response = client.post(
        "/consent/", {"choice": "all"}, secure=True, HTTP_ORIGIN="https://testserver"
    )
    assert response.cookies["magpie_consent"]["secure"]


@pytest.mark.parametrize(
    "target", ["https://evil.example/", "//evil.example/x", "http://evil.example", ""]
)
def test_only_same_site_redirects(client, magpie_site, target):
    response = client.post("/consent/", {"choice": "all", "next": target}, **ORIGIN)
    assert response.status_code == 302
    assert response["Location"] == "/"


def test_declining_clears_the_visitor_cookie(client, magpie_site):
    client.cookies["magpie_vid"] = "8d7c0c9e-0000-4000-8000-000000000000"
    response = client.post("/consent/", {"choice": "necessary", "next": "/"}, **ORIGIN)
    assert response.cookies["magpie_consent"].value == "necessary"
    assert response.cookies["magpie_vid"].value == ""
    assert response.cookies["magpie_vid"]["max-age"] == 0


def test_fetch_gets_json(client, magpie_site):
    response = client.post("/consent/", {"choice": "all"}, HTTP_ACCEPT="application/json", **ORIGIN)
    assert response.status_code == 200
    assert response.json() == {"consent": "all"}
    assert response.cookies["magpie_consent"].value == "all"


@pytest.mark.parametrize(
    "headers",
    [
        {"HTTP_ORIGIN": "https://evil.example"},
        {"HTTP_ORIGIN": "null"},
        {"HTTP_REFERER": "https://evil.example/page"},
        {"HTTP_SEC_FETCH_SITE": "cross-site"},
        {},
    ],
)
def test_cross_site_posts_are_refused(client, magpie_site, headers):
    response = client.post("/consent/", {"choice": "all"}, **headers)
    assert response.status_code == 403
    assert "magpie_consent" not in response.cookies


def test_same_site_referer_or_fetch_metadata_is_enough(client, magpie_site):
    assert (
        client.post(
            "/consent/", {"choice": "all"}, HTTP_REFERER="http://testserver/de/"
        ).status_code
        == 302
    )
    assert (
        client.post("/consent/", {"choice": "all"}, HTTP_SEC_FETCH_SITE="same-origin").status_code
        == 302
    )


def test_unknown_choice_and_get_are_refused(client, magpie_site):
    assert client.post("/consent/", {"choice": "maybe"}, **ORIGIN).status_code == 400
    assert client.get("/consent/").status_code == 405


def test_banner_is_german_on_german_pages(client, landing):
    html = client.get(landing.url).content.decode()
    assert "Akzeptieren" in html and "Ablehnen" in html
