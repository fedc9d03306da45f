"""Where a page request spends its time: queries per request and a cProfile breakdown.

Not a benchmark (``bench/run.py`` does not run it): a tool to explain the ``pages``
figures. Point it at a working directory kept by ``bench/run.py pages --keep``::

    .venv/bin/python bench/profile_pages.py /tmp/magpie-bench-pages-XXXX

For each site (``magpie/`` and ``vanilla/`` inside that directory) it starts a fresh
Python process with the site's production settings, renders the benchmarked page through
Django's full middleware stack (``django.test.Client``, no HTTP server), and prints:

* the SQL queries of one warm request, grouped and counted;
* the mean time per request over ``--requests`` requests;
* the time (exclusive) and the SQL queries charged to each template;
* the cumulative time of the steps named in :data:`WATCH` (theme middleware, plugin state,
  site settings, routing, template rendering, …), as a share of the request.
"""

from __future__ import annotations

import argparse
import cProfile
import json
import os
import pstats
import re
import secrets
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

#: ``(label, file suffix, function name)`` of the steps reported, matched in cProfile output.
WATCH: list[tuple[str, str, str]] = [
    ("whole request (middleware chain + view)", "django/core/handlers/base.py", "get_response"),
    ("view + template rendering", "django/core/handlers/base.py", "_get_response"),
    ("ThemeMiddleware (magpie)", "magpie/themes/middleware.py", "__call__"),
    ("  theme_for_request", "magpie/themes/middleware.py", "theme_for_request"),
    ("  ThemeSettings.for_request", "wagtail/contrib/settings/models.py", "for_request"),
    ("plugin state: disabled_plugins", "magpie/plugins.py", "disabled_plugins"),
    ("plugin hooks: call_safely", "magpie/plugins.py", "call_safely"),
    ("Site.find_for_request", "wagtail/models/sites.py", "find_for_request"),
    ("SessionMiddleware", "django/contrib/sessions/middleware.py", "process_response"),
    ("LocaleMiddleware", "django/middleware/locale.py", "process_request"),
    ("RedirectMiddleware", "wagtail/contrib/redirects/middleware.py", "process_response"),
    ("wagtail serve view", "wagtail/views.py", "serve"),
    ("  Page.route (URL -> page)", "wagtail/models/__init__.py", "route"),
    ("  page.get_context", "magpie/content/models.py", "get_context"),
    ("  page.serve", "wagtail/models/__init__.py", "serve"),
    ("template rendering", "django/template/response.py", "rendered_content"),
    ("  StreamField blocks", "wagtail/blocks/stream_block.py", "__str__"),
    ("  {% pageurl %} / {% slugurl %}", "wagtail/templatetags/wagtailcore_tags.py", "pageurl"),
    ("  {% image %}", "wagtail/images/templatetags/wagtailimages_tags.py", "render"),
    ("  richtext expansion", "wagtail/rich_text/__init__.py", "expand_db_html"),
    ("  template loading (get_template)", "django/template/loader.py", "get_template"),
    ("  i18n: translations of a page", "wagtail/models/i18n.py", "get_translations"),
    ("  menus / page queries (get_children)", "wagtail/models/__init__.py", "get_children"),
    ("ORM: evaluating querysets (build+run+load)", "django/db/models/query.py", "_fetch_all"),
    ("  SQL execution only", "django/db/backends/utils.py", "_execute"),
    ("cache reads (local memory: unpickling)", "django/core/cache/backends/locmem.py", "get"),
]


def _per_template(client: object, path: str, requests: int) -> list[dict[str, object]]:
    """Time (exclusive) and SQL queries per template, over ``requests`` requests.

    Wraps ``Template._render`` and the database connection: a query is charged to the
    innermost template being rendered, or to ``(outside templates)`` (middleware, routing,
    the view).
    """
    from django.db import connection
    from django.template.base import Template

    outside = "(outside templates)"
    stack: list[list[object]] = []  # [name, started, time spent in children]
    spent: dict[str, float] = {}
    queries: dict[str, int] = {}
    original = Template._render

    def timed_render(self: Template, context: object) -> object:
        name = str(getattr(self.origin, "template_name", None) or self.name or "?")
        frame: list[object] = [name, time.perf_counter(), 0.0]
        stack.append(frame)
        try:
            return original(self, context)
        finally:
            stack.pop()
            inclusive = time.perf_counter() - float(frame[1])  # type: ignore[arg-type]
            spent[name] = spent.get(name, 0.0) + inclusive - float(frame[2])  # type: ignore[arg-type]
            if stack:
                stack[-1][2] = float(stack[-1][2]) + inclusive  # type: ignore[arg-type]

    def count_query(execute, sql, params, many, context):  # type: ignore[no-untyped-def]
        owner = str(stack[-1][0]) if stack else outside
        queries[owner] = queries.get(owner, 0) + 1
        return execute(sql, params, many, context)

    Template._render = timed_render  # type: ignore[method-assign]
    started = time.perf_counter()
    try:
        with connection.execute_wrapper(count_query):
            for _ in range(requests):
                client.get(path)  # type: ignore[attr-defined]
    finally:
        Template._render = original  # type: ignore[method-assign]
    total = time.perf_counter() - started
    spent[outside] = total - sum(spent.values())
    rows = [
        {
            "template": name,
            "ms_per_request": round(seconds / requests * 1000, 3),
            "queries_per_request": round(queries.get(name, 0) / requests, 1),
        }
        for name, seconds in spent.items()
    ]
    return sorted(rows, key=lambda row: row["ms_per_request"], reverse=True)  # type: ignore[arg-type, return-value]


def _profile_here(path: str, requests: int, host: str) -> dict[str, object]:
    """Run inside the site's process: Django is configured from the environment."""
    import django

    django.setup()
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    client = Client(HTTP_HOST=host)
    for _ in range(20):  # warm caches: templates, site root paths, translations
        response = client.get(path)
        if response.status_code != 200:
            raise SystemExit(f"GET {path} answered {response.status_code}")
    with CaptureQueriesContext(connection) as ctx:
        client.get(path)
    queries = [q["sql"] for q in ctx.captured_queries]

    started = time.perf_counter()
    for _ in range(requests):
        client.get(path)
    per_request_ms = (time.perf_counter() - started) / requests * 1000

    templates = _per_template(client, path, requests)

    profiler = cProfile.Profile()
    profiler.enable()
    for _ in range(requests):
        client.get(path)
    profiler.disable()
    stats = pstats.Stats(profiler)
    total = sum(tt for (_cc, _nc, tt, _ct, _callers) in stats.stats.values())  # type: ignore[attr-defined]
    steps: list[dict[str, object]] = []
    for label, suffix, func in WATCH:
        cumulative = 0.0
        calls = 0
        for (filename, _line, name), (_cc, nc, _tt, ct, _callers) in stats.stats.items():  # type: ignore[attr-defined]
            if name == func and filename.endswith(suffix):
                cumulative = max(cumulative, ct)  # recursion: the outermost frame counts
                calls += nc
        if calls:
            steps.append(
                {
                    "step": label,
                    "ms_per_request": round(cumulative / requests * 1000, 3),
                    "share": round(cumulative / total, 3) if total else 0.0,
                    "calls_per_request": round(calls / requests, 1),
                }
            )
    top = sorted(stats.stats.items(), key=lambda item: item[1][2], reverse=True)[:12]  # type: ignore[attr-defined]
    return {
        "path": path,
        "ms_per_request_in_process": round(per_request_ms, 3),
        "ms_per_request_profiled": round(total / requests * 1000, 3),
        "queries_per_request": len(queries),
        "queries": Counter(_shape(q) for q in queries).most_common(),
        "steps": steps,
        "templates": templates,
        "top_self_time": [
            {
                "function": f"{Path(fn).name}:{line} {name}",
                "ms_per_request": round(tt / requests * 1000, 3),
            }
            for (fn, line, name), (_cc, _nc, tt, _ct, _callers) in top
        ],
    }


def _shape(sql: str) -> str:
    """A query with literals replaced, so repeats group together."""
    sql = re.sub(r"'[^']*'", "?", sql)
    sql = re.sub(r"\b\d+\b", "N", sql)
    return sql if len(sql) < 220 else sql[:217] + "..."


def _child_env(workdir: Path, site: str) -> tuple[dict[str, str], Path, str]:
    env = dict(os.environ)
    env.update(
        SECRET_KEY=secrets.token_urlsafe(48),
        ALLOWED_HOSTS="127.0.0.1",
        SECURE_SSL_REDIRECT="0",
        DEBUG="0",
    )
    for name in ("DATABASE_URL", "CACHE_URL", "SEARCH_URL", "MAGPIE_PLUGINS"):
        env.pop(name, None)
    targets = json.loads((workdir / "targets.json").read_text(encoding="utf-8"))
    if site == "magpie":
        env.update(
            MAGPIE_HOME=str(workdir / "magpie"), DJANGO_SETTINGS_MODULE="magpie.settings.production"
        )
        return env, workdir / "magpie", str(targets["magpie"])
    env["DJANGO_SETTINGS_MODULE"] = "vanillasite.settings.production"
    env["PYTHONPATH"] = str(workdir / "vanilla")
    return env, workdir / "vanilla", str(targets["vanilla"])


def _print_report(site: str, data: dict[str, object]) -> None:
    print(f"\n=== {site}: GET {data['path']}")
    print(
        f"in-process: {data['ms_per_request_in_process']} ms/request "
        f"(under cProfile {data['ms_per_request_profiled']} ms); "
        f"{data['queries_per_request']} SQL queries/request"
    )
    for shape, count in data["queries"]:  # type: ignore[attr-defined]
        print(f"  {count}x {shape}")
    print(f"  {'step':46}{'ms/req':>9}{'share':>8}{'calls':>7}")
    for step in data["steps"]:  # type: ignore[attr-defined]
        print(
            f"  {step['step']:46}{step['ms_per_request']:>9.3f}{step['share']:>8.1%}"
            f"{step['calls_per_request']:>7}"
        )
    print(f"  {'template (exclusive time, queries charged to it)':62}{'ms/req':>9}{'queries':>8}")
    for row in data["templates"]:  # type: ignore[attr-defined]
        print(f"  {row['template']:62}{row['ms_per_request']:>9.3f}{row['queries_per_request']:>8}")
    print("  top self time:")
    for row in data["top_self_time"]:  # type: ignore[attr-defined]
        print(f"    {row['ms_per_request']:>7.3f} ms  {row['function']}")


def main(argv: list[str] | None = None) -> int:
    """Profile both sites of a kept ``pages`` run (or one site, inside its own process)."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("workdir", type=Path, help="directory kept by bench/run.py --keep")
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--site", choices=["magpie", "vanilla"], help=argparse.SUPPRESS)
    parser.add_argument("--path", help=argparse.SUPPRESS)
    parser.add_argument("--json", type=Path, help="also write the figures to this file")
    args = parser.parse_args(argv)
    if args.site:  # child: Django is configured by the environment the parent set
        data = _profile_here(args.path, args.requests, "127.0.0.1")
        print("PROFILE_JSON " + json.dumps(data))
        return 0
    report: dict[str, object] = {}
    for site in ("magpie", "vanilla"):
        env, cwd, path = _child_env(args.workdir, site)
        cmd = [sys.executable, __file__, str(args.workdir), "--site", site, "--path", path]
        out = subprocess.run(
            [*cmd, "--requests", str(args.requests)],
            env=env,
            cwd=cwd,
            capture_output=True,
            text=True,
            timeout=600,
            check=False,
        )
        line = next((ln for ln in out.stdout.splitlines() if ln.startswith("PROFILE_JSON ")), "")
        if out.returncode or not line:
            print(f"{site}: profiling failed:\n{out.stdout[-3000:]}\n{out.stderr[-3000:]}")
            return 2
        report[site] = json.loads(line.removeprefix("PROFILE_JSON "))
        _print_report(site, report[site])  # type: ignore[arg-type]
    if args.json:
        args.json.write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
