"""``journey``: touchpoint ingest through the journey API, and what recording adds to a page.

On a throwaway PostgreSQL cluster (``magpie.testing.pgcluster``, ``shared_buffers`` 1 GB),
each step in its own process (``bench/_journey_steps.py``):

1. **setup**: migrate; ``load_demo`` (the Alpenwerk site); ``JourneySettings`` of the landing
   page's site ``opt_in``; 1,000 contacts and 5,000 visitors (the first 500 linked to one
   contact each);
2. **ingest**: 50,000 touchpoints through ``record(type, site=…, visitor=…, contact=…,
   data=…, path=…)`` (a mix of page views, searches, downloads, CTA clicks and form
   submissions), one call per touchpoint in autocommit, as plugins call it; the baseline
   in the same run: the same rows with plain ``Touchpoint.objects.create`` and, as a second
   reference, ``bulk_create`` in batches of 1,000; the three interleaved in 5 rounds;
3. **pageview**: the demo landing page through Django's test client with the page cache on
   (every measured request a cache hit): (a) a visitor without consent, (b) a returning
   visitor with ``magpie_consent=all`` and a ``magpie_vid`` cookie, (c) a first visit with
   consent (new visitor + ``Set-Cookie``); warm-up, then 1,000 requests each, interleaved;
   run twice: with Django's cache as shipped (``locmem``, 300 entries) and with one that
   keeps every visitor's hourly "seen" mark (``locmem`` with 1M entries, as Redis would);
4. **parallel**: 2 processes calling ``record()`` at once, then 2 calling ``objects.create``
   (10,000 touchpoints each, twice), as several app server workers would (informational).

Floors (issue 5): at least 5,000 touchpoints/s through the API; page view recording adds
under 2 ms p95 to a page (p95(b) − p95(a)). Still to come (not built yet): HTTP ingest under
load, a dynamic segment count over 1M contacts (< 1 s) and a contact timeline page over 10M
touchpoints (p95 < 100 ms).

Environment: ``BENCH_JOURNEY_TOUCHPOINTS`` (50000 per method), ``BENCH_JOURNEY_ROUNDS`` (5),
``BENCH_JOURNEY_VISITORS`` (5000), ``BENCH_JOURNEY_CONTACTS`` (1000),
``BENCH_JOURNEY_PAGE_REQUESTS`` (1000 per scenario), ``BENCH_JOURNEY_PAGE_WARMUP`` (250),
``BENCH_JOURNEY_PARALLEL`` (2 processes), ``BENCH_JOURNEY_PARALLEL_EACH`` (10000).
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
from benchlib.procs import migrated_env, run_step

NAME = "journey"
SUMMARY = "touchpoint ingest through the journey API, and what page view recording adds"
STEPS = Path(__file__).resolve().parent / "_journey_steps.py"
PG_SETTINGS = {"shared_buffers": "1GB"}
FLOORS = {
    "api_touchpoints_per_s": 5000.0,  # at least
    "page_view_added_p95_ms": 2.0,  # under
}
NOT_BUILT = [
    "HTTP ingest under load (touchpoints through /journey/events/ and page views over HTTP)",
    "dynamic segment count over 1M contacts (floor < 1 s)",
    "contact timeline page over 10M touchpoints (floor p95 < 100 ms)",
]
PARALLEL = int(os.environ.get("BENCH_JOURNEY_PARALLEL", "2"))  # processes at once
PARALLEL_EACH = int(os.environ.get("BENCH_JOURNEY_PARALLEL_EACH", "10000"))  # per round
PARALLEL_ROUNDS = 2  # record, create, record, create
#: The page view step twice: Django's cache as shipped (local memory, 300 entries), and one
#: that keeps every visitor's "seen" mark for its hour, as a shared Redis cache does.
CACHES = [
    ("default", "locmem://magpie (as shipped: 300 entries)", ""),
    (
        "large",
        "locmem://magpie?max_entries=1000000 (stands in for Redis)",
        "locmem://magpie?max_entries=1000000",
    ),
]
SCENARIOS = [
    ("a", "(a) no consent: nothing recorded"),
    ("b", "(b) consent, returning visitor"),
    ("c", "(c) consent, first visit (+ Set-Cookie)"),
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


def _verdicts(ingest: dict, pageview: dict) -> list[tuple[str, float, str, bool]]:
    """(what, measured, floor as text, passed) for every floor."""
    rate = float(ingest["rates_per_s"]["record"])
    added = float(pageview["added_p95_ms"])
    return [
        (
            "touchpoints/s through record()",
            rate,
            f">= {FLOORS['api_touchpoints_per_s']:.0f}",
            rate >= FLOORS["api_touchpoints_per_s"],
        ),
        (
            "page view recording adds, p95(b) - p95(a) (ms)",
            added,
            f"< {FLOORS['page_view_added_p95_ms']:.0f}",
            added < FLOORS["page_view_added_p95_ms"],
        ),
    ]


def run_benchmark(options: Options) -> Outcome:
    """Set up, ingest, measure the page; print the table; write the figures."""
    from magpie.testing.pgcluster import cluster

    info = machine_info()
    started = time.monotonic()
    with (
        tempfile.TemporaryDirectory(prefix="magpie-bench-journey-") as tmp,
        cluster(settings=PG_SETTINGS) as pg,
    ):
        work = Path(tmp)
        env = migrated_env(pg.url, work, SEARCH_URL="database://")
        setup = _run("setup", work, env)
        ingest = _run("ingest", work, env)
        parallel = _parallel(work, env)
        pageviews = {}
        for key, _label, url in CACHES:
            cache_env = {**env, "CACHE_URL": url} if url else env
            pageviews[key] = _run("pageview", work, cache_env, f"pageview ({key} cache)")
        pageview = pageviews["default"]
    wall = time.monotonic() - started

    verdicts = _verdicts(ingest, pageview)
    passed = all(ok for *_rest, ok in verdicts)
    results_path = options.results_dir / "journey.json"
    write_results(
        results_path,
        {
            "benchmark": NAME,
            "description": SUMMARY,
            "machine": info,
            "postgresql_settings": PG_SETTINGS,
            "wall_seconds": round(wall),
            "setup": setup,
            "ingest": ingest,
            "parallel": parallel,
            "pageview": pageviews,
            "not_built_yet": NOT_BUILT,
            "floors": FLOORS,
            "verdicts": [
                {"check": what, "value": value, "floor": floor, "passed": ok}
                for what, value, floor, ok in verdicts
            ],
            "passed": passed,
        },
    )
    _print(setup, ingest, parallel, pageviews, verdicts, wall, info)
    print(("PASS" if passed else "FAIL") + ": every journey floor measured so far")
    print(f"figures written to {results_path}")
    return Outcome(name=NAME, passed=passed, results_path=results_path)


def _print(
    setup: dict,
    ingest: dict,
    parallel: dict,
    pageviews: dict[str, dict],
    verdicts: list[tuple[str, float, str, bool]],
    wall: float,
    info: dict,
) -> None:
    rates, total = ingest["rates_per_s"], ingest["touchpoints_per_method"]
    mix = ", ".join(f"{k} {v}" for k, v in ingest["mix"].items())
    print(
        f"\njourney — {SUMMARY}\n"
        f"  PostgreSQL (throwaway cluster, shared_buffers 1GB, fsync/synchronous_commit off), "
        f"load average at start {info['loadavg_at_start'][0]}\n"
        f"  {setup['contacts']} contacts, {setup['visitors']} visitors "
        f"({setup['visitors_with_contact']} linked to a contact); mix per 20 calls: {mix}"
    )
    print(
        f"\n  ingest of {total} touchpoints per method, {ingest['rounds']} interleaved rounds"
        f"\n  {'method':44} {'touchpoints/s':>13} {'µs/touchpoint':>13} {'rounds (/s)':>30}"
    )
    for name, label in (
        ("record", "record(type, site, visitor, contact, data)"),
        ("create", "Touchpoint.objects.create (baseline)"),
        ("bulk_create", "bulk_create, batches of 1000 (reference)"),
    ):
        per_round = ", ".join(str(x) for x in ingest["round_rates_per_s"][name])
        print(f"  {label:44} {rates[name]:>13} {1e6 / rates[name]:>13.0f} {per_round:>30}")
    print(
        f"  ratio record/create {ingest['ratio_record_to_create']:.2f}, "
        f"record/bulk_create {ingest['ratio_record_to_bulk_create']:.3f}; "
        f"{ingest['events_emitted']} touchpoint.recorded events emitted"
    )
    print("  record() per type:")
    for kind, spent in ingest["record_us_per_call_by_type"].items():
        sql = ingest["sql"][kind]
        statements = ", ".join(f"{k} ×{v:g}" for k, v in sql["statements"].items())
        print(f"    {kind:16} {spent:>6} µs  {sql['queries_per_call']:g} queries: {statements}")
    print(
        f"    (create: {ingest['create_us_per_call']} µs, "
        f"{ingest['create_queries_per_call']:g} query)"
    )

    print(
        f"\n  {parallel['processes']} processes at once, {parallel['touchpoints_per_method']} "
        f"touchpoints per method in {PARALLEL_ROUNDS} rounds (started late: "
        f"{parallel['workers_started_late']})"
    )
    for name, label in (("record", "record()"), ("create", "Touchpoint.objects.create")):
        per_round = ", ".join(str(x) for x in parallel["round_rates_per_s"][name])
        print(f"  {label:44} {parallel['rates_per_s'][name]:>13} {'':>13} {per_round:>30}")
    print(f"  ratio record/create {parallel['ratio_record_to_create']:.2f}")
    for key, label, _url in CACHES:
        pageview = pageviews[key]
        scen = pageview["scenarios"]
        print(
            f"\n  page view: {pageview['url']} via Django's test client, page cache on, "
            f"cache {label};\n  {scen['a']['requests']} requests per scenario after "
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
    print()
    for item in NOT_BUILT:
        print(f"  {item.split(' (')[0]}: not built yet")
    print(f"  whole run {wall / 60:.1f} min\n")
    for what, value, floor, ok in verdicts:
        print(f"  {'PASS' if ok else 'FAIL'}: {what}: {value:g} (floor {floor})")
