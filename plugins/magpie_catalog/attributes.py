"""Validate attribute values against their definitions.

Values are stored in ``Product.attributes`` as JSON: text as a string, numbers as JSON
numbers, booleans as ``true``/``false``, a choice as its option code, a multiple choice as a
list of option codes, a date as an ISO string. :func:`clean_value` turns raw input (from a
form, a CSV cell or an API) into that form or raises :class:`ValueProblem` with a message
meant for the person who typed it, in the active language (German or English).
"""

from __future__ import annotations

import datetime
import re
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

from django.utils.translation import gettext as _
from django.utils.translation import pgettext

TRUE_WORDS = {"1", "true", "yes", "y", "ja", "j", "x", "on"}
FALSE_WORDS = {"0", "false", "no", "n", "nein", "off"}
LIST_SEPARATORS = re.compile(r"\s*[|;]\s*")


class ValueProblem(ValueError):
    """A value that does not fit its attribute's definition."""


@dataclass(frozen=True)
class Definition:
    """What an attribute accepts (a snapshot of :class:`~magpie_catalog.models.Attribute`)."""

    code: str
    type: str
    unit: str = ""
    min_value: Decimal | None = None
    max_value: Decimal | None = None
    pattern: str = ""
    options: frozenset[str] = field(default_factory=frozenset)


def load_definitions() -> dict[str, Definition]:
    """Every attribute definition by code, with its option codes (two queries)."""
    from magpie_catalog.models import Attribute, AttributeOption

    options: dict[int, set[str]] = {}
    for attribute_id, code in AttributeOption.objects.values_list("attribute_id", "code"):
        options.setdefault(attribute_id, set()).add(code)
    return {
        a.code: Definition(
            code=a.code,
            type=a.type,
            unit=a.unit,
            min_value=a.min_value,
            max_value=a.max_value,
            pattern=a.pattern,
            options=frozenset(options.get(a.pk, ())),
        )
        for a in Attribute.objects.all()
    }


def _number(definition: Definition, raw: Any) -> int | float:
    if isinstance(raw, bool):
        raise ValueProblem(_("expected a number, got a yes/no value"))
    text = str(raw).strip().replace("'", "").replace("\u2019", "")
    if definition.unit and text.endswith(definition.unit):
        text = text[: -len(definition.unit)].strip()
    if "," in text and "." not in text:
        text = text.replace(",", ".")
    try:
        number = Decimal(text)
    except InvalidOperation:
        raise ValueProblem(_("%(value)r is not a number") % {"value": raw}) from None
    if not number.is_finite():
        raise ValueProblem(_("%(value)r is not a number") % {"value": raw})
    if definition.min_value is not None and number < definition.min_value:
        raise ValueProblem(
            _("%(number)s is below the minimum %(minimum)s")
            % {"number": number, "minimum": definition.min_value.normalize()}
        )
    if definition.max_value is not None and number > definition.max_value:
        raise ValueProblem(
            _("%(number)s is above the maximum %(maximum)s")
            % {"number": number, "maximum": definition.max_value.normalize()}
        )
    return int(number) if number == number.to_integral_value() else float(number)


def _choice(definition: Definition, raw: Any) -> str:
    code = str(raw).strip()
    if code not in definition.options:
        allowed = ", ".join(sorted(definition.options)) or pgettext(
            "catalog import", "none defined"
        )
        raise ValueProblem(
            _("%(value)r is not an option of %(attribute)s (allowed: %(allowed)s)")
            % {"value": code, "attribute": definition.code, "allowed": allowed}
        )
    return code


def clean_value(definition: Definition, raw: Any) -> Any:
    """Return ``raw`` converted for storage, or ``None`` for an empty value.

    Raises :class:`ValueProblem` when the value does not fit the definition.
    """
    if raw is None or (isinstance(raw, str) and not raw.strip()) or raw == []:
        return None
    kind = definition.type
    if kind == "text":
        text = str(raw).strip()
        if definition.pattern and not re.fullmatch(definition.pattern, text):
            raise ValueProblem(
                _("%(value)r does not match the pattern %(pattern)s")
                % {"value": text, "pattern": definition.pattern}
            )
        return text
    if kind == "number":
        return _number(definition, raw)
    if kind == "boolean":
        if isinstance(raw, bool):
            return raw
        word = str(raw).strip().lower()
        if word in TRUE_WORDS:
            return True
        if word in FALSE_WORDS:
            return False
        raise ValueProblem(_("%(value)r is not yes or no") % {"value": raw})
    if kind == "choice":
        return _choice(definition, raw)
    if kind == "multi_choice":
        items = raw if isinstance(raw, list | tuple) else LIST_SEPARATORS.split(str(raw).strip())
        codes = [_choice(definition, item) for item in items if str(item).strip()]
        return sorted(set(codes)) or None
    if kind == "date":
        if isinstance(raw, datetime.datetime):
            return raw.date().isoformat()
        if isinstance(raw, datetime.date):
            return raw.isoformat()
        try:
            return datetime.date.fromisoformat(str(raw).strip()).isoformat()
        except ValueError:
            raise ValueProblem(_("%(value)r is not a date (YYYY-MM-DD)") % {"value": raw}) from None
    raise ValueProblem(
        _("attribute %(attribute)s has the unknown type %(type)r")
        % {"attribute": definition.code, "type": kind}
    )


def clean_values(
    raw: dict[str, Any], definitions: dict[str, Definition]
) -> tuple[dict[str, Any], dict[str, str]]:
    """Clean every value of ``raw``; return ``(values, problems)`` keyed by attribute code.

    Unknown codes are problems; empty values are left out of ``values``.
    """
    values: dict[str, Any] = {}
    problems: dict[str, str] = {}
    for code, value in raw.items():
        definition = definitions.get(code)
        if definition is None:
            problems[code] = _("unknown attribute code %(code)r") % {"code": code}
            continue
        try:
            cleaned = clean_value(definition, value)
        except ValueProblem as exc:
            problems[code] = str(exc)
            continue
        if cleaned is not None:
            values[code] = cleaned
    return values, problems
