"""The suite runs on the database it was given: PostgreSQL in the PostgreSQL pass.

``make test`` runs the whole suite twice: on SQLite, then on a throwaway PostgreSQL cluster
started by ``magpie.testing.pgcluster``, which sets ``MAGPIE_TEST_DATABASE_URL``. These tests make
sure the second pass really talks to that server, not to a silently kept SQLite file.
"""

from __future__ import annotations

import os
from urllib.parse import urlsplit

import pytest
from django.db import connection


def test_suite_runs_on_the_configured_database(db):
    url = os.environ.get("MAGPIE_TEST_DATABASE_URL")
    if not url:
        assert connection.vendor == "sqlite"
        return
    assert connection.vendor == "postgresql", f"MAGPIE_TEST_DATABASE_URL={url} but not used"
    expected = urlsplit(url)
    params = connection.get_connection_params()
    assert (params.get("host") or "", int(params.get("port") or 5432)) == (
        expected.hostname or "",
        expected.port or 5432,
    )
    with connection.cursor() as cursor:
        cursor.execute("SELECT version(), current_database()")
        version, database = cursor.fetchone()
    assert version.startswith("PostgreSQL ")
    # pytest-django runs on a test database named after the configured one.
    assert database == "test_" + expected.path.lstrip("/")


@pytest.mark.postgres
def test_postgresql_features(db):
    """Things SQLite cannot do: a supported server version, row locks, real JSONB."""
    assert connection.pg_version >= 140000  # Django 5.2 supports PostgreSQL 14 and later
    assert connection.features.has_select_for_update_skip_locked
    with connection.cursor() as cursor:
        cursor.execute("""SELECT '{"a": [1, 2]}'::jsonb @> '{"a": [2]}'::jsonb""")
        assert cursor.fetchone() == (True,)
