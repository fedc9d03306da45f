"""Steps of ``bench/journey.py``, each run in its own process against one database.

``python bench/_journey_steps.py STEP WORKDIR`` with ``DATABASE_URL`` set; prints one JSON
line ``RESULT={...}`` with the step's figures and the process's peak resident memory.

* ``setup``: ``load_demo`` (the Alpenwerk site), ``JourneySettings`` of the landing page's
  site set to ``opt_in``, then the contacts and visitors the ingest step records for (a
  first share of the visitors linked to a contact each); ``setup.json``.
* ``ingest``: touchpoints through the journey API (``record(type, site=…, visitor=…,
  contact=…, data=…, path=…)``, autocommit, one call per touchpoint) against the baseline
  of plain ``Touchpoint.objects.create`` with the same fields and ``bulk_create`` batches;
  the three interleaved in rounds; then the SQL of a few calls per type, captured.
* ``pageview``: the landing page through Django's test client with the page cache on, for
  (a) a visitor without consent, (b) a returning visitor with consent, (c) a first visit with
  consent; warm-up, then measured requests, the three interleaved; then the SQL per request.
"""

from __future__ import annotations

import gc
import json
import os
import resource
import statistics
import sys
import time
from collections import Counter, defaultdict
from pathlib import Path
from typing import Any

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "magpie.settings.dev")
os.environ.setdefault("DEBUG", "0")  # DEBUG keeps every query in memory
# The page cache stays on (the default): the normal case for anonymous visitors.

import django  # noqa: E402

django.setup()

from django.db import connection, transaction  # noqa: E402

TOUCHPOINTS = int(os.environ.get("BENCH_JOURNEY_TOUCHPOINTS", "50000"))  # through record()
ROUNDS = int(os.environ.get("BENCH_JOURNEY_ROUNDS", "5"))
VISITORS = int(os.environ.get("BENCH_JOURNEY_VISITORS", "5000"))
CONTACTS = int(os.environ.get("BENCH_JOURNEY_CONTACTS", "1000"))
BATCH = 1000  # bulk_create batch size (second reference)
PAGE_REQUESTS = int(os.environ.get("BENCH_JOURNEY_PAGE_REQUESTS", "1000"))  # per scenario
PAGE_WARMUP = int(os.environ.get("BENCH_JOURNEY_PAGE_WARMUP", "250"))  # per scenario
RETURNING_POOL = 200  # existing visitors of scenario (b), all seen during the warm-up
PROFILED = 20  # calls per type / requests per scenario with their SQL captured (untimed)
#: The API mix, one cycle of 20 calls: mostly page views, like a real site.
MIX = (["page_view"] * 12 + ["search"] * 3 + ["download"] * 2 + ["cta_click"] * 2) + [
    "form_submission"
]
USER_AGENT = "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0"  # not a bot


def peak_mb() -> float:
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)


def _percentile(values: list[float], pct: float) -> float:
    """Nearest rank, as ``benchlib.load`` does."""
    ordered = sorted(values)
    rank = max(int(-(-pct * len(ordered) // 100)), 1)
    return ordered[rank - 1]


def _setup_info(work: Path) -> dict[str, Any]:
    return json.loads((work / "setup.json").read_text(encoding="utf-8"))


# -- setup ------------------------------------------------------------------------------------


def setup(work: Path) -> dict[str, object]:
    """The demo site, opt-in tracking on its site, contacts and visitors."""
    from django.core.management import call_command
    from wagtail.models import Site

    from magpie.content.models import LandingPage
    from magpie.journey.models import JourneySettings, Visitor
    from magpie.people.models import Contact

    started = time.perf_counter()
    call_command("load_demo", "--no-plugins", verbosity=0)
    demo_s = time.perf_counter() - started
    pages = LandingPage.objects.live().public().order_by("path")
    page = pages.filter(locale__language_code="de").first() or pages.first()
    if page is None:
        raise SystemExit("load_demo made no live landing page")
    site_id, _root_url, path = page.get_url_parts()
    site = Site.objects.get(pk=site_id)
    JourneySettings.objects.update_or_create(site=site, defaults={"consent_mode": "opt_in"})
    with transaction.atomic():
        contacts = Contact.objects.bulk_create(
            Contact(site=site, email=f"kontakt{i}@example.ch", first_name=f"K{i}")
            for i in range(CONTACTS)
        )
        visitors = Visitor.objects.bulk_create(
            Visitor(site=site, contact=contacts[i] if i < CONTACTS // 2 else None)
            for i in range(VISITORS)
        )
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE")
    host = site.hostname if site.port in (80, 443) else f"{site.hostname}:{site.port}"
    result = {
        "site": site.pk,
        "host": host,
        "path": path,
        "page_title": page.title,
        "contacts": len(contacts),
        "visitors": len(visitors),
        "visitors_with_contact": CONTACTS // 2,
        "load_demo_seconds": round(demo_s, 1),
        "seconds": round(time.perf_counter() - started, 1),
    }
    return result


# -- ingest -----------------------------------------------------------------------------------


def _plan(count: int, offset: int, visitors: list[tuple[Any, int | None]]) -> list[tuple]:
    """``count`` touchpoints: (type, visitor id, contact id, path, data), deterministic."""
    plan = []
    for n in range(offset, offset + count):
        kind = MIX[n % len(MIX)]
        vid, contact_id = visitors[(n * 7) % len(visitors)]
        data: dict[str, Any] = {"n": n}
        if kind == "search":
            data = {"q": f"getriebemotor {n % 97}", "results": n % 40}
        elif kind == "download":
            data = {"document": n % 30, "title": "Datenblatt Lineartechnik"}
        elif kind == "cta_click":
            data = {"label": "Offerte anfordern"}
        elif kind == "form_submission":
            data = {"form": "kontakt", "fields": 5}
        plan.append((kind, vid, contact_id, f"/de/seite-{n % 50}/", data))
    return plan


def ingest(work: Path) -> dict[str, object]:
    """``record()`` against ``objects.create`` and ``bulk_create``, interleaved in rounds."""
    from django.test.utils import CaptureQueriesContext
    from django.utils import timezone

    from magpie.events.models import Event
    from magpie.journey.models import Touchpoint, Visitor
    from magpie.journey.recording import known_types, record
    from magpie.people.models import Contact

    info = _setup_info(work)
    site_id = info["site"]
    contacts = {c.pk: c for c in Contact.objects.filter(site_id=site_id)}
    visitors = list(Visitor.objects.filter(site_id=site_id).values_list("pk", "contact_id"))
    known_types()  # asked once per process: not part of the figures
    per_round = TOUCHPOINTS // ROUNDS

    def via_record(plan: list[tuple]) -> dict[str, float]:
        by_type: dict[str, float] = defaultdict(float)
        for kind, vid, contact_id, path, data in plan:
            began = time.perf_counter()
            record(
                kind,
                site=site_id,
                visitor=vid,
                contact=contacts[contact_id] if contact_id else None,
                data=data,
                path=path,
            )
            by_type[kind] += time.perf_counter() - began
        return by_type

    def via_create(plan: list[tuple]) -> None:
        for kind, vid, contact_id, path, data in plan:
            Touchpoint.objects.create(
                site_id=site_id,
                visitor_id=vid,
                contact=contacts[contact_id] if contact_id else None,
                type=kind,
                occurred_at=timezone.now(),
                path=path,
                data=data,
            )

    def via_bulk(plan: list[tuple]) -> None:
        for start in range(0, len(plan), BATCH):
            Touchpoint.objects.bulk_create(
                Touchpoint(
                    site_id=site_id,
                    visitor_id=vid,
                    contact=contacts[contact_id] if contact_id else None,
                    type=kind,
                    occurred_at=timezone.now(),
                    path=path,
                    data=data,
                )
                for kind, vid, contact_id, path, data in plan[start : start + BATCH]
            )

    # warm-up: a few hundred of each, not counted
    warm = _plan(400, 10**7, visitors)
    via_record(warm)
    via_create(warm)
    via_bulk(warm)
    events_before = Event.objects.count()
    seconds: dict[str, float] = {"record": 0.0, "create": 0.0, "bulk_create": 0.0}
    rounds: dict[str, list[float]] = {name: [] for name in seconds}
    type_seconds: dict[str, float] = defaultdict(float)
    type_counts: Counter[str] = Counter()
    gc.collect()
    for r in range(ROUNDS):
        plan = _plan(per_round, r * per_round, visitors)
        type_counts.update(kind for kind, *_rest in plan)
        # the order rotates, so none of the three always runs first after a checkpoint
        for name in list(seconds)[r % 3 :] + list(seconds)[: r % 3]:
            began = time.perf_counter()
            if name == "record":
                for kind, spent in via_record(plan).items():
                    type_seconds[kind] += spent
            elif name == "create":
                via_create(plan)
            else:
                via_bulk(plan)
            spent = time.perf_counter() - began
            seconds[name] += spent
            rounds[name].append(round(per_round / spent))
    events = Event.objects.count() - events_before
    total = per_round * ROUNDS
    rates = {name: round(total / spent) for name, spent in seconds.items()}

    # untimed: the SQL of PROFILED calls per type, through record() and through create()
    sql: dict[str, object] = {}
    profile_plan = _plan(len(MIX) * PROFILED, 2 * 10**7, visitors)
    for kind in dict.fromkeys(MIX):
        items = [p for p in profile_plan if p[0] == kind][:PROFILED]
        with CaptureQueriesContext(connection) as captured:
            via_record(items)
        statements = Counter(_shape(q["sql"]) for q in captured.captured_queries)
        sql[kind] = {
            "queries_per_call": round(len(captured.captured_queries) / len(items), 2),
            "statements": {k: round(v / len(items), 2) for k, v in statements.most_common()},
        }
    with CaptureQueriesContext(connection) as captured:
        via_create(profile_plan[:PROFILED])
    create_queries = round(len(captured.captured_queries) / PROFILED, 2)

    table = Touchpoint._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT count(*), pg_total_relation_size('{table}') FROM {table}")
        rows, size = cursor.fetchone()
    return {
        "touchpoints_per_method": total,
        "rounds": ROUNDS,
        "mix": dict(Counter(MIX)),
        "rates_per_s": rates,
        "round_rates_per_s": rounds,
        "seconds": {k: round(v, 2) for k, v in seconds.items()},
        "ratio_record_to_create": round(rates["record"] / rates["create"], 2),
        "ratio_record_to_bulk_create": round(rates["record"] / rates["bulk_create"], 3),
        "record_us_per_call_by_type": {
            kind: round(1e6 * type_seconds[kind] / type_counts[kind]) for kind in type_counts
        },
        "create_us_per_call": round(1e6 * seconds["create"] / total),
        "events_emitted": events,
        "sql": sql,
        "create_queries_per_call": create_queries,
        "touchpoint_rows": rows,
        "touchpoint_table_mb": round(size / 2**20, 1),
        "visitors": len(visitors),
        "contacts": len(contacts),
    }


def parallel(work: Path) -> dict[str, object]:
    """One of several processes calling ``record()`` (or ``objects.create``) at once.

    ``BENCH_JOURNEY_WORKER`` (index), ``BENCH_JOURNEY_METHOD`` (``record`` or ``create``),
    ``BENCH_JOURNEY_START_AT`` (epoch seconds: all workers start together, after setup).
    """
    from django.utils import timezone

    from magpie.journey.models import Touchpoint, Visitor
    from magpie.journey.recording import known_types, record
    from magpie.people.models import Contact

    info = _setup_info(work)
    site_id = info["site"]
    worker = int(os.environ["BENCH_JOURNEY_WORKER"])
    method = os.environ["BENCH_JOURNEY_METHOD"]
    count = int(os.environ["BENCH_JOURNEY_PARALLEL_EACH"])
    contacts = {c.pk: c for c in Contact.objects.filter(site_id=site_id)}
    visitors = list(Visitor.objects.filter(site_id=site_id).values_list("pk", "contact_id"))
    known_types()
    plan = _plan(count, (3 + worker) * 10**7 + (count if method == "create" else 0), visitors)
    connection.ensure_connection()
    time.sleep(max(float(os.environ["BENCH_JOURNEY_START_AT"]) - time.time(), 0))
    began = time.time()
    for kind, vid, contact_id, path, data in plan:
        contact = contacts[contact_id] if contact_id else None
        if method == "record":
            record(kind, site=site_id, visitor=vid, contact=contact, data=data, path=path)
        else:
            Touchpoint.objects.create(
                site_id=site_id,
                visitor_id=vid,
                contact=contact,
                type=kind,
                occurred_at=timezone.now(),
                path=path,
                data=data,
            )
    return {
        "worker": worker,
        "method": method,
        "count": count,
        "began": began,
        "ended": time.time(),
    }


def _shape(sql: str) -> str:
    """A statement reduced to its verb and table, for counting."""
    words = sql.replace('"', "").split()
    verb = words[0].upper() if words else "?"
    table = "?"
    for marker in ("INTO", "FROM", "UPDATE"):
        if marker in words:
            at = words.index(marker)
            if at + 1 < len(words):
                table = words[at + 1]
                break
    if verb in ("SAVEPOINT", "RELEASE", "ROLLBACK"):
        table = ""
    return f"{verb} {table}".strip()


# -- page views -------------------------------------------------------------------------------


def pageview(work: Path) -> dict[str, object]:
    """(a) no consent, (b) returning visitor with consent, (c) first visit with consent."""
    from http.cookies import SimpleCookie

    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from magpie.journey import consent
    from magpie.journey.models import Touchpoint, Visitor

    info = _setup_info(work)
    site_id, url = info["site"], info["path"]
    client = Client(HTTP_HOST=info["host"], HTTP_USER_AGENT=USER_AGENT)
    pool = [
        str(v)
        for v in Visitor.objects.filter(site_id=site_id)
        .order_by("first_seen", "pk")
        .values_list("pk", flat=True)[:RETURNING_POOL]
    ]
    counter = {"b": 0}

    def cookies(scenario: str) -> dict[str, str]:
        if scenario == "a":
            return {}
        if scenario == "b":
            counter["b"] += 1
            vid = pool[counter["b"] % len(pool)]
            return {consent.CONSENT_COOKIE: consent.ACCEPTED, consent.VISITOR_COOKIE: vid}
        return {consent.CONSENT_COOKIE: consent.ACCEPTED}

    checks = {"status": Counter(), "cache": Counter(), "set_cookie": Counter()}

    def get(scenario: str) -> float:
        client.cookies = SimpleCookie(cookies(scenario))
        began = time.perf_counter()
        response = client.get(url)
        elapsed = (time.perf_counter() - began) * 1000
        if response.status_code != 200:
            raise SystemExit(f"GET {url} answered {response.status_code} ({scenario})")
        checks["status"][scenario] += 1
        checks["cache"][f"{scenario}:{response.get('X-Magpie-Cache', 'none')}"] += 1
        if consent.VISITOR_COOKIE in response.cookies:
            checks["set_cookie"][scenario] += 1
        return elapsed

    scenarios = ("a", "b", "c")
    for _ in range(max(PAGE_WARMUP, len(pool))):  # every returning visitor seen once
        for scenario in scenarios:
            get(scenario)
    checks = {"status": Counter(), "cache": Counter(), "set_cookie": Counter()}
    touchpoints_before = Touchpoint.objects.count()
    visitors_before = Visitor.objects.count()
    timings: dict[str, list[float]] = {s: [] for s in scenarios}
    gc.collect()
    for i in range(PAGE_REQUESTS):
        order = scenarios[i % 3 :] + scenarios[: i % 3]
        for scenario in order:
            timings[scenario].append(get(scenario))
    recorded = Touchpoint.objects.count() - touchpoints_before
    new_visitors = Visitor.objects.count() - visitors_before

    def summary(values: list[float]) -> dict[str, object]:
        return {
            "requests": len(values),
            "p50_ms": round(_percentile(values, 50), 3),
            "p95_ms": round(_percentile(values, 95), 3),
            "p99_ms": round(_percentile(values, 99), 3),
            "mean_ms": round(statistics.fmean(values), 3),
            "max_ms": round(max(values), 1),
            "p95_halves_ms": [
                round(_percentile(half, 95), 3)
                for half in (values[: len(values) // 2], values[len(values) // 2 :])
            ],
        }

    results = {s: summary(timings[s]) for s in scenarios}
    measured_checks = {k: dict(v) for k, v in checks.items()}

    sql: dict[str, object] = {}
    for scenario in scenarios:
        numbers, shapes = [], Counter()
        for _ in range(PROFILED):
            with CaptureQueriesContext(connection) as captured:
                get(scenario)
            numbers.append(len(captured.captured_queries))
            shapes.update(_shape(q["sql"]) for q in captured.captured_queries)
        sql[scenario] = {
            "queries_per_request": round(statistics.fmean(numbers), 2),
            "statements": {k: round(v / PROFILED, 2) for k, v in shapes.most_common()},
        }
    return {
        "url": url,
        "host": info["host"],
        "scenarios": results,
        "added_p95_ms": round(results["b"]["p95_ms"] - results["a"]["p95_ms"], 3),
        "added_p50_ms": round(results["b"]["p50_ms"] - results["a"]["p50_ms"], 3),
        "added_mean_ms": round(results["b"]["mean_ms"] - results["a"]["mean_ms"], 3),
        "first_visit_added_p95_ms": round(results["c"]["p95_ms"] - results["a"]["p95_ms"], 3),
        "first_visit_added_p50_ms": round(results["c"]["p50_ms"] - results["a"]["p50_ms"], 3),
        "touchpoints_recorded": recorded,
        "visitors_created": new_visitors,
        "checks": measured_checks,
        "sql": sql,
        "warmup_per_scenario": max(PAGE_WARMUP, len(pool)),
        "cache": _cache_description(),
        "returning_pool": len(pool),
    }


def _cache_description() -> str:
    from django.conf import settings

    config = settings.CACHES["default"]
    options = config.get("OPTIONS") or {}
    return f"{config['BACKEND'].rsplit('.', 1)[-1]} {options or '(defaults)'}"


STEPS = {"setup": setup, "ingest": ingest, "pageview": pageview, "parallel": parallel}

if __name__ == "__main__":
    step, workdir = sys.argv[1], Path(sys.argv[2])
    result = STEPS[step](workdir)
    result["peak_mb"] = peak_mb()
    if step == "setup":
        (workdir / "setup.json").write_text(json.dumps(result))
    print("RESULT=" + json.dumps(result), flush=True)
