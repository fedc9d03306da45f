"""Find themes on disk and resolve their parent chains.

A theme is a directory holding ``theme.toml`` (``name``, ``label``, optional ``parent``),
``templates/`` and ``static/``. Themes come from ``settings.MAGPIE_THEME_DIRS`` and from
plugins' ``themes`` hook. Every chain ends in the ``base`` theme.
"""

from __future__ import annotations

import tomllib
from contextvars import ContextVar
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

BASE_THEME = "base"

#: The theme of the request being handled (set by ThemeMiddleware, read by the loaders).
current_theme: ContextVar[str | None] = ContextVar("magpie_current_theme", default=None)


@dataclass(frozen=True)
class Theme:
    """A theme found on disk."""

    name: str
    label: str
    path: Path
    parent: str | None

    @property
    def template_dir(self) -> Path:
        return self.path / "templates"

    @property
    def static_dir(self) -> Path:
        return self.path / "static"


def _read_theme(path: Path) -> Theme:
    manifest = path / "theme.toml"
    try:
        data = tomllib.loads(manifest.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise ImproperlyConfigured(f"Theme manifest {manifest} cannot be read: {exc}") from exc
    name = data.get("name")
    if not isinstance(name, str) or not name.isidentifier():
        raise ImproperlyConfigured(f"{manifest}: 'name' must be an identifier, got {name!r}.")
    parent = data.get("parent")
    if name == BASE_THEME:
        parent = None
    elif parent is None:
        parent = BASE_THEME
    return Theme(name=name, label=str(data.get("label") or name), path=path, parent=parent)


def _candidate_dirs() -> list[Path]:
    from magpie.plugins import get_host

    dirs: list[Path] = []
    for root in settings.MAGPIE_THEME_DIRS:
        root = Path(root)
        if (root / "theme.toml").exists():
            dirs.append(root)
        elif root.is_dir():
            dirs.extend(sorted(p for p in root.iterdir() if (p / "theme.toml").exists()))
    for result in get_host().hook.themes():
        dirs.extend(Path(p) for p in result or [])
    return dirs


@lru_cache(maxsize=1)
def available_themes() -> dict[str, Theme]:
    """All themes by name (read once per process from disk; themes are code, not data)."""
    themes: dict[str, Theme] = {}
    for path in _candidate_dirs():
        theme = _read_theme(path)
        themes.setdefault(theme.name, theme)
    if BASE_THEME not in themes:
        raise ImproperlyConfigured(f"The '{BASE_THEME}' theme was not found in MAGPIE_THEME_DIRS.")
    for theme in themes.values():
        if theme.parent and theme.parent not in themes:
            raise ImproperlyConfigured(
                f"Theme {theme.name!r} names the unknown parent {theme.parent!r}."
            )
    return themes


@lru_cache(maxsize=64)
def theme_chain(name: str) -> tuple[Theme, ...]:
    """The theme and its ancestors, nearest first, ending with ``base``.

    An unknown name falls back to the default theme's chain.
    """
    themes = available_themes()
    if name not in themes:
        name = (
            settings.MAGPIE_DEFAULT_THEME if settings.MAGPIE_DEFAULT_THEME in themes else BASE_THEME
        )
    chain: list[Theme] = []
    while name:
        theme = themes[name]
        if theme in chain:
            raise ImproperlyConfigured(f"Theme {name!r} inherits from itself.")
        chain.append(theme)
        name = theme.parent
    return tuple(chain)


def active_theme_name() -> str:
    """The theme of the current request, or the default theme outside a request."""
    return current_theme.get() or settings.MAGPIE_DEFAULT_THEME


def theme_choices() -> list[tuple[str, str]]:
    """``(name, label)`` pairs for a select box."""
    return sorted(((t.name, t.label) for t in available_themes().values()), key=lambda c: c[1])
