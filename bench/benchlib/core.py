"""What every benchmark receives (:class:`Options`) and returns (:class:`Outcome`)."""

from __future__ import annotations

import json
import os
import platform
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

BENCH_DIR = Path(__file__).resolve().parent.parent
REPO_DIR = BENCH_DIR.parent
RESULTS_DIR = BENCH_DIR / "results"


@dataclass
class Options:
    """Command-line options shared by all benchmarks."""

    duration_s: float = 10.0
    warmup_s: float = 3.0
    slices: int = 2
    connections: int = 4
    workers: int = 2
    force_python: bool = False
    keep: bool = False
    results_dir: Path = RESULTS_DIR
    verbose: bool = False


@dataclass
class Outcome:
    """A benchmark's verdict against its floor, and where its figures were written."""

    name: str
    passed: bool
    results_path: Path
    notes: list[str] = field(default_factory=list)


def machine_info() -> dict[str, object]:
    """Where the figures were measured (they only compare within one run)."""
    load = os.getloadavg() if hasattr(os, "getloadavg") else (0.0, 0.0, 0.0)
    return {
        "cpus": os.cpu_count(),
        "platform": platform.platform(),
        "python": sys.version.split()[0],
        "loadavg_at_start": [round(x, 2) for x in load],
        "timestamp": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
    }


def write_results(path: Path, data: dict[str, object]) -> None:
    """Write a benchmark's figures as indented JSON."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data, indent=2, sort_keys=False) + "\n", encoding="utf-8")


def log(message: str) -> None:
    """Progress on stderr, figures on stdout."""
    print(f"[bench] {message}", file=sys.stderr, flush=True)
