"""The page cache: repeat anonymous views from the cache, fresh after every content change."""

from __future__ import annotations

import pytest
from django.db import transaction
from django.http import HttpResponse
from wagtail.models import Locale, Page, Site

from magpie import pagecache
from magpie.content.models import LandingPage
from magpie.pagecache.middleware import HEADER, _storable
from magpie.pluginhost.models import PluginState
from magpie.themes.models import ThemeSettings

pytestmark = pytest.mark.django_db


@pytest.fixture
def landing():
    home = Page.objects.get(depth=2)
    return home.add_child(
        instance=LandingPage(
            title="Messeaktion",
            slug="messe",
            locale=Locale.get_default(),
            body=[("hero", {"heading": "Zur Messe 20 % Rabatt"})],
        )
    )


def test_repeat_view_is_served_from_the_cache(client, landing, django_assert_max_num_queries):
    first = client.get(landing.url)
    assert first[HEADER] == "miss"
    with django_assert_max_num_queries(1):  # the generation, nothing else
        second = client.get(landing.url)
    assert second[HEADER] == "hit"
    assert second.content == first.content
    assert second["Content-Type"] == first["Content-Type"]
    assert "Zur Messe 20 % Rabatt" in second.content.decode()


def test_publishing_a_change_shows_at_once(client, landing):
    client.get(landing.url)
    landing.body = [("hero", {"heading": "Messe verlängert"})]
    landing.save_revision().publish()
    response = client.get(landing.url)
    assert response[HEADER] == "miss"
    assert "Messe verlängert" in response.content.decode()


def test_unpublishing_removes_the_page(client, landing):
    client.get(landing.url)
    url = landing.url
    landing.unpublish()
    assert client.get(url).status_code == 404


def test_theme_and_plugin_state_changes_show_at_once(client, landing):
    site = Site.objects.get(is_default_site=True)
    body = client.get(landing.url).content.decode()
    assert 'data-plugin="recorder"' in body

    PluginState.objects.create(site=site, plugin="recorder", enabled=False)
    body = client.get(landing.url).content.decode()
    assert 'data-plugin="recorder"' not in body

    setting = ThemeSettings.for_site(site)
    setting.theme = "alpine"
    setting.save()
    assert "alpine" in client.get(landing.url).content.decode()


def test_visitors_with_a_session_always_get_a_fresh_page(client, admin_user, landing):
    client.get(landing.url)
    client.force_login(admin_user)
    response = client.get(landing.url)
    assert response.status_code == 200
    assert HEADER not in response


def test_rolled_back_change_invalidates_nothing():
    before = pagecache.generation()
    with pytest.raises(RuntimeError), transaction.atomic():
        pagecache.invalidate()
        raise RuntimeError
    assert pagecache.generation() == before
    pagecache.invalidate()
    assert pagecache.generation() == before + 1


@pytest.mark.parametrize(
    ("change", "storable"),
    [
        (lambda request, response: None, True),
        (lambda request, response: request.META.update(CSRF_COOKIE_NEEDS_UPDATE=True), False),
        (lambda request, response: response.set_cookie("cart", "1"), False),
        (lambda request, response: response.__setitem__("Vary", "Cookie"), False),
        (lambda request, response: response.__setitem__("Cache-Control", "private"), False),
        (lambda request, response: pagecache.never_cache_page(request), False),
        (lambda request, response: setattr(response, "status_code", 404), False),
        (lambda request, response: setattr(request, "_magpie_wagtail_page", False), False),
    ],
)
def test_only_shareable_page_responses_are_stored(rf, change, storable):
    request = rf.get("/de/messe/")
    request._magpie_wagtail_page = True
    response = HttpResponse("page")
    change(request, response)
    assert _storable(request, response) is storable


def test_cache_can_be_switched_off(client, landing, settings):
    settings.MAGPIE_PAGE_CACHE_SECONDS = 0
    client.get(landing.url)
    assert HEADER not in client.get(landing.url)
