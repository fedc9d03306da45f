"""Generate the hook reference (docs/hooks.md) from :mod:`magpie.hookspecs`."""

from __future__ import annotations

import inspect
from pathlib import Path

from magpie import hookspecs

KINDS = [
    ("registration", "Registration hooks (read once at start-up)"),
    ("computation", "Computation hooks (called in a request)"),
    ("event", "Event hooks (delivered after commit)"),
]
EVENT_HOOKS = {"handle_event"}
REGISTRATION_HOOKS = {
    "django_apps",
    "url_patterns",
    "landing_page_blocks",
    "themes",
    "demo_data",
    "config_form",
}


def hookspec_functions() -> list:
    """Every function in :mod:`magpie.hookspecs` marked as a hook specification, in order."""
    marker = f"{hookspecs.PROJECT}_spec"
    functions = [
        obj
        for _name, obj in inspect.getmembers(hookspecs, inspect.isfunction)
        if hasattr(obj, marker)
    ]
    return sorted(functions, key=lambda f: f.__code__.co_firstlineno)


def kind_of(name: str) -> str:
    """The kind of a hook: registration, computation or event."""
    if name in EVENT_HOOKS:
        return "event"
    if name in REGISTRATION_HOOKS:
        return "registration"
    return "computation"


def render() -> str:
    """The Markdown reference of every hook."""
    marker = f"{hookspecs.PROJECT}_spec"
    lines = [
        "# Hook reference",
        "",
        "<!-- Generated from site/magpie/hookspecs.py by `magpie manage hooks_doc`. "
        "Do not edit by hand. -->",
        "",
        "Implement a hook with `@hookimpl` from `magpie.hookspecs` in the module your "
        "`magpie.plugins` entry point names. Arguments are passed by name: accept only the "
        "ones you need. See [the plugin guide](plugins.md).",
        "",
    ]
    functions = hookspec_functions()
    for kind, heading in KINDS:
        lines += [f"## {heading}", ""]
        for func in (f for f in functions if kind_of(f.__name__) == kind):
            options = getattr(func, marker)
            flags = [flag for flag in ("firstresult", "historic") if options.get(flag)]
            signature = str(inspect.signature(func)).replace("'", "")
            lines += [f"### `{func.__name__}{signature}`", ""]
            if flags:
                lines += [f"*{', '.join(flags)}*", ""]
            lines += [inspect.cleandoc(func.__doc__ or ""), ""]
    return "\n".join(lines).rstrip() + "\n"


def write(path: Path) -> None:
    """Write the reference to ``path``."""
    path.write_text(render(), encoding="utf-8")
