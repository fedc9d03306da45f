"""The plugin host: discovery, failures, unknown hooks, per-site state, safe calls, admin."""

from __future__ import annotations

import textwrap

import pytest
from django.contrib.auth.models import Permission
from django.urls import reverse
from wagtail.models import Site

from magpie import plugins
from magpie.pluginhost.models import PluginState
from magpie.plugins import PluginHost, call_safely, get_host


@pytest.fixture
def dist_on_path(tmp_path, monkeypatch):
    """Put an installed distribution with a ``magpie.plugins`` entry point on sys.path."""

    def make(name: str, module_source: str, version: str = "1.2.3") -> None:
        (tmp_path / f"{name}.py").write_text(textwrap.dedent(module_source))
        info = tmp_path / f"{name}-{version}.dist-info"
        info.mkdir()
        (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n")
        (info / "entry_points.txt").write_text(f"[magpie.plugins]\n{name} = {name}\n")
        monkeypatch.syspath_prepend(str(tmp_path))

    return make


def test_entry_point_plugin_is_discovered_with_version_and_hooks(dist_on_path):
    dist_on_path(
        "acme_hello",
        """
        from magpie.hookspecs import hookimpl

        @hookimpl
        def robots_txt(request):
            return ["Disallow: /acme/"]
        """,
    )
    host = PluginHost()
    host.load_entry_points()
    info = host.plugins["acme_hello"]
    assert info.loaded
    assert info.version == "1.2.3"
    assert info.hooks == ["robots_txt"]
    assert host.hook.robots_txt(request=None) == [["Disallow: /acme/"]]


def test_hook_implementation_matching_no_spec_is_rejected(dist_on_path):
    dist_on_path(
        "acme_typo",
        """
        from magpie.hookspecs import hookimpl

        @hookimpl
        def handel_event(event):  # typo: there is no such hook
            pass
        """,
    )
    host = PluginHost()
    host.load_entry_points()
    info = host.plugins["acme_typo"]
    assert not info.loaded
    assert "handel_event" in info.error
    assert not host.pm.has_plugin("acme_typo")


@pytest.mark.django_db
def test_plugin_that_fails_to_import_is_recorded_and_the_site_still_starts(client):
    info = get_host().plugins["broken"]
    assert not info.loaded
    assert "not installed" in info.error
    # The process started (we are running in it) and serves requests.
    assert client.get("/robots.txt").status_code == 200


def test_plugin_django_apps_are_installed():
    from django.apps import apps

    assert apps.is_installed("magpie_legacy_admin")


@pytest.mark.django_db
def test_disabled_plugin_is_left_out_of_hook_calls(rf):
    site = Site.objects.get(is_default_site=True)
    request = rf.get("/", HTTP_HOST=site.hostname)
    names = [name for name, _ in call_safely("robots_txt", request=request)]
    assert names == ["recorder"]
    assert plugins.hook("robots_txt", site=site)(request=request) == [
        ["Disallow: /recorder-private/"]
    ]

    PluginState.objects.create(site=site, plugin="recorder", enabled=False)
    request = rf.get("/", HTTP_HOST=site.hostname)  # a new request sees the new state
    assert call_safely("robots_txt", request=request) == []
    assert plugins.hook("robots_txt", site=site)(request=request) == []


@pytest.mark.django_db
def test_safe_call_skips_a_plugin_that_raises(rf, caplog):
    request = rf.get("/")
    results = call_safely("render_slot", request=request, slot="body_end", context={})
    assert [name for name, _ in results] == ["recorder"]
    assert any("failing" in r.name and "render_slot" in r.getMessage() for r in caplog.records)


@pytest.mark.django_db
def test_robots_txt_carries_plugin_lines(client):
    body = client.get("/robots.txt").content.decode()
    assert "Disallow: /admin/" in body
    assert "Disallow: /recorder-private/" in body
    assert "Sitemap: http://testserver/sitemap.xml" in body


@pytest.mark.django_db
def test_settings_plugins_lists_and_toggles_per_site(admin_client):
    site = Site.objects.get(is_default_site=True)
    other = Site.objects.create(hostname="other.example", root_page=site.root_page)
    url = reverse("magpie_plugins")
    page = admin_client.get(url, {"site": site.pk}).content.decode()
    for expected in ("recorder", "failing", "broken", "handle_event", "not installed"):
        assert expected in page

    response = admin_client.post(url, {"site": site.pk, "plugin": "recorder", "enabled": "0"})
    assert response.status_code == 302
    assert PluginState.objects.get(site=site, plugin="recorder").enabled is False
    assert "recorder" in plugins.disabled_plugins(site)
    assert "recorder" not in plugins.disabled_plugins(other)  # other site unaffected

    admin_client.post(url, {"site": site.pk, "plugin": "recorder", "enabled": "1"})
    assert "recorder" not in plugins.disabled_plugins(site)

    # A plugin that failed to load, or does not exist, cannot be switched.
    admin_client.post(url, {"site": site.pk, "plugin": "broken", "enabled": "1"})
    admin_client.post(url, {"site": site.pk, "plugin": "nope", "enabled": "1"})
    assert not PluginState.objects.filter(plugin__in=["broken", "nope"]).exists()


@pytest.mark.django_db
def test_plugin_screen_needs_permission(client, django_user_model):
    user = django_user_model.objects.create_user("editor", password="pw")
    user.user_permissions.add(Permission.objects.get(codename="access_admin"))
    client.force_login(user)
    url = reverse("magpie_plugins")
    assert client.get(url).status_code in (302, 403)
    site = Site.objects.get(is_default_site=True)
    client.post(url, {"site": site.pk, "plugin": "recorder", "enabled": "0"})
    assert not PluginState.objects.exists()

    user.user_permissions.add(Permission.objects.get(codename="manage_plugins"))
    assert client.get(url).status_code == 200


@pytest.mark.django_db
def test_plugins_command_lists_plugins():
    from io import StringIO

    from django.core.management import call_command

    out = StringIO()
    call_command("plugins", stdout=out)
    text = out.getvalue()
    assert "recorder" in text and "broken" in text and "ERROR" in text


@pytest.mark.django_db
def test_plugin_block_renders_on_a_landing_page(client):
    from wagtail.models import Locale, Page

    from magpie.content.models import LandingPage

    home = Page.objects.get(depth=2)
    landing = home.add_child(
        instance=LandingPage(
            title="Aktion",
            slug="aktion",
            locale=Locale.get_default(),
            body=[("hero", {"heading": "Neue Lager"}), ("recorder_banner", "Nur heute")],
        )
    )
    response = client.get(landing.url)
    assert response.status_code == 200
    html = response.content.decode()
    assert '<p class="recorder-banner">Nur heute</p>' in html
    assert "Neue Lager" in html


@pytest.mark.django_db
def test_plugin_settings_are_validated_and_stored_per_site(admin_client):
    site = Site.objects.get(is_default_site=True)
    other = Site.objects.create(hostname="other.example", root_page=site.root_page)
    assert plugins.plugin_config("recorder", site) == {"greeting": "Grüezi", "limit": 10}

    url = reverse("magpie_plugin_config", args=["recorder"])
    page = admin_client.get(url, {"site": site.pk})
    assert page.status_code == 200
    assert 'name="greeting"' in page.content.decode()

    bad = admin_client.post(url + f"?site={site.pk}", {"greeting": "Hoi", "limit": "0"})
    assert bad.status_code == 200
    assert list(bad.context["form"].errors) == ["limit"]
    assert not PluginState.objects.filter(plugin="recorder").exists()

    good = admin_client.post(url + f"?site={site.pk}", {"greeting": "Hoi", "limit": "5"})
    assert good.status_code == 302
    assert plugins.plugin_config("recorder", site) == {"greeting": "Hoi", "limit": 5}
    assert plugins.plugin_config("recorder", other) == {"greeting": "Grüezi", "limit": 10}
    # Saving settings leaves the plugin's on/off state alone.
    assert "recorder" not in plugins.disabled_plugins(site)

    # Plugins without settings have no settings page.
    missing = admin_client.get(reverse("magpie_plugin_config", args=["failing"]), follow=True)
    assert missing.status_code == 404


@pytest.mark.django_db
def test_plugin_urls_resolve_and_answer_404_where_the_plugin_is_disabled(client):
    url = reverse("recorder_ping", args=["alpen"])
    assert url == "/recorder/ping/alpen/"
    assert client.get(url).json() == {"pong": "alpen"}

    site = Site.objects.get(is_default_site=True)
    PluginState.objects.create(site=site, plugin="recorder", enabled=False)
    assert client.get(url, follow=True).status_code == 404
