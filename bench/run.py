"""Run Magpie's benchmarks: ``.venv/bin/python bench/run.py [NAME ...] [--strict]``.

Every module ``bench/<name>.py`` that defines ``run_benchmark(options) -> Outcome`` is a
benchmark (today: ``pages``). Each measures a baseline in the same run, prints its figures
and a PASS/FAIL line against its floor, and writes ``bench/results/<name>.json``.

Exit status: 0 when every benchmark ran (whatever the verdicts), 1 with ``--strict`` when a
floor was missed, 2 when a benchmark crashed, 130 on Ctrl-C.
"""

from __future__ import annotations

import argparse
import importlib
import sys
import traceback
from collections.abc import Sequence
from pathlib import Path
from types import ModuleType

BENCH_DIR = Path(__file__).resolve().parent
if str(BENCH_DIR) not in sys.path:
    sys.path.insert(0, str(BENCH_DIR))

from benchlib.core import RESULTS_DIR, Options, Outcome, log  # noqa: E402
from benchlib.procs import BenchError, install_signal_handlers  # noqa: E402


def discover() -> dict[str, ModuleType]:
    """Benchmark modules in bench/, by name."""
    found: dict[str, ModuleType] = {}
    for path in sorted(BENCH_DIR.glob("*.py")):
        if path.stem.startswith("_") or path.stem == "run":
            continue
        module = importlib.import_module(path.stem)
        if callable(getattr(module, "run_benchmark", None)):
            found[getattr(module, "NAME", path.stem)] = module
    return found


def build_parser(names: Sequence[str]) -> argparse.ArgumentParser:
    """The command-line interface."""
    parser = argparse.ArgumentParser(
        prog="bench/run.py", description="Run Magpie's benchmarks (see docs/benchmarks.md)."
    )
    parser.add_argument("names", nargs="*", metavar="NAME", help=f"one of {', '.join(names)}")
    parser.add_argument("--strict", action="store_true", help="exit 1 when a floor is missed")
    parser.add_argument("--duration", type=float, default=10.0, help="seconds of load (10)")
    parser.add_argument("--warmup", type=float, default=3.0, help="seconds of warm-up (3)")
    parser.add_argument(
        "--slices",
        type=int,
        default=2,
        help="measure each site in N interleaved slices of duration/N seconds (2)",
    )
    parser.add_argument("--connections", type=int, default=4, help="concurrent connections (4)")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers (2)")
    parser.add_argument(
        "--python-load", action="store_true", help="use the Python load generator, not wrk"
    )
    parser.add_argument("--keep", action="store_true", help="keep the temporary directories")
    parser.add_argument("--results-dir", type=Path, default=RESULTS_DIR)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the chosen (default: all) benchmarks; return the process exit status."""
    benchmarks = discover()
    args = build_parser(list(benchmarks)).parse_args(argv)
    unknown = [n for n in args.names if n not in benchmarks]
    if unknown:
        print(f"unknown benchmark(s): {', '.join(unknown)}; known: {', '.join(benchmarks)}")
        return 2
    options = Options(
        duration_s=args.duration,
        warmup_s=args.warmup,
        slices=args.slices,
        connections=args.connections,
        workers=args.workers,
        force_python=args.python_load,
        keep=args.keep,
        results_dir=args.results_dir,
    )
    install_signal_handlers()
    outcomes: list[Outcome] = []
    crashed = False
    try:
        for name in args.names or list(benchmarks):
            log(f"running {name}")
            try:
                outcomes.append(benchmarks[name].run_benchmark(options))
            except BenchError as exc:
                print(f"\n{name}: ERROR: {exc}", file=sys.stderr)
                crashed = True
            except Exception:
                traceback.print_exc()
                crashed = True
    except KeyboardInterrupt:
        print("\ninterrupted; servers stopped", file=sys.stderr)
        return 130
    if crashed:
        return 2
    if args.strict and not all(o.passed for o in outcomes):
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
