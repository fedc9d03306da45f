"""The ``magpie`` command line.

* ``magpie demo`` — migrate, load demo content, create an admin, serve with a worker;
* ``magpie serve`` — production server (gunicorn) plus task worker and event sweeper;
* ``magpie startplugin NAME [DIR]`` — scaffold a pip-installable plugin;
* ``magpie manage …`` — any Django management command.
"""

from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys
import time
from collections.abc import Sequence

DEV_SETTINGS = "magpie.settings.dev"
PRODUCTION_SETTINGS = "magpie.settings.production"


def _manage(argv: Sequence[str], settings: str = DEV_SETTINGS) -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", settings)
    from django.core.management import execute_from_command_line

    execute_from_command_line(["magpie manage", *argv])


def _manage_cmd(*args: str) -> list[str]:
    return [sys.executable, "-m", "magpie", "manage", *args]


def run_together(commands: list[list[str]], env: dict[str, str] | None = None) -> int:
    """Run several processes side by side; when one exits or Ctrl-C arrives, stop them all."""
    procs = [subprocess.Popen(cmd, env=env) for cmd in commands]
    interrupted = False

    def stop(*_args: object) -> None:
        nonlocal interrupted
        interrupted = True

    signal.signal(signal.SIGINT, stop)
    signal.signal(signal.SIGTERM, stop)
    code = 0
    try:
        while not interrupted:
            finished = [p for p in procs if p.poll() is not None]
            if finished:
                code = finished[0].returncode or 0
                break
            time.sleep(0.3)
    finally:
        for p in procs:
            if p.poll() is None:
                p.send_signal(signal.SIGTERM)
        deadline = time.monotonic() + 10
        for p in procs:
            try:
                p.wait(timeout=max(deadline - time.monotonic(), 0.1))
            except subprocess.TimeoutExpired:
                p.kill()
    return code


def _workers() -> list[list[str]]:
    return [
        _manage_cmd("db_worker", "--queue-name", "*", "--no-reload", "--interval", "1"),
        _manage_cmd("deliver_events", "--loop", "30"),
    ]


def cmd_demo(args: argparse.Namespace) -> int:
    """Prepare the demo database and content, then serve it with a task worker."""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", DEV_SETTINGS)
    env = dict(os.environ)
    for step in (["migrate", "--noinput", "-v", "0"], ["load_demo"], ["demo_admin"]):
        code = subprocess.call(_manage_cmd(*step), env=env)
        if code:
            return code
    if args.no_serve:
        return 0
    print(f"\nServing http://{args.bind}/ (admin: http://{args.bind}/admin/). Ctrl-C stops.\n")
    return run_together([_manage_cmd("runserver", "--noreload", args.bind), *_workers()], env)


def cmd_serve(args: argparse.Namespace) -> int:
    """Production server: gunicorn with N workers, the task worker and the event sweeper."""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", PRODUCTION_SETTINGS)
    env = dict(os.environ)
    if not args.no_collectstatic:
        code = subprocess.call(_manage_cmd("collectstatic", "--noinput", "-v", "0"), env=env)
        if code:
            return code
    gunicorn = [
        sys.executable, "-m", "gunicorn", "magpie.wsgi:application",
        "--bind", args.bind, "--workers", str(args.workers), "--access-logfile", "-",
    ]  # fmt: skip
    commands = [gunicorn] if args.no_worker else [gunicorn, *_workers()]
    return run_together(commands, env)


def cmd_startplugin(args: argparse.Namespace) -> int:
    """Scaffold a plugin package."""
    from magpie.scaffold import ScaffoldError, create_plugin

    try:
        target = create_plugin(args.name, args.directory)
    except ScaffoldError as exc:
        print(f"magpie startplugin: {exc}", file=sys.stderr)
        return 2
    print(f"Created plugin {args.name!r} in {target}.")
    print(f"Next: pip install -e {target} && pytest {target}")
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="magpie", description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)

    demo = sub.add_parser("demo", help="migrate, load demo content and serve on 127.0.0.1:8000")
    demo.add_argument("--bind", default="127.0.0.1:8000")
    demo.add_argument("--no-serve", action="store_true", help="prepare only, do not serve")
    demo.set_defaults(func=cmd_demo)

    serve = sub.add_parser("serve", help="production server (gunicorn) plus worker")
    serve.add_argument("--bind", default=os.environ.get("MAGPIE_BIND", "0.0.0.0:8000"))
    serve.add_argument("--workers", type=int, default=int(os.environ.get("WEB_CONCURRENCY", "2")))
    serve.add_argument("--no-worker", action="store_true", help="web only, no task worker")
    serve.add_argument("--no-collectstatic", action="store_true")
    serve.set_defaults(func=cmd_serve)

    start = sub.add_parser("startplugin", help="scaffold a plugin package")
    start.add_argument("name", help="plugin name, e.g. acme_widgets")
    start.add_argument("directory", nargs="?", help="target directory (default: ./magpie-NAME)")
    start.set_defaults(func=cmd_startplugin)

    sub.add_parser("manage", help="run a Django management command", add_help=False)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``magpie`` console script."""
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv and argv[0] == "manage":
        _manage(argv[1:])
        return 0
    args = build_parser().parse_args(argv)
    return args.func(args)


if __name__ == "__main__":
    sys.exit(main())
