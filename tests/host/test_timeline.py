"""Contact and company timelines in the admin: newest first, keyset paged, filtered by type,
escaped, permission-checked and with a constant number of queries."""

from __future__ import annotations

import re
from datetime import timedelta
from decimal import Decimal

import pytest
from django.contrib.auth.models import Permission
from django.db import connection
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone

from magpie.journey.models import Campaign, Touchpoint
from magpie.people.admin_views import detail_line, parse_cursor
from magpie.people.models import Company, ConsentRecord, Contact

pytestmark = pytest.mark.django_db


@pytest.fixture
def company():
    return Company.objects.create(name="Muster AG")


@pytest.fixture
def contact(magpie_site, company):
    return Contact.objects.create(
        site=magpie_site,
        email="anna@example.ch",
        first_name="Anna",
        last_name="Muster",
        company=company,
        stage="lead",
        engagement_score=12,
        fit_score=7,
        source="paid",
    )


@pytest.fixture
def colleague(magpie_site, company):
    return Contact.objects.create(site=magpie_site, email="beat@example.ch", company=company)


def _tp(site, contact, minutes_ago, **fields):
    fields.setdefault("type", "page_view")
    return Touchpoint.objects.create(
        site=site,
        contact=contact,
        occurred_at=timezone.now() - timedelta(minutes=minutes_ago),
        **fields,
    )


@pytest.fixture
def many(magpie_site, contact):
    """120 touchpoints, one a minute, every third a form submission."""
    return [
        _tp(
            magpie_site,
            contact,
            minutes,
            type="form_submission" if minutes % 3 == 0 else "page_view",
            path=f"/de/seite-{minutes}/",
        )
        for minutes in range(120)
    ]


def _url(contact, **params):
    from urllib.parse import urlencode

    url = reverse("magpie_contacts:timeline", args=[contact.pk])
    return f"{url}?{urlencode(params)}" if params else url


def test_timeline_lists_touchpoints_newest_first_with_fields(admin_client, magpie_site, contact):
    campaign = Campaign.objects.create(site=magpie_site, name="Messe 2026", utm_campaign="messe")
    old = _tp(magpie_site, contact, 60 * 24 * 2, channel="paid", campaign=campaign, path="/de/")
    new = _tp(
        magpie_site,
        contact,
        5,
        type="order_placed",
        channel="email",
        value=Decimal("120.50"),
        currency="CHF",
        path="/de/kasse/",
        data={"order": "A-17", "note": "x" * 500},
    )
    ConsentRecord.objects.create(
        contact=contact, purpose="marketing", granted=True, wording="Ja", source="/de/"
    )
    ConsentRecord.objects.create(
        contact=contact, purpose="marketing", granted=False, wording="Nein", source="/de/"
    )
    response = admin_client.get(_url(contact))
    assert response.status_code == 200
    assert response.context["touchpoints"] == [new, old]
    assert response.context["touchpoints"][0].type_label == "Bestellung aufgegeben"  # German
    assert [len(items) for _day, items in response.context["days"]] in ([1, 1], [2])
    assert response.context["next_url"] is None
    consents = response.context["consents"]
    assert len(consents) == 1 and consents[0].granted is False  # the latest per purpose
    html = response.content.decode()
    assert "Messe 2026" in html and "/de/kasse/" in html
    assert re.search(r"120[.,]50 CHF", html)  # localised decimal separator
    assert "order: A-17" in html and "x" * 100 not in html  # long values cut
    assert reverse("magpie_companies:edit", args=[contact.company.pk]) in html
    assert response.context["header_title"] == "Anna Muster"
    assert response.context["breadcrumbs_items"][-2]["url"] == reverse(
        "magpie_contacts:edit", args=[contact.pk]
    )


def test_keyset_paging_has_no_overlap_or_gap(admin_client, contact, many):
    expected = sorted(many, key=lambda t: (t.occurred_at, t.pk), reverse=True)
    first = admin_client.get(_url(contact))
    assert first.context["touchpoints"] == expected[:50]
    second = admin_client.get(first.context["next_url"])
    assert second.context["touchpoints"] == expected[50:100]
    third = admin_client.get(second.context["next_url"])
    assert third.context["touchpoints"] == expected[100:]
    assert third.context["next_url"] is None


def test_keyset_paging_breaks_ties_by_id(admin_client, magpie_site, contact):
    when = timezone.now()
    same = [
        Touchpoint.objects.create(
            site=magpie_site, contact=contact, type="search", occurred_at=when
        )
        for _ in range(55)
    ]
    first = admin_client.get(_url(contact))
    second = admin_client.get(first.context["next_url"])
    seen = first.context["touchpoints"] + second.context["touchpoints"]
    assert [t.pk for t in seen] == sorted((t.pk for t in same), reverse=True)


def test_type_filter(admin_client, contact, many):
    response = admin_client.get(_url(contact, type="form_submission"))
    rows = response.context["touchpoints"]
    assert len(rows) == 40 and {t.type for t in rows} == {"form_submission"}
    assert response.context["next_url"] is None
    paged = admin_client.get(_url(contact, type="page_view"))
    assert "type=page_view" in paged.context["next_url"]
    rest = admin_client.get(paged.context["next_url"]).context["touchpoints"]
    assert len(rest) == 30 and {t.type for t in rest} == {"page_view"}


def test_visitor_values_are_escaped(admin_client, magpie_site, contact):
    payload = "<script>alert(1)</script>"
    _tp(
        magpie_site,
        contact,
        1,
        utm_campaign=payload,
        path="/de/" + payload,
        data={"q": payload, payload: "x"},
    )
    html = admin_client.get(_url(contact)).content.decode()
    assert "&lt;script&gt;" in html
    assert "<script>alert" not in html


def test_needs_view_contact_permission(client, django_user_model, contact, company):
    user = django_user_model.objects.create_user("gast", password="x")
    user.user_permissions.add(Permission.objects.get(codename="access_admin"))
    client.force_login(user)
    company_url = reverse("magpie_companies:timeline", args=[company.pk])
    assert client.get(_url(contact)).status_code == 403
    assert client.get(company_url).status_code == 403
    user.user_permissions.add(
        Permission.objects.get(content_type__app_label="magpie_people", codename="view_contact")
    )
    user = django_user_model.objects.get(pk=user.pk)
    client.force_login(user)
    assert client.get(_url(contact)).status_code == 200
    assert client.get(company_url).status_code == 200
    client.logout()
    assert client.get(_url(contact)).status_code == 302  # to the admin login


def test_links_from_edit_views_and_list(admin_client, contact, company):
    timeline = _url(contact)
    edit = admin_client.get(reverse("magpie_contacts:edit", args=[contact.pk])).content.decode()
    assert timeline in edit
    assert reverse("magpie_contacts:export", args=[contact.pk]) in edit
    assert reverse("magpie_contacts:erase", args=[contact.pk]) in edit
    index = admin_client.get(reverse("magpie_contacts:index")).content.decode()
    assert timeline in index and reverse("magpie_contacts:export", args=[contact.pk]) in index
    company_edit = admin_client.get(reverse("magpie_companies:edit", args=[company.pk]))
    assert reverse("magpie_companies:timeline", args=[company.pk]) in company_edit.content.decode()


def test_query_count_is_constant(admin_client, magpie_site, contact, many, colleague, company):
    admin_client.get(_url(contact))  # warm caches (site, settings, known types)
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as page:
        response = admin_client.get(_url(contact))
    assert len(response.context["touchpoints"]) == 50
    with CaptureQueriesContext(connection) as small:
        admin_client.get(_url(contact, type="form_submission"))
    assert len(page.captured_queries) == len(small.captured_queries)
    assert len(page.captured_queries) <= 12
    touchpoint_queries = [q for q in page.captured_queries if "journey_touchpoint" in q["sql"]]
    assert len(touchpoint_queries) == 1


def test_query_count_is_bounded(admin_client, django_assert_max_num_queries, contact, many):
    admin_client.get(_url(contact))
    with django_assert_max_num_queries(12):
        admin_client.get(_url(contact))
    with django_assert_max_num_queries(12):
        admin_client.get(reverse("magpie_companies:timeline", args=[contact.company.pk]))


def test_company_timeline_shows_touchpoints_of_its_contacts(
    admin_client, magpie_site, contact, colleague, company
):
    a = _tp(magpie_site, contact, 10, type="form_submission")
    b = _tp(magpie_site, colleague, 5, type="download")
    stranger = Contact.objects.create(site=magpie_site, email="x@example.com")
    _tp(magpie_site, stranger, 1)
    response = admin_client.get(reverse("magpie_companies:timeline", args=[company.pk]))
    assert response.status_code == 200
    assert response.context["touchpoints"] == [b, a]
    assert response.context["show_contact"] is True
    html = response.content.decode()
    assert "beat@example.ch" in html and "anna@example.ch" in html
    assert "x@example.com" not in html


def test_helpers():
    assert parse_cursor("nonsense") is None and parse_cursor("") is None
    when, pk = parse_cursor("2026-01-02T03:04:05+00:00,17")
    assert pk == 17 and when.year == 2026 and when.tzinfo is not None
    assert len(detail_line({"a": "y" * 1000, "b": [1, 2]})) <= 200


@pytest.mark.postgres
def test_postgresql_pages_on_the_contact_time_index(magpie_site, contact, colleague):
    """With 50,000 touchpoints over two contacts (analysed), a page is an index scan."""
    if connection.vendor != "postgresql":
        pytest.skip("PostgreSQL only")
    with connection.cursor() as cursor:
        cursor.execute(
            """
            INSERT INTO magpie_journey_touchpoint (site_id, contact_id, type, occurred_at,
                channel, utm_source, utm_medium, utm_campaign, utm_term, utm_content,
                referrer, path, object_type, object_id, currency, data)
            SELECT %s, CASE WHEN n %% 2 = 0 THEN %s ELSE %s END,
                CASE WHEN n %% 5 = 0 THEN 'form_submission' ELSE 'page_view' END,
                now() - n * interval '1 minute', 'direct', '', '', '', '', '', '',
                '/de/', '', '', '', '{}'::jsonb
            FROM generate_series(1, 50000) AS n
            """,
            [magpie_site.pk, contact.pk, colleague.pk],
        )
        cursor.execute("ANALYZE magpie_journey_touchpoint")
    when = timezone.now() - timedelta(days=3)
    queryset = (
        Touchpoint.objects.filter(contact=contact, occurred_at__lte=when)
        .filter(Q(occurred_at__lt=when) | Q(id__lt=10**9))
        .order_by("-occurred_at", "-id")
        .select_related("campaign")[:51]
    )
    plan = queryset.explain()
    assert "journey_tp_contact_time" in plan, plan
    assert "Seq Scan on magpie_journey_touchpoint" not in plan, plan
