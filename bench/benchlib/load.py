"""Run a load generator against a URL; merge runs into requests/s and latency percentiles.

``wrk`` is used when installed (one thread is enough at these rates and leaves the CPU to
the server); otherwise :mod:`benchlib.pyload`. Both count responses whose status is not
200 and transport errors, and both return the full latency histogram, so several short
runs (slices, interleaved between two servers to cancel out background load) merge into
exact figures.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from collections import Counter
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from pathlib import Path

from benchlib.procs import BenchError
from benchlib.pyload import run_python_load

WRK_SCRIPT = Path(__file__).with_name("wrk_report.lua")


@dataclass
class LoadSample:
    """Raw figures of one load run; ``histogram`` maps latency (µs) to a request count."""

    tool: str
    duration_s: float
    requests: int
    status_200: int
    status_other: int
    errors: int
    bytes: int
    histogram: Counter[int] = field(default_factory=Counter)

    @property
    def requests_per_s(self) -> float:
        """Completed requests per second of this run."""
        return self.requests / self.duration_s if self.duration_s else 0.0


@dataclass
class LoadResult:
    """Merged figures of one or more runs against one URL (latencies in milliseconds)."""

    tool: str
    connections: int
    duration_s: float
    requests: int
    requests_per_s: float
    latency_mean_ms: float
    latency_p50_ms: float
    latency_p95_ms: float
    latency_p99_ms: float
    latency_max_ms: float
    status_200: int
    status_other: int
    errors: int
    bytes_per_response: int
    slices_requests_per_s: list[float]

    def as_dict(self) -> dict[str, object]:
        """The figures as a JSON-ready dict."""
        return asdict(self)


def wrk_version() -> str | None:
    """``wrk``'s version line, or None when it is not installed."""
    path = shutil.which("wrk")
    if not path:
        return None
    out = subprocess.run([path, "-v"], capture_output=True, text=True, check=False)
    first = (out.stdout or out.stderr).strip().splitlines()
    return first[0].split(" [")[0].strip() if first else "wrk"


def generator_name(force_python: bool = False) -> str:
    """The load generator a run will use: ``wrk …`` or ``python``."""
    version = None if force_python else wrk_version()
    return version or "python (bench/benchlib/pyload.py)"


def run_load(
    url: str, duration_s: float, connections: int, force_python: bool = False
) -> LoadSample:
    """Load ``url`` for ``duration_s`` seconds with ``connections`` concurrent connections."""
    if not force_python and shutil.which("wrk"):
        return _run_wrk(url, duration_s, connections)
    return _run_python(url, duration_s, connections)


def _run_wrk(url: str, duration_s: float, connections: int) -> LoadSample:
    cmd = [
        "wrk",
        "--threads", "1",
        "--connections", str(connections),
        "--duration", f"{max(int(round(duration_s)), 1)}s",
        "--timeout", "10s",
        "--script", str(WRK_SCRIPT),
        url,
    ]  # fmt: skip
    out = subprocess.run(cmd, capture_output=True, text=True, timeout=duration_s + 60, check=False)
    line = next((ln for ln in out.stdout.splitlines() if ln.startswith("WRK_JSON ")), None)
    if out.returncode != 0 or line is None:
        raise BenchError(f"wrk failed ({out.returncode}):\n{out.stdout}\n{out.stderr}")
    data = json.loads(line.removeprefix("WRK_JSON "))
    errors = sum(int(data[k]) for k in ("err_connect", "err_read", "err_write", "err_timeout"))
    return LoadSample(
        tool="wrk",
        duration_s=data["duration_us"] / 1e6,
        requests=int(data["requests"]),
        status_200=int(data["status_200"]),
        status_other=int(data["status_other"]),
        errors=errors,
        bytes=int(data["bytes"]),
        histogram=Counter({int(v): int(c) for v, c in data["histogram"]}),
    )


def _run_python(url: str, duration_s: float, connections: int) -> LoadSample:
    stats = run_python_load(url, duration_s, connections)
    return LoadSample(
        tool="python",
        duration_s=stats.duration_s,
        requests=len(stats.latencies_s),
        status_200=stats.status_200,
        status_other=stats.status_other,
        errors=stats.errors,
        bytes=stats.bytes,
        histogram=Counter(int(s * 1e6) for s in stats.latencies_s),
    )


def _percentile(histogram: Counter[int], pct: float) -> int:
    """Nearest-rank percentile (µs) of a latency histogram; 0 when empty."""
    total = sum(histogram.values())
    if not total:
        return 0
    rank = max(int(-(-pct * total // 100)), 1)  # ceil without floats drifting
    seen = 0
    for value in sorted(histogram):
        seen += histogram[value]
        if seen >= rank:
            return value
    return max(histogram)


def combine(samples: Iterable[LoadSample], connections: int) -> LoadResult:
    """Merge runs against the same URL into one result."""
    runs = list(samples)
    if not runs:
        raise ValueError("no load samples to combine")
    histogram: Counter[int] = Counter()
    for run in runs:
        histogram.update(run.histogram)
    duration = sum(r.duration_s for r in runs)
    requests = sum(r.requests for r in runs)
    latencies = sum(histogram.values())
    mean_us = sum(v * c for v, c in histogram.items()) / latencies if latencies else 0.0
    return LoadResult(
        tool=runs[0].tool,
        connections=connections,
        duration_s=round(duration, 3),
        requests=requests,
        requests_per_s=round(requests / duration, 2) if duration else 0.0,
        latency_mean_ms=round(mean_us / 1000, 2),
        latency_p50_ms=round(_percentile(histogram, 50) / 1000, 2),
        latency_p95_ms=round(_percentile(histogram, 95) / 1000, 2),
        latency_p99_ms=round(_percentile(histogram, 99) / 1000, 2),
        latency_max_ms=round(max(histogram, default=0) / 1000, 2),
        status_200=sum(r.status_200 for r in runs),
        status_other=sum(r.status_other for r in runs),
        errors=sum(r.errors for r in runs),
        bytes_per_response=int(sum(r.bytes for r in runs) / requests) if requests else 0,
        slices_requests_per_s=[round(r.requests_per_s, 1) for r in runs],
    )
