"""Run a command against a throwaway PostgreSQL cluster.

Usage::

    python -m magpie.testing.pgcluster -- pytest -q   # run a command with the URL set
    python -m magpie.testing.pgcluster                # print a cluster's URL, wait for Ctrl-C

The cluster lives in a temporary directory: ``initdb``, ``pg_ctl start`` on 127.0.0.1 and a
free port with durability switched off (``fsync=off`` and friends: it is thrown away anyway),
one database ``magpie``. The command runs with ``MAGPIE_TEST_DATABASE_URL`` set to it; when
the command ends (or this script is interrupted) the server is stopped and the directory
deleted. The command's exit code is returned.

* ``MAGPIE_TEST_DATABASE_URL`` already set: no cluster is started, the command runs with it.
* Server binaries missing: with ``MAGPIE_REQUIRE_SERVICES`` set this fails (exit 2) with a
  message; otherwise it prints why the PostgreSQL pass is skipped and exits 0.

Binaries are looked up in ``$MAGPIE_PG_BINDIR``, then ``/usr/lib/postgresql/<newest>/bin``
(Debian's ``postgresql`` package), then ``pg_config --bindir``, then ``$PATH``.
``initdb`` refuses to run as root, so as root the server runs as the unprivileged user
``$MAGPIE_PG_USER`` (default ``postgres``), created as a system user when missing.

Only the standard library is used, so this runs with any Python 3.11.
"""

from __future__ import annotations

import contextlib
import glob
import os
import pwd
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

DB_NAME = "magpie"
URL_VARIABLE = "MAGPIE_TEST_DATABASE_URL"
FALSE_WORDS = {"", "0", "false", "no", "off"}

# Durability is pointless for a cluster that is deleted after the run.
SERVER_SETTINGS = {
    "listen_addresses": "127.0.0.1",
    "fsync": "off",
    "synchronous_commit": "off",
    "full_page_writes": "off",
    "max_connections": "100",
    "shared_buffers": "128MB",
    "max_wal_size": "1GB",
    "checkpoint_timeout": "30min",
    "log_min_messages": "warning",
}


class ClusterError(RuntimeError):
    """The cluster could not be started."""


def services_required() -> bool:
    """True when ``MAGPIE_REQUIRE_SERVICES`` asks that a missing service fails the run."""
    return os.environ.get("MAGPIE_REQUIRE_SERVICES", "").strip().lower() not in FALSE_WORDS


def log(message: str) -> None:
    print(f"pgcluster: {message}", file=sys.stderr, flush=True)


def find_bindir() -> Path | None:
    """The directory holding ``initdb``, ``pg_ctl`` and ``postgres``, or None."""
    candidates: list[str] = []
    if os.environ.get("MAGPIE_PG_BINDIR"):
        candidates.append(os.environ["MAGPIE_PG_BINDIR"])

    def version_key(path: str) -> tuple[int, ...]:
        name = Path(path).parent.name
        return tuple(int(part) for part in name.split(".") if part.isdigit())

    candidates += sorted(glob.glob("/usr/lib/postgresql/*/bin"), key=version_key, reverse=True)
    pg_config = shutil.which("pg_config")
    if pg_config:
        with contextlib.suppress(OSError, subprocess.CalledProcessError):
            candidates.append(
                subprocess.run(
                    [pg_config, "--bindir"], capture_output=True, text=True, check=True
                ).stdout.strip()
            )
    initdb = shutil.which("initdb")
    if initdb:
        candidates.append(str(Path(initdb).parent))
    for candidate in candidates:
        bindir = Path(candidate)
        if all(os.access(bindir / tool, os.X_OK) for tool in ("initdb", "pg_ctl", "postgres")):
            return bindir
    return None


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def server_user() -> pwd.struct_passwd | None:
    """The unprivileged account to run the server as when we are root, else None."""
    if os.geteuid() != 0:
        return None
    name = os.environ.get("MAGPIE_PG_USER", "postgres")
    try:
        return pwd.getpwnam(name)
    except KeyError:
        log(f"creating system user {name!r} to run PostgreSQL (initdb refuses root)")
        shell = "/usr/sbin/nologin" if os.path.exists("/usr/sbin/nologin") else "/bin/false"
        subprocess.run(
            ["useradd", "--system", "--user-group", "--no-create-home", "--shell", shell, name],
            check=True,
        )
        return pwd.getpwnam(name)


class Cluster:
    """A running throwaway cluster; use :func:`cluster` to get one."""

    def __init__(self, bindir: Path, settings: dict[str, str] | None = None) -> None:
        self.bindir = bindir
        self.settings = dict(settings or {})
        self.user = server_user()
        self.root = Path(tempfile.mkdtemp(prefix="magpie-pg-"))
        self.datadir = self.root / "data"
        self.sockdir = self.root / "sock"
        self.logfile = self.root / "server.log"
        self.port = 0
        self.started = False

    @property
    def url(self) -> str:
        return f"postgres://postgres@127.0.0.1:{self.port}/{DB_NAME}"

    def _run(self, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        kwargs: dict = {}
        env = dict(os.environ, LC_ALL="C", LANG="C")
        env.pop("PGDATA", None)
        if self.user is not None:
            kwargs.update(user=self.user.pw_uid, group=self.user.pw_gid, extra_groups=[])
            env["HOME"] = str(self.root)
            env["USER"] = env["LOGNAME"] = self.user.pw_name
        result = subprocess.run(
            [str(self.bindir / args[0]), *args[1:]],
            cwd=self.root,
            env=env,
            capture_output=True,
            text=True,
            stdin=subprocess.DEVNULL,
            **kwargs,
        )
        if check and result.returncode != 0:
            raise ClusterError(
                f"{args[0]} failed with exit code {result.returncode}:\n"
                f"{result.stdout}{result.stderr}{self._log_tail()}"
            )
        return result

    def _log_tail(self) -> str:
        try:
            lines = self.logfile.read_text(errors="replace").splitlines()[-20:]
        except OSError:
            return ""
        return "\nserver log:\n" + "\n".join(lines) if lines else ""

    def start(self) -> None:
        self.sockdir.mkdir()
        if self.user is not None:
            for path in (self.root, self.sockdir):
                os.chown(path, self.user.pw_uid, self.user.pw_gid)
        self._run(
            "initdb",
            "-D",
            str(self.datadir),
            "--username=postgres",
            "--auth=trust",
            "--encoding=UTF8",
            "--no-locale",
            "--no-sync",
        )
        options = dict(SERVER_SETTINGS, **self.settings, unix_socket_directories=str(self.sockdir))
        for attempt in range(5):
            self.port = free_port()
            opts = " ".join(f"-c {key}={value}" for key, value in options.items())
            result = self._run(
                "pg_ctl",
                "start",
                "-D",
                str(self.datadir),
                "-l",
                str(self.logfile),
                "-w",
                "-t",
                "60",
                "-o",
                f"-p {self.port} {opts}",
                check=False,
            )
            if result.returncode == 0:
                self.started = True
                break
            if attempt == 4 or "could not bind" not in self._log_tail():
                raise ClusterError(
                    f"pg_ctl start failed:\n{result.stdout}{result.stderr}{self._log_tail()}"
                )
        self._run("createdb", "-h", "127.0.0.1", "-p", str(self.port), "-U", "postgres", DB_NAME)

    def stop(self) -> None:
        try:
            if self.started:
                self._run(
                    "pg_ctl", "stop", "-D", str(self.datadir), "-m", "immediate", "-w", check=False
                )
                self.started = False
        finally:
            shutil.rmtree(self.root, ignore_errors=True)


@contextlib.contextmanager
def cluster(
    bindir: Path | None = None, settings: dict[str, str] | None = None
) -> Iterator[Cluster]:
    """Start a throwaway cluster; stop it and delete its files on exit.

    ``settings`` override the server settings (e.g. a benchmark's ``shared_buffers``).
    """
    bindir = bindir or find_bindir()
    if bindir is None:
        raise ClusterError("PostgreSQL server binaries (initdb, pg_ctl, postgres) not found")
    running = Cluster(bindir, settings)
    try:
        running.start()
        yield running
    finally:
        running.stop()


def _raise_on_sigterm(signum: int, frame: object) -> None:
    raise KeyboardInterrupt


def run_command(command: list[str], url: str) -> int:
    """Run ``command`` with the database URL set; forward SIGINT/SIGTERM to it."""
    env = dict(os.environ, **{URL_VARIABLE: url})
    try:
        process = subprocess.Popen(command, env=env)
    except OSError as exc:
        log(f"cannot run {command[0]!r}: {exc}")
        return 127
    while True:
        try:
            returncode = process.wait()
            break
        except KeyboardInterrupt:
            with contextlib.suppress(ProcessLookupError):
                process.send_signal(signal.SIGTERM)
    return returncode if returncode >= 0 else 128 - returncode


def main(argv: list[str]) -> int:
    if argv and argv[0] == "--":
        argv = argv[1:]
    if argv and argv[0] in ("-h", "--help"):
        print(__doc__)
        return 0

    if os.environ.get(URL_VARIABLE):
        if not argv:
            print(os.environ[URL_VARIABLE])
            return 0
        log(f"using {URL_VARIABLE} from the environment")
        return run_command(argv, os.environ[URL_VARIABLE])

    bindir = find_bindir()
    if bindir is None:
        reason = (
            "PostgreSQL server binaries (initdb, pg_ctl, postgres) not found; "
            "install Debian's 'postgresql' package or set MAGPIE_TEST_DATABASE_URL"
        )
        if services_required():
            log(f"ERROR: {reason} (MAGPIE_REQUIRE_SERVICES is set)")
            return 2
        print(f"SKIPPED: PostgreSQL pass: {reason}", flush=True)
        return 0

    signal.signal(signal.SIGTERM, _raise_on_sigterm)
    started = time.monotonic()
    try:
        with cluster(bindir) as running:
            log(
                f"PostgreSQL {bindir.parent.name} up at {running.url} "
                f"({time.monotonic() - started:.1f}s, data in {running.root})"
            )
            if not argv:
                print(f"{URL_VARIABLE}={running.url}", flush=True)
                log("press Ctrl-C to stop and delete the cluster")
                with contextlib.suppress(KeyboardInterrupt):
                    signal.pause()
                return 0
            return run_command(argv, running.url)
    except ClusterError as exc:
        log(f"ERROR: {exc}")
        return 2
    except KeyboardInterrupt:
        return 130
    finally:
        log("cluster stopped and deleted")


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
