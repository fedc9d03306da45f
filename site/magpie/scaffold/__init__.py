"""``magpie startplugin``: scaffold a pip-installable Magpie plugin.

:func:`create_plugin` renders the files under ``template/`` (``*.tmpl``, with
:class:`string.Template` placeholders such as ``$name`` and ``$package``) into a new directory:
a ``pyproject.toml`` with the ``magpie.plugins`` entry point, the package ``magpie_<name>``
(Django app, hook implementations, a slot template), a test using the fixtures of
:mod:`magpie.testing` and a README.

In template paths, ``__package__`` stands for the package name and a ``dot-`` prefix for a
leading dot (``dot-gitignore.tmpl`` becomes ``.gitignore``).
"""

from __future__ import annotations

import importlib.util
import keyword
import re
import shutil
import string
import sys
from importlib import metadata
from pathlib import Path

TEMPLATE_DIR = Path(__file__).resolve().parent / "template"
TEMPLATE_SUFFIX = ".tmpl"
PACKAGE_PLACEHOLDER = "__package__"
DOT_PREFIX = "dot-"
MAX_NAME_LENGTH = 40
NAME_PATTERN = re.compile(r"[a-z][a-z0-9]*(?:_[a-z0-9]+)*\Z")


class ScaffoldError(Exception):
    """The plugin cannot be created (bad name, occupied directory); nothing was written."""


def validate_name(name: str) -> None:
    """Raise :class:`ScaffoldError` unless ``name`` can name a new plugin.

    A plugin name is a lowercase Python identifier (``acme_widgets``): ASCII letters, digits
    and single underscores between words, starting with a letter, at most 40 characters. It
    must not be a Python keyword, nor the name of a module that can already be imported
    (``magpie``, ``django``, ``site``, …), nor that of an installed plugin; and its package
    ``magpie_<name>`` must not be importable yet.
    """
    if not name:
        raise ScaffoldError("the plugin name is empty; use a lowercase identifier like acme_crm")
    if not NAME_PATTERN.match(name):
        hint = name.strip().lower().replace("-", "_").replace(" ", "_")
        suggestion = f" (e.g. {hint!r})" if NAME_PATTERN.match(hint) else ""
        raise ScaffoldError(
            f"invalid plugin name {name!r}: use a lowercase Python identifier — ASCII letters, "
            f"digits and single underscores, starting with a letter{suggestion}"
        )
    if len(name) > MAX_NAME_LENGTH:
        raise ScaffoldError(
            f"plugin name {name!r} is too long ({len(name)} characters, at most {MAX_NAME_LENGTH})"
        )
    if keyword.iskeyword(name) or keyword.issoftkeyword(name):
        raise ScaffoldError(f"plugin name {name!r} is a Python keyword; choose another name")
    if _importable(name):
        raise ScaffoldError(
            f"plugin name {name!r} clashes with the importable module {name!r}; "
            "choose a more specific name (e.g. prefix it with your agency's name)"
        )
    package = package_name(name)
    if _importable(package):
        raise ScaffoldError(
            f"a module named {package!r} is already installed; choose another plugin name"
        )
    installed = {ep.name for ep in metadata.entry_points(group="magpie.plugins")}
    if name in installed:
        raise ScaffoldError(f"a plugin named {name!r} is already installed")


def package_name(name: str) -> str:
    """The Python package (and Django app label) of plugin ``name``: ``magpie_<name>``."""
    return f"magpie_{name}"


def distribution_name(name: str) -> str:
    """The distribution (pip) name of plugin ``name``: ``magpie-<name-with-dashes>``."""
    return f"magpie-{name.replace('_', '-')}"


def default_directory(name: str) -> Path:
    """Where ``magpie startplugin NAME`` writes without a directory: ``./magpie-<name>``."""
    return Path.cwd() / distribution_name(name)


def template_context(name: str) -> dict[str, str]:
    """The placeholders available to the ``*.tmpl`` files."""
    words = name.split("_")
    return {
        "name": name,
        "package": package_name(name),
        "dist_name": distribution_name(name),
        "title": " ".join(word.capitalize() for word in words),
        "class_prefix": "".join(word.capitalize() for word in words),
        "magpie_requirement": _magpie_requirement(),
    }


def render_files(name: str) -> dict[Path, str]:
    """Render every template file for plugin ``name``: relative path → content."""
    context = template_context(name)
    files: dict[Path, str] = {}
    for source in sorted(TEMPLATE_DIR.rglob(f"*{TEMPLATE_SUFFIX}")):
        relative = source.relative_to(TEMPLATE_DIR)
        parts = [part.replace(PACKAGE_PLACEHOLDER, context["package"]) for part in relative.parts]
        parts[-1] = parts[-1].removesuffix(TEMPLATE_SUFFIX)
        if parts[-1].startswith(DOT_PREFIX):
            parts[-1] = "." + parts[-1].removeprefix(DOT_PREFIX)
        try:
            content = string.Template(source.read_text(encoding="utf-8")).substitute(context)
        except (KeyError, ValueError) as exc:  # a broken template is a bug in Magpie
            raise RuntimeError(f"scaffold template {relative} is invalid: {exc!r}") from exc
        files[Path(*parts)] = content
    return files


def create_plugin(name: str, directory: str | Path | None = None) -> Path:
    """Create plugin ``name`` in ``directory`` (default ``./magpie-<name>``); return its path.

    The directory must not exist or be empty. Everything is validated and rendered before the
    first file is written, so a :class:`ScaffoldError` leaves the file system untouched; if
    writing fails half-way, what was written is removed again.
    """
    validate_name(name)
    target = Path(directory).expanduser() if directory else default_directory(name)
    target = target.resolve()
    if target.exists():
        if not target.is_dir():
            raise ScaffoldError(f"{target} exists and is not a directory")
        if any(target.iterdir()):
            raise ScaffoldError(
                f"directory {target} already exists and is not empty; "
                "choose another directory or remove it"
            )
    files = render_files(name)

    created_root = not target.exists()
    try:
        target.mkdir(parents=True, exist_ok=True)
        for relative, content in files.items():
            path = target / relative
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(content, encoding="utf-8")
    except OSError as exc:
        if created_root:
            shutil.rmtree(target, ignore_errors=True)
        else:
            for child in target.iterdir():
                if child.is_dir():
                    shutil.rmtree(child, ignore_errors=True)
                else:
                    child.unlink(missing_ok=True)
        raise ScaffoldError(f"cannot write the plugin into {target}: {exc}") from exc
    return target


def _importable(module: str) -> bool:
    """True when ``module`` (a top-level name) can be imported, without importing it.

    Namespace packages (any directory on ``sys.path`` with that name, such as a folder in the
    current directory) do not count: they are not modules anyone installed.
    """
    if module in sys.builtin_module_names or module in sys.stdlib_module_names:
        return True
    try:
        spec = importlib.util.find_spec(module)
    except (ImportError, ValueError):
        return False
    return spec is not None and spec.origin is not None


def _magpie_requirement() -> str:
    try:
        version = metadata.version("magpie-cms")
    except metadata.PackageNotFoundError:
        return "magpie-cms"
    major, _, rest = version.partition(".")
    minor = rest.split(".")[0]
    if major.isdigit() and minor.isdigit():
        return f"magpie-cms>={major}.{minor}"
    return "magpie-cms"
