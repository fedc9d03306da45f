"""A real single-node OpenSearch 2.19 for tests and benchmarks, built from Maven Central jars.

Usage::

    python -m magpie.testing.opensearch [--port N] [--heap 512m]   # runs until Ctrl-C

    from magpie.testing import opensearch
    with opensearch.start() as node:        # builds once, free port, temporary directory
        client = OpenSearch(node.url)       # "http://127.0.0.1:PORT"

The node is the Maven project ``search/opensearch-node``: ``org.opensearch:opensearch`` with
the plugins transport-netty4, analysis-common and mapper-extras on the class path, started as
an ``org.opensearch.node.Node`` subclass (no distribution tarball is downloaded). It listens on
127.0.0.1 only (single-node discovery, cluster ``magpie-test``, disk watermarks off) with a
heap of 256 MB growing to ``heap`` (default 512m). ``build()`` runs ``mvn package`` once
(offline first, online when something is missing) and again only when the POM or the sources
are newer than the jar.

Environment:

``MAGPIE_OPENSEARCH_JAVA_OPTS``
    JVM options added after the defaults (so ``-Xmx1g`` there wins over ``heap``).
``MAGPIE_OPENSEARCH_NODE_DIR``
    The Maven project (default: ``search/opensearch-node`` of this checkout).
``JAVA`` / ``MVN``
    The ``java`` and ``mvn`` commands (default: found on ``PATH``).

Only the standard library is used.
"""

from __future__ import annotations

import argparse
import fcntl
import os
import shlex
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path
from types import TracebackType

MAIN_CLASS = "magpie.opensearch.MagpieNode"
JAR_NAME = "magpie-opensearch-node.jar"
DEFAULT_HEAP = "512m"
INITIAL_HEAP = "256m"
START_TIMEOUT = 90.0
LOG_NAME = "node.log"

# What the distribution's jvm.options sets and an embedded node still wants.
JVM_FLAGS = [
    "-XX:+UseG1GC",
    "-XX:+ExitOnOutOfMemoryError",
    "-Xss1m",
    "-Djava.awt.headless=true",
    "-Dfile.encoding=UTF-8",
    "-Djava.locale.providers=SPI,COMPAT",
    "-Dio.netty.noUnsafe=true",
    "-Dio.netty.noKeySetOptimization=true",
    "-Dio.netty.recycler.maxCapacityPerThread=0",
    "-Dlog4j.shutdownHookEnabled=false",
    "-Dlog4j2.disable.jmx=true",
]


class OpenSearchError(RuntimeError):
    """The node could not be built or started; the message says why."""


def node_dir() -> Path:
    """The Maven project of the node (``search/opensearch-node`` of this checkout)."""
    configured = os.environ.get("MAGPIE_OPENSEARCH_NODE_DIR")
    if configured:
        return Path(configured).resolve()
    return Path(__file__).resolve().parents[3] / "search" / "opensearch-node"


def _java() -> str | None:
    return shutil.which(os.environ.get("JAVA") or "java")


def _mvn() -> str | None:
    return shutil.which(os.environ.get("MVN") or "mvn")


def jar_path() -> Path:
    """Where ``mvn package`` writes the node's jar (its class path is ``lib/`` beside it)."""
    return node_dir() / "target" / JAR_NAME


def available() -> str | None:
    """Return None when a node can be built and started here, else the reason it cannot."""
    if not _java():
        return "java not found; install a JDK >= 17 (Debian: default-jdk-headless)"
    if not (node_dir() / "pom.xml").is_file():
        return f"{node_dir() / 'pom.xml'} not found (set MAGPIE_OPENSEARCH_NODE_DIR)"
    if not _is_fresh() and not _mvn():
        return "mvn not found; install Maven (Debian: maven)"
    return None


def _is_fresh() -> bool:
    """True when the jar and its lib/ exist and are newer than the POM and every source."""
    jar = jar_path()
    lib = jar.parent / "lib"
    if not jar.is_file() or not lib.is_dir() or not any(lib.glob("*.jar")):
        return False
    root = node_dir()
    sources = [root / "pom.xml", *(p for p in (root / "src").rglob("*") if p.is_file())]
    built = jar.stat().st_mtime
    return all(p.stat().st_mtime < built for p in sources)


def build() -> Path:
    """Build the node with Maven unless the jar is up to date; return the jar's path.

    Tries ``mvn -o`` (offline, from ``~/.m2``) first and goes online when that fails.
    Concurrent callers wait for each other (a file lock). Raises :class:`OpenSearchError`
    with the end of Maven's output when both fail.
    """
    reason = available()
    if reason:
        raise OpenSearchError(reason)
    root = node_dir()
    (root / "target").mkdir(exist_ok=True)
    with open(root / "target" / ".build.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if _is_fresh():
            return jar_path()
        mvn = _mvn()
        if not mvn:
            raise OpenSearchError("mvn not found; install Maven (Debian: maven)")
        base = [mvn, "-q", "-B", "-f", str(root / "pom.xml"), "package", "-DskipTests"]
        output = ""
        for command in ([*base[:1], "-o", *base[1:]], base):
            result = subprocess.run(
                command, cwd=root, capture_output=True, text=True, stdin=subprocess.DEVNULL
            )
            if result.returncode == 0 and jar_path().is_file():
                os.utime(jar_path())  # newer than every source, even if Maven kept the jar
                return jar_path()
            output = (result.stdout + result.stderr).strip()
        tail = "\n".join(output.splitlines()[-30:])
        raise OpenSearchError(
            f"building the OpenSearch node failed ({shlex.join(base)} in {root}):\n{tail}"
        )


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _log_tail(path: Path, lines: int = 40) -> str:
    try:
        text = path.read_text(errors="replace")
    except OSError:
        return "(no log)"
    return "\n".join(text.splitlines()[-lines:]) or "(empty log)"


class OpenSearchNode:
    """A running node: ``url`` is ``http://127.0.0.1:PORT``; ``stop()`` ends it.

    Use it as a context manager to stop it (and delete its directory) on leaving the block.
    """

    def __init__(
        self, process: subprocess.Popen[bytes], port: int, directory: Path, keep: bool = False
    ) -> None:
        self.process = process
        self.port = port
        self.directory = directory
        self.keep = keep

    @property
    def url(self) -> str:
        """The node's HTTP address, e.g. ``http://127.0.0.1:9200``."""
        return f"http://127.0.0.1:{self.port}"

    @property
    def log_path(self) -> Path:
        """The node's stdout and stderr (OpenSearch's log)."""
        return self.directory / LOG_NAME

    def log_tail(self, lines: int = 40) -> str:
        """The last ``lines`` lines of the node's log."""
        return _log_tail(self.log_path, lines)

    def running(self) -> bool:
        """True while the Java process is alive."""
        return self.process.poll() is None

    def stop(self, timeout: float = 30.0) -> None:
        """Stop the node (SIGTERM, then SIGKILL after ``timeout`` s) and delete its directory."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        if not self.keep:
            shutil.rmtree(self.directory, ignore_errors=True)

    def __enter__(self) -> OpenSearchNode:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()

    def __repr__(self) -> str:
        state = "running" if self.running() else f"exited {self.process.returncode}"
        return f"<OpenSearchNode {self.url} {state} in {self.directory}>"


def _heap_bytes(heap: str) -> int:
    units = {"k": 1 << 10, "m": 1 << 20, "g": 1 << 30}
    text = heap.strip().lower()
    if text and text[-1] in units:
        return int(text[:-1]) * units[text[-1]]
    return int(text)


def _healthy(url: str) -> bool:
    try:
        with urllib.request.urlopen(
            f"{url}/_cluster/health?wait_for_status=yellow&timeout=1s", timeout=5
        ) as response:
            return response.status == 200
    except (urllib.error.URLError, OSError):
        return False


def start(
    port: int | None = None,
    heap: str = DEFAULT_HEAP,
    *,
    timeout: float = START_TIMEOUT,
    directory: str | os.PathLike[str] | None = None,
) -> OpenSearchNode:
    """Build if needed, start a node and wait until its cluster health is yellow.

    ``port`` defaults to a free one; ``heap`` is the maximum Java heap (``-Xmx``; the node
    starts with 256m or less); ``directory`` (default: a new temporary directory, deleted by
    ``stop()``) holds ``home/``, ``data/`` and the log ``node.log``. Raises
    :class:`OpenSearchError` with the end of the node's log when it exits or is not healthy
    within ``timeout`` seconds.
    """
    jar = build()
    java = _java()
    assert java  # checked by build()
    keep = directory is not None
    root = Path(directory) if keep else Path(tempfile.mkdtemp(prefix="magpie-opensearch-"))
    root.mkdir(parents=True, exist_ok=True)
    port = port or free_port()
    initial = heap if _heap_bytes(heap) < _heap_bytes(INITIAL_HEAP) else INITIAL_HEAP
    (root / "tmp").mkdir(exist_ok=True)
    command = [
        java,
        f"-Xms{initial}",
        f"-Xmx{heap}",
        *JVM_FLAGS,
        f"-Djava.io.tmpdir={root / 'tmp'}",
        *shlex.split(os.environ.get("MAGPIE_OPENSEARCH_JAVA_OPTS", "")),
        "-cp",
        f"{jar}{os.pathsep}{jar.parent / 'lib' / '*'}",
        MAIN_CLASS,
        "--port",
        str(port),
        "--home",
        str(root / "home"),
        "--data",
        str(root / "data"),
        "--watch-pid",
        str(os.getpid()),
    ]
    with open(root / LOG_NAME, "ab") as log:
        log.write(f"$ {shlex.join(command)}\n".encode())
        log.flush()
        process = subprocess.Popen(
            command,
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            cwd=root,
            start_new_session=True,  # Ctrl-C reaches us; we stop the node ourselves
        )
    node = OpenSearchNode(process, port, root, keep=keep)
    deadline = time.monotonic() + timeout
    try:
        while True:
            if process.poll() is not None:
                raise OpenSearchError(
                    f"OpenSearch exited with code {process.returncode} while starting; "
                    f"end of {node.log_path}:\n{node.log_tail()}"
                )
            if _healthy(node.url):
                return node
            if time.monotonic() > deadline:
                raise OpenSearchError(
                    f"OpenSearch on {node.url} was not healthy within {timeout:.0f} s; "
                    f"end of {node.log_path}:\n{node.log_tail()}"
                )
            time.sleep(0.25)
    except BaseException:
        node.keep = True  # keep the log for the message's reader
        node.stop()
        raise


def main(argv: list[str] | None = None) -> int:
    """Run a node in the foreground until Ctrl-C or SIGTERM; print its URL."""
    parser = argparse.ArgumentParser(
        prog="python -m magpie.testing.opensearch",
        description="Run a single-node OpenSearch 2.19 on 127.0.0.1 until Ctrl-C.",
    )
    parser.add_argument("--port", type=int, default=None, help="HTTP port (default: free)")
    parser.add_argument("--heap", default=DEFAULT_HEAP, help="maximum Java heap (-Xmx)")
    args = parser.parse_args(argv)
    reason = available()
    if reason:
        print(f"OpenSearch node not available: {reason}", file=sys.stderr)
        return 2
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    signal.signal(signal.SIGINT, signal.default_int_handler)  # even if started in background
    print("building and starting OpenSearch ...", file=sys.stderr, flush=True)
    started = time.monotonic()
    try:
        node = start(args.port, args.heap)
    except OpenSearchError as error:
        print(error, file=sys.stderr)
        return 1
    try:
        print(f"OpenSearch {node.url} (started in {time.monotonic() - started:.1f} s)")
        print(f"SEARCH_URL=opensearch://127.0.0.1:{node.port}")
        print(f"log: {node.log_path}; Ctrl-C stops", flush=True)
        while node.running():
            time.sleep(0.5)
        print(f"OpenSearch exited ({node.process.returncode}):\n{node.log_tail()}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 0
    finally:
        node.stop()


if __name__ == "__main__":
    sys.exit(main())
