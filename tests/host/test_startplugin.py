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


@pytest.fixture(scope="module")
def installed_plugin(tmp_path_factory) -> tuple[Path, Path]:
    """Scaffold the plugin and pip-install it into a private ``--target`` directory."""
    root = tmp_path_factory.mktemp("startplugin")
    plugin_dir = create_plugin(NAME, root / DIST)
    site_packages = root / "site-packages"
    cmd = [sys.executable, "-m", "pip", "install", "--no-deps", "--no-input", "-q"]
    if _wheel_builds_offline():
        cmd.append("--no-build-isolation")
    # otherwise pip fetches setuptools for an isolated build from the package index
    result = _run([*cmd, "--target", str(site_packages), str(plugin_dir)])
    assert result.returncode == 0, f"pip install failed:\n{_output(result)}"
    dist_info = list(site_packages.glob("magpie_acme_widgets-0.1.0.dist-info"))
    assert dist_info, sorted(p.name for p in site_packages.iterdir())
    return plugin_dir, site_packages


def _plugin_env(site_packages: Path, **extra: str) -> dict[str, str]:
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("PYTEST_", "DJANGO_", "MAGPIE_")) and key != "DATABASE_URL"
    }
    env.update(PYTHONPATH=str(site_packages), MAGPIE_PLUGINS="", **extra)
    return env


@pytest.fixture
def not_in_postgres_pass() -> None:
    if os.environ.get("MAGPIE_TEST_DATABASE_URL"):
        pytest.skip("independent of the host's database: runs in the SQLite pass only")


@pytest.mark.usefixtures("not_in_postgres_pass")
class TestGeneratedPluginInstalled:
    """Slow (pip, two Django test setups): about 30 s together."""

    def test_its_own_tests_pass(self, installed_plugin):
        plugin_dir, site_packages = installed_plugin
        result = _run(
            [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider"],
            cwd=plugin_dir,
            env=_plugin_env(site_packages),
        )
        assert result.returncode == 0, _output(result)
        assert "4 passed" in result.stdout, _output(result)

    def test_the_site_lists_it(self, installed_plugin, tmp_path):
        plugin_dir, site_packages = installed_plugin
        env = _plugin_env(
            site_packages,
            MAGPIE_HOME=str(tmp_path),
            DATABASE_URL=f"sqlite:///{tmp_path / 'site.sqlite3'}",
            DJANGO_SETTINGS_MODULE="magpie.settings.dev",
        )
        manage = [sys.executable, "-m", "magpie", "manage"]
        migrate = _run([*manage, "migrate", "--noinput", "-v", "0"], cwd=tmp_path, env=env)
        assert migrate.returncode == 0, _output(migrate)

        listing = _run([*manage, "plugins", "--json"], cwd=tmp_path, env=env)
        assert listing.returncode == 0, _output(listing)
        rows = {row["name"]: row for row in json.loads(listing.stdout)}
        assert set(rows) == {NAME}, rows  # MAGPIE_PLUGINS="": only entry-point plugins
        row = rows[NAME]
        assert row["error"] == ""
        assert row["version"] == "0.1.0"
        assert row["source"] == f"{PACKAGE}.plugin"
        assert row["hooks"] == ["django_apps", "render_slot"]
        assert list(row["sites"].values()) == [True]  # enabled on the default site
