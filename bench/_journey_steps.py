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

import functools
import gc
import json
import os
import resource
import statistics
import sys
import time
from collections import Counter, defaultdict
from datetime import datetime
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
#: Batch sizes of record_many() measured.
MANY_SIZES = tuple(
    int(x) for x in os.environ.get("BENCH_JOURNEY_MANY_SIZES", "100,1000").split(",") if x
)
PAGE_REQUESTS = int(os.environ.get("BENCH_JOURNEY_PAGE_REQUESTS", "1000"))  # per scenario
PAGE_WARMUP = int(os.environ.get("BENCH_JOURNEY_PAGE_WARMUP", "250"))  # per scenario
RETURNING_POOL = 200  # existing visitors of scenario (b), all seen during the warm-up
PROFILED = 20  # calls per type / requests per scenario with their SQL captured (untimed)
#: The API mix, one cycle of 20 calls: mostly page views, like a real site.
MIX = (["page_view"] * 12 + ["search"] * 3 + ["download"] * 2 + ["cta_click"] * 2) + [
    "form_submission"
]
HTTP_THREADS = int(os.environ.get("BENCH_JOURNEY_HTTP_THREADS", "4"))  # clients at once
HTTP_SECONDS = float(os.environ.get("BENCH_JOURNEY_HTTP_SECONDS", "8"))  # per slice
HTTP_SLICES = int(os.environ.get("BENCH_JOURNEY_HTTP_SLICES", "3"))  # per scenario
HTTP_WARMUP = float(os.environ.get("BENCH_JOURNEY_HTTP_WARMUP", "3"))  # seconds per scenario
HTTP_BATCH = int(os.environ.get("BENCH_JOURNEY_HTTP_BATCH", "10"))  # events per POST
GEN_COMPANIES = int(os.environ.get("BENCH_JOURNEY_GEN_COMPANIES", "100000"))
GEN_CONTACTS = int(os.environ.get("BENCH_JOURNEY_GEN_CONTACTS", "1000000"))
GEN_TOUCHPOINTS = int(os.environ.get("BENCH_JOURNEY_GEN_TOUCHPOINTS", "10000000"))
GEN_HOT = int(os.environ.get("BENCH_JOURNEY_GEN_HOT", "10"))  # hot contacts
GEN_HOT_EACH = int(os.environ.get("BENCH_JOURNEY_GEN_HOT_EACH", "10000"))  # their touchpoints
TIMELINE_RUNS = int(os.environ.get("BENCH_JOURNEY_TIMELINE_RUNS", "40"))  # per case
TIMELINE_DEPTH = 2000  # rows down the hot timelines for the deep page's cursor
SEGMENT_RUNS = int(os.environ.get("BENCH_JOURNEY_SEGMENT_RUNS", "7"))  # per segment
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
    # the returning visitors of the HTTP step: linked to no contact, so nothing stitches
    (work / "visitors.json").write_text(
        json.dumps([str(v.pk) for v in visitors[CONTACTS // 2 :][:RETURNING_POOL]])
    )
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
    from magpie.journey.recording import known_types, record, record_many
    from magpie.people.models import Contact

    info = _setup_info(work)
    site_id = info["site"]
    contacts = {c.pk: c for c in Contact.objects.filter(site_id=site_id)}
    visitors = list(Visitor.objects.filter(site_id=site_id).values_list("pk", "contact_id"))
    known_types()  # asked once per process: not part of the figures
    per_round = TOUCHPOINTS // ROUNDS
    # record_many() takes the site once for the whole batch
    record_many = functools.partial(record_many, site=site_id)

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

    def via_many(plan: list[tuple], size: int) -> None:
        for start in range(0, len(plan), size):
            record_many(
                {
                    "type": kind,
                    "visitor": vid,
                    "contact": contacts[contact_id] if contact_id else None,
                    "data": data,
                    "path": path,
                }
                for kind, vid, contact_id, path, data in plan[start : start + size]
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
    for size in MANY_SIZES:
        via_many(warm, size)
    via_create(warm)
    via_bulk(warm)
    events_before = Event.objects.count()
    seconds: dict[str, float] = {
        "record": 0.0,
        **{f"record_many_{size}": 0.0 for size in MANY_SIZES},
        "create": 0.0,
        "bulk_create": 0.0,
    }
    rounds: dict[str, list[float]] = {name: [] for name in seconds}
    type_seconds: dict[str, float] = defaultdict(float)
    type_counts: Counter[str] = Counter()
    gc.collect()
    for r in range(ROUNDS):
        plan = _plan(per_round, r * per_round, visitors)
        type_counts.update(kind for kind, *_rest in plan)
        # the order rotates, so no method always runs first after a checkpoint
        names = list(seconds)
        for name in names[r % len(names) :] + names[: r % len(names)]:
            began = time.perf_counter()
            if name == "record":
                for kind, spent in via_record(plan).items():
                    type_seconds[kind] += spent
            elif name.startswith("record_many_"):
                via_many(plan, int(name.rsplit("_", 1)[1]))
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
    with CaptureQueriesContext(connection) as captured:
        via_many(profile_plan[:100], 100)
    many_sql = dict(Counter(_shape(q["sql"]) for q in captured.captured_queries).most_common())

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
        "ratio_record_many_to_bulk_create": {
            size: round(rates[f"record_many_{size}"] / rates["bulk_create"], 3)
            for size in MANY_SIZES
        },
        "many_sizes": list(MANY_SIZES),
        "record_us_per_call_by_type": {
            kind: round(1e6 * type_seconds[kind] / type_counts[kind]) for kind in type_counts
        },
        "create_us_per_call": round(1e6 * seconds["create"] / total),
        "events_emitted": events,
        "sql": sql,
        "create_queries_per_call": create_queries,
        "record_many_100_statements": many_sql,
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


# -- HTTP under load --------------------------------------------------------------------------

HTTP_SCENARIOS = ("page_plain", "page_tracked", "events")


def http(work: Path) -> dict[str, object]:
    """Load a running gunicorn (``BENCH_JOURNEY_HTTP_BASE``, e.g. ``http://127.0.0.1:8123``)
    with ``HTTP_THREADS`` clients (http.client, one connection per request, as gunicorn's
    sync workers close it): (page_plain) the landing page without consent, nothing recorded,
    the baseline; (page_tracked) the same page with consent and a returning visitor's cookie,
    a page view recorded; (events) ``POST /journey/events/`` with a batch of ``HTTP_BATCH``
    client events. Slices of ``HTTP_SECONDS`` interleaved, ``HTTP_SLICES`` per scenario."""
    import http.client
    import threading
    from urllib.parse import urlsplit

    from magpie.journey import consent
    from magpie.journey.models import Touchpoint

    info = _setup_info(work)
    base = urlsplit(os.environ["BENCH_JOURNEY_HTTP_BASE"])
    pool = json.loads((work / "visitors.json").read_text(encoding="utf-8"))
    host, path = info["host"], info["path"]
    batch = json.dumps(
        {
            "events": [
                {
                    "type": "cta_click" if n % 3 else "download",
                    "path": f"{path}?utm_source=newsletter&utm_medium=email",
                    "referrer": "",
                    "data": {"label": "Offerte anfordern", "n": n},
                }
                for n in range(HTTP_BATCH)
            ]
        }
    ).encode()

    def request(scenario: str, n: int) -> tuple[str, str, bytes | None, dict[str, str]]:
        headers = {"Host": host, "User-Agent": USER_AGENT, "Accept": "text/html"}
        if scenario == "page_plain":
            return "GET", path, None, headers
        vid = pool[n % len(pool)]
        headers["Cookie"] = (
            f"{consent.CONSENT_COOKIE}={consent.ACCEPTED}; {consent.VISITOR_COOKIE}={vid}"
        )
        if scenario == "page_tracked":
            return "GET", path, None, headers
        headers.update(
            {
                "Origin": f"http://{host}",
                "Content-Type": "application/json",
                "Content-Length": str(len(batch)),
            }
        )
        return "POST", "/journey/events/", batch, headers

    def run(scenario: str, seconds: float) -> dict[str, Any]:
        latencies: list[float] = []
        statuses: Counter[int] = Counter()
        errors = [0]
        lock = threading.Lock()
        stop_at = time.monotonic() + seconds

        def client(index: int) -> None:
            n = index * 7919
            mine: list[float] = []
            codes: Counter[int] = Counter()
            while time.monotonic() < stop_at:
                n += 1
                method, target, body, headers = request(scenario, n)
                began = time.perf_counter()
                try:
                    conn = http.client.HTTPConnection(base.hostname, base.port, timeout=30)
                    conn.request(method, target, body=body, headers=headers)
                    response = conn.getresponse()
                    response.read()
                    conn.close()
                except OSError:
                    with lock:
                        errors[0] += 1
                    continue
                if time.monotonic() > stop_at:
                    break
                mine.append(time.perf_counter() - began)
                codes[response.status] += 1
            with lock:
                latencies.extend(mine)
                statuses.update(codes)

        threads = [threading.Thread(target=client, args=(i,)) for i in range(HTTP_THREADS)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        return {"latencies": latencies, "statuses": statuses, "errors": errors[0]}

    expected = {"page_plain": 200, "page_tracked": 200, "events": 204}
    for scenario in HTTP_SCENARIOS:  # warm-up: every worker, every visitor seen
        warm = run(scenario, HTTP_WARMUP)
        if set(warm["statuses"]) != {expected[scenario]}:
            raise SystemExit(f"{scenario}: warm-up answered {dict(warm['statuses'])}")
    merged = {
        s: {"latencies": [], "statuses": Counter(), "errors": 0, "seconds": 0.0}
        for s in HTTP_SCENARIOS
    }
    recorded: dict[str, int] = Counter()
    for n in range(HTTP_SLICES):
        order = HTTP_SCENARIOS[n % 3 :] + HTTP_SCENARIOS[: n % 3]
        for scenario in order:
            before = Touchpoint.objects.count()
            began = time.monotonic()
            result = run(scenario, HTTP_SECONDS)
            merged[scenario]["seconds"] += time.monotonic() - began
            recorded[scenario] += Touchpoint.objects.count() - before
            merged[scenario]["latencies"].extend(result["latencies"])
            merged[scenario]["statuses"].update(result["statuses"])
            merged[scenario]["errors"] += result["errors"]
    figures = {}
    for scenario, m in merged.items():
        values = [1000 * x for x in m["latencies"]]
        seconds = m["seconds"]
        figures[scenario] = {
            "requests": len(values),
            "requests_per_s": round(len(values) / seconds, 1),
            "touchpoints": recorded[scenario],
            "touchpoints_per_s": round(recorded[scenario] / seconds, 1),
            "p50_ms": round(_percentile(values, 50), 2),
            "p95_ms": round(_percentile(values, 95), 2),
            "p99_ms": round(_percentile(values, 99), 2),
            "statuses": {str(k): v for k, v in m["statuses"].items()},
            "errors": m["errors"],
            "seconds": round(seconds, 1),
        }
    return {
        "threads": HTTP_THREADS,
        "batch": HTTP_BATCH,
        "slices": HTTP_SLICES,
        "slice_seconds": HTTP_SECONDS,
        "scenarios": figures,
        "tracked_added_p95_ms": round(
            figures["page_tracked"]["p95_ms"] - figures["page_plain"]["p95_ms"], 2
        ),
        "tracked_added_p50_ms": round(
            figures["page_tracked"]["p50_ms"] - figures["page_plain"]["p50_ms"], 2
        ),
    }


# -- a generated dataset: timelines and segments ---------------------------------------------

#: Touchpoint types of the generated dataset, with their share (cumulative thresholds).
GEN_TYPES = (
    ("page_view", 0.68),
    ("search", 0.76),
    ("download", 0.81),
    ("cta_click", 0.86),
    ("email_open", 0.90),
    ("email_click", 0.93),
    ("form_submission", 0.96),
    ("login", 0.98),
    ("order_placed", 1.0),
)
GEN_CHANNELS = ("direct", "organic_search", "paid", "social", "email", "referral", "internal")


def _weighted(thresholds: tuple[tuple[str, float], ...], draw: str = "random() + 0 * g") -> str:
    """A SQL CASE picking a value by one uniform draw against cumulative thresholds (the
    draw refers to the row's ``g``, so PostgreSQL draws per row, not once per statement)."""
    arms = " ".join(f"WHEN r < {limit} THEN '{value}'" for value, limit in thresholds[:-1])
    return f"(SELECT CASE {arms} ELSE '{thresholds[-1][0]}' END FROM (SELECT {draw} AS r) d)"


def _insert_select(model: Any, expressions: dict[str, str], source: str) -> str:
    """``INSERT INTO <model> (every column) SELECT …``: the given SQL expressions, every other
    column its model default (so columns another migration adds need no change here)."""
    from django.db.models import AutoField, BigAutoField, DateTimeField, JSONField

    columns, values = [], []
    for field in model._meta.concrete_fields:
        if isinstance(field, AutoField | BigAutoField):
            continue
        columns.append(connection.ops.quote_name(field.column))
        if field.column in expressions:
            values.append(expressions[field.column])
            continue
        if isinstance(field, DateTimeField) and (field.auto_now or field.auto_now_add):
            values.append("now()")
            continue
        default = field.get_default() if field.has_default() else (None if field.null else "")
        if isinstance(field, JSONField):
            values.append(f"'{json.dumps(default)}'::jsonb")
        elif default is None:
            values.append("NULL")
        elif isinstance(default, bool):
            values.append("true" if default else "false")
        elif isinstance(default, int | float):
            values.append(str(default))
        else:
            values.append("'" + str(default).replace("'", "''") + "'")
    table = connection.ops.quote_name(model._meta.db_table)
    return f"INSERT INTO {table} ({', '.join(columns)}) SELECT {', '.join(values)} FROM {source}"


def generate(work: Path) -> dict[str, object]:
    """``GEN_COMPANIES`` companies, ``GEN_CONTACTS`` contacts, ``GEN_TOUCHPOINTS``
    touchpoints over a year in SQL (``INSERT … SELECT generate_series``): ``GEN_HOT`` hot
    contacts (all of one company) with ``GEN_HOT_EACH`` touchpoints each, the rest spread
    at random (a handful per contact; a fifth anonymous); then indexes and ANALYZE."""
    from magpie.journey.models import Touchpoint
    from magpie.people.models import Company, Contact

    info = _setup_info(work)
    site_id = int(info["site"])
    started = time.perf_counter()
    timings: dict[str, float] = {}
    hot_total = GEN_HOT * GEN_HOT_EACH
    with connection.cursor() as cursor:
        cursor.execute("SET session_replication_role = replica")  # no FK triggers while loading
        began = time.perf_counter()
        cursor.execute(
            _insert_select(
                Company,
                {
                    "name": "'Firma ' || g",
                    "domains": "jsonb_build_array('firma' || g || '.ch')",
                    "country": "'CH'",
                    "size": _weighted(
                        (("1-9", 0.5), ("10-49", 0.8), ("50-249", 0.95), ("250+", 1))
                    ),
                },
                f"generate_series(1, {GEN_COMPANIES}) AS g",
            )
        )
        cursor.execute(f"SELECT min(id), max(id) FROM {Company._meta.db_table}")
        first_company, last_company = cursor.fetchone()
        companies = last_company - first_company + 1
        timings["companies_s"] = round(time.perf_counter() - began, 1)

        began = time.perf_counter()
        stage = _weighted(
            (
                ("subscriber", 0.45),
                ("lead", 0.75),
                ("mql", 0.87),
                ("sql", 0.94),
                ("opportunity", 0.97),
                ("customer", 1.0),
            )
        )
        channel = _weighted(
            tuple((c, (i + 1) / len(GEN_CHANNELS)) for i, c in enumerate(GEN_CHANNELS))
        )
        cursor.execute(f"SELECT coalesce(max(id), 0) FROM {Contact._meta.db_table}")
        (before_contacts,) = cursor.fetchone()
        cursor.execute(
            _insert_select(
                Contact,
                {
                    "site_id": str(site_id),
                    "email": "'gen' || g || '@example.ch'",
                    "first_name": "'Vorname' || (g % 997)",
                    "last_name": "'Nachname' || (g % 1999)",
                    "locale": "'de'",
                    "company_id": (
                        f"CASE WHEN g <= {GEN_HOT} THEN {first_company} "
                        f"WHEN g % 10 < 7 THEN {first_company + 1} "
                        f"+ (g::bigint * 7919) % {companies - 1} "
                        "END"
                    ),
                    "stage": stage,
                    "engagement_score": "floor(100 * power(random(), 2))::int",
                    "fit_score": "floor(100 * random())::int",
                    "source": channel,
                    "created_at": "now() - random() * interval '365 days'",
                },
                f"generate_series(1, {GEN_CONTACTS}) AS g",
            )
        )
        cursor.execute(
            f"SELECT min(id), max(id) FROM {Contact._meta.db_table} WHERE id > %s",
            [before_contacts],
        )
        first_contact, last_contact = cursor.fetchone()
        contacts = last_contact - first_contact + 1
        timings["contacts_s"] = round(time.perf_counter() - began, 1)

        # indexes dropped while loading, rebuilt after (as a bulk import would)
        table = Touchpoint._meta.db_table
        cursor.execute(
            "SELECT indexname, indexdef FROM pg_indexes WHERE tablename = %s "
            "AND indexname NOT LIKE '%%pkey'",
            [table],
        )
        indexes = cursor.fetchall()
        for name, _definition in indexes:
            cursor.execute(f'DROP INDEX "{name}"')
        kind = _weighted(GEN_TYPES)
        common = {
            "site_id": str(site_id),
            "type": kind,
            "occurred_at": "now() - random() * interval '365 days'",
            "channel": channel,
            "path": (
                "CASE WHEN random() < 0.05 THEN '/pricing/' || (g % 5) || '/' "
                "ELSE '/de/seite-' || (g % 500) || '/' END"
            ),
            "data": "'{}'::jsonb",
        }
        began = time.perf_counter()
        cursor.execute(
            _insert_select(
                Touchpoint,
                {**common, "contact_id": f"{first_contact - 1} + h"},
                f"generate_series(1, {GEN_HOT}) AS h, generate_series(1, {GEN_HOT_EACH}) AS g",
            )
        )
        rest = max(GEN_TOUCHPOINTS - hot_total, 0)
        step = 1_000_000
        for offset in range(0, rest, step):
            cursor.execute(
                _insert_select(
                    Touchpoint,
                    {
                        **common,
                        "contact_id": (
                            f"CASE WHEN random() < 0.2 THEN NULL "
                            f"ELSE {first_contact} + floor(random() * {contacts})::int END"
                        ),
                    },
                    f"generate_series({offset + 1}, {min(offset + step, rest)}) AS g",
                )
            )
        timings["touchpoints_s"] = round(time.perf_counter() - began, 1)
        cursor.execute("SET session_replication_role = DEFAULT")
        began = time.perf_counter()
        cursor.execute("SET maintenance_work_mem = '512MB'")
        for _name, definition in indexes:
            cursor.execute(definition)
        timings["indexes_s"] = round(time.perf_counter() - began, 1)
        began = time.perf_counter()
        cursor.execute("VACUUM ANALYZE")
        timings["vacuum_analyze_s"] = round(time.perf_counter() - began, 1)
        cursor.execute(f"SELECT count(*), pg_total_relation_size('{table}') FROM {table}")
        rows, size = cursor.fetchone()
        cursor.execute(
            f"SELECT contact_id, count(*) FROM {table} WHERE contact_id BETWEEN %s AND %s "
            "GROUP BY contact_id ORDER BY count(*) DESC LIMIT 1",
            [first_contact + GEN_HOT, first_contact + GEN_HOT + 100_000],
        )
        busiest_ordinary = cursor.fetchone()
    # an ordinary contact (a handful of touchpoints) of an ordinary company
    ordinary, ordinary_company = (
        Contact.objects.filter(pk__gte=first_contact + GEN_HOT + 12345 % contacts)
        .exclude(company_id=None)
        .order_by("pk")
        .values_list("pk", "company_id")
        .first()
    )
    result = {
        "companies": companies,
        "contacts": contacts,
        "touchpoints": rows,
        "touchpoint_table_mb": round(size / 2**20),
        "hot_contacts": GEN_HOT,
        "hot_each": GEN_HOT_EACH,
        "first_contact": first_contact,
        "hot_company": first_company,
        "ordinary_contact": ordinary,
        "ordinary_company": ordinary_company,
        "busiest_ordinary_contact_touchpoints": busiest_ordinary[1] if busiest_ordinary else 0,
        "indexes_rebuilt": [name for name, _d in indexes],
        "timings": timings,
        "seconds": round(time.perf_counter() - started, 1),
    }
    (work / "dataset.json").write_text(json.dumps(result))
    return result


def _timed(call: Any, runs: int) -> dict[str, float]:
    call()  # warm-up
    call()
    values = []
    for _ in range(runs):
        began = time.perf_counter()
        call()
        values.append((time.perf_counter() - began) * 1000)
    return {
        "runs": runs,
        "p50_ms": round(_percentile(values, 50), 2),
        "p95_ms": round(_percentile(values, 95), 2),
        "max_ms": round(max(values), 2),
    }


def timeline(work: Path) -> dict[str, object]:
    """The contact and company timeline admin pages through Django's test client, logged in
    as a superuser: first page, a deep page (a cursor ``TIMELINE_DEPTH`` rows down) and a
    type filter, for a hot and an ordinary contact; p95 of ``TIMELINE_RUNS`` each."""
    from django.contrib.auth import get_user_model
    from django.test import Client
    from django.test.utils import CaptureQueriesContext
    from django.urls import reverse

    from magpie.journey.models import Touchpoint

    data = json.loads((work / "dataset.json").read_text(encoding="utf-8"))
    user = get_user_model().objects.filter(is_superuser=True).first()
    if user is None:
        user = get_user_model().objects.create_superuser("bench", "bench@example.ch", "x")
    client = Client(HTTP_HOST=_setup_info(work)["host"])
    client.force_login(user)

    def cursor_at(queryset: Any, depth: int) -> str:
        depth = min(depth, max(queryset.count() - 1, 0))  # small datasets while developing
        row = queryset.order_by("-occurred_at", "-id").values("occurred_at", "id")[depth]
        return f"{row['occurred_at'].isoformat()},{row['id']}"

    hot = data["first_contact"]
    ordinary = data["ordinary_contact"]
    hot_company = data["hot_company"]
    ordinary_company = data["ordinary_company"]
    contact_url = lambda pk: reverse("magpie_contacts:timeline", args=[pk])  # noqa: E731
    company_url = lambda pk: reverse("magpie_companies:timeline", args=[pk])  # noqa: E731
    hot_tps = Touchpoint.objects.filter(contact_id=hot)
    company_tps = Touchpoint.objects.filter(contact__company_id=hot_company)
    cases = {
        "contact_hot_first": contact_url(hot),
        "contact_hot_deep": contact_url(hot) + "?before=" + cursor_at(hot_tps, TIMELINE_DEPTH),
        "contact_hot_type_order_placed": contact_url(hot) + "?type=order_placed",
        "contact_hot_type_deep": contact_url(hot)
        + "?type=download&before="
        + cursor_at(hot_tps.filter(type="download"), TIMELINE_DEPTH // 10),
        "contact_ordinary_first": contact_url(ordinary),
        "contact_ordinary_type": contact_url(ordinary) + "?type=page_view",
        "company_hot_first": company_url(hot_company),
        "company_hot_deep": company_url(hot_company)
        + "?before="
        + cursor_at(company_tps, TIMELINE_DEPTH),
        "company_hot_type": company_url(hot_company) + "?type=order_placed",
        "company_ordinary_first": company_url(ordinary_company),
    }
    results: dict[str, Any] = {}
    for name, url in cases.items():

        def get(url: str = url) -> None:
            response = client.get(url)
            if response.status_code != 200:
                raise SystemExit(f"GET {url} answered {response.status_code}")

        figures = _timed(get, TIMELINE_RUNS)
        with CaptureQueriesContext(connection) as captured:
            get()
        slowest = max(captured.captured_queries, key=lambda q: float(q["time"]))
        figures["queries"] = len(captured.captured_queries)
        figures["slowest_query_ms"] = round(1000 * float(slowest["time"]), 2)
        figures["url"] = url
        results[name] = figures

    # The plans of the pages' touchpoint queries, for the record.
    def plan(sql: str, params: Any) -> list[str]:
        with connection.cursor() as cursor:
            cursor.execute("EXPLAIN (ANALYZE, BUFFERS OFF) " + sql, params)
            return [row[0] for row in cursor.fetchall()]

    def page_sql(queryset: Any) -> tuple[str, Any]:
        return queryset.order_by("-occurred_at", "-id").values("id")[:51].query.sql_with_params()

    plans = {
        "contact_hot_first": plan(*page_sql(hot_tps)),
        "contact_hot_type_order_placed": plan(*page_sql(hot_tps.filter(type="order_placed"))),
        "company_hot_first": plan(*page_sql(company_tps)),
    }
    # The company page's rows as the view fetches them (select_related, 51 rows), against
    # the same rows through magpie.journey.queries.company_page_ids (a LATERAL top-51 per
    # contact, merged): what the view's query could be.
    from magpie.journey.queries import company_page_ids

    when, pk = cursor_at(company_tps, TIMELINE_DEPTH).split(",")
    when_at = datetime.fromisoformat(when)
    deep = company_tps.filter(occurred_at__lte=when_at).exclude(occurred_at=when_at, id__gte=pk)

    def rows(queryset: Any) -> list[Any]:
        return list(
            queryset.select_related("campaign", "contact").order_by("-occurred_at", "-id")[:51]
        )

    def helper(before: Any = None) -> list[Any]:
        ids = company_page_ids(hot_company, before=before, limit=51)
        return rows(Touchpoint.objects.filter(id__in=ids))

    orm_cases = {
        "company_hot_first: the view's query": lambda: rows(company_tps),
        "company_hot_first: company_page_ids": helper,
        "company_hot_deep: the view's query": lambda: rows(deep),
        "company_hot_deep: company_page_ids": lambda: helper((when_at, int(pk))),
    }
    if [t.pk for t in orm_cases["company_hot_deep: the view's query"]()] != [
        t.pk for t in orm_cases["company_hot_deep: company_page_ids"]()
    ]:
        raise SystemExit("company_page_ids and the view's query disagree")
    sql_timings = {name: _timed(call, TIMELINE_RUNS) for name, call in orm_cases.items()}
    lateral = company_page_ids(hot_company)
    lateral_sql = lateral.sql
    plans["company_hot_first: company_page_ids"] = plan(lateral.sql, lateral.params)
    return {
        "cases": results,
        "worst_p95_ms": max(r["p95_ms"] for r in results.values()),
        "company_query_ms": sql_timings,
        "lateral_sql": lateral_sql,
        "plans": plans,
        "runs": TIMELINE_RUNS,
        "depth": TIMELINE_DEPTH,
    }


#: Representative dynamic segments (the contract of ``magpie.people.segments``).
SEGMENTS = {
    "fields: stage in (mql, sql), engagement >= 50": {
        "match": "all",
        "conditions": [
            {"field": "stage", "op": "in", "value": ["mql", "sql"]},
            {"field": "engagement_score", "op": "gte", "value": 50},
        ],
    },
    "touchpoints: 3+ page views of /pricing in 30 days": {
        "match": "all",
        "conditions": [
            {
                "touchpoints": {
                    "type": "page_view",
                    "within_days": 30,
                    "min_count": 3,
                    "path_prefix": "/pricing",
                }
            }
        ],
    },
    "touchpoints: a download in 30 days": {
        "match": "all",
        "conditions": [{"touchpoints": {"type": "download", "within_days": 30, "min_count": 1}}],
    },
    "combination: stage mql/sql, engagement >= 50, 3+ /pricing views in 30 days": {
        "match": "all",
        "conditions": [
            {"field": "stage", "op": "in", "value": ["mql", "sql"]},
            {"field": "engagement_score", "op": "gte", "value": 50},
            {
                "touchpoints": {
                    "type": "page_view",
                    "within_days": 30,
                    "min_count": 3,
                    "path_prefix": "/pricing",
                }
            },
        ],
    },
    "any of: customer, or a form submission in 30 days": {
        "match": "any",
        "conditions": [
            {"field": "stage", "op": "eq", "value": "customer"},
            {"touchpoints": {"type": "form_submission", "within_days": 30, "min_count": 1}},
        ],
    },
    "fields: created in the last 30 days, fit >= 80": {
        "match": "all",
        "conditions": [
            {"field": "created_at", "op": "within_days", "value": 30},
            {"field": "fit_score", "op": "gte", "value": 80},
        ],
    },
}


def segments(work: Path) -> dict[str, object]:
    """``count_matching(site, rules)`` for each of :data:`SEGMENTS`, p95 of ``SEGMENT_RUNS``."""
    from wagtail.models import Site

    try:
        from magpie.people.segments import count_matching
    except ImportError as error:
        return {"available": False, "reason": f"magpie.people.segments: {error}"}
    site = Site.objects.get(pk=_setup_info(work)["site"])
    results: dict[str, Any] = {}
    for name, rules in SEGMENTS.items():
        counted: list[int] = []
        try:
            figures = _timed(
                lambda rules=rules, counted=counted: counted.append(count_matching(site, rules)),
                SEGMENT_RUNS,
            )
        except Exception as error:  # a rule the module does not take (yet): say so
            results[name] = {"error": f"{type(error).__name__}: {error}"[:300]}
            continue
        figures["count"] = counted[-1]
        results[name] = figures
    measured = [r["p95_ms"] for r in results.values() if "p95_ms" in r]
    return {
        "available": True,
        "segments": results,
        "runs": SEGMENT_RUNS,
        "worst_p95_ms": max(measured) if measured else None,
        "errors": sum(1 for r in results.values() if "error" in r),
    }


def _cache_description() -> str:
    from django.conf import settings

    config = settings.CACHES["default"]
    options = config.get("OPTIONS") or {}
    return f"{config['BACKEND'].rsplit('.', 1)[-1]} {options or '(defaults)'}"


STEPS = {
    "setup": setup,
    "ingest": ingest,
    "pageview": pageview,
    "parallel": parallel,
    "http": http,
    "generate": generate,
    "timeline": timeline,
    "segments": segments,
}

if __name__ == "__main__":
    step, workdir = sys.argv[1], Path(sys.argv[2])
    result = STEPS[step](workdir)
    result["peak_mb"] = peak_mb()
    if step == "setup":
        (workdir / "setup.json").write_text(json.dumps(result))
    print("RESULT=" + json.dumps(result), flush=True)
