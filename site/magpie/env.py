"""Read settings from environment variables, failing loudly with the variable's name.

Every helper takes the variable name and a default; a malformed value raises
:class:`ImproperlyConfigured` whose message names the variable, so start-up stops with
a message an operator can act on.
"""

from __future__ import annotations

import os
from typing import Any
from urllib.parse import parse_qs, urlsplit

from django.core.exceptions import ImproperlyConfigured

TRUE_VALUES = {"1", "true", "yes", "on"}
FALSE_VALUES = {"0", "false", "no", "off", ""}


def get_str(name: str, default: str | None = None) -> str | None:
    """Return the variable's value, or ``default`` when it is unset."""
    return os.environ.get(name, default)


def get_bool(name: str, default: bool = False) -> bool:
    """Return a boolean variable (1/0, true/false, yes/no, on/off)."""
    raw = os.environ.get(name)
    if raw is None:
        return default
    value = raw.strip().lower()
    if value in TRUE_VALUES:
        return True
    if value in FALSE_VALUES:
        return False
    raise ImproperlyConfigured(f"{name}={raw!r} is not a boolean; use 1/0, true/false or yes/no.")


def get_int(name: str, default: int) -> int:
    """Return an integer variable."""
    raw = os.environ.get(name)
    if raw is None or raw.strip() == "":
        return default
    try:
        return int(raw)
    except ValueError:
        raise ImproperlyConfigured(f"{name}={raw!r} is not an integer.") from None


def get_list(name: str, default: list[str] | None = None) -> list[str]:
    """Return a comma-separated list variable, with blanks removed."""
    raw = os.environ.get(name)
    if raw is None:
        return list(default or [])
    return [item.strip() for item in raw.split(",") if item.strip()]


def database_url(name: str, default: str) -> dict[str, Any]:
    """Parse a ``DATABASE_URL``-style variable into a Django ``DATABASES`` entry."""
    import dj_database_url

    raw = os.environ.get(name) or default
    if "://" not in raw:
        raise ImproperlyConfigured(
            f"{name}={raw!r} is not a database URL; expected e.g. "
            "postgres://user:password@host:5432/name or sqlite:///path/to/db.sqlite3."
        )
    try:
        config = dj_database_url.parse(raw, conn_max_age=get_int("DATABASE_CONN_MAX_AGE", 0))
    except Exception as exc:  # dj-database-url raises several types for bad URLs
        raise ImproperlyConfigured(f"{name}={raw!r} is not a valid database URL: {exc}") from exc
    if not config.get("ENGINE"):
        raise ImproperlyConfigured(f"{name}={raw!r} names an unsupported database scheme.")
    if config["ENGINE"] == "django.db.backends.postgresql":
        # Prepared statements: psycopg prepares a statement the fifth time a connection
        # runs it, and PostgreSQL then stops parsing and planning it each time (about
        # 40 % of its CPU per order). They need parameters bound by the server and last
        # as long as the connection (DATABASE_CONN_MAX_AGE); DATABASE_PREPARE_THRESHOLD=off
        # for a pooler that cannot keep them (PgBouncer in transaction mode before 1.21).
        threshold = (get_str("DATABASE_PREPARE_THRESHOLD") or "5").strip().lower()
        options = config.setdefault("OPTIONS", {})
        if threshold not in ("off", "none", ""):
            try:
                options.setdefault("prepare_threshold", int(threshold))
            except ValueError:
                raise ImproperlyConfigured(
                    f"DATABASE_PREPARE_THRESHOLD={threshold!r} is neither a number nor off."
                ) from None
            options.setdefault("server_side_binding", True)
    return config


def cache_url(name: str, default: str) -> dict[str, Any]:
    """Parse a ``CACHE_URL``-style variable (locmem://, redis://, dummy://, db://, file://)."""
    import django_cache_url

    raw = os.environ.get(name) or default
    scheme = urlsplit(raw).scheme
    if not scheme or scheme not in django_cache_url.BACKENDS:
        known = ", ".join(sorted(django_cache_url.BACKENDS))
        raise ImproperlyConfigured(
            f"{name}={raw!r} has an unknown cache scheme; use one of {known}."
        )
    try:
        return django_cache_url.parse(raw)
    except Exception as exc:
        raise ImproperlyConfigured(f"{name}={raw!r} is not a valid cache URL: {exc}") from exc


def search_url(name: str, default: str) -> dict[str, Any]:
    """Parse ``SEARCH_URL`` into a Wagtail ``WAGTAILSEARCH_BACKENDS['default']`` entry.

    ``database://`` (default) uses Wagtail's database backend; ``opensearch://host:port``,
    ``elasticsearch://host:port`` (``elasticsearch8://``, ``elasticsearch9://``) use the
    engine; the optional ``?index=prefix`` sets the index name.
    """
    raw = os.environ.get(name) or default
    parts = urlsplit(raw)
    options = {key: values[-1] for key, values in parse_qs(parts.query).items()}
    if parts.scheme == "database":
        return {"BACKEND": "wagtail.search.backends.database"}
    engines = {
        "opensearch": "wagtail.search.backends.opensearch2",
        "opensearch2": "wagtail.search.backends.opensearch2",
        "opensearch3": "wagtail.search.backends.opensearch3",
        "elasticsearch": "wagtail.search.backends.elasticsearch8",
        "elasticsearch8": "wagtail.search.backends.elasticsearch8",
        "elasticsearch9": "wagtail.search.backends.elasticsearch9",
    }
    if parts.scheme not in engines:
        known = ", ".join(["database", *engines])
        raise ImproperlyConfigured(
            f"{name}={raw!r} has an unknown search scheme; use one of {known}."
        )
    if not parts.hostname:
        raise ImproperlyConfigured(
            f"{name}={raw!r} names no host; expected e.g. opensearch://127.0.0.1:9200."
        )
    try:
        port = parts.port or 9200
    except ValueError:
        raise ImproperlyConfigured(f"{name}={raw!r} has a malformed port.") from None
    scheme = "https" if options.pop("tls", "") in TRUE_VALUES else "http"
    host = {"host": parts.hostname, "port": port, "scheme": scheme}
    if parts.username:
        host["http_auth"] = (parts.username, parts.password or "")
    return {
        "BACKEND": engines[parts.scheme],
        "HOSTS": [host],
        "INDEX_PREFIX": options.pop("index", "magpie_"),
        "TIMEOUT": int(options.pop("timeout", "5")),
    }


def email_settings(prefix: str = "EMAIL") -> dict[str, Any]:
    """Return Django email settings from ``EMAIL_URL`` (and ``ANYMAIL_*`` for providers).

    ``console://`` (default) prints mail; ``file:///path`` writes it; ``smtp://user:pw@host:25``
    and ``smtp+tls://…`` send over SMTP; ``anymail://<esp>`` uses django-anymail with the
    provider's API key from ``ANYMAIL_<ESP>_API_KEY``.
    """
    name = f"{prefix}_URL"
    raw = os.environ.get(name) or "console://"
    parts = urlsplit(raw)
    result: dict[str, Any] = {}
    if parts.scheme == "console":
        result["EMAIL_BACKEND"] = "django.core.mail.backends.console.EmailBackend"
    elif parts.scheme == "file":
        if not parts.path:
            raise ImproperlyConfigured(f"{name}={raw!r} needs a directory, e.g. file:///var/mail.")
        result["EMAIL_BACKEND"] = "django.core.mail.backends.filebased.EmailBackend"
        result["EMAIL_FILE_PATH"] = parts.path
    elif parts.scheme == "locmem":
        result["EMAIL_BACKEND"] = "django.core.mail.backends.locmem.EmailBackend"
    elif parts.scheme in ("smtp", "smtp+tls", "smtps"):
        if not parts.hostname:
            raise ImproperlyConfigured(f"{name}={raw!r} names no SMTP host.")
        try:
            port = parts.port or (465 if parts.scheme == "smtps" else 25)
        except ValueError:
            raise ImproperlyConfigured(f"{name}={raw!r} has a malformed port.") from None
        result.update(
            EMAIL_BACKEND="django.core.mail.backends.smtp.EmailBackend",
            EMAIL_HOST=parts.hostname,
            EMAIL_PORT=port,
            EMAIL_HOST_USER=parts.username or "",
            EMAIL_HOST_PASSWORD=parts.password or "",
            EMAIL_USE_TLS=parts.scheme == "smtp+tls",
            EMAIL_USE_SSL=parts.scheme == "smtps",
        )
    elif parts.scheme == "anymail":
        esp = parts.netloc.lower()
        if not esp.isidentifier():
            raise ImproperlyConfigured(
                f"{name}={raw!r} names no provider, e.g. anymail://postmark."
            )
        result["EMAIL_BACKEND"] = f"anymail.backends.{esp}.EmailBackend"
        key_var = f"ANYMAIL_{esp.upper()}_API_KEY"
        api_key = os.environ.get(key_var)
        if not api_key:
            raise ImproperlyConfigured(f"{name}={raw!r} needs the API key in {key_var}.")
        result["ANYMAIL"] = {f"{esp.upper()}_API_KEY": api_key}
    else:
        raise ImproperlyConfigured(
            f"{name}={raw!r} has an unknown scheme; use console://, file://, smtp://, "
            "smtp+tls://, smtps:// or anymail://<provider>."
        )
    result["DEFAULT_FROM_EMAIL"] = os.environ.get("DEFAULT_FROM_EMAIL", "magpie@localhost")
    result["SERVER_EMAIL"] = result["DEFAULT_FROM_EMAIL"]
    return result


def task_backend(name: str, default: str) -> dict[str, Any]:
    """Return the django-tasks ``TASKS['default']`` entry for ``TASK_BACKEND``.

    ``database`` (default, worker: ``magpie manage db_worker``), ``immediate`` (run inline,
    for tests) or a dotted backend path such as ``django_tasks_rq.RQBackend``.
    """
    raw = os.environ.get(name) or default
    aliases = {
        "database": "django_tasks_db.DatabaseBackend",
        "immediate": "django_tasks.backends.immediate.ImmediateBackend",
        "dummy": "django_tasks.backends.dummy.DummyBackend",
    }
    backend = aliases.get(raw, raw)
    if "." not in backend:
        raise ImproperlyConfigured(
            f"{name}={raw!r} is unknown; use database, immediate or a dotted backend path."
        )
    return {"BACKEND": backend}
