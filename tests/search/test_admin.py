"""Search admin: synonyms (validation, what the engines get), the search-term reports
(order, period, zero results, export) and who sees them. The admin runs in German."""

from __future__ import annotations

import csv
import datetime
import io
import logging
from typing import Any

import openpyxl
import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group, Permission
from django.db import transaction
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from magpie.pagecache import generation
from magpie_search.models import SearchQuery, Synonym
from magpie_search.synonyms import expand
from tests.catalog.test_storefront import skus

pytestmark = pytest.mark.django_db

SYNONYMS = "magpie_search_synonyms"
TERMS = "magpie_search_terms"
ZERO = "magpie_search_zero_results"
SEARCH_MENU = '"name": "search", "label": "Suche"'  # the submenu in the sidebar's JSON


def url(viewset: str, view: str, *args: Any) -> str:
    return reverse(f"{viewset}:{view}", args=args)


def rows(response: Any) -> list[tuple[Any, ...]]:
    """The report's rows as (query, searches[, results])."""
    assert response.status_code == 200, response.status_code
    return [
        (row["query"], row["searches"], row["results"]) for row in response.context["object_list"]
    ]


def log_searches(query: str, *results: int, days_ago: float = 1) -> None:
    """One logged search of ``query`` per item of ``results``, ``days_ago`` days ago."""
    when = timezone.now() - datetime.timedelta(days=days_ago)
    for count in results:
        search = SearchQuery.objects.create(query=query, results=count, language="de")
        SearchQuery.objects.filter(pk=search.pk).update(searched_at=when)


@pytest.fixture
def searches() -> None:
    log_searches("motor", 5, 3, 0)
    log_searches("pumpe", 2, 2)
    log_searches("zahnrad", 0, 0)
    log_searches("getriebe", 0, days_ago=10)
    log_searches("kupplung", 0, 0, 0, 0, days_ago=40)
    log_searches("antrieb", 7, 7, 7, 7, 7, 7, days_ago=120)


def user_client(*permissions: str) -> Client:
    """A logged-in admin user whose only group grants admin access and ``permissions``."""
    group = Group.objects.create(name=f"Search test {Group.objects.count()}")
    codenames = ["wagtailadmin.access_admin", *permissions]
    for name in codenames:
        app_label, codename = name.split(".")
        group.permissions.add(
            Permission.objects.get(content_type__app_label=app_label, codename=codename)
        )
    user = get_user_model().objects.create_user(
        username=f"user{group.pk}", email="user@example.com", password="pw"
    )
    user.groups.add(group)
    client = Client()
    client.force_login(user)
    return client


# -- synonyms -----------------------------------------------------------------------------------


def test_synonym_with_one_word_is_rejected_and_nothing_is_written(admin_client):
    before = generation()
    add = admin_client.get(url(SYNONYMS, "add"))
    assert add.status_code == 200
    assert "durch Kommas getrennt" in add.content.decode()  # the help text, in German

    response = admin_client.post(url(SYNONYMS, "add"), {"terms": "Motor, motor, MOTOR"})
    assert response.status_code == 200
    assert response.context["form"].errors["terms"] == [
        "Geben Sie mindestens zwei verschiedene Wörter ein."
    ]
    assert not Synonym.objects.exists()
    assert generation() == before


def test_synonym_added_in_the_admin_is_listed_and_expands_queries(admin_client):
    assert expand(["motor"]) == [["motor"]]  # read (and cached) before the change
    response = admin_client.post(url(SYNONYMS, "add"), {"terms": "Motor, Antrieb, drive"})
    assert response.status_code == 302
    assert response.url == url(SYNONYMS, "index")

    listing = admin_client.get(url(SYNONYMS, "index"))
    assert listing.status_code == 200
    assert [str(s) for s in listing.context["object_list"]] == ["Motor, Antrieb, drive"]
    assert "Synonyme" in listing.content.decode()
    assert expand(["motor"]) == [["motor", "antrieb", "drive"]]

    found = admin_client.get(url(SYNONYMS, "index"), {"q": "antrieb"})
    assert [str(s) for s in found.context["object_list"]] == ["Motor, Antrieb, drive"]
    assert not admin_client.get(url(SYNONYMS, "index"), {"q": "pumpe"}).context["object_list"]


def test_editing_and_deleting_a_synonym_changes_the_expansion(admin_client):
    synonym = Synonym.objects.create(terms="Motor, Antrieb")
    assert expand(["motor"]) == [["motor", "antrieb"]]

    response = admin_client.post(url(SYNONYMS, "edit", synonym.pk), {"terms": "Motor, drive"})
    assert response.status_code == 302
    assert expand(["motor"]) == [["motor", "drive"]]

    response = admin_client.post(url(SYNONYMS, "delete", synonym.pk))
    assert response.status_code == 302
    assert not Synonym.objects.exists()
    assert expand(["motor"]) == [["motor"]]


@pytest.fixture
def opensearch_settings(settings: Any) -> Any:
    """Settings that name an OpenSearch node (nothing listens on the port)."""
    from magpie_search.engines.elastic import ElasticEngine

    settings.WAGTAILSEARCH_BACKENDS = {
        "default": {
            "BACKEND": "wagtail.search.backends.opensearch2",
            "URLS": ["http://127.0.0.1:9"],
            "INDEX_PREFIX": "test_unreachable_",
            "OPTIONS": {"max_retries": 0, "timeout": 2},
        }
    }
    ElasticEngine._instances.clear()
    yield settings
    ElasticEngine._instances.clear()


class FakeEngine:
    def __init__(self) -> None:
        self.updates = 0

    def update_synonyms(self) -> None:
        self.updates += 1


def test_synonym_changes_are_loaded_into_opensearch_after_commit(
    opensearch_settings, monkeypatch, django_capture_on_commit_callbacks
):
    engine = FakeEngine()
    monkeypatch.setattr("magpie_search.tasks.get_engine", lambda: engine)
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        with transaction.atomic():
            Synonym.objects.create(terms="Motor, Antrieb")
            Synonym.objects.create(terms="Pumpe, pump")
        assert engine.updates == 0  # nothing before the commit
    assert len(callbacks) == 1  # one update for the whole transaction
    assert engine.updates == 1

    synonym = Synonym.objects.get(terms="Pumpe, pump")
    with django_capture_on_commit_callbacks(execute=True):
        synonym.delete()
    assert engine.updates == 2


def test_the_database_engine_needs_no_update_task(monkeypatch, django_capture_on_commit_callbacks):
    engine = FakeEngine()
    monkeypatch.setattr("magpie_search.tasks.get_engine", lambda: engine)
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        Synonym.objects.create(terms="Motor, Antrieb")
    assert callbacks == []
    assert engine.updates == 0


def test_unreachable_engine_does_not_break_the_admin_save(
    admin_client, opensearch_settings, django_capture_on_commit_callbacks, caplog
):
    with caplog.at_level(logging.WARNING, logger="magpie_search"):
        with django_capture_on_commit_callbacks(execute=True):
            response = admin_client.post(url(SYNONYMS, "add"), {"terms": "Motor, Antrieb"})
    assert response.status_code == 302
    assert Synonym.objects.filter(terms="Motor, Antrieb").exists()
    assert "next index rebuild" in caplog.text


def test_synonym_saved_in_the_admin_reaches_the_engine(
    admin_client, client, indexed, search_engine, settings, django_capture_on_commit_callbacks
):
    """On the database at once, on OpenSearch through the task after the commit; deleting the
    group takes it back out."""
    settings.MAGPIE_PAGE_CACHE_SECONDS = 0

    def found(query: str) -> set[str]:
        response = client.get("/de/suche/", {"q": query})
        assert response.status_code == 200
        return set(skus(response.content.decode()))

    assert found("aggregat") == set()
    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post(url(SYNONYMS, "add"), {"terms": "Motor, Aggregat"})
    assert response.status_code == 302
    assert found("aggregat") == {"M-1", "M-2", "M-3"}

    synonym = Synonym.objects.get()
    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post(url(SYNONYMS, "delete", synonym.pk))
    assert response.status_code == 302
    assert found("aggregat") == set()


# -- reports ------------------------------------------------------------------------------------


def test_search_terms_report_lists_the_top_queries_of_the_last_30_days(admin_client, searches):
    response = admin_client.get(url(TERMS, "index"))
    assert rows(response) == [
        ("motor", 3, 5),
        ("pumpe", 2, 2),
        ("zahnrad", 2, 0),
        ("getriebe", 1, 0),
    ]
    html = response.content.decode()
    assert "Suchbegriffe" in html and "Zuletzt gesucht" in html and "Letzte 30 Tage" in html
    assert "4 Suchbegriffe" in html
    assert response.context["filters"].form["period"].value() == "30"


def test_reports_respect_the_period(admin_client, searches):
    week = admin_client.get(url(TERMS, "index"), {"period": "7"})
    assert [row[0] for row in rows(week)] == ["motor", "pumpe", "zahnrad"]
    quarter = admin_client.get(url(TERMS, "index"), {"period": "90"})
    assert [row[0] for row in rows(quarter)] == [
        "kupplung",
        "motor",
        "pumpe",
        "zahnrad",
        "getriebe",
    ]
    unknown = admin_client.get(url(TERMS, "index"), {"period": "5"})  # falls back to 30 days
    assert [row[0] for row in rows(unknown)] == ["motor", "pumpe", "zahnrad", "getriebe"]
    fragment = admin_client.get(url(TERMS, "index_results"), {"period": "7"})
    assert [row[0] for row in rows(fragment)] == ["motor", "pumpe", "zahnrad"]
    zero = admin_client.get(url(ZERO, "index"), {"period": "90"})
    assert [row[0] for row in rows(zero)] == ["kupplung", "zahnrad", "getriebe", "motor"]


def test_zero_results_report_lists_only_searches_that_found_nothing(admin_client, searches):
    response = admin_client.get(url(ZERO, "index"))
    assert rows(response) == [("zahnrad", 2, 0), ("getriebe", 1, 0), ("motor", 1, 0)]
    html = response.content.decode()
    assert "Suchen ohne Treffer" in html
    assert "Treffer (höchstens)" not in html  # always 0 here: no column for it


def test_reports_sort_by_a_column(admin_client, searches):
    response = admin_client.get(url(TERMS, "index"), {"ordering": "query"})
    assert [row[0] for row in rows(response)] == ["getriebe", "motor", "pumpe", "zahnrad"]
    response = admin_client.get(url(TERMS, "index"), {"ordering": "-results"})
    assert [row[0] for row in rows(response)] == ["motor", "pumpe", "getriebe", "zahnrad"]


def test_reports_search_by_query(admin_client, searches):
    response = admin_client.get(url(TERMS, "index"), {"q": "mot"})
    assert [row[0] for row in rows(response)] == ["motor"]


def test_search_terms_report_exports_csv_and_xlsx(admin_client, searches):
    response = admin_client.get(url(TERMS, "index"), {"export": "csv", "period": "90"})
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    assert 'filename="search-terms-' in response["Content-Disposition"]
    text = b"".join(response.streaming_content).decode("utf-8")
    table = list(csv.reader(io.StringIO(text)))
    assert table[0] == ["Suchbegriff", "Suchen", "Treffer (höchstens)", "Zuletzt gesucht"]
    assert [row[:3] for row in table[1:]] == [
        ["kupplung", "4", "0"],
        ["motor", "3", "5"],
        ["pumpe", "2", "2"],
        ["zahnrad", "2", "0"],
        ["getriebe", "1", "0"],
    ]

    zero = admin_client.get(url(ZERO, "index"), {"export": "csv"})
    table = list(csv.reader(io.StringIO(b"".join(zero.streaming_content).decode("utf-8"))))
    assert table[0] == ["Suchbegriff", "Suchen", "Zuletzt gesucht"]
    assert [row[0] for row in table[1:]] == ["zahnrad", "getriebe", "motor"]

    xlsx = admin_client.get(url(TERMS, "index"), {"export": "xlsx"})
    assert xlsx.status_code == 200
    assert "spreadsheetml" in xlsx["Content-Type"]
    sheet = openpyxl.load_workbook(io.BytesIO(b"".join(xlsx.streaming_content))).active
    values = list(sheet.iter_rows(values_only=True))
    assert values[0] == ("Suchbegriff", "Suchen", "Treffer (höchstens)", "Zuletzt gesucht")
    assert values[1][:3] == ("motor", 3, 5)
    assert isinstance(values[1][3], datetime.datetime)


def test_zero_result_queries_link_to_the_site_search(admin_client, searches, search_pages):
    html = admin_client.get(url(ZERO, "index")).content.decode()
    assert 'href="/de/suche/?q=zahnrad"' in html


# -- permissions and menu -----------------------------------------------------------------------


def dashboard(client: Client) -> str:
    response = client.get(reverse("wagtailadmin_home"))
    assert response.status_code == 200
    return response.content.decode()


def test_superuser_sees_the_search_menu(admin_client):
    html = dashboard(admin_client)
    for viewset in (SYNONYMS, TERMS, ZERO):
        assert url(viewset, "index") in html


def test_user_without_the_permission_gets_403_and_no_menu_item(searches):
    client = user_client()
    denied = client.get(url(TERMS, "index"))
    assert denied.status_code == 403
    assert "«Kann Suchberichte ansehen»" in denied.content.decode()
    assert client.get(url(ZERO, "index")).status_code == 403
    assert client.get(url(TERMS, "index"), {"export": "csv"}).status_code == 403
    assert client.get(url(TERMS, "index_results")).status_code == 403
    html = dashboard(client)
    for viewset in (SYNONYMS, TERMS, ZERO):
        assert url(viewset, "index") not in html
    assert SEARCH_MENU not in html  # an empty Search menu is not shown
    assert SEARCH_MENU in dashboard(user_client("magpie_search.view_search_reports"))


def test_editor_with_the_permission_sees_the_reports(searches):
    client = user_client("magpie_search.view_search_reports")
    assert [row[0] for row in rows(client.get(url(TERMS, "index")))][:1] == ["motor"]
    assert client.get(url(ZERO, "index")).status_code == 200
    html = dashboard(client)
    assert url(TERMS, "index") in html and url(ZERO, "index") in html
    assert url(SYNONYMS, "index") not in html  # synonyms need the synonym permissions
    assert client.get(url(SYNONYMS, "index")).status_code in (302, 403)


def test_synonym_permissions_open_the_synonym_screens_only():
    client = user_client("magpie_search.add_synonym", "magpie_search.change_synonym")
    assert client.get(url(SYNONYMS, "index")).status_code == 200
    response = client.post(url(SYNONYMS, "add"), {"terms": "Pumpe, pump"})
    assert response.status_code == 302
    html = dashboard(client)
    assert url(SYNONYMS, "index") in html and url(TERMS, "index") not in html
    assert client.get(url(TERMS, "index")).status_code == 403


def test_reports_permission_is_offered_in_the_group_editor(admin_client):
    permission = Permission.objects.get(codename="view_search_reports")
    assert permission.name == "Can view search reports"
    html = admin_client.get(reverse("wagtailusers_groups:add")).content.decode()
    assert f'value="{permission.pk}"' in html
