"""Every hook is documented, and docs/hooks.md is the current rendering of the specs."""

from pathlib import Path

from magpie.hookspecs import hookspec  # noqa: F401  (the module under test)
from magpie.pluginhost import hookdocs

DOC = Path(__file__).resolve().parents[2] / "docs" / "hooks.md"


def test_every_hookspec_has_a_docstring():
    functions = hookdocs.hookspec_functions()
    assert len(functions) >= 10
    undocumented = [f.__name__ for f in functions if not (f.__doc__ or "").strip()]
    assert undocumented == []


def test_hook_reference_lists_every_hook_and_is_current():
    text = DOC.read_text(encoding="utf-8")
    for func in hookdocs.hookspec_functions():
        assert f"### `{func.__name__}(" in text, f"{func.__name__} missing from docs/hooks.md"
    assert text == hookdocs.render(), "docs/hooks.md is stale: run `magpie manage hooks_doc`"
