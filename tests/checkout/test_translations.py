"""The checkout plugin speaks German: its catalog is complete and compiled, and a shop page
asked for in German shows German text.

The catalog checks read ``plugins/magpie_checkout/locale/de/LC_MESSAGES/django.po`` with a
small parser (``polib`` is not a dependency) and the compiled ``django.mo`` with Python's
``gettext``: no entry may be untranslated or fuzzy, placeholders and HTML tags must survive
the translation, and the ``.mo`` must hold exactly what the ``.po`` says (a ``.po`` edited
without recompiling fails). A last check re-extracts the plugin's strings with
``makemessages`` in a copy of the plugin, so a string added to the code or a template
without a German translation fails too (skipped where the gettext tools are missing).
"""

from __future__ import annotations

import ast
import gettext
import re
import shutil
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command

import magpie_checkout
from tests.checkout.shop_fixtures import client_for

PLUGIN_DIR = Path(magpie_checkout.__file__).resolve().parent
LC_MESSAGES = PLUGIN_DIR / "locale" / "de" / "LC_MESSAGES"
#: Named and positional printf placeholders, str.format fields, HTML tags.
PLACEHOLDER = re.compile(r"%\([A-Za-z_][A-Za-z0-9_]*\)[sdrf]|%[sdrf]|%%|\{[A-Za-z0-9_]*\}|<[^>]+>")
ORIGIN = {"HTTP_ORIGIN": "http://testserver"}


@dataclass
class Entry:
    """One message of a .po file."""

    msgid: str = ""
    msgctxt: str | None = None
    msgid_plural: str | None = None
    msgstr: dict[int, str] = field(default_factory=dict)
    flags: set[str] = field(default_factory=set)

    @property
    def label(self) -> str:
        """The message as a reader finds it in the file: context and msgid."""
        return f"[{self.msgctxt}] {self.msgid!r}" if self.msgctxt else repr(self.msgid)


def read_po(path: Path) -> list[Entry]:
    """The entries of the .po file at ``path``, the header first; obsolete ones left out.

    An entry starts at ``msgctxt``, or at ``msgid`` once the previous entry has its
    ``msgstr``; a ``#,`` line's flags belong to the entry that follows it."""
    entries: list[Entry] = []
    flags: set[str] = set()
    current: Entry | None = None
    part = ("", 0)  # the field a continuation line ("...") adds to
    for raw in path.read_text(encoding="utf-8").splitlines():
        line = raw.strip()
        if line.startswith("#,"):
            flags |= {flag.strip() for flag in line[2:].split(",")}
            continue
        if not line or line.startswith("#"):  # comments, references, obsolete entries
            continue
        if line.startswith('"'):
            value = ast.literal_eval(line)
        else:
            keyword, _, quoted = line.partition(" ")
            value = ast.literal_eval(quoted)
            plural = re.fullmatch(r"msgstr\[(\d+)\]", keyword)
            part = ("msgstr", int(plural.group(1))) if plural else (keyword, 0)
            if keyword == "msgctxt" or (keyword == "msgid" and (current is None or current.msgstr)):
                current = Entry(flags=flags)
                flags = set()
                entries.append(current)
        assert current is not None, f"{path}: text before the first entry: {raw}"
        name, index = part
        if name == "msgstr":
            current.msgstr[index] = current.msgstr.get(index, "") + value
        elif name == "msgctxt":
            current.msgctxt = (current.msgctxt or "") + value
        elif name == "msgid_plural":
            current.msgid_plural = (current.msgid_plural or "") + value
        elif name == "msgid":
            current.msgid += value
        else:
            raise AssertionError(f"{path}: unexpected line: {raw}")
    return entries


def problems_of(entries: list[Entry]) -> list[str]:
    """Every untranslated or fuzzy message, and every translation that loses a placeholder."""
    problems = []
    for entry in entries:
        if "fuzzy" in entry.flags:
            problems.append(f"fuzzy: {entry.label}")
        if not entry.msgid:  # the header
            continue
        forms = [0, 1] if entry.msgid_plural else [0]
        for form in forms:
            translation = entry.msgstr.get(form, "")
            source = entry.msgid if form == 0 else entry.msgid_plural or ""
            if not translation:
                problems.append(f"untranslated (form {form}): {entry.label}")
            elif sorted(PLACEHOLDER.findall(source)) != sorted(PLACEHOLDER.findall(translation)):
                problems.append(f"placeholders differ: {entry.label} → {translation!r}")
    return problems


def test_the_german_catalog_is_complete_and_swiss() -> None:
    entries = read_po(LC_MESSAGES / "django.po")
    header = entries[0]
    assert header.msgid == "" and "Language: de" in header.msgstr[0]
    assert "Plural-Forms: nplurals=2; plural=(n != 1);" in header.msgstr[0]
    messages = entries[1:]
    assert len(messages) > 700, "the catalog holds the plugin's messages"
    assert problems_of(entries) == []
    # Swiss standard German writes "ss", never "ß" (as the other plugins' catalogs do).
    assert [e.label for e in messages if any("ß" in s for s in e.msgstr.values())] == []


def test_the_compiled_catalog_matches_the_po_file() -> None:
    """``django.mo`` is what Django loads: it must hold every message of the ``.po``."""
    with (LC_MESSAGES / "django.mo").open("rb") as handle:
        compiled = gettext.GNUTranslations(handle)
    missing = []
    for entry in read_po(LC_MESSAGES / "django.po")[1:]:
        if entry.msgid_plural:
            got = [compiled.npgettext(entry.msgctxt, entry.msgid, entry.msgid_plural, n)
                   for n in (1, 2)] if entry.msgctxt else [
                compiled.ngettext(entry.msgid, entry.msgid_plural, n) for n in (1, 2)
            ]  # fmt: skip
            wanted = [entry.msgstr.get(0), entry.msgstr.get(1)]
        else:
            got = [compiled.pgettext(entry.msgctxt, entry.msgid) if entry.msgctxt
                   else compiled.gettext(entry.msgid)]  # fmt: skip
            wanted = [entry.msgstr.get(0)]
        if got != wanted:
            missing.append(entry.label)
    assert missing == [], "recompile: msgfmt -o django.mo django.po (in LC_MESSAGES)"


@pytest.mark.skipif(
    not all(shutil.which(tool) for tool in ("xgettext", "msgmerge", "msguniq")),
    reason="the gettext tools are not installed",
)
def test_every_string_of_the_plugin_has_a_german_translation(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Re-extract the strings of a copy of the plugin and merge them into its catalog: a
    string of the code or templates without a translation shows up untranslated or fuzzy."""
    copy = tmp_path / "magpie_checkout"
    shutil.copytree(
        PLUGIN_DIR, copy, ignore=shutil.ignore_patterns("__pycache__", "static", "*.mo")
    )
    monkeypatch.chdir(copy)
    call_command("makemessages", locale=["de"], verbosity=0)
    assert problems_of(read_po(copy / "locale" / "de" / "LC_MESSAGES" / "django.po")) == []


@pytest.mark.django_db
def test_the_cart_page_is_german_for_a_german_browser(shop: Any) -> None:
    german = client_for(shop.ch.buyer, HTTP_ACCEPT_LANGUAGE="de-CH,de;q=0.9")
    added = german.post("/shop/cart/add/", {"sku": "BOLT", "quantity": 4}, **ORIGIN)
    assert added.status_code == 302 and added["Location"] == "/shop/cart/"

    page = german.get("/shop/cart/")
    assert page.status_code == 200 and page["Content-Language"] == "de"
    html = page.content.decode()
    assert "<h1>Warenkorb</h1>" in html
    assert "4 × BOLT in den Warenkorb gelegt." in html
    assert "Produkte in Ihrem Warenkorb" in html and "Einzelpreis (netto)" in html
    assert "Total (netto, exkl. MwSt. und Versand)" in html
    assert "Mengen aktualisieren" in html and ">Kasse</a>" in html
    assert "Warenkorb in einer Bestellliste speichern" in html
    assert "Update quantities" not in html and "Products in your cart" not in html

    # The same cart in English for an English browser: the language follows the request.
    english = client_for(shop.ch.buyer, HTTP_ACCEPT_LANGUAGE="en")
    html = english.get("/shop/cart/").content.decode()
    assert "<h1>Cart</h1>" in html and "Update quantities" in html
    assert "Warenkorb" not in html
