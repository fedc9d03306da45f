"""The people app: the Customers admin menu (German) and the visitor's company."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test import RequestFactory
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from magpie.people import visitor_company
from magpie.people.models import Company

pytestmark = pytest.mark.django_db


def test_customers_menu_is_the_hosts_and_german(admin_client):
    dashboard = admin_client.get(reverse("wagtailadmin_home")).content.decode()
    assert "Kunden" in dashboard and "Firmen" in dashboard and "Kundengruppen" in dashboard
    assert reverse("magpie_companies:index") in dashboard


def test_a_malformed_vat_id_writes_no_company(admin_client):
    response = admin_client.post(
        reverse("magpie_companies:add"),
        {"name": "Muster AG", "currency": "CHF", "country": "CH", "vat_id": "12", "domains": "[]"},
    )
    assert response.status_code == 200
    assert "vat_id" in response.context["form"].errors
    assert not Company.objects.exists()


def test_visitor_company_asks_the_hook_once_per_request():
    acme = Company.objects.create(name="Acme AG")
    request = RequestFactory().get("/", headers={"X-Test-Company": "Acme AG"})
    with CaptureQueriesContext(connection) as queries:
        assert visitor_company(request) == acme
        assert visitor_company(request) == acme
    assert sum("magpie_people_company" in q["sql"] for q in queries.captured_queries) == 1
    assert visitor_company(RequestFactory().get("/")) is None
