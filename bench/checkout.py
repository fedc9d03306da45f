"""``checkout``: concurrent order placement against pgbench on the same PostgreSQL cluster.

On a throwaway PostgreSQL cluster (``magpie.testing.pgcluster``; fsync and synchronous_commit
off as for every benchmark, ``max_connections`` 300):

1. **setup** (``bench/_checkout_steps.py setup``): migrate; a catalog of 1,000 products with a
   CHF price list and stock, one of them (``SCARCE-1``) with 50 units left; 200 companies,
   each with a buyer, addresses and a cart (``bulk_create``);
2. **load** (``bench/_checkout_steps.py load``): 200 concurrent clients (threads) against a
   server of ``cpu_count() + 1`` worker processes, each with its own database connection and
   one request at a time, as a WSGI server such as gunicorn runs the shop. Each client, 10
   times: asks the server to fill its cart with 5 lines, then to place the order —
   :func:`magpie_checkout.placement.place_order` through the ORM (the shop's checkout view
   is not measured here) — and waits for the answer; a client's latency includes the wait
   for a free worker. A client's first order and a fifth of the others hold one unit of the
   scarce product (so 200 clients start by fighting over 50 units); a tenth of the orders
   are submitted twice at once with the same idempotency key;
3. **verify**: units of the scarce product sold (must be 50), oversold (0), orders per
   idempotency key (1), order numbers gap-free;
4. **pgbench** on the same cluster, in its own database: ``pgbench -i -s 10``, then
   ``pgbench -c 8 -j 2 -T 15`` (the default TPC-B-like script) — the machine's ceiling for
   small write transactions — and the ratio orders/s ÷ pgbench transactions/s.

Floor (issue 6): at least 100 orders/s, with 50 units sold, none oversold and no duplicate
order from a double submit.

Environment: ``BENCH_CHECKOUT_PRODUCTS`` (1000), ``BENCH_CHECKOUT_SCARCE`` (50),
``BENCH_CHECKOUT_CLIENTS`` (200), ``BENCH_CHECKOUT_WORKERS`` (CPUs + 1),
``BENCH_CHECKOUT_ORDERS`` (10 per client), ``BENCH_CHECKOUT_SCARCE_SHARE`` (0.2),
``BENCH_CHECKOUT_DOUBLE_SHARE`` (0.1), ``BENCH_CHECKOUT_PGBENCH_SCALE`` (10),
``BENCH_CHECKOUT_PGBENCH_CLIENTS`` (8), ``BENCH_CHECKOUT_PGBENCH_SECONDS`` (15).
"""

from __future__ import annotations

import os
import re
import statistics
import subprocess
import tempfile
import time
from pathlib import Path

from benchlib.core import Options, Outcome, log, machine_info, write_results
from benchlib.procs import migrated_env, run_step

NAME = "checkout"
SUMMARY = "concurrent place_order (200 clients, 5-line orders, 50 scarce units) vs. pgbench"
STEPS = Path(__file__).resolve().parent / "_checkout_steps.py"
FLOOR_ORDERS_PER_S = 100.0
CLIENTS = int(os.environ.get("BENCH_CHECKOUT_CLIENTS", "200"))
WORKERS = int(os.environ.get("BENCH_CHECKOUT_WORKERS", str((os.cpu_count() or 2) + 1)))
SCARCE = int(os.environ.get("BENCH_CHECKOUT_SCARCE", "50"))
PGBENCH_SCALE = int(os.environ.get("BENCH_CHECKOUT_PGBENCH_SCALE", "10"))
PGBENCH_CLIENTS = int(os.environ.get("BENCH_CHECKOUT_PGBENCH_CLIENTS", "8"))
PGBENCH_SECONDS = int(os.environ.get("BENCH_CHECKOUT_PGBENCH_SECONDS", "15"))
PG_SETTINGS = {"max_connections": "300", "shared_buffers": "256MB"}


def _run(step: str, work: Path, env: dict[str, str], label: str = "") -> dict[str, object]:
    return run_step(STEPS, step, work, env, bench=NAME, label=label)


def _percent(share: object) -> str:
    return "n/a" if share is None else f"{float(share) * 100:.0f} %"  # type: ignore[arg-type]


def _load(work: Path, env: dict[str, str]) -> dict[str, object]:
    """CLIENTS clients against WORKERS server processes (``_checkout_steps.py load``)."""
    result = _run("load", work, env, label=f"load, {CLIENTS} clients, {WORKERS} workers")
    latencies = sorted(result["latencies"])  # type: ignore[arg-type]
    service = sorted(result["service"])  # type: ignore[arg-type]
    counts: dict[str, int] = result["counts"]  # type: ignore[assignment]
    span = float(result["seconds"])  # type: ignore[arg-type]
    cpu: dict[str, float] = result["cpu_seconds"]  # type: ignore[assignment]

    def pct(values: list[float], p: float) -> float:
        return round(values[min(len(values) - 1, int(p * len(values)))] * 1000, 1)

    return {
        "workers": result["workers"],
        "clients": result["clients"],
        "seconds": span,
        "attempts": len(latencies),
        **counts,
        "orders_per_s": round(counts.get("placed", 0) / span, 1),
        "attempts_per_s": round(len(latencies) / span, 1),
        "latency_ms": {
            "p50": pct(latencies, 0.50),
            "p95": pct(latencies, 0.95),
            "p99": pct(latencies, 0.99),
            "mean": round(statistics.fmean(latencies) * 1000, 1) if latencies else 0,
        },
        "service_ms": {"p50": pct(service, 0.50), "p95": pct(service, 0.95)},
        "double_submits": result["doubles"],
        "server_cpu_seconds": cpu,
        "server_cpu_ms_per_attempt": round(
            (cpu["place"] + cpu["refill"]) * 1000 / max(1, len(latencies)), 1
        ),
        "machine_cpu_busy_share": result["machine_cpu_busy_share"],
        "messages": result["messages"],
    }


def _pgbench(pg: object, url: str) -> dict[str, object]:
    """``pgbench -i -s SCALE`` then the default script with PGBENCH_CLIENTS clients."""
    import psycopg

    admin = url.rsplit("/", 1)[0] + "/postgres"
    with psycopg.connect(admin, autocommit=True) as connection:
        connection.execute('CREATE DATABASE "pgbench"')
    binary = str(Path(pg.bindir) / "pgbench")  # type: ignore[attr-defined]
    common = ["-h", "127.0.0.1", "-p", str(pg.port), "-U", "postgres"]  # type: ignore[attr-defined]
    env = {**os.environ, "PGUSER": "postgres"}
    log(f"{NAME}: pgbench -i -s {PGBENCH_SCALE} …")
    subprocess.run(
        [binary, *common, "-i", "-q", "-s", str(PGBENCH_SCALE), "pgbench"],
        check=True,
        capture_output=True,
        env=env,
    )
    command = [binary, *common, "-c", str(PGBENCH_CLIENTS), "-j", "2", "-T", str(PGBENCH_SECONDS)]
    log(f"{NAME}: {' '.join(command[:1] + command[9:])} …")
    done = subprocess.run(
        [*command, "pgbench"], check=True, capture_output=True, text=True, env=env
    )
    found = re.search(r"tps = ([0-9.]+) \((?:without|excluding)", done.stdout)
    if found is None:
        raise RuntimeError(f"pgbench printed no tps:\n{done.stdout}\n{done.stderr}")
    latency = re.search(r"latency average = ([0-9.]+) ms", done.stdout)
    return {
        "command": f"pgbench -c {PGBENCH_CLIENTS} -j 2 -T {PGBENCH_SECONDS} (TPC-B-like)",
        "scale": PGBENCH_SCALE,
        "tps": round(float(found.group(1)), 1),
        "latency_avg_ms": float(latency.group(1)) if latency else None,
    }


def run_benchmark(options: Options) -> Outcome:
    """Set up, place orders concurrently, verify, run pgbench; print and write the figures."""
    from magpie.testing.pgcluster import cluster

    info = machine_info()
    started = time.monotonic()
    with (
        tempfile.TemporaryDirectory(prefix="magpie-bench-checkout-") as tmp,
        cluster(settings=PG_SETTINGS) as pg,
    ):
        work = Path(tmp)
        env = migrated_env(
            pg.url, work, BENCH_CHECKOUT_CLIENTS=str(CLIENTS), BENCH_CHECKOUT_WORKERS=str(WORKERS)
        )
        setup = _run("setup", work, env)
        load = _load(work, env)
        verify = _run("verify", work, env)
        pgbench = _pgbench(pg, pg.url)
    wall = time.monotonic() - started
    ratio = round(float(load["orders_per_s"]) / float(pgbench["tps"]), 3)
    duplicates = int(verify["keys_with_more_than_one_order"]) + int(
        load["double_submits"].get("different", 0)  # type: ignore[union-attr]
    )
    checks = [
        ("orders/s", load["orders_per_s"], f">= {FLOOR_ORDERS_PER_S:.0f}",
         float(load["orders_per_s"]) >= FLOOR_ORDERS_PER_S),
        ("scarce units sold", verify["scarce_units_sold"], f"= {SCARCE}",
         verify["scarce_units_sold"] == SCARCE),
        ("oversold units", verify["oversold_units"], "= 0",
         verify["oversold_units"] == 0 and verify["rows_reserved_above_on_hand"] == 0),
        ("duplicate orders", duplicates, "= 0", duplicates == 0),
        ("errors", load.get("errors", 0), "= 0", load.get("errors", 0) == 0),
        ("order numbers gap-free", verify["numbers_gap_free"], "yes", verify["numbers_gap_free"]),
    ]  # fmt: skip
    passed = all(ok for *_rest, ok in checks)
    results_path = options.results_dir / "checkout.json"
    write_results(
        results_path,
        {
            "benchmark": NAME,
            "description": SUMMARY,
            "machine": info,
            "postgresql_settings": PG_SETTINGS,
            "wall_seconds": round(wall),
            "setup": setup,
            "load": load,
            "verify": verify,
            "pgbench": pgbench,
            "ratio_orders_to_pgbench_tps": ratio,
            "load_average_at_end": [round(x, 2) for x in os.getloadavg()],
            "checks": [
                {"check": what, "value": value, "floor": floor, "passed": ok}
                for what, value, floor, ok in checks
            ],
            "passed": passed,
        },
    )
    latency = load["latency_ms"]
    print(f"\ncheckout — {SUMMARY} (PostgreSQL, {wall:.0f} s)")
    print(
        f"  {CLIENTS} concurrent clients, a server of {load['workers']} worker processes, "
        f"{setup['products']} products, {SCARCE} scarce units; place_order through the ORM"
    )
    print(
        f"  placed {load.get('placed', 0)} orders in {load['seconds']} s: "
        f"{load['orders_per_s']} orders/s ({load['attempts']} attempts, "
        f"{load['attempts_per_s']}/s; refused sold out {load.get('refused_sold_out', 0)}, "
        f"other {load.get('refused_other', 0)}, errors {load.get('errors', 0)})"
    )
    print(
        f"  server CPU {load['server_cpu_ms_per_attempt']} ms per attempt (cart refill "
        f"included); all {os.cpu_count()} CPUs busy {_percent(load['machine_cpu_busy_share'])} "
        "of the load's time (server, clients, PostgreSQL and anything else on the machine)"
    )
    print(
        f"  placement latency (a client's wait, queue for a worker included) p50 "
        f"{latency['p50']} ms, p95 {latency['p95']} ms, p99 {latency['p99']} ms; in the "
        f"worker p50 {load['service_ms']['p50']} ms, p95 {load['service_ms']['p95']} ms"
    )
    doubles = load["double_submits"]
    print(
        f"  double submits {doubles.get('submitted', 0)}: same order "
        f"{doubles.get('same_order', 0)}, different {doubles.get('different', 0)}"
    )
    print(
        f"  scarce product: {verify['scarce_units_sold']} units sold of {SCARCE}, "
        f"reserved {verify['scarce_reserved']}, oversold {verify['oversold_units']}; "
        f"orders {verify['orders']}, keys {verify['distinct_keys']}, numbers gap-free "
        f"{verify['numbers_gap_free']}"
    )
    print(f"  {pgbench['command']}: {pgbench['tps']} transactions/s")
    print(f"  ratio orders/s ÷ pgbench tps: {ratio}")
    for what, value, floor, ok in checks:
        print(f"  {'ok  ' if ok else 'FAIL'} {what}: {value} (floor {floor})")
    for message in load["messages"][:5]:  # type: ignore[index]
        print(f"  note: {message}")
    print(("PASS" if passed else "FAIL") + ": ≥ 100 orders/s, 50 sold, 0 oversold, 0 duplicates")
    print(f"figures written to {results_path}")
    return Outcome(name=NAME, passed=passed, results_path=results_path)
