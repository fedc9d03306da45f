"""A small HTTP/1.1 load generator for machines without ``wrk``.

``connections`` asyncio tasks each send ``GET`` requests back to back over one keep-alive
connection, reconnecting when the server closes it (gunicorn's sync workers answer
``Connection: close``). Latency is measured from sending the request (or opening the
connection it needs) to the last byte of the body.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass, field
from urllib.parse import urlsplit


@dataclass
class PyLoadStats:
    """Raw figures of one Python load run."""

    duration_s: float = 0.0
    latencies_s: list[float] = field(default_factory=list)
    status_200: int = 0
    status_other: int = 0
    errors: int = 0
    bytes: int = 0


async def _read_response(reader: asyncio.StreamReader) -> tuple[int, int, bool]:
    """Read one response; return status, its size (head and body), and whether the server
    keeps the connection open."""
    head = await reader.readuntil(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split(" ", 2)[1])
    headers: dict[str, str] = {}
    for line in lines[1:]:
        if ":" in line:
            name, _, value = line.partition(":")
            headers[name.strip().lower()] = value.strip()
    keep_alive = headers.get("connection", "").lower() != "close"
    size = len(head)
    if "content-length" in headers:
        length = int(headers["content-length"])
        await reader.readexactly(length)
        size += length
    elif headers.get("transfer-encoding", "").lower() == "chunked":
        while True:
            chunk_len = int((await reader.readuntil(b"\r\n")).split(b";")[0], 16)
            await reader.readexactly(chunk_len + 2)
            size += chunk_len
            if chunk_len == 0:
                break
    else:
        size += len(await reader.read())
        keep_alive = False
    return status, size, keep_alive


async def _client(url: str, stop_at: float, stats: PyLoadStats) -> None:
    parts = urlsplit(url)
    host, port = parts.hostname or "127.0.0.1", parts.port or 80
    target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    request = (
        f"GET {target} HTTP/1.1\r\nHost: {parts.netloc}\r\nUser-Agent: magpie-bench\r\n"
        "Accept: text/html\r\nConnection: keep-alive\r\n\r\n"
    ).encode()
    reader: asyncio.StreamReader | None = None
    writer: asyncio.StreamWriter | None = None
    while time.monotonic() < stop_at:
        started = time.perf_counter()
        try:
            if writer is None:
                reader, writer = await asyncio.open_connection(host, port)
            assert reader is not None
            writer.write(request)
            await writer.drain()
            remaining = max(stop_at - time.monotonic(), 0.001) + 10.0
            status, size, keep_alive = await asyncio.wait_for(_read_response(reader), remaining)
        except (TimeoutError, OSError, asyncio.IncompleteReadError, ValueError):
            stats.errors += 1
            if writer is not None:
                writer.close()
            reader = writer = None
            await asyncio.sleep(0.01)
            continue
        if time.monotonic() > stop_at:
            break  # finished after the deadline: not part of the measured window
        stats.latencies_s.append(time.perf_counter() - started)
        stats.bytes += size
        if status == 200:
            stats.status_200 += 1
        else:
            stats.status_other += 1
        if not keep_alive:
            writer.close()
            reader = writer = None
    if writer is not None:
        writer.close()


async def _run(url: str, duration_s: float, connections: int) -> PyLoadStats:
    stats = PyLoadStats()
    started = time.monotonic()
    stop_at = started + duration_s
    await asyncio.gather(*(_client(url, stop_at, stats) for _ in range(connections)))
    stats.duration_s = min(time.monotonic() - started, duration_s)
    return stats


def run_python_load(url: str, duration_s: float, connections: int) -> PyLoadStats:
    """Load ``url`` for ``duration_s`` seconds with ``connections`` concurrent clients."""
    return asyncio.run(_run(url, duration_s, connections))
