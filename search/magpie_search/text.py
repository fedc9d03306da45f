"""Text handling shared by every engine: folding, tokens, SKU normalisation, highlighting.

Whatever a visitor types goes through :func:`parse_query` first: it never raises, caps the
length at :data:`MAX_QUERY_LENGTH` characters and :data:`MAX_TOKENS` words, and keeps only
word characters, so quotes, operators, brackets, emoji and SQL or JSON fragments reach no
engine as syntax.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

MAX_QUERY_LENGTH = 256
MAX_TOKENS = 10
MAX_TOKEN_LENGTH = 40
_WORD = re.compile(r"\w+", re.UNICODE)
_NOT_SKU = re.compile(r"[^0-9A-Z]")


def fold(text: str) -> str:
    """Lower case without accents: ``"Öl-Pumpe"`` → ``"ol-pumpe"`` (ß → ss)."""
    decomposed = unicodedata.normalize("NFKD", text or "")
    return "".join(c for c in decomposed if not unicodedata.combining(c)).casefold()


def tokens(text: str) -> list[str]:
    """The folded words of ``text`` (underscores split words too)."""
    return [t for part in _WORD.findall(fold(text)) for t in part.split("_") if t]


def normalize_sku(text: str) -> str:
    """An SKU as people type it, reduced to upper-case letters and digits:
    ``"gm-0.75"``, ``"GM 075"`` and ``"GM0.75"`` all become ``"GM075"``."""
    return _NOT_SKU.sub("", fold(text).upper())


@dataclass
class Query:
    """A visitor's query as the engines get it."""

    raw: str = ""
    text: str = ""
    words: list[str] = field(default_factory=list)
    sku: str = ""
    #: the words with their synonyms, filled by the engine that expands them
    alternatives: list[list[str]] | None = field(default=None, compare=False, repr=False)

    def __bool__(self) -> bool:
        return bool(self.words)


def parse_query(raw: object) -> Query:
    """Whatever came in the ``q`` parameter, made safe: at most 256 characters, control
    characters dropped, at most 10 words of at most 40 characters each."""
    if not isinstance(raw, str):
        raw = ""
    text = "".join(c for c in raw[:MAX_QUERY_LENGTH] if c.isprintable()).strip()
    words = [w[:MAX_TOKEN_LENGTH] for w in tokens(text)][:MAX_TOKENS]
    sku = normalize_sku(text)[: MAX_TOKEN_LENGTH * 2]
    return Query(raw=raw[:MAX_QUERY_LENGTH], text=text, words=words, sku=sku)


def highlight(text: str, words: list[str], limit: int = 0) -> SafeString:
    """``text`` escaped, with every word that starts with one of ``words`` in ``<mark>``.

    Matching ignores case and accents. With ``limit``, the text is cut to about that many
    characters around the first match.
    """
    text = text or ""
    if limit and len(text) > limit:
        folded = fold(text)
        first = min((i for w in words if (i := folded.find(w)) >= 0), default=0)
        start = max(0, first - limit // 3)
        text = ("…" if start else "") + text[start : start + limit].strip() + "…"
    if not words:
        return mark_safe(escape(text))
    out: list[str] = []
    position = 0
    for match in _WORD.finditer(text):
        if any(fold(match.group()).startswith(w) for w in words):
            out.append(escape(text[position : match.start()]))
            out.append(f"<mark>{escape(match.group())}</mark>")
            position = match.end()
    out.append(escape(text[position:]))
    return mark_safe("".join(out))
