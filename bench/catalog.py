"""``catalog``: importing 100k products against plain ``bulk_create``; listing over them.

On a throwaway PostgreSQL cluster (``magpie.testing.pgcluster``):

1. migrate, create 15 attribute definitions, a category tree with attribute sets, two
   price lists (CHF, EUR), a warehouse and a catalog page; write ``products.csv`` (100k
   products × 15 attributes), ``prices.csv`` (2 lists) and ``stock.csv``;
2. copy that database twice (``CREATE DATABASE … TEMPLATE``);
3. **baseline**: the same rows with plain ``bulk_create`` in one transaction;
4. **import**: ``magpie_catalog.importing.import_book`` on each file in turn, as
   ``magpie manage import_products`` takes them — validation of every cell, upsert by SKU,
   categories, completeness, events — each file in one transaction;
5. **listing**: the category listing over all 100k products, rendered 120 times in
   process with the page cache off (default order, sorted, paged, filtered).

Each step runs in its own process, so its peak memory is its own. Floors (issue 3): import
time ≤ 3 × baseline, import peak memory < 500 MB, listing p95 < 100 ms.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

from benchlib.core import Options, Outcome, machine_info, write_results
from benchlib.procs import migrated_env, run_step

NAME = "catalog"
SUMMARY = "import of 100k products vs. plain bulk_create, and category listing p95"
STEPS = Path(__file__).resolve().parent / "_catalog_steps.py"
RATIO_FLOOR, MEMORY_FLOOR_MB, LISTING_FLOOR_MS = 3.0, 500.0, 100.0


def _run(step: str, work: Path, env: dict[str, str], label: str = "") -> dict[str, object]:
    return run_step(STEPS, step, work, env, bench=NAME, label=label)


def _clone(url: str, name: str) -> str:
    import psycopg

    admin = url.rsplit("/", 1)[0] + "/postgres"
    with psycopg.connect(admin, autocommit=True) as connection:
        connection.execute(f'CREATE DATABASE "{name}" TEMPLATE "magpie"')
    return url.rsplit("/", 1)[0] + f"/{name}"


def run_benchmark(options: Options) -> Outcome:
    """Prepare, measure baseline, import and listing; print ratios; write the figures."""
    from magpie.testing.pgcluster import cluster

    info = machine_info()
    with tempfile.TemporaryDirectory(prefix="magpie-bench-catalog-") as tmp, cluster() as pg:
        work = Path(tmp)
        env = migrated_env(pg.url, work)
        setup = _run("setup", work, env)
        baseline_env = {**env, "DATABASE_URL": _clone(pg.url, "bench_baseline")}
        import_env = {**env, "DATABASE_URL": _clone(pg.url, "bench_import")}
        baseline = _run("baseline", work, baseline_env)
        imported = _run("import", work, import_env)
        listing = _run("listing", work, import_env)

    ratio = round(float(imported["seconds"]) / float(baseline["seconds"]), 2)
    rows = int(setup["products"])
    passed = (
        ratio <= RATIO_FLOOR
        and float(imported["peak_mb"]) < MEMORY_FLOOR_MB
        and float(listing["p95_ms"]) < LISTING_FLOOR_MS
    )
    results_path = options.results_dir / "catalog.json"
    write_results(
        results_path,
        {
            "benchmark": NAME,
            "description": SUMMARY,
            "machine": info,
            "products": rows,
            "baseline": baseline,
            "import": imported,
            "listing": listing,
            "ratio_import_to_baseline_time": ratio,
            "floors": {
                "ratio_max": RATIO_FLOOR,
                "import_peak_mb_max": MEMORY_FLOOR_MB,
                "listing_p95_ms_max": LISTING_FLOOR_MS,
            },
            "passed": passed,
        },
    )
    print(f"\ncatalog — {SUMMARY} (PostgreSQL, {rows} products × 15 attributes)")
    for label, result in (("bulk_create", baseline), ("import", imported)):
        seconds = float(result["seconds"])
        print(
            f"  {label:12} {seconds:8.1f} s  {rows / seconds:9.0f} products/s"
            f"  peak {float(result['peak_mb']):6.0f} MB"
        )
    print(f"  ratio import/bulk_create: {ratio:.2f} (floor ≤ {RATIO_FLOOR})")
    print(
        f"  category listing over all products: p50 {listing['p50_ms']} ms, "
        f"p95 {listing['p95_ms']} ms over {listing['requests']} requests "
        f"(floor p95 < {LISTING_FLOOR_MS:.0f} ms)"
    )
    print(("PASS" if passed else "FAIL") + ": import ≤ 3× baseline, < 500 MB, listing p95 < 100 ms")
    print(f"figures written to {results_path}")
    return Outcome(name=NAME, passed=passed, results_path=results_path)
