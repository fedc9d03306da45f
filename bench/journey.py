"""``journey``: touchpoint ingest through the journey API and over HTTP, what recording adds
to a page, and timelines and segment counts over a generated 1M-contact, 10M-touchpoint set.

On a throwaway PostgreSQL cluster (``magpie.testing.pgcluster``, ``shared_buffers`` 1 GB,
fsync and synchronous_commit off), each step in its own process (``bench/_journey_steps.py``):

1. **setup**: migrate; ``load_demo`` (the Alpenwerk site); ``JourneySettings`` of the landing
   page's site ``opt_in``; 1,000 contacts and 5,000 visitors (the first 500 linked to one
   contact each);
2. **ingest**: 50,000 touchpoints per method through (a) ``record(type, site=…, visitor=…,
   contact=…, data=…, path=…)``, one call per touchpoint in autocommit, as plugins call it;
   (b) ``record_many(items, site=…)`` in batches of 100 and of 1,000; baselines in the same
   run: plain ``Touchpoint.objects.create`` (one per row) and ``bulk_create`` in batches of
   1,000; all interleaved in 5 rounds (a mix of page views, searches, downloads, CTA clicks
   and form submissions, the event-emitting types writing their outbox rows);
3. **parallel**: 2 processes calling ``record()`` at once, then 2 calling ``objects.create``
   (10,000 touchpoints each, twice), as several app server workers would (informational);
4. **pageview**: the demo landing page through Django's test client with the page cache on
   (every measured request a cache hit): (a) a visitor without consent, (b) a returning
   visitor with ``magpie_consent=all`` and a ``magpie_vid`` cookie, (c) a first visit with
   consent (new visitor + ``Set-Cookie``); warm-up, then 1,000 requests each, interleaved;
   run twice: with the caches as shipped (default ``locmem``, 300 entries; visitors' marks
   in the ``journey`` alias, 100,000 entries) and with ``CACHE_URL`` one ``locmem`` of 1M
   entries for both (as Redis would);
5. **http**: gunicorn (sync workers, ``--workers`` of the bench options, 2 by default, as
   ``magpie serve --no-worker`` starts it) and a load generator in another process (threads,
   ``http.client``): the page without consent (baseline, nothing recorded), the page with
   consent and a returning visitor (a page view recorded), and ``POST /journey/events/``
   batches of 10 client events; interleaved slices; requests/s, touchpoints/s, p50/p95
   (informational: the load generator shares the 2 cores);
6. **generate**: 100,000 companies, 1,000,000 contacts and 10,000,000 touchpoints over a
   year in SQL (``INSERT … SELECT generate_series``; 10 hot contacts of one company with
   10,000 touchpoints each, the rest at random: a handful per contact, a fifth anonymous;
   the touchpoint indexes rebuilt after the load), then ``VACUUM ANALYZE``;
7. **timeline**: the contact and company timeline admin pages through Django's test client
   as a superuser: first page, a deep page (cursor 2,000 rows down), type filters, hot and
   ordinary contacts and companies; p95 of 40 requests each;
8. **segments**: ``magpie.people.segments.count_matching(site, rules)`` for 6 representative
   segments (fields only, touchpoints in 30 days, a combination, any-of); p95 of 7 runs each
   (reported as not available while the module is missing).

Floors (issue 5): at least 5,000 touchpoints/s through the API, judged on ``record_many``
in batches of ``BENCH_JOURNEY_FLOOR_BATCH`` (single-call ``record()`` reported beside it);
page view recording adds under 2 ms p95 to a page (p95(b) − p95(a)); a segment count over
1M contacts under 1 s (p95, every segment); a timeline page under 100 ms p95 (every case).

Environment: ``BENCH_JOURNEY_TOUCHPOINTS`` (50000 per method), ``BENCH_JOURNEY_ROUNDS`` (5),
``BENCH_JOURNEY_MANY_SIZES`` (``100,1000``), ``BENCH_JOURNEY_FLOOR_BATCH`` (100),
``BENCH_JOURNEY_VISITORS`` (5000), ``BENCH_JOURNEY_CONTACTS`` (1000),
``BENCH_JOURNEY_PAGE_REQUESTS`` (1000 per scenario), ``BENCH_JOURNEY_PAGE_WARMUP`` (250),
``BENCH_JOURNEY_PARALLEL`` (2 processes), ``BENCH_JOURNEY_PARALLEL_EACH`` (10000),
``BENCH_JOURNEY_HTTP_THREADS`` (4), ``BENCH_JOURNEY_HTTP_SECONDS`` (8 per slice),
``BENCH_JOURNEY_HTTP_SLICES`` (3 per scenario), ``BENCH_JOURNEY_HTTP_WARMUP`` (3 s),
``BENCH_JOURNEY_HTTP_BATCH`` (10 events per POST), ``BENCH_JOURNEY_GEN_COMPANIES`` (100000),
``BENCH_JOURNEY_GEN_CONTACTS`` (1000000), ``BENCH_JOURNEY_GEN_TOUCHPOINTS`` (10000000),
``BENCH_JOURNEY_GEN_HOT`` (10), ``BENCH_JOURNEY_GEN_HOT_EACH`` (10000),
``BENCH_JOURNEY_TIMELINE_RUNS`` (40), ``BENCH_JOURNEY_SEGMENT_RUNS`` (7);
``BENCH_JOURNEY_SKIP`` (comma-separated steps to leave out while developing, e.g.
``parallel,pageview``; a skipped floor is reported as not measured, never as passed).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from benchlib.core import REPO_DIR, Options, Outcome, log, machine_info, write_results
from benchlib.procs import (
    ProcessRegistry,
    free_port,
    migrated_env,
    run_step,
    tail,
    wait_until_serving,
)

NAME = "journey"
SUMMARY = (
    "touchpoint ingest (API and HTTP), what page view recording adds, and timelines and "
    "segment counts over 1M contacts / 10M touchpoints"
)
STEPS = Path(__file__).resolve().parent / "_journey_steps.py"
PG_SETTINGS = {"shared_buffers": "1GB"}
FLOORS = {
    "api_touchpoints_per_s": 5000.0,  # at least
    "page_view_added_p95_ms": 2.0,  # under
    "segment_count_p95_ms": 1000.0,  # under
    "timeline_page_p95_ms": 100.0,  # under
}
FLOOR_BATCH = int(os.environ.get("BENCH_JOURNEY_FLOOR_BATCH", "100"))
SKIP = {x.strip() for x in os.environ.get("BENCH_JOURNEY_SKIP", "").split(",") if x.strip()}
PARALLEL = int(os.environ.get("BENCH_JOURNEY_PARALLEL", "2"))  # processes at once
PARALLEL_EACH = int(os.environ.get("BENCH_JOURNEY_PARALLEL_EACH", "10000"))  # per round
PARALLEL_ROUNDS = 2  # record, create, record, create
#: The page view step twice: the caches as shipped (the default one of 300 entries, the
#: visitors' marks in the ``journey`` alias of 100,000), and one large cache for both.
CACHES = [
    ("default", "as shipped (default 300 entries, journey marks 100,000)", ""),
    (
        "large",
        "CACHE_URL=locmem://magpie?max_entries=1000000 for both (stands in for Redis)",
        "locmem://magpie?max_entries=1000000",
    ),
]
SCENARIOS = [
    ("a", "(a) no consent: nothing recorded"),
    ("b", "(b) consent, returning visitor"),
    ("c", "(c) consent, first visit (+ Set-Cookie)"),
]
HTTP_SCENARIOS = [
    ("page_plain", "GET page, no consent (baseline)"),
    ("page_tracked", "GET page, consent + visitor cookie"),
    ("events", "POST /journey/events/ (batch)"),
]


def _run(step: str, work: Path, env: dict[str, str], label: str = "") -> dict[str, object]:
    return run_step(STEPS, step, work, env, bench=NAME, label=label)


def _parallel(work: Path, env: dict[str, str]) -> dict[str, object]:
    """PARALLEL processes calling record() at once, then as many calling objects.create,
    twice; touchpoints/s over the span from the first start to the last end."""
    spans: dict[str, list[float]] = {"record": [], "create": []}
    late = 0
    for _round in range(PARALLEL_ROUNDS):
        for method in ("record", "create"):
            log(f"journey: parallel {method} ×{PARALLEL} …")
            start_at = time.time() + 8  # after Django's start-up in every worker
            procs = [
                subprocess.Popen(
                    [sys.executable, str(STEPS), "parallel", str(work)],
                    env={
                        **env,
                        "BENCH_JOURNEY_WORKER": str(worker),
                        "BENCH_JOURNEY_METHOD": method,
                        "BENCH_JOURNEY_PARALLEL_EACH": str(PARALLEL_EACH),
                        "BENCH_JOURNEY_START_AT": str(start_at),
                    },
                    cwd=REPO_DIR,
                    stdout=subprocess.PIPE,
                    stderr=subprocess.PIPE,
                    text=True,
                )
                for worker in range(PARALLEL)
            ]
            results = []
            for proc in procs:
                out, err = proc.communicate(timeout=1800)
                if proc.returncode != 0:
                    raise RuntimeError(f"parallel {method} failed:\n{out[-2000:]}\n{err[-3000:]}")
                line = next(x for x in out.splitlines()[::-1] if x.startswith("RESULT="))
                results.append(json.loads(line.removeprefix("RESULT=")))
            late += sum(1 for r in results if r["began"] > start_at + 0.5)
            span = max(r["ended"] for r in results) - min(r["began"] for r in results)
            spans[method].append(span)
    total = PARALLEL * PARALLEL_EACH * PARALLEL_ROUNDS
    rates = {m: round(total / sum(v)) for m, v in spans.items()}
    return {
        "processes": PARALLEL,
        "touchpoints_per_method": total,
        "rates_per_s": rates,
        "round_rates_per_s": {
            m: [round(PARALLEL * PARALLEL_EACH / x) for x in v] for m, v in spans.items()
        },
        "ratio_record_to_create": round(rates["record"] / rates["create"], 2),
        "workers_started_late": late,
    }


def _http(work: Path, env: dict[str, str], options: Options) -> dict[str, object]:
    """gunicorn as ``magpie serve --no-worker`` starts it, loaded by the ``http`` step."""
    setup = json.loads((work / "setup.json").read_text(encoding="utf-8"))
    hostname = str(setup["host"]).split(":")[0]
    port = free_port()
    server_env = {
        **env,
        "DJANGO_SETTINGS_MODULE": "magpie.settings.dev",
        "DEBUG": "0",
        "ALLOWED_HOSTS": f"{hostname},127.0.0.1,localhost",
    }
    server_log = work / "gunicorn.log"
    procs = ProcessRegistry()
    try:
        proc = procs.spawn(
            [
                sys.executable,
                "-m",
                "gunicorn",
                "magpie.wsgi:application",
                "--bind",
                f"127.0.0.1:{port}",
                "--workers",
                str(options.workers),
                "--access-logfile",
                "-",
            ],  # fmt: skip
            env=server_env,
            cwd=REPO_DIR,
            log=server_log,
        )
        wait_until_serving(f"http://127.0.0.1:{port}/", proc, server_log)
        result = _run("http", work, {**env, "BENCH_JOURNEY_HTTP_BASE": f"http://127.0.0.1:{port}"})
        if proc.poll() is not None:
            raise RuntimeError(f"gunicorn exited during the load:\n{tail(server_log)}")
    finally:
        procs.stop_all()
    result["workers"] = options.workers
    result["server"] = "gunicorn (sync workers), as `magpie serve --no-worker`"
    return result


def _verdicts(
    ingest: dict | None,
    pageview: dict | None,
    timeline: dict | None,
    segments: dict | None,
) -> list[tuple[str, float | None, str, bool | None]]:
    """(what, measured, floor as text, passed; ``None`` when not measured) for every floor."""
    verdicts: list[tuple[str, float | None, str, bool | None]] = []
    floor = FLOORS["api_touchpoints_per_s"]
    key = f"record_many_{FLOOR_BATCH}"
    rate = float(ingest["rates_per_s"][key]) if ingest and key in ingest["rates_per_s"] else None
    verdicts.append(
        (
            f"touchpoints/s through the journey API, record_many() in batches of {FLOOR_BATCH}",
            rate,
            f">= {floor:.0f}",
            None if rate is None else rate >= floor,
        )
    )
    added = float(pageview["added_p95_ms"]) if pageview else None
    floor = FLOORS["page_view_added_p95_ms"]
    verdicts.append(
        (
            "page view recording adds, p95(b) - p95(a) (ms)",
            added,
            f"< {floor:.0f}",
            None if added is None else added < floor,
        )
    )
    worst = None
    if segments and segments.get("available") and not segments.get("errors"):
        worst = segments["worst_p95_ms"]
    floor = FLOORS["segment_count_p95_ms"]
    verdicts.append(
        (
            "dynamic segment count over 1M contacts, worst p95 of the segments (ms)",
            worst,
            f"< {floor:.0f}",
            None if worst is None else worst < floor,
        )
    )
    worst = timeline["worst_p95_ms"] if timeline else None
    floor = FLOORS["timeline_page_p95_ms"]
    verdicts.append(
        (
            "timeline page over 10M touchpoints, worst p95 of the cases (ms)",
            worst,
            f"< {floor:.0f}",
            None if worst is None else worst < floor,
        )
    )
    return verdicts


def run_benchmark(options: Options) -> Outcome:
    """Set up, ingest, measure the page and HTTP, generate, time timelines and segments."""
    from magpie.testing.pgcluster import cluster

    info = machine_info()
    started = time.monotonic()
    results: dict[str, object] = {}
    with (
        tempfile.TemporaryDirectory(prefix="magpie-bench-journey-") as tmp,
        cluster(settings=PG_SETTINGS) as pg,
    ):
        work = Path(tmp)
        env = migrated_env(pg.url, work, SEARCH_URL="database://")
        results["setup"] = _run("setup", work, env)
        if "ingest" not in SKIP:
            results["ingest"] = _run("ingest", work, env)
        if "parallel" not in SKIP:
            results["parallel"] = _parallel(work, env)
        if "pageview" not in SKIP:
            pageviews = {}
            for key, _label, url in CACHES:
                cache_env = {**env, "CACHE_URL": url} if url else env
                pageviews[key] = _run("pageview", work, cache_env, f"pageview ({key} cache)")
            results["pageview"] = pageviews
        if "http" not in SKIP:
            results["http"] = _http(work, env, options)
        if "generate" not in SKIP:
            results["generate"] = _run("generate", work, env)
            if "timeline" not in SKIP:
                results["timeline"] = _run("timeline", work, env)
            if "segments" not in SKIP:
                results["segments"] = _run("segments", work, env)
    wall = time.monotonic() - started
    results["load_average_at_end"] = [round(x, 2) for x in os.getloadavg()]

    pageview = results.get("pageview", {}).get("default")  # type: ignore[union-attr]
    verdicts = _verdicts(
        results.get("ingest"),  # type: ignore[arg-type]
        pageview,
        results.get("timeline"),  # type: ignore[arg-type]
        results.get("segments"),  # type: ignore[arg-type]
    )
    passed = all(ok is True for *_rest, ok in verdicts)
    results_path = options.results_dir / "journey.json"
    write_results(
        results_path,
        {
            "benchmark": NAME,
            "description": SUMMARY,
            "machine": info,
            "postgresql_settings": PG_SETTINGS,
            "wall_seconds": round(wall),
            **results,
            "skipped": sorted(SKIP),
            "floors": FLOORS,
            "floor_batch": FLOOR_BATCH,
            "verdicts": [
                {"check": what, "value": value, "floor": floor, "passed": ok}
                for what, value, floor, ok in verdicts
            ],
            "passed": passed,
        },
    )
    _print(results, verdicts, wall, info)
    print(("PASS" if passed else "FAIL") + ": every journey floor")
    print(f"figures written to {results_path}")
    return Outcome(name=NAME, passed=passed, results_path=results_path)


def _print(
    results: dict,
    verdicts: list[tuple[str, float | None, str, bool | None]],
    wall: float,
    info: dict,
) -> None:
    setup = results["setup"]
    print(
        f"\njourney — {SUMMARY}\n"
        f"  PostgreSQL (throwaway cluster, shared_buffers 1GB, fsync/synchronous_commit off), "
        f"load average at start {info['loadavg_at_start'][0]}, "
        f"at end {results['load_average_at_end'][0]}\n"
        f"  {setup['contacts']} contacts, {setup['visitors']} visitors "
        f"({setup['visitors_with_contact']} linked to a contact)"
    )
    if "ingest" in results:
        _print_ingest(results["ingest"])
    if "parallel" in results:
        _print_parallel(results["parallel"])
    if "pageview" in results:
        _print_pageviews(results["pageview"])
    if "http" in results:
        _print_http(results["http"])
    if "generate" in results:
        _print_dataset(results)
    print(f"\n  whole run {wall / 60:.1f} min\n")
    for what, value, floor, ok in verdicts:
        verdict = {True: "PASS", False: "FAIL", None: "NOT MEASURED"}[ok]
        shown = "—" if value is None else f"{value:g}"
        print(f"  {verdict}: {what}: {shown} (floor {floor})")


def _print_ingest(ingest: dict) -> None:
    rates, total = ingest["rates_per_s"], ingest["touchpoints_per_method"]
    mix = ", ".join(f"{k} {v}" for k, v in ingest["mix"].items())
    print(
        f"\n  ingest of {total} touchpoints per method, {ingest['rounds']} interleaved rounds; "
        f"mix per 20: {mix}"
        f"\n  {'method':46} {'touchpoints/s':>13} {'µs/touchpoint':>13} {'rounds (/s)':>34}"
    )
    methods = [("record", "record(type, site, visitor, contact, data)")]
    methods += [
        (f"record_many_{n}", f"record_many(items, site), batches of {n}")
        for n in ingest["many_sizes"]
    ]
    methods += [
        ("create", "Touchpoint.objects.create (baseline)"),
        ("bulk_create", "bulk_create, batches of 1000 (baseline)"),
    ]
    for name, label in methods:
        per_round = ", ".join(str(x) for x in ingest["round_rates_per_s"][name])
        print(f"  {label:46} {rates[name]:>13} {1e6 / rates[name]:>13.0f} {per_round:>34}")
    many = ", ".join(
        f"batches of {n}: {r:.2f}" for n, r in ingest["ratio_record_many_to_bulk_create"].items()
    )
    print(
        f"  ratio record/create {ingest['ratio_record_to_create']:.2f}, "
        f"record/bulk_create {ingest['ratio_record_to_bulk_create']:.3f}; "
        f"record_many/bulk_create {many}; "
        f"{ingest['events_emitted']} touchpoint.recorded events emitted"
    )
    statements = ", ".join(f"{k} ×{v:g}" for k, v in ingest["record_many_100_statements"].items())
    print(f"  record_many() of 100 items: {statements}")
    print("  record() per type:")
    for kind, spent in ingest["record_us_per_call_by_type"].items():
        sql = ingest["sql"][kind]
        statements = ", ".join(f"{k} ×{v:g}" for k, v in sql["statements"].items())
        print(f"    {kind:16} {spent:>6} µs  {sql['queries_per_call']:g} queries: {statements}")
    print(
        f"    (create: {ingest['create_us_per_call']} µs, "
        f"{ingest['create_queries_per_call']:g} query)"
    )


def _print_parallel(parallel: dict) -> None:
    print(
        f"\n  {parallel['processes']} processes at once, {parallel['touchpoints_per_method']} "
        f"touchpoints per method in {PARALLEL_ROUNDS} rounds (started late: "
        f"{parallel['workers_started_late']})"
    )
    for name, label in (("record", "record()"), ("create", "Touchpoint.objects.create")):
        per_round = ", ".join(str(x) for x in parallel["round_rates_per_s"][name])
        print(f"  {label:46} {parallel['rates_per_s'][name]:>13} {'':>13} {per_round:>34}")
    print(f"  ratio record/create {parallel['ratio_record_to_create']:.2f}")


def _print_pageviews(pageviews: dict[str, dict]) -> None:
    for key, label, _url in CACHES:
        pageview = pageviews[key]
        scen = pageview["scenarios"]
        print(
            f"\n  page view: {pageview['url']} via Django's test client, page cache on, "
            f"caches {label};\n  {scen['a']['requests']} requests per scenario after "
            f"{pageview['warmup_per_scenario']} warm-up, interleaved"
        )
        print(f"  {'scenario':48} {'p50 ms':>7} {'p95 ms':>7} {'p99 ms':>7} {'mean':>7}  queries")
        for skey, slabel in SCENARIOS:
            s = scen[skey]
            sql = pageview["sql"][skey]
            statements = ", ".join(
                k.split()[0] + " " + k.split()[-1].removeprefix("magpie_")
                for k in sql["statements"]
            )
            print(
                f"  {slabel:48} {s['p50_ms']:>7.2f} {s['p95_ms']:>7.2f} {s['p99_ms']:>7.2f} "
                f"{s['mean_ms']:>7.2f}  {sql['queries_per_request']:g} ({statements})"
            )
        print(
            f"  added by recording (b − a): p50 {pageview['added_p50_ms']:.2f} ms, "
            f"p95 {pageview['added_p95_ms']:.2f} ms, mean {pageview['added_mean_ms']:.2f} ms; "
            f"first visit (c − a): p95 {pageview['first_visit_added_p95_ms']:.2f} ms"
        )
        checks = pageview["checks"]
        print(
            f"  checks: {pageview['touchpoints_recorded']} touchpoints and "
            f"{pageview['visitors_created']} visitors written; cache {checks['cache']}; "
            f"Set-Cookie magpie_vid {checks['set_cookie']}"
        )


def _print_http(http: dict) -> None:
    print(
        f"\n  HTTP: {http['server']}, {http['workers']} workers; {http['threads']} client "
        f"threads (http.client, another process), {http['slices']} interleaved slices of "
        f"{http['slice_seconds']:g} s per scenario; batches of {http['batch']} events"
    )
    print(
        f"  {'scenario':40} {'req/s':>7} {'tp/s':>7} {'p50 ms':>7} {'p95 ms':>7} "
        f"{'p99 ms':>7}  statuses"
    )
    for key, label in HTTP_SCENARIOS:
        s = http["scenarios"][key]
        print(
            f"  {label:40} {s['requests_per_s']:>7.0f} {s['touchpoints_per_s']:>7.0f} "
            f"{s['p50_ms']:>7.2f} {s['p95_ms']:>7.2f} {s['p99_ms']:>7.2f}  "
            f"{s['statuses']} errors {s['errors']}"
        )
    print(
        f"  a tracked page over HTTP adds p50 {http['tracked_added_p50_ms']:.2f} ms, "
        f"p95 {http['tracked_added_p95_ms']:.2f} ms (under load; informational)"
    )


def _print_dataset(results: dict) -> None:
    gen = results["generate"]
    t = gen["timings"]
    print(
        f"\n  generated: {gen['companies']} companies, {gen['contacts']} contacts, "
        f"{gen['touchpoints']} touchpoints ({gen['touchpoint_table_mb']} MB with indexes); "
        f"{gen['hot_contacts']} hot contacts × {gen['hot_each']}, the busiest ordinary "
        f"contact {gen['busiest_ordinary_contact_touchpoints']}; in {gen['seconds']:.0f} s "
        f"(touchpoints {t['touchpoints_s']:.0f} s, indexes {t['indexes_s']:.0f} s, "
        f"VACUUM ANALYZE {t['vacuum_analyze_s']:.0f} s)"
    )
    if "timeline" in results:
        timeline = results["timeline"]
        print(
            f"\n  timeline admin pages (test client, superuser), {timeline['runs']} requests "
            f"each after 2 warm-up\n  {'case':34} {'p50 ms':>7} {'p95 ms':>7} {'max ms':>7} "
            f"{'queries':>7} {'slowest query ms':>16}"
        )
        for name, c in timeline["cases"].items():
            print(
                f"  {name:34} {c['p50_ms']:>7.2f} {c['p95_ms']:>7.2f} {c['max_ms']:>7.2f} "
                f"{c['queries']:>7} {c['slowest_query_ms']:>16.2f}"
            )
        print("  the company page's 51 rows, as the view fetches them:")
        for name, c in timeline["company_query_ms"].items():
            print(f"    {name:44} p50 {c['p50_ms']:>7.2f} ms  p95 {c['p95_ms']:>7.2f} ms")
    if "segments" in results:
        segments = results["segments"]
        if not segments.get("available"):
            print(f"\n  segments: not available ({segments.get('reason')})")
        else:
            print(
                f"\n  segment counts: count_matching(site, rules), {segments['runs']} runs "
                f"each after 2 warm-up\n  {'segment':72} {'count':>8} {'p50 ms':>8} {'p95 ms':>8}"
            )
            for name, seg in segments["segments"].items():
                if "error" in seg:
                    print(f"  {name:72} error: {seg['error']}")
                else:
                    print(
                        f"  {name:72} {seg['count']:>8} {seg['p50_ms']:>8.1f} {seg['p95_ms']:>8.1f}"
                    )
