"""Settings from environment variables: defaults, clear errors, production hardening."""

from __future__ import annotations

import os
import secrets
import subprocess
import sys

import pytest
from django.core.exceptions import ImproperlyConfigured

from magpie import env


def _manage(*args: str, settings: str = "magpie.settings.dev", **variables: str):
    """Run ``magpie manage`` in a fresh process with only the given variables changed."""
    environment = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("DATABASE_URL", "SEARCH_URL", "CACHE_URL", "EMAIL_URL", "SECRET_KEY"))
    }
    environment.update(DJANGO_SETTINGS_MODULE=settings, MAGPIE_PLUGINS="", **variables)
    return subprocess.run(
        [sys.executable, "-m", "magpie", "manage", *args],
        env=environment,
        capture_output=True,
        text=True,
        timeout=120,
    )


@pytest.mark.parametrize(
    ("variable", "value"),
    [
        ("DATABASE_URL", "not a url"),
        ("DATABASE_URL", "mysqlx://nobody@nowhere/db"),
        ("CACHE_URL", "memcachedx://nowhere"),
        ("SEARCH_URL", "solr://localhost:8983"),
        ("SEARCH_URL", "opensearch://localhost:notaport"),
        ("EMAIL_URL", "pigeon://loft"),
        ("DEBUG", "perhaps"),
    ],
)
def test_malformed_variable_stops_start_up_naming_it(variable, value):
    result = _manage("check", **{variable: value})
    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr
    assert variable in result.stderr


def test_production_refuses_to_start_without_secret_key():
    result = _manage("check", settings="magpie.settings.production", ALLOWED_HOSTS="shop.example")
    assert result.returncode != 0
    assert "SECRET_KEY is not set" in result.stderr


def test_check_deploy_is_clean_with_documented_variables(tmp_path):
    result = _manage(
        "check",
        "--deploy",
        "--fail-level",
        "WARNING",
        settings="magpie.settings.production",
        SECRET_KEY=secrets.token_urlsafe(50),
        ALLOWED_HOSTS="shop.example",
        DATABASE_URL=f"sqlite:///{tmp_path / 'db.sqlite3'}",
        MAGPIE_HOME=str(tmp_path),
    )
    assert result.returncode == 0, result.stderr
    assert "no issues" in result.stdout


def test_defaults_run_on_one_machine(settings):
    from magpie.settings import base

    # Read the module as configured by an empty environment (see base.py).
    assert base.DATABASES["default"]["ENGINE"] in (
        "django.db.backends.sqlite3",
        "django.db.backends.postgresql",  # the PostgreSQL pass sets MAGPIE_TEST_DATABASE_URL
    )
    assert env.search_url("UNSET_SEARCH", "database://")["BACKEND"] == (
        "wagtail.search.backends.database"
    )
    assert env.cache_url("UNSET_CACHE", "locmem://magpie")["BACKEND"].endswith("LocMemCache")
    assert env.task_backend("UNSET_TASKS", "database")["BACKEND"] == (
        "django_tasks_db.DatabaseBackend"
    )


def test_service_urls_scale_out(monkeypatch):
    monkeypatch.setenv("SEARCH_URL", "opensearch://search.internal:9201?index=shop_")
    search = env.search_url("SEARCH_URL", "database://")
    assert search["BACKEND"] == "wagtail.search.backends.opensearch2"
    assert search["HOSTS"] == [{"host": "search.internal", "port": 9201, "scheme": "http"}]
    assert search["INDEX_PREFIX"] == "shop_"

    monkeypatch.setenv("DATABASE_URL", "postgres://magpie:pw@db.internal:5433/magpie")
    database = env.database_url("DATABASE_URL", "sqlite:///x")
    assert database["ENGINE"] == "django.db.backends.postgresql"
    assert (database["HOST"], database["PORT"], database["NAME"]) == ("db.internal", 5433, "magpie")

    monkeypatch.setenv("CACHE_URL", "redis://cache.internal:6379/1")
    assert "redis" in env.cache_url("CACHE_URL", "locmem://")["BACKEND"].lower()

    monkeypatch.setenv("EMAIL_URL", "smtp+tls://mailer:pw@mail.internal:587")
    email = env.email_settings()
    assert (email["EMAIL_HOST"], email["EMAIL_PORT"], email["EMAIL_USE_TLS"]) == (
        "mail.internal",
        587,
        True,
    )

    monkeypatch.setenv("EMAIL_URL", "anymail://postmark")
    monkeypatch.delenv("ANYMAIL_POSTMARK_API_KEY", raising=False)
    with pytest.raises(ImproperlyConfigured, match="ANYMAIL_POSTMARK_API_KEY"):
        env.email_settings()
    monkeypatch.setenv("ANYMAIL_POSTMARK_API_KEY", "test-key")
    email = env.email_settings()
    assert email["EMAIL_BACKEND"] == "anymail.backends.postmark.EmailBackend"
    assert email["ANYMAIL"] == {"POSTMARK_API_KEY": "test-key"}


def test_postgresql_connections_prepare_their_statements(monkeypatch):
    monkeypatch.delenv("DATABASE_PREPARE_THRESHOLD", raising=False)
    url = "postgres://magpie:pw@db.internal:5432/magpie"
    assert env.database_url("X_UNSET", url)["OPTIONS"] == {
        "server_side_binding": True,
        "prepare_threshold": 5,
    }
    monkeypatch.setenv("DATABASE_PREPARE_THRESHOLD", "2")
    assert env.database_url("X_UNSET", url)["OPTIONS"]["prepare_threshold"] == 2
    # Behind a pooler that cannot keep prepared statements: client-side binding, as Django's
    # default.
    monkeypatch.setenv("DATABASE_PREPARE_THRESHOLD", "off")
    assert env.database_url("X_UNSET", url).get("OPTIONS", {}) == {}
    monkeypatch.setenv("DATABASE_PREPARE_THRESHOLD", "often")
    with pytest.raises(ImproperlyConfigured, match="DATABASE_PREPARE_THRESHOLD"):
        env.database_url("X_UNSET", url)
    assert not env.database_url("X_UNSET", "sqlite:///x.sqlite3").get("OPTIONS")


@pytest.mark.postgres
@pytest.mark.django_db
def test_statements_are_prepared_on_postgresql():
    # The suite's own connection, configured as in production: the sixth run is prepared.
    from django.db import connection

    for _ in range(6):
        with connection.cursor() as cursor:
            cursor.execute("SELECT %s::int + 1", [41])
            assert cursor.fetchone() == (42,)
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_prepared_statements WHERE statement LIKE %s",
            ["SELECT $1::int + 1%"],
        )
        assert cursor.fetchone() == (1,)
