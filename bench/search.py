"""``search``: product search over 100k products, PostgreSQL against OpenSearch.

On a throwaway PostgreSQL cluster (``magpie.testing.pgcluster``), each step in its own
process (``bench/_search_steps.py``):

1. **setup**: migrate; the catalog bench's attributes, categories, price lists, warehouse
   and catalog page; a search page; 100k products with names, descriptions and brands from
   a vocabulary of ~550 words (a query word matches 0.1–5 % of them), inserted with the
   catalog bench's plain ``bulk_create``; the query lists;
2. **rebuild (database)**: ``magpie_search.indexing.rebuild()`` with ``SEARCH_URL=database://``
   (a ``ProductDocument`` table with a ``tsvector`` and a GIN index), timed; then, untimed,
   what autovacuum does a minute later (GIN pending list flushed, ``VACUUM ANALYZE``);
3. **measure (database)**: per query type — keyword, keyword + two facets, facet-only browse,
   autocomplete, zero results — 100 warm-up requests (queries of their own), then 200
   measured ones, the types interleaved, each with a query no earlier request of the run
   used (so no cache answers); then the search page through Django's test client;
4. a real OpenSearch 2.19 node (``magpie.testing.opensearch``, heap 1 GB) is started;
   **rebuild (opensearch)** and **measure (opensearch)** as 2 and 3 against it.

Floors (issue): keyword + facets p95 < 30 ms on OpenSearch and < 100 ms on PostgreSQL;
autocomplete p95 < 30 ms on OpenSearch; a rebuild of 100k products < 120 s (each engine).

Environment: ``BENCH_PRODUCTS`` (100000), ``BENCH_SEARCH_REQUESTS`` (200 per type),
``BENCH_SEARCH_WARMUP`` (100 per type), ``BENCH_SEARCH_PAGE_REQUESTS`` (60),
``BENCH_SEARCH_VACUUM=0`` (measure the database index as the rebuild leaves it).
"""

from __future__ import annotations

import tempfile
import time
from pathlib import Path

from benchlib.core import Options, Outcome, log, machine_info, write_results
from benchlib.procs import migrated_env, run_step

NAME = "search"
SUMMARY = "product search p50/p95 on PostgreSQL and OpenSearch, and index rebuild time"
STEPS = Path(__file__).resolve().parent / "_search_steps.py"
OPENSEARCH_HEAP = "1g"
#: PostgreSQL sized as docs/operations.md recommends for a catalog of this size (the test
#: clusters' 128 MB cannot hold the 100k products' pages; OpenSearch gets 1 GB of heap).
PG_SETTINGS = {"shared_buffers": "1GB", "effective_cache_size": "4GB", "work_mem": "16MB"}
FLOORS = {
    "opensearch_keyword_facets_p95_ms": 30.0,
    "database_keyword_facets_p95_ms": 100.0,
    "opensearch_autocomplete_p95_ms": 30.0,
    "rebuild_seconds": 120.0,
}
TYPES = [
    ("keyword", "keyword"),
    ("keyword_facets", "keyword + 2 facets"),
    ("browse", "facet-only browse"),
    ("autocomplete", "autocomplete"),
    ("zero", "zero results"),
]
ENGINES = (("database", "PostgreSQL"), ("opensearch", "OpenSearch"))


def _run(step: str, work: Path, env: dict[str, str], label: str = "") -> dict[str, object]:
    return run_step(STEPS, step, work, env, bench=NAME, label=label)


def _verdicts(
    rebuilds: dict[str, dict], measured: dict[str, dict]
) -> list[tuple[str, float, float, bool]]:
    """(what, measured, floor, passed) for every floor."""

    def p95(engine: str, kind: str) -> float:
        return float(measured[engine]["types"][kind]["p95_ms"])

    checks = [
        (
            "OpenSearch keyword + 2 facets p95 (ms)",
            p95("opensearch", "keyword_facets"),
            FLOORS["opensearch_keyword_facets_p95_ms"],
        ),
        (
            "PostgreSQL keyword + 2 facets p95 (ms)",
            p95("database", "keyword_facets"),
            FLOORS["database_keyword_facets_p95_ms"],
        ),
        (
            "OpenSearch autocomplete p95 (ms)",
            p95("opensearch", "autocomplete"),
            FLOORS["opensearch_autocomplete_p95_ms"],
        ),
    ]
    for engine, label in ENGINES:
        checks.append(
            (
                f"{label} rebuild of {rebuilds[engine]['documents']} products (s)",
                float(rebuilds[engine]["seconds"]),
                FLOORS["rebuild_seconds"],
            )
        )
    return [(what, value, floor, value < floor) for what, value, floor in checks]


def run_benchmark(options: Options) -> Outcome:
    """Set up, rebuild and measure on both engines; print the table; write the figures."""
    from magpie.testing import opensearch
    from magpie.testing.pgcluster import cluster

    reason = opensearch.available()
    if reason:
        raise RuntimeError(f"OpenSearch node not available: {reason}")
    info = machine_info()
    rebuilds: dict[str, dict] = {}
    measured: dict[str, dict] = {}
    started = time.monotonic()
    with (
        tempfile.TemporaryDirectory(prefix="magpie-bench-search-") as tmp,
        cluster(settings=PG_SETTINGS) as pg,
    ):
        work = Path(tmp)
        env = migrated_env(pg.url, work, SEARCH_URL="database://")
        setup = _run("setup", work, env)
        rebuilds["database"] = _run("rebuild", work, env, "rebuild (database)")
        measured["database"] = _run("measure", work, env, "measure (database)")
        log("search: starting OpenSearch …")
        node = opensearch.start(heap=OPENSEARCH_HEAP)
        try:
            os_env = {**env, "SEARCH_URL": f"opensearch://127.0.0.1:{node.port}"}
            rebuilds["opensearch"] = _run("rebuild", work, os_env, "rebuild (opensearch)")
            measured["opensearch"] = _run("measure", work, os_env, "measure (opensearch)")
        finally:
            node.stop()
    wall = time.monotonic() - started

    verdicts = _verdicts(rebuilds, measured)
    passed = all(ok for *_rest, ok in verdicts)
    ratios = {
        kind: round(
            float(measured["opensearch"]["types"][kind]["p95_ms"])
            / float(measured["database"]["types"][kind]["p95_ms"]),
            2,
        )
        for kind, _label in [*TYPES, ("page", "")]
    }
    results_path = options.results_dir / "search.json"
    write_results(
        results_path,
        {
            "benchmark": NAME,
            "description": SUMMARY,
            "machine": info,
            "wall_seconds": round(wall),
            "setup": setup,
            "rebuild": rebuilds,
            "measure": measured,
            "ratio_opensearch_to_postgresql_p95": ratios,
            "floors": FLOORS,
            "verdicts": [
                {"check": what, "value": value, "floor": floor, "passed": ok}
                for what, value, floor, ok in verdicts
            ],
            "passed": passed,
        },
    )
    _print(setup, rebuilds, measured, ratios, verdicts, wall)
    print(("PASS" if passed else "FAIL") + ": every search floor")
    print(f"figures written to {results_path}")
    return Outcome(name=NAME, passed=passed, results_path=results_path)


def _print(
    setup: dict,
    rebuilds: dict[str, dict],
    measured: dict[str, dict],
    ratios: dict[str, float],
    verdicts: list[tuple[str, float, float, bool]],
    wall: float,
) -> None:
    db, es = measured["database"], measured["opensearch"]
    band = setup["band_match_pct"]
    print(
        f"\nsearch — {SUMMARY}\n"
        f"  {setup['products']} products × 15 attributes, {setup['brands']} brands; "
        f"query words match {band['min']}–{band['max']} % of them (median {band['median']} %)\n"
        f"  {db['types']['keyword']['requests']} requests per type after "
        f"{db['warmup_per_type']} warm-up requests per type (queries of their own), the types "
        f"interleaved;\n  every request a query no earlier request of the run used, Django's "
        f"default local-memory cache\n  (hits of the listing's cached counts: "
        f"{db['listing_cache']['hits']} on PostgreSQL, {es['listing_cache']['hits']} on "
        f"OpenSearch)"
    )
    print(
        f"\n  {'query type':28} {'PostgreSQL p50':>14} {'p95':>7}  {'OpenSearch p50':>14} "
        f"{'p95':>7}  {'p95 OS/PG':>9}  {'results (median)':>16}"
    )
    for kind, label in [*TYPES, ("page", "search page (test client)")]:
        a, b = db["types"][kind], es["types"][kind]
        results = (
            f"{a['results_median']:g} / {b['results_median']:g}"
            if "results_median" in a
            else "informational"
        )
        print(
            f"  {label:28} {a['p50_ms']:>11.1f} ms {a['p95_ms']:>7.1f}  {b['p50_ms']:>11.1f} ms "
            f"{b['p95_ms']:>7.1f}  {ratios[kind]:>9.2f}  {results:>16}"
        )
    print()
    for engine, label in ENGINES:
        r = rebuilds[engine]
        if engine != "database":
            extra = f"{r['store_mb']} MB, {r['segments']} segments"
        elif r["gin_pending_pages_left"] is None:
            extra = f"table {r['table_mb']} MB, GIN {r['gin_mb']} MB; measured without VACUUM"
        else:
            extra = (
                f"table {r['table_mb']} MB, GIN {r['gin_mb']} MB; then GIN pending list "
                f"{r['gin_pending_pages_left']} pages flushed + VACUUM {r['vacuum_s']} s, untimed"
            )
        print(
            f"  rebuild {label:11} {r['seconds']:7.1f} s  {r['docs_per_s']:6} docs/s  "
            f"peak {r['peak_mb']:.0f} MB  ({extra})"
        )
    print(
        "  sql per request (PostgreSQL): "
        + ", ".join(f"{k} {db['sql'][k]['queries_per_request']:g}" for k, _ in TYPES)
    )
    print(f"  whole run {wall / 60:.1f} min\n")
    for what, value, floor, ok in verdicts:
        print(f"  {'PASS' if ok else 'FAIL'}: {what}: {value:.1f} (floor < {floor:.0f})")
