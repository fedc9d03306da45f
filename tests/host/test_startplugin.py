"""``magpie startplugin``: the scaffold, its validation, and the generated plugin end to end.

The slow part (``TestGeneratedPluginInstalled``) installs the scaffolded plugin with pip into
a temporary ``--target`` directory (the shared virtual environment stays untouched) and, in
subprocesses with that directory on ``PYTHONPATH`` and ``MAGPIE_PLUGINS=""`` (so only
entry-point plugins load, not the host's test plugins):

* runs the plugin's own test suite with ``python -m pytest`` in the plugin directory;
* migrates a fresh SQLite site and checks ``magpie manage plugins`` lists the plugin.
"""

from __future__ import annotations

import importlib.util
import json
import os
import re
import subprocess
import sys
import tomllib
from collections.abc import Iterator
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path

import pytest

from magpie.cli import main as magpie_main
from magpie.plugins import PluginHost
from magpie.scaffold import ScaffoldError, create_plugin

NAME = "acme_widgets"
PACKAGE = "magpie_acme_widgets"
DIST = "magpie-acme-widgets"
SUBPROCESS_TIMEOUT = 300

EXPECTED_FILES = {
    ".gitignore",
    "README.md",
    "pyproject.toml",
    f"{PACKAGE}/__init__.py",
    f"{PACKAGE}/apps.py",
    f"{PACKAGE}/models.py",
    f"{PACKAGE}/migrations/__init__.py",
    f"{PACKAGE}/plugin.py",
    f"{PACKAGE}/templates/{PACKAGE}/slot.html",
    "tests/test_plugin.py",
}


def _files(root: Path) -> set[str]:
    return {str(p.relative_to(root)) for p in root.rglob("*") if p.is_file()}


def _everything(root: Path) -> list[str]:
    return sorted(str(p.relative_to(root)) for p in root.rglob("*"))


# -- the scaffold ---------------------------------------------------------------------------


def test_scaffold_writes_a_complete_plugin(tmp_path):
    target = create_plugin(NAME, tmp_path / "plugin")

    assert target == (tmp_path / "plugin").resolve()
    assert _files(target) == EXPECTED_FILES
    for path in target.rglob("*"):
        if path.is_file():
            leftover = re.findall(r"\$\{?[a-z_]+\}?", path.read_text(encoding="utf-8"))
            assert not leftover, f"unrendered placeholders in {path.name}: {leftover}"
            if path.suffix == ".py":
                compile(path.read_text(encoding="utf-8"), str(path), "exec")

    pyproject = tomllib.loads((target / "pyproject.toml").read_text(encoding="utf-8"))
    project = pyproject["project"]
    assert project["name"] == DIST
    assert project["entry-points"]["magpie.plugins"] == {NAME: f"{PACKAGE}.plugin"}
    assert any(dep.startswith("magpie-cms") for dep in project["dependencies"])
    assert pyproject["build-system"]["build-backend"] == "setuptools.build_meta"
    pytest_ini = pyproject["tool"]["pytest"]["ini_options"]
    assert pytest_ini["DJANGO_SETTINGS_MODULE"] == "magpie.settings.test"
    assert pytest_ini["magpie_plugins"] == ""

    apps_py = (target / PACKAGE / "apps.py").read_text(encoding="utf-8")
    assert "class AcmeWidgetsConfig(AppConfig)" in apps_py
    assert f'name = "{PACKAGE}"' in apps_py
    assert "pip install -e ." in (target / "README.md").read_text(encoding="utf-8")


def test_default_directory_is_magpie_dash_name(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    target = create_plugin("acme_crm")
    assert target == tmp_path / "magpie-acme-crm"
    assert (target / "magpie_acme_crm" / "plugin.py").is_file()


def test_an_existing_empty_directory_is_used(tmp_path):
    (tmp_path / "empty").mkdir()
    target = create_plugin(NAME, tmp_path / "empty")
    assert _files(target) == EXPECTED_FILES


def test_generated_hooks_match_the_host_specs(tmp_path, monkeypatch):
    """The generated module registers cleanly: check_pending finds no unknown hook."""
    target = create_plugin(NAME, tmp_path / "plugin")
    monkeypatch.syspath_prepend(str(target))
    try:
        host = PluginHost()
        host.load_modules([f"{NAME}={PACKAGE}.plugin"])
        info = host.plugins[NAME]
        assert info.loaded, info.error
        assert info.hooks == ["django_apps", "render_slot"]
        assert host.django_apps() == [PACKAGE]
        assert host.hook.render_slot(slot="head", request=None, context={}) == []
    finally:
        for module in [m for m in sys.modules if m == PACKAGE or m.startswith(f"{PACKAGE}.")]:
            del sys.modules[module]


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("", "empty"),
        ("Acme", "lowercase Python identifier"),
        ("acme-crm", "(e.g. 'acme_crm')"),
        ("acme crm", "lowercase Python identifier"),
        ("1acme", "starting with a letter"),
        ("_acme", "lowercase Python identifier"),
        ("acme_", "lowercase Python identifier"),
        ("acme__crm", "single underscores"),
        ("acmé", "ASCII"),
        ("a" * 41, "too long"),
        ("class", "Python keyword"),
        ("match", "Python keyword"),
        ("magpie", "clashes with the importable module 'magpie'"),
        ("django", "clashes with the importable module 'django'"),
        ("site", "clashes with the importable module 'site'"),
        ("json", "clashes with the importable module 'json'"),
        ("wagtail", "clashes with the importable module 'wagtail'"),
        # tests/fixtures/magpie_legacy_admin is importable in this suite
        ("legacy_admin", "'magpie_legacy_admin' is already installed"),
    ],
)
def test_bad_names_are_refused_and_nothing_is_written(tmp_path, monkeypatch, name, message):
    monkeypatch.chdir(tmp_path)
    with pytest.raises(ScaffoldError) as excinfo:
        create_plugin(name, tmp_path / "plugin")
    assert message in str(excinfo.value)
    with pytest.raises(ScaffoldError):
        create_plugin(name)  # default directory
    assert _everything(tmp_path) == []


def test_a_non_empty_directory_is_refused_and_left_alone(tmp_path):
    occupied = tmp_path / "occupied"
    occupied.mkdir()
    (occupied / "notes.txt").write_text("keep me", encoding="utf-8")

    with pytest.raises(ScaffoldError, match="already exists and is not empty"):
        create_plugin(NAME, occupied)

    assert _everything(tmp_path) == ["occupied", "occupied/notes.txt"]
    assert (occupied / "notes.txt").read_text(encoding="utf-8") == "keep me"


def test_a_file_in_the_way_is_refused(tmp_path):
    (tmp_path / "plugin").write_text("", encoding="utf-8")
    with pytest.raises(ScaffoldError, match="is not a directory"):
        create_plugin(NAME, tmp_path / "plugin")
    assert _everything(tmp_path) == ["plugin"]


def test_cli_reports_errors_and_success(tmp_path, capsys):
    assert magpie_main(["startplugin", "Acme-CRM", str(tmp_path / "bad")]) == 2
    err = capsys.readouterr().err
    assert err.startswith("magpie startplugin: invalid plugin name 'Acme-CRM'")
    assert _everything(tmp_path) == []

    assert magpie_main(["startplugin", NAME, str(tmp_path / "good")]) == 0
    out = capsys.readouterr().out
    assert f"Created plugin '{NAME}' in {tmp_path / 'good'}" in out
    assert _files(tmp_path / "good") == EXPECTED_FILES


# -- the generated plugin, installed -----------------------------------------------------------


def _wheel_builds_offline() -> bool:
    """True when the venv's setuptools can build a wheel without downloading anything.

    setuptools builds wheels itself from 70.1; older versions need the ``wheel`` package.
    """
    if importlib.util.find_spec("wheel") is not None:
        return True
    try:
        major, minor = (int(part) for part in metadata.version("setuptools").split(".")[:2])
    except (metadata.PackageNotFoundError, ValueError):
        return False
    return (major, minor) >= (70, 1)


def _run(cmd: list[str], **kwargs) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        cmd, capture_output=True, text=True, timeout=SUBPROCESS_TIMEOUT, check=False, **kwargs
    )


def _output(result: subprocess.CompletedProcess[str]) -> str:
    return f"exit {result.returncode}\n--- stdout\n{result.stdout}\n--- stderr\n{result.stderr}"


@dataclass
class InstalledPlugin:
    """The scaffolded plugin, pip-installed into ``site_packages``; a site being migrated."""

    plugin_dir: Path
    site_packages: Path
    site_dir: Path
    site_env: dict[str, str]
    migrate: subprocess.Popen[str]


MANAGE = [sys.executable, "-m", "magpie", "manage"]


def _plugin_env(site_packages: Path, **extra: str) -> dict[str, str]:
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("PYTEST_", "DJANGO_", "MAGPIE_")) and key != "DATABASE_URL"
    }
    env.update(PYTHONPATH=str(site_packages), MAGPIE_PLUGINS="", **extra)
    return env


@pytest.fixture(scope="module")
def installed_plugin(tmp_path_factory) -> Iterator[InstalledPlugin]:
    """Scaffold the plugin, pip-install it into a private ``--target`` directory, and start
    migrating a fresh SQLite site with it in the background (the slowest step, so it runs
    while the plugin's own tests do)."""
    root = tmp_path_factory.mktemp("startplugin")
    plugin_dir = create_plugin(NAME, root / DIST)
    site_packages = root / "site-packages"
    cmd = [sys.executable, "-m", "pip", "install", "--no-deps", "--no-input", "-q"]
    if _wheel_builds_offline():
        cmd.append("--no-build-isolation")
    # otherwise pip fetches setuptools for an isolated build from the package index
    result = _run([*cmd, "--target", str(site_packages), str(plugin_dir)])
    assert result.returncode == 0, f"pip install failed:\n{_output(result)}"
    assert (site_packages / f"{PACKAGE}-0.1.0.dist-info").is_dir(), sorted(
        p.name for p in site_packages.iterdir()
    )

    site_dir = root / "site"
    site_dir.mkdir()
    site_env = _plugin_env(
        site_packages,
        MAGPIE_HOME=str(site_dir),
        DATABASE_URL=f"sqlite:///{site_dir / 'site.sqlite3'}",
        DJANGO_SETTINGS_MODULE="magpie.settings.dev",
    )
    migrate = subprocess.Popen(
        [*MANAGE, "migrate", "--noinput", "-v", "0"],
        cwd=site_dir,
        env=site_env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        yield InstalledPlugin(plugin_dir, site_packages, site_dir, site_env, migrate)
    finally:
        if migrate.poll() is None:
            migrate.kill()
        migrate.communicate()


@pytest.mark.slow
class TestGeneratedPluginInstalled:
    """Slow: pip, and two Django databases set up in subprocesses (about 25 s)."""

    def test_its_own_tests_pass(self, installed_plugin):
        result = _run(
            [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider"],
            cwd=installed_plugin.plugin_dir,
            env=_plugin_env(installed_plugin.site_packages),
        )
        assert result.returncode == 0, _output(result)
        assert "4 passed" in result.stdout, _output(result)

    def test_the_site_lists_it(self, installed_plugin):
        migrate = installed_plugin.migrate
        stdout, stderr = migrate.communicate(timeout=SUBPROCESS_TIMEOUT)
        assert migrate.returncode == 0, f"migrate: exit {migrate.returncode}\n{stdout}\n{stderr}"

        listing = _run(
            [*MANAGE, "plugins", "--json"],
            cwd=installed_plugin.site_dir,
            env=installed_plugin.site_env,
        )
        assert listing.returncode == 0, _output(listing)
        rows = {row["name"]: row for row in json.loads(listing.stdout)}
        assert NAME in rows, rows
        # MAGPIE_PLUGINS="": only entry-point plugins, none of the host's test plugins
        assert not {"recorder", "failing", "broken", "legacy_admin"} & set(rows), rows
        row = rows[NAME]
        assert row["error"] == ""
        assert row["version"] == "0.1.0"
        assert row["source"] == f"{PACKAGE}.plugin"
        assert row["hooks"] == ["django_apps", "render_slot"]
        assert list(row["sites"].values()) == [True]  # enabled on the default site


# -- the test support the scaffold relies on (magpie.testing) ---------------------------------


def _run_pytest_project(tmp_path: Path, ini: str, test: str, **env: str):
    (tmp_path / "pytest.ini").write_text(f"[pytest]\n{ini}\n", encoding="utf-8")
    (tmp_path / "test_it.py").write_text(test, encoding="utf-8")
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("PYTEST_", "DJANGO_"))}
    clean.pop("MAGPIE_PLUGINS", None)
    return _run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-p", "no:django"],
        cwd=tmp_path,
        env={**clean, **env},
    )


def test_pytest_plugin_leaves_projects_without_django_alone(tmp_path):
    result = _run_pytest_project(
        tmp_path,
        "",
        "import sys, os\n"
        "def test_no_django():\n"
        "    assert 'django' not in sys.modules\n"
        "    assert 'MAGPIE_PLUGINS' not in os.environ\n",
    )
    assert result.returncode == 0, _output(result)
    assert "1 passed" in result.stdout


def test_magpie_plugins_ini_sets_the_variable_unless_exported(tmp_path):
    check = "import os\ndef test_env():\n    assert os.environ['MAGPIE_PLUGINS'] == {!r}\n"
    from_ini = _run_pytest_project(tmp_path, "magpie_plugins = a=pkg.a", check.format("a=pkg.a"))
    assert from_ini.returncode == 0, _output(from_ini)
    exported = _run_pytest_project(
        tmp_path, "magpie_plugins = a=pkg.a", check.format("b=pkg.b"), MAGPIE_PLUGINS="b=pkg.b"
    )
    assert exported.returncode == 0, _output(exported)


@pytest.mark.django_db
def test_site_factories(rf):
    from wagtail.models import Site

    from magpie.content.models import HomePage
    from magpie.testing.factories import create_home_page, create_site

    first = create_site()
    second = create_site()  # same host and port: the site is reused, pointed at a new page
    assert first.pk == second.pk
    assert Site.objects.filter(hostname="localhost", port=80).count() == 1
    assert isinstance(second.root_page.specific, HomePage)
    assert second.root_page.slug != first.root_page.slug  # siblings keep unique slugs

    other = create_site("b.example.com", root_page=create_home_page("B"), is_default_site=False)
    assert Site.objects.get(is_default_site=True) == second
    assert Site.find_for_request(rf.get("/", HTTP_HOST="b.example.com")) == other
    assert Site.find_for_request(rf.get("/", HTTP_HOST="unknown.example.com")) == second
