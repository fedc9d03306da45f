"""Benchmark ``pages``: Magpie's demo landing page against a vanilla Wagtail home page.

In one run, on the same machine, with the same server settings and load generator:

1. Magpie: a fresh ``MAGPIE_HOME`` in a temporary directory, ``magpie manage migrate``,
   ``magpie manage load_demo`` (or, until that command exists, a landing page built here
   from a few blocks), ``collectstatic``; the first live German landing page is the target.
2. Vanilla: ``wagtail start vanillasite <tmp>``, migrated to SQLite, its production
   settings plus a ``local.py`` that sets SECRET_KEY, ALLOWED_HOSTS and DEBUG off; its home
   page is the target.
3. Each is served by gunicorn exactly as ``magpie serve --no-worker`` starts it (sync
   workers, ``--workers 2``, access log on stdout, here into a log file), checked to answer
   200, warmed up, then loaded for ``duration`` seconds.

The floor (issue 2, item 13): Magpie's landing page — theme resolution and plugin hooks
included — serves at least as many requests/s as the vanilla page.
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace
from pathlib import Path

from benchlib.core import Options, Outcome, log, machine_info, write_results
from benchlib.load import LoadSample, combine, generator_name, run_load
from benchlib.procs import (
    BenchError,
    ProcessRegistry,
    free_port,
    tail,
    wait_until_serving,
)

NAME = "pages"
SUMMARY = "Magpie's demo landing page vs. a fresh `wagtail start` home page (gunicorn, 2 workers)"

BIN_DIR = Path(sys.executable).parent
MAGPIE_SETTINGS = "magpie.settings.production"
VANILLA_SETTINGS = "vanillasite.settings.production"

#: Variables that would point the benchmark at real services or change what is measured.
SCRUBBED_VARIABLES = (
    "DJANGO_SETTINGS_MODULE",
    "DATABASE_URL",
    "DATABASE_REPLICA_URL",
    "CACHE_URL",
    "SEARCH_URL",
    "TASK_BACKEND",
    "MAGPIE_PLUGINS",
    "MAGPIE_THEME_DIRS",
    "MAGPIE_DEFAULT_THEME",
    "STATIC_ROOT",
    "MEDIA_ROOT",
    "LOG_LEVEL",
    "MAGPIE_LOG_LEVEL",
    "WEB_CONCURRENCY",
    "GUNICORN_CMD_ARGS",
)

#: Prints the path of the first live landing page (German first) and its site.
FIND_LANDING_PAGE = """
from magpie.content.models import LandingPage
pages = LandingPage.objects.live().public().order_by("path")
page = pages.filter(locale__language_code="de").first() or pages.first()
if page is None:
    print("BENCH_NO_PAGE")
else:
    site_id, root_url, path = page.get_url_parts()
    from wagtail.models import Site
    site = Site.objects.get(pk=site_id)
    print(f"BENCH_URL={path}")
    print(f"BENCH_TITLE={page.title}")
    print(f"BENCH_SITE={site.hostname}:{site.port} default={site.is_default_site}")
"""

#: Fallback while ``load_demo`` does not exist: a home page and one landing page of blocks.
CREATE_FALLBACK_DEMO = """
import json
from wagtail.models import Page, Site
from magpie.content.models import HomePage, LandingPage

site = Site.objects.get(is_default_site=True)
home = site.root_page.specific
if not isinstance(home, HomePage):
    root = Page.get_first_root_node()
    home = root.add_child(instance=HomePage(title="Alpenlager AG", slug="alpenlager"))
    home.save_revision().publish()
    site.root_page = home
    site.save()
link = {"label": "Kontakt", "url": "https://example.com/kontakt", "document": ""}
rich = "<p>Kugellager, Antriebstechnik und Service f\\u00fcr die Industrie.</p>"
body = [
    {"type": "hero", "value": {"heading": "Wartung ohne Stillstand",
                               "text": "Planbare Instandhaltung.", "cta": link}},
    {"type": "rich_text", "value": rich * 3},
    {"type": "columns", "value": {"columns": [
        {"heading": "Lager", "text": rich}, {"heading": "Antriebe", "text": rich},
        {"heading": "Service", "text": rich}]}},
    {"type": "testimonial", "value": {"quote": "Seit zwei Jahren kein ungeplanter Ausfall.",
                                      "name": "R. Meier", "role": "Leiter Instandhaltung"}},
    {"type": "faq", "value": {"heading": "H\\u00e4ufige Fragen", "items": [
        {"question": "Wie schnell liefern Sie?", "answer": rich},
        {"question": "Gibt es Rahmenvertr\\u00e4ge?", "answer": rich}]}},
    {"type": "call_to_action", "value": {"heading": "Whitepaper herunterladen",
                                         "text": "Zehn Seiten Praxis.", "link": link}},
]
page = home.add_child(instance=LandingPage(
    title="Whitepaper Instandhaltung", slug="whitepaper-instandhaltung", body=json.dumps(body)))
page.save_revision().publish()
print("BENCH_FALLBACK_CREATED")
"""

#: Appended to the vanilla project as ``settings/local.py`` (its production.py imports it).
VANILLA_LOCAL_SETTINGS = '''"""Benchmark overrides, read from the environment as Magpie does."""
import os

DEBUG = False
SECRET_KEY = os.environ["SECRET_KEY"]
ALLOWED_HOSTS = os.environ.get("ALLOWED_HOSTS", "127.0.0.1").split(",")
'''


@dataclass
class Target:
    """One prepared site, ready to be served."""

    label: str
    app: str
    cwd: Path
    env: dict[str, str]
    path: str
    log: Path
    details: dict[str, object]


def _base_env(secret_key: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in SCRUBBED_VARIABLES}
    env.update(
        SECRET_KEY=secret_key,
        ALLOWED_HOSTS="127.0.0.1",
        SECURE_SSL_REDIRECT="0",
        DEBUG="0",
        PYTHONUNBUFFERED="1",
        PYTHONDONTWRITEBYTECODE="0",
    )
    return env


def _script(name: str) -> list[str]:
    """A console script of this virtual environment (``magpie``, ``wagtail``)."""
    path = BIN_DIR / name
    if path.exists():
        return [str(path)]
    return [sys.executable, "-m", name]


def _marker(log_path: Path, prefix: str) -> str | None:
    """The value of the last ``PREFIX…`` line a shell snippet printed into ``log_path``."""
    found = None
    for line in log_path.read_text(encoding="utf-8", errors="replace").splitlines():
        if line.startswith(prefix):
            found = line[len(prefix) :].strip()
    return found


def prepare_magpie(procs: ProcessRegistry, tmp: Path, secret_key: str) -> Target:
    """Migrate a fresh Magpie home, load the demo and find its landing page."""
    home = tmp / "magpie"
    home.mkdir()
    log_path = tmp / "magpie-prepare.log"
    env = _base_env(secret_key)
    env.update(MAGPIE_HOME=str(home), DJANGO_SETTINGS_MODULE=MAGPIE_SETTINGS)
    magpie = _script("magpie")

    def manage(*args: str, what: str) -> None:
        procs.run([*magpie, "manage", *args], env=env, cwd=home, log=log_path, what=what)

    started = time.monotonic()
    manage("migrate", "--noinput", "-v", "0", what="magpie manage migrate")
    demo_source = "load_demo"
    try:
        manage("load_demo", what="magpie manage load_demo")
    except BenchError as exc:
        if "Unknown command" not in str(exc):
            raise
        log("magpie: load_demo does not exist yet; building a landing page from blocks instead")
        demo_source = "fallback (landing page built by bench/pages.py)"
        manage("shell", "-c", CREATE_FALLBACK_DEMO, what="creating the fallback landing page")
    manage("shell", "-c", FIND_LANDING_PAGE, what="finding the landing page")
    path = _marker(log_path, "BENCH_URL=")
    if not path:
        raise BenchError(f"no live LandingPage after {demo_source}; see {log_path}")
    manage("collectstatic", "--noinput", "-v", "0", what="magpie manage collectstatic")
    log(f"magpie: prepared in {time.monotonic() - started:.0f} s, landing page {path}")
    return Target(
        label="magpie",
        app="magpie.wsgi:application",
        cwd=home,
        env=env,
        path=path,
        log=tmp / "magpie-gunicorn.log",
        details={
            "demo": demo_source,
            "page": _marker(log_path, "BENCH_TITLE="),
            "site": _marker(log_path, "BENCH_SITE="),
            "settings": MAGPIE_SETTINGS,
        },
    )


def prepare_vanilla(procs: ProcessRegistry, tmp: Path, secret_key: str) -> Target:
    """Generate a fresh ``wagtail start`` project, migrate it and collect its static files."""
    project = tmp / "vanilla"
    project.mkdir()
    log_path = tmp / "vanilla-prepare.log"
    env = _base_env(secret_key)
    env["DJANGO_SETTINGS_MODULE"] = VANILLA_SETTINGS
    started = time.monotonic()
    procs.run(
        [*_script("wagtail"), "start", "vanillasite", str(project)],
        env=env,
        cwd=tmp,
        log=log_path,
        what="wagtail start",
    )
    (project / "vanillasite" / "settings" / "local.py").write_text(
        VANILLA_LOCAL_SETTINGS, encoding="utf-8"
    )
    for args in (["migrate", "--noinput", "-v", "0"], ["collectstatic", "--noinput", "-v", "0"]):
        procs.run(
            [sys.executable, "manage.py", *args],
            env=env,
            cwd=project,
            log=log_path,
            what=f"vanilla manage.py {args[0]}",
        )
    log(f"vanilla: prepared in {time.monotonic() - started:.0f} s")
    return Target(
        label="vanilla",
        app="vanillasite.wsgi:application",
        cwd=project,
        env=env,
        path="/",
        log=tmp / "vanilla-gunicorn.log",
        details={"project": "wagtail start vanillasite", "settings": VANILLA_SETTINGS},
    )


def gunicorn_command(app: str, port: int, workers: int) -> list[str]:
    """The web part of ``magpie serve`` (site/magpie/cli.py ``cmd_serve``), for any app."""
    return [
        sys.executable, "-m", "gunicorn", app,
        "--bind", f"127.0.0.1:{port}", "--workers", str(workers), "--access-logfile", "-",
    ]  # fmt: skip


@dataclass
class Server:
    """A running gunicorn serving one prepared site."""

    target: Target
    url: str
    proc: subprocess.Popen[bytes]
    page_bytes: int


def serve(procs: ProcessRegistry, target: Target, options: Options) -> Server:
    """Start gunicorn for ``target`` and check that the page answers 200."""
    port = free_port()
    url = f"http://127.0.0.1:{port}{target.path}"
    proc = procs.spawn(
        gunicorn_command(target.app, port, options.workers),
        env=target.env,
        cwd=target.cwd,
        log=target.log,
    )
    status, body = wait_until_serving(url, proc, target.log)
    if status != 200:
        raise BenchError(
            f"{target.label}: GET {target.path} answered {status}, not 200:\n"
            f"{body[:1500].decode('utf-8', 'replace')}\n--- server log ---\n{tail(target.log)}"
        )
    log(f"{target.label}: {url} answers 200 ({len(body)} bytes)")
    return Server(target=target, url=url, proc=proc, page_bytes=len(body))


def slice_order(slices: int, servers: int = 2) -> list[int]:
    """Indexes of the servers for each measured slice, mirrored every other round:
    0 1 1 0 0 1 … for two servers, 0 1 2 2 1 0 … for three."""
    order: list[int] = []
    forward = list(range(servers))
    for i in range(slices):
        order.extend(forward if i % 2 == 0 else reversed(forward))
    return order


def measure(servers: list[Server], options: Options) -> list[dict[str, object]]:
    """Warm each server up, then load them in interleaved slices; merge each one's slices.

    Interleaving (magpie, vanilla, vanilla, magpie, …) spreads background load on the
    machine evenly over both sites; each still gets ``duration_s`` seconds in total.
    """
    for server in servers:
        log(f"{server.target.label}: warming up for {options.warmup_s:.0f} s")
        run_load(server.url, options.warmup_s, options.connections, options.force_python)
    slices = max(options.slices, 1)
    slice_s = options.duration_s / slices
    samples: list[list[LoadSample]] = [[] for _ in servers]
    loadavg: list[list[float]] = [[] for _ in servers]
    for index in slice_order(slices, len(servers)):
        server = servers[index]
        loadavg[index].append(round(os.getloadavg()[0], 2))
        log(f"{server.target.label}: measuring {slice_s:.0f} s")
        samples[index].append(
            run_load(server.url, slice_s, options.connections, options.force_python)
        )
        if server.proc.poll() is not None:
            raise BenchError(
                f"{server.target.label}: the server died under load:\n{tail(server.target.log)}"
            )
    results: list[dict[str, object]] = []
    for server, runs, load in zip(servers, samples, loadavg, strict=True):
        results.append(
            {
                "url_path": server.target.path,
                "page_bytes": server.page_bytes,
                "loadavg_1min_before_slices": load,
                **server.target.details,
                **combine(runs, options.connections).as_dict(),
            }
        )
    return results


def run_benchmark(options: Options) -> Outcome:
    """Prepare both sites in parallel, measure them one after the other, write the figures."""
    procs = ProcessRegistry()
    tmp = Path(tempfile.mkdtemp(prefix="magpie-bench-pages-"))
    secret_key = secrets.token_urlsafe(48)  # 64 characters
    log(f"working directory {tmp}")
    info = machine_info()
    generator = generator_name(options.force_python)
    try:
        pool = ThreadPoolExecutor(max_workers=2, thread_name_prefix="prepare")
        try:
            magpie_future = pool.submit(prepare_magpie, procs, tmp, secret_key)
            vanilla_future = pool.submit(prepare_vanilla, procs, tmp, secret_key)
            magpie_target = magpie_future.result()
            vanilla_target = vanilla_future.result()
        except BaseException:
            procs.stop_all()  # unblocks the other preparation thread at once
            raise
        finally:
            pool.shutdown(wait=True, cancel_futures=True)
        targets = {t.label: t.path for t in (magpie_target, vanilla_target)}
        (tmp / "targets.json").write_text(json.dumps(targets), encoding="utf-8")
        # The same Magpie site once more with the page cache off: what rendering costs.
        uncached_target = replace(
            magpie_target,
            label="magpie-uncached",
            env={**magpie_target.env, "MAGPIE_PAGE_CACHE_SECONDS": "0"},
            log=tmp / "magpie-uncached-gunicorn.log",
            details={**magpie_target.details, "page_cache": "off"},
        )
        magpie_target.details["page_cache"] = "on (default)"
        targets = (magpie_target, uncached_target, vanilla_target)
        servers = [serve(procs, t, options) for t in targets]
        magpie, uncached, vanilla = measure(servers, options)
    finally:
        procs.stop_all()
        if options.keep:
            log(f"kept {tmp}")
        else:
            shutil.rmtree(tmp, ignore_errors=True)

    m_rps, v_rps = float(magpie["requests_per_s"]), float(vanilla["requests_per_s"])
    m_p95, v_p95 = float(magpie["latency_p95_ms"]), float(vanilla["latency_p95_ms"])
    ratio_rps = round(m_rps / v_rps, 3) if v_rps else 0.0
    ratio_p95 = round(m_p95 / v_p95, 3) if v_p95 else 0.0
    u_rps = float(uncached["requests_per_s"])
    ratio_uncached = round(u_rps / v_rps, 3) if v_rps else 0.0
    rows = (("magpie", magpie), ("magpie-uncached", uncached), ("vanilla", vanilla))
    failed = sum(int(row["status_other"]) + int(row["errors"]) for _label, row in rows)
    passed = ratio_rps >= 1.0 and failed == 0
    notes = [] if failed == 0 else [f"{failed} requests failed (non-200 or transport error)"]

    results_path = options.results_dir / "pages.json"
    write_results(
        results_path,
        {
            "benchmark": NAME,
            "description": SUMMARY,
            "machine": info,
            "load_generator": generator,
            "server": "gunicorn (sync workers), as `magpie serve --no-worker`",
            "workers": options.workers,
            "connections": options.connections,
            "warmup_s": options.warmup_s,
            "duration_s": options.duration_s,
            "slices_per_site": options.slices,
            "magpie": magpie,
            "magpie_uncached": uncached,
            "vanilla": vanilla,
            "ratio_requests_per_s": ratio_rps,
            "ratio_uncached_requests_per_s": ratio_uncached,
            "ratio_p95_latency": ratio_p95,
            "floor": "magpie requests/s >= vanilla requests/s, no failed requests",
            "passed": passed,
            "notes": notes,
        },
    )

    print(f"\npages — {SUMMARY}")
    print(
        f"load generator: {generator}; {options.connections} connections, "
        f"{options.duration_s:.0f} s each in {options.slices} interleaved slices after "
        f"{options.warmup_s:.0f} s warm-up; "
        f"gunicorn --workers {options.workers}; {info['cpus']} CPUs"
    )
    header = f"{'':16}{'requests/s':>12}{'p50 ms':>10}{'p95 ms':>10}{'requests':>10}"
    print(header + f"{'failed':>8}{'bytes':>9}  page")
    for label, row in rows:
        print(
            f"{label:16}{row['requests_per_s']:>12.1f}{row['latency_p50_ms']:>10.1f}"
            f"{row['latency_p95_ms']:>10.1f}{row['requests']:>10}"
            f"{int(row['status_other']) + int(row['errors']):>8}{row['page_bytes']:>9}"
            f"  {row['url_path']}"
        )
    for label, row in rows:
        slices = ", ".join(f"{x:.0f}" for x in row["slices_requests_per_s"])  # type: ignore[attr-defined]
        load = row["loadavg_1min_before_slices"]
        print(f"  {label} requests/s per slice: {slices} (1-min loadavg before: {load})")
    print(f"ratio magpie/vanilla: requests/s {ratio_rps:.3f}, p95 latency {ratio_p95:.3f}")
    print(f"ratio magpie-uncached/vanilla: requests/s {ratio_uncached:.3f} (page cache off)")
    verdict = "PASS" if passed else "FAIL"
    print(
        f"{verdict}: floor is magpie requests/s >= vanilla requests/s"
        + "".join(f"; {n}" for n in notes)
    )
    print(f"figures written to {results_path}")
    return Outcome(name=NAME, passed=passed, results_path=results_path, notes=notes)
