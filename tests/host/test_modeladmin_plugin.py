"""Agency plugins built on wagtail-modeladmin keep working (fixture plugin ``legacy_admin``).

The plugin lives in tests/fixtures/magpie_legacy_admin: a ``Supplier`` model with a
migration, registered through ``wagtail_modeladmin.options.modeladmin_register``.
"""

from __future__ import annotations

import json

import pytest
from django.apps import apps
from django.db import connection
from django.urls import reverse

INDEX_URL = "magpie_legacy_admin_supplier_modeladmin_index"
CREATE_URL = "magpie_legacy_admin_supplier_modeladmin_create"


def test_plugin_is_loaded_and_its_app_installed(magpie_plugin):
    info = magpie_plugin("legacy_admin")
    assert info.hooks == ["django_apps"]
    assert apps.is_installed("magpie_legacy_admin")
    assert apps.is_installed("wagtail_modeladmin")


@pytest.mark.django_db
def test_model_table_is_migrated():
    from magpie_legacy_admin.models import Supplier

    assert Supplier._meta.db_table in connection.introspection.table_names()


@pytest.mark.django_db
def test_index_and_create_views_work_for_a_superuser(admin_client):
    from magpie_legacy_admin.models import Supplier

    Supplier.objects.create(name="Bestehender Lieferant AG", country="DE")
    index = admin_client.get(reverse(INDEX_URL))
    assert index.status_code == 200
    assert "Bestehender Lieferant AG" in index.text

    form = admin_client.get(reverse(CREATE_URL))
    assert form.status_code == 200
    assert 'name="name"' in form.text

    response = admin_client.post(reverse(CREATE_URL), {"name": "Acme Antriebe AG", "country": "CH"})
    assert response.status_code == 302, response.text[:2000]
    assert response["Location"] == reverse(INDEX_URL)
    supplier = Supplier.objects.get(name="Acme Antriebe AG")
    assert supplier.country == "CH"
    assert "Acme Antriebe AG" in admin_client.get(reverse(INDEX_URL)).text


@pytest.mark.django_db
def test_create_view_rejects_invalid_input(admin_client):
    from magpie_legacy_admin.models import Supplier

    response = admin_client.post(reverse(CREATE_URL), {"name": "", "country": "CH"})
    assert response.status_code == 200  # the form again, with its error
    assert not Supplier.objects.exists()


@pytest.mark.django_db
def test_views_need_admin_access(client, django_user_model):
    assert client.get(reverse(INDEX_URL)).status_code == 302  # to the login page
    django_user_model.objects.create_user("editor", password="pw")
    client.login(username="editor", password="pw")
    assert client.get(reverse(INDEX_URL)).status_code in (302, 403)


@pytest.mark.django_db
def test_menu_item_shows_in_the_admin_sidebar(admin_client):
    response = admin_client.get(reverse("wagtailadmin_home"))
    assert response.status_code == 200
    props = _sidebar_props(response.text)
    assert "Suppliers" in props
    assert reverse(INDEX_URL) in props


def _sidebar_props(html: str) -> str:
    """The JSON the admin sidebar is rendered from (menu items live there since Wagtail 2.16)."""
    marker = 'id="wagtail-sidebar-props"'
    start = html.index(marker)
    body = html[html.index(">", start) + 1 : html.index("</script>", start)]
    json.loads(body)  # it is JSON, not a coincidental match in the page
    return body
