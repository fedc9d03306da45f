"""Start and stop child processes so that none outlives the benchmark.

Every child starts in its own session (its own process group), so a server and the workers
it forks are stopped together with one signal to the group. :class:`ProcessRegistry` keeps
every child it started; :meth:`ProcessRegistry.stop_all` runs on normal exit, on errors, on
Ctrl-C and on SIGTERM/SIGHUP (turned into :class:`KeyboardInterrupt` by
:func:`install_signal_handlers`).
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Mapping, Sequence
from pathlib import Path
from types import FrameType

from benchlib.core import REPO_DIR, log

STOP_TIMEOUT_S = 10.0


class BenchError(RuntimeError):
    """A preparation step failed; the message says which and shows the end of its output."""


class ProcessRegistry:
    """The children a benchmark started, stopped as process groups."""

    def __init__(self) -> None:
        self._procs: list[subprocess.Popen[bytes]] = []
        self._lock = threading.Lock()
        self.stopping = False

    def spawn(
        self,
        cmd: Sequence[str],
        *,
        env: Mapping[str, str],
        cwd: Path | None = None,
        log: Path | None = None,
    ) -> subprocess.Popen[bytes]:
        """Start ``cmd`` in a new session, output appended to ``log`` (or discarded)."""
        with self._lock:
            if self.stopping:
                raise BenchError("the benchmark is stopping; not starting " + " ".join(cmd))
            out = open(log, "ab") if log else subprocess.DEVNULL
            try:
                proc = subprocess.Popen(
                    list(cmd),
                    env=dict(env),
                    cwd=cwd,
                    stdin=subprocess.DEVNULL,
                    stdout=out,
                    stderr=subprocess.STDOUT,
                    start_new_session=True,
                )
            finally:
                if log:
                    out.close()  # the child holds its own descriptor
            self._procs.append(proc)
            return proc

    def run(
        self,
        cmd: Sequence[str],
        *,
        env: Mapping[str, str],
        cwd: Path | None = None,
        log: Path,
        timeout: float = 300.0,
        what: str = "",
    ) -> int:
        """Run ``cmd`` to completion; raise :class:`BenchError` with its output on failure."""
        with open(log, "ab") as fh:
            fh.write(f"\n$ {' '.join(cmd)}\n".encode())
        proc = self.spawn(cmd, env=env, cwd=cwd, log=log)
        try:
            code = proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired as exc:
            self.stop(proc)
            message = f"{what or cmd[0]} timed out after {timeout:.0f} s; see {log}"
            raise BenchError(message) from exc
        finally:
            self._forget(proc)
        if code != 0:
            raise BenchError(
                f"{what or ' '.join(cmd)} failed with exit code {code}:\n{tail(log)}\n(log: {log})"
            )
        return code

    def stop(self, proc: subprocess.Popen[bytes], timeout: float = STOP_TIMEOUT_S) -> None:
        """SIGTERM the process group of ``proc``, SIGKILL it if it does not exit in time."""
        if proc.poll() is None:
            _signal_group(proc, signal.SIGTERM)
            try:
                proc.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                _signal_group(proc, signal.SIGKILL)
                proc.wait(timeout=5)
        # Workers of a server may outlive their master for a moment; the group goes too.
        _signal_group(proc, signal.SIGKILL)
        self._forget(proc)

    def stop_all(self) -> None:
        """Stop every child still known; safe to call more than once."""
        with self._lock:
            self.stopping = True
            procs = list(self._procs)
        for proc in procs:
            try:
                self.stop(proc)
            except Exception:  # keep stopping the others
                pass

    def _forget(self, proc: subprocess.Popen[bytes]) -> None:
        with self._lock:
            if proc in self._procs:
                self._procs.remove(proc)


def _signal_group(proc: subprocess.Popen[bytes], sig: signal.Signals) -> None:
    try:
        os.killpg(proc.pid, sig)  # the child leads its own session: pgid == pid
    except (ProcessLookupError, PermissionError):
        pass


def install_signal_handlers() -> None:
    """Turn SIGTERM and SIGHUP into :class:`KeyboardInterrupt`, so clean-up always runs."""

    def interrupt(signum: int, _frame: FrameType | None) -> None:
        raise KeyboardInterrupt(f"signal {signum}")

    for sig in (signal.SIGTERM, signal.SIGHUP):
        signal.signal(sig, interrupt)


def tail(path: Path, lines: int = 25) -> str:
    """The last ``lines`` lines of a log file."""
    try:
        text = path.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return ""
    return "\n".join(text.rstrip().splitlines()[-lines:])


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def fetch(url: str, timeout: float = 10.0) -> tuple[int, bytes]:
    """GET ``url`` without following redirects; return status and body."""

    class NoRedirect(urllib.request.HTTPRedirectHandler):
        def redirect_request(self, *args: object, **kwargs: object) -> None:
            return None

    opener = urllib.request.build_opener(NoRedirect)
    try:
        with opener.open(url, timeout=timeout) as resp:
            return resp.status, resp.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read()


def wait_until_serving(
    url: str, proc: subprocess.Popen[bytes], log: Path, timeout: float = 60.0
) -> tuple[int, bytes]:
    """Poll ``url`` until the server answers; fail early if the server process died."""
    deadline = time.monotonic() + timeout
    last_error = ""
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise BenchError(f"server exited with code {proc.returncode}:\n{tail(log)}")
        try:
            return fetch(url, timeout=10.0)
        except (urllib.error.URLError, ConnectionError, TimeoutError, OSError) as exc:
            last_error = str(exc)
            time.sleep(0.2)
    raise BenchError(f"server at {url} did not answer within {timeout:.0f} s ({last_error})")


def run_step(
    steps: Path,
    step: str,
    work: Path,
    env: dict[str, str],
    *,
    bench: str,
    label: str = "",
    timeout: float = 3600,
) -> dict[str, object]:
    """Run ``python <steps> <step> <work>`` in its own process (its own peak memory) and
    return the JSON it printed on its last ``RESULT=`` line; fail with its output's tail."""
    label = label or step
    log(f"{bench}: {label} …")
    started = time.monotonic()
    done = subprocess.run(
        [sys.executable, str(steps), step, str(work)],
        env=env,
        cwd=REPO_DIR,
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    if done.returncode != 0:
        raise RuntimeError(f"step {label} failed:\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}")
    line = next(x for x in done.stdout.splitlines()[::-1] if x.startswith("RESULT="))
    result = json.loads(line.removeprefix("RESULT="))
    log(f"{bench}: {label} done in {time.monotonic() - started:.0f} s")
    return result


#: Variables of the caller's environment a benchmark step must not inherit.
INHERITED_SETTINGS = (
    "DJANGO_SETTINGS_MODULE",
    "MAGPIE_PLUGINS",
    "TASK_BACKEND",
    "CACHE_URL",
    "MAGPIE_PAGE_CACHE_SECONDS",
)


def migrated_env(database_url: str, work: Path, **settings: str) -> dict[str, str]:
    """The environment for a benchmark's steps against ``database_url`` (first-party plugins
    only, tasks not run, ``work`` as MAGPIE_HOME, plus ``settings``), after migrating it."""
    env = {k: v for k, v in os.environ.items() if k not in INHERITED_SETTINGS}
    env.update(
        DATABASE_URL=database_url,
        MAGPIE_HOME=str(work),
        MAGPIE_PLUGINS="",
        TASK_BACKEND="dummy",
        **settings,
    )
    subprocess.run(
        [sys.executable, "-m", "magpie", "manage", "migrate", "-v", "0"],
        env=env,
        check=True,
        cwd=REPO_DIR,
    )
    return env
