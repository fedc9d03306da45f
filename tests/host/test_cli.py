"""The ``magpie`` command: demo set-up twice, serving, and Ctrl-C stopping every process."""

from __future__ import annotations

import os
import secrets
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _env(home: Path, **extra: str) -> dict[str, str]:
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in ("DJANGO_SETTINGS_MODULE", "DATABASE_URL", "TASK_BACKEND", "SECRET_KEY")
    }
    env.update(MAGPIE_HOME=str(home), MAGPIE_PLUGINS="", **extra)
    return env


def _magpie(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "magpie", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )


def _group_members(pgid: int) -> list[int]:
    members = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[2]) == pgid and fields[0] != "Z":
            members.append(int(stat.parent.name))
    return members


def _wait_for(url: str, proc: subprocess.Popen, timeout: float = 90) -> int:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        assert proc.poll() is None, "the server exited early"
        try:
            with urllib.request.urlopen(url, timeout=5) as response:
                return response.status
        except urllib.error.HTTPError as exc:
            return exc.code
        except OSError:
            time.sleep(0.5)
    raise AssertionError(f"{url} did not answer within {timeout} s")


def _stop(proc: subprocess.Popen, sig: int) -> None:
    proc.send_signal(sig)
    try:
        proc.wait(timeout=30)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
    deadline = time.monotonic() + 10
    while _group_members(proc.pid) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert _group_members(proc.pid) == [], "child processes outlived the command"


@pytest.fixture(scope="module")
def demo_home(tmp_path_factory):
    return tmp_path_factory.mktemp("demo-home")


def test_demo_prepares_once_and_prints_the_password_once(demo_home):
    first = _magpie("demo", "--no-serve", env=_env(demo_home))
    assert first.returncode == 0, first.stderr
    assert "admin" in first.stdout
    assert "assword" in first.stdout
    assert (demo_home / "var" / "magpie.sqlite3").exists()

    second = _magpie("demo", "--no-serve", env=_env(demo_home))
    assert second.returncode == 0, second.stderr
    assert "assword:" not in second.stdout


def test_demo_serves_with_a_worker_and_ctrl_c_stops_both(demo_home):
    port = _free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "magpie", "demo", "--bind", f"127.0.0.1:{port}"],
        env=_env(demo_home),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    try:
        assert _wait_for(f"http://127.0.0.1:{port}/de/", proc) == 200
        commands = [
            Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
            for pid in _group_members(proc.pid)
        ]
        assert any("db_worker" in c for c in commands), commands
        assert any("runserver" in c for c in commands), commands
    finally:
        _stop(proc, signal.SIGINT)


def test_serve_runs_gunicorn_in_production_mode(demo_home):
    port = _free_port()
    env = _env(
        demo_home,
        DJANGO_SETTINGS_MODULE="magpie.settings.production",
        SECRET_KEY=secrets.token_urlsafe(50),
        ALLOWED_HOSTS="127.0.0.1",
        SECURE_SSL_REDIRECT="0",
    )
    proc = subprocess.Popen(
        [sys.executable, "-m", "magpie", "serve", "--bind", f"127.0.0.1:{port}", "--workers", "1"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    try:
        assert _wait_for(f"http://127.0.0.1:{port}/robots.txt", proc) == 200
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/de/", timeout=10) as response:
            assert response.status == 200
            assert response.headers["X-Frame-Options"] == "DENY"
    finally:
        _stop(proc, signal.SIGTERM)
