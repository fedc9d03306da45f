"""Dynamic contact segments: rules (JSON) → a queryset of contacts, validated and fast.

A rule set is a dict::

    {"match": "all" | "any",
     "conditions": [
         {"field": "stage", "op": "in", "value": ["mql", "sql"]},
         {"field": "engagement_score", "op": "gte", "value": 50},
         {"field": "company.country", "op": "eq", "value": "CH"},
         {"field": "created_at", "op": "within_days", "value": 30},
         {"touchpoints": {"type": "page_view", "within_days": 30, "min_count": 3,
                          "path_prefix": "/pricing", "campaign": 12, "channel": "email",
                          "negate": False}},
     ]}

:func:`validate_rules` checks and normalises it (a :class:`~django.core.exceptions.ValidationError`
names the bad part); :func:`contacts_matching` turns it into a plain ``Contact`` queryset of one
site and :func:`count_matching` counts it.

The SQL is shaped for PostgreSQL with millions of contacts and touchpoints (see
``docs/segments.md`` for plans and timings):

* field conditions are ``WHERE`` terms on ``magpie_people_contact`` (a ``LEFT JOIN`` to the
  company only when a ``company.*`` field is used);
* a touchpoint condition is ``id IN (SELECT contact_id FROM magpie_journey_touchpoint WHERE
  site_id = … AND type = … AND occurred_at >= … [GROUP BY contact_id HAVING count(*) >= n])``,
  which the planner runs once as a hash semi-join (the inner scan uses the ``(type,
  occurred_at)`` index), never as a correlated subquery per contact;
* a negated touchpoint condition is ``NOT EXISTS (SELECT 1 FROM (<that subquery>) g WHERE
  g.contact_id = contact.id)``, a hash anti-join (``NOT IN`` would be a per-row subplan);
* ``"match": "any"`` with touchpoint conditions becomes one ``id IN (… UNION …)`` of the
  branches' id sets, because a subquery under ``OR`` cannot become a join.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.db.models import BooleanField, Count, Expression, F, Q, QuerySet
from django.db.models.lookups import (
    Exact,
    GreaterThan,
    GreaterThanOrEqual,
    In,
    LessThan,
    LessThanOrEqual,
)
from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime
from django.utils.translation import gettext as _

from magpie.people.models import Company, Contact

MAX_CONDITIONS = 50
MAX_STRING = 200
MAX_LIST = 100
MAX_DAYS = 3650
MAX_MIN_COUNT = 100_000
MAX_INT = 1_000_000_000
#: How long a segment's count is kept in the cache (the admin list, the live count).
COUNT_CACHE_SECONDS = 60

TEXT_OPS = ("eq", "ne", "in", "contains", "startswith", "is_empty")
CHOICE_OPS = ("eq", "ne", "in")
NUMBER_OPS = ("eq", "ne", "in", "gt", "gte", "lt", "lte")
DATE_OPS = ("within_days", "before_days", "gt", "gte", "lt", "lte")
USER_OPS = ("eq", "ne", "in", "is_empty")
TOUCHPOINT_KEYS = {"type", "within_days", "min_count", "path_prefix", "campaign", "channel"}


@dataclass(frozen=True)
class FieldSpec:
    """A field a condition may test: its kind (which ops and values fit) and ORM path."""

    kind: str  # text | choice | number | date | user | score
    path: str
    choices: tuple[str, ...] = ()
    normalise: str = ""  # "lower" | "upper": how eq/ne/in values are stored

    @property
    def ops(self) -> tuple[str, ...]:
        return {
            "text": TEXT_OPS,
            "choice": CHOICE_OPS,
            "number": NUMBER_OPS,
            "score": NUMBER_OPS,
            "date": DATE_OPS,
            "user": USER_OPS,
        }[self.kind]


#: The whitelist of fields; anything else is rejected.
FIELDS: dict[str, FieldSpec] = {
    "email": FieldSpec("text", "email", normalise="lower"),
    "first_name": FieldSpec("text", "first_name"),
    "last_name": FieldSpec("text", "last_name"),
    "job_title": FieldSpec("text", "job_title"),
    "locale": FieldSpec("text", "locale"),
    "country": FieldSpec("text", "country", normalise="upper"),
    "source": FieldSpec("text", "source"),
    "stage": FieldSpec("choice", "stage", choices=tuple(Contact.Stage.values)),
    "owner": FieldSpec("user", "owner_id"),
    "engagement_score": FieldSpec("number", "engagement_score"),
    "fit_score": FieldSpec("number", "fit_score"),
    "score": FieldSpec("score", "score"),
    "created_at": FieldSpec("date", "created_at"),
    "updated_at": FieldSpec("date", "updated_at"),
    "company.name": FieldSpec("text", "company__name"),
    "company.industry": FieldSpec("text", "company__industry"),
    "company.size": FieldSpec("choice", "company__size", choices=tuple(Company.Size.values)),
    "company.country": FieldSpec("text", "company__country", normalise="upper"),
}


def _fail(where: str, message: str) -> ValidationError:
    return ValidationError(f"{where}: {message}", code="invalid_rules")


def _clean_string(where: str, value: Any) -> str:
    if not isinstance(value, str):
        raise _fail(where, _("expected text, got %(type)s.") % {"type": _json_type(value)})
    value = value.strip()
    if len(value) > MAX_STRING:
        raise _fail(where, _("text longer than %(max)d characters.") % {"max": MAX_STRING})
    return value


def _clean_int(where: str, value: Any, low: int = -MAX_INT, high: int = MAX_INT) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise _fail(
            where, _("expected a whole number, got %(type)s.") % {"type": _json_type(value)}
        )
    if not low <= value <= high:
        raise _fail(where, _("must be between %(low)d and %(high)d.") % {"low": low, "high": high})
    return value


def _clean_date(where: str, value: Any) -> str:
    text = _clean_string(where, value)
    try:
        parsed = parse_datetime(text) or parse_date(text)
    except ValueError:
        parsed = None
    if parsed is None:
        raise _fail(where, _("expected a date such as 2026-01-31."))
    return text


def _json_type(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true/false"
    if isinstance(value, int | float):
        return _("a number")
    if isinstance(value, str):
        return _("text")
    if isinstance(value, list):
        return _("a list")
    if isinstance(value, dict):
        return _("an object")
    return type(value).__name__


def _clean_scalar(where: str, spec: FieldSpec, value: Any) -> Any:
    if spec.kind in ("number", "score", "user"):
        return _clean_int(where, value, 0 if spec.kind == "user" else -MAX_INT)
    text = _clean_string(where, value)
    if spec.normalise == "lower":
        text = text.lower()
    elif spec.normalise == "upper":
        text = text.upper()
    if spec.choices and text not in spec.choices:
        raise _fail(
            where,
            _("%(value)s is not one of %(choices)s.")
            % {"value": json.dumps(text, ensure_ascii=False), "choices": ", ".join(spec.choices)},
        )
    return text


def _clean_field_condition(where: str, condition: dict[str, Any]) -> dict[str, Any]:
    unknown = set(condition) - {"field", "op", "value"}
    if unknown:
        raise _fail(where, _("unknown keys: %(keys)s.") % {"keys": ", ".join(sorted(unknown))})
    name = condition.get("field")
    if not isinstance(name, str) or name not in FIELDS:
        raise _fail(
            where,
            _("unknown field %(field)s; use one of: %(fields)s.")
            % {"field": json.dumps(name, ensure_ascii=False)[:60], "fields": ", ".join(FIELDS)},
        )
    spec = FIELDS[name]
    op = condition.get("op")
    if op not in spec.ops:
        raise _fail(
            where,
            _("operator %(op)s does not apply to %(field)s; use one of: %(ops)s.")
            % {"op": json.dumps(op)[:30], "field": name, "ops": ", ".join(spec.ops)},
        )
    if "value" not in condition:
        raise _fail(where, _("a value is required."))
    value = condition["value"]
    where = f"{where} ({name} {op})"
    if op == "is_empty":
        if not isinstance(value, bool):
            raise _fail(where, _("expected true or false."))
    elif op == "in":
        if not isinstance(value, list) or not value:
            raise _fail(where, _("expected a non-empty list."))
        if len(value) > MAX_LIST:
            raise _fail(where, _("more than %(max)d values.") % {"max": MAX_LIST})
        value = [_clean_scalar(where, spec, item) for item in value]
    elif op in ("within_days", "before_days"):
        value = _clean_int(where, value, 0, MAX_DAYS)
    elif spec.kind == "date":
        value = _clean_date(where, value)
    else:
        value = _clean_scalar(where, spec, value)
    return {"field": name, "op": op, "value": value}


def _clean_touchpoint_condition(where: str, condition: dict[str, Any]) -> dict[str, Any]:
    from magpie.journey.models import Channel

    if set(condition) != {"touchpoints"}:
        raise _fail(where, _('a touchpoint condition has only the key "touchpoints".'))
    spec = condition["touchpoints"]
    where = f"{where} (touchpoints)"
    if not isinstance(spec, dict):
        raise _fail(where, _("expected an object."))
    unknown = set(spec) - TOUCHPOINT_KEYS - {"negate"}
    if unknown:
        raise _fail(where, _("unknown keys: %(keys)s.") % {"keys": ", ".join(sorted(unknown))})
    if "type" not in spec:
        raise _fail(where, _('"type" is required (e.g. "page_view").'))
    if "within_days" not in spec:
        raise _fail(where, _('"within_days" is required (1 to %(max)d).') % {"max": MAX_DAYS})
    kind = _clean_string(f"{where} type", spec["type"])
    if not kind or len(kind) > 40:
        raise _fail(f"{where} type", _("expected a touchpoint type of 1 to 40 characters."))
    cleaned: dict[str, Any] = {
        "type": kind,
        "within_days": _clean_int(f"{where} within_days", spec["within_days"], 1, MAX_DAYS),
        "min_count": _clean_int(f"{where} min_count", spec.get("min_count", 1), 1, MAX_MIN_COUNT),
    }
    if spec.get("path_prefix") not in (None, ""):
        cleaned["path_prefix"] = _clean_string(f"{where} path_prefix", spec["path_prefix"])
    if spec.get("campaign") is not None:
        cleaned["campaign"] = _clean_int(f"{where} campaign", spec["campaign"], 1)
    if spec.get("channel") not in (None, ""):
        channel = _clean_string(f"{where} channel", spec["channel"])
        if channel not in Channel.values:
            raise _fail(
                f"{where} channel",
                _("%(value)s is not one of %(choices)s.")
                % {"value": json.dumps(channel), "choices": ", ".join(Channel.values)},
            )
        cleaned["channel"] = channel
    negate = spec.get("negate", False)
    if not isinstance(negate, bool):
        raise _fail(f"{where} negate", _("expected true or false."))
    if negate:
        cleaned["negate"] = True
    return {"touchpoints": cleaned}


def validate_rules(rules: dict) -> dict:
    """Check a rule set and return it cleaned (values typed and normalised).

    Raises :class:`~django.core.exceptions.ValidationError` whose message names the bad part
    (``Condition 2 (engagement_score gte): expected a whole number, got text.``).
    """
    if not isinstance(rules, dict):
        raise ValidationError(_("Rules must be a JSON object."), code="invalid_rules")
    unknown = set(rules) - {"match", "conditions"}
    if unknown:
        raise ValidationError(
            _("Rules: unknown keys: %(keys)s.") % {"keys": ", ".join(sorted(map(str, unknown)))},
            code="invalid_rules",
        )
    match = rules.get("match", "all")
    if match not in ("all", "any"):
        raise ValidationError(_('Rules: "match" must be "all" or "any".'), code="invalid_rules")
    conditions = rules.get("conditions", [])
    if not isinstance(conditions, list):
        raise ValidationError(_('Rules: "conditions" must be a list.'), code="invalid_rules")
    if len(conditions) > MAX_CONDITIONS:
        raise ValidationError(
            _("Rules: more than %(max)d conditions.") % {"max": MAX_CONDITIONS},
            code="invalid_rules",
        )
    cleaned = []
    for number, condition in enumerate(conditions, start=1):
        where = _("Condition %(number)d") % {"number": number}
        if not isinstance(condition, dict):
            raise _fail(where, _("expected an object."))
        if "touchpoints" in condition:
            cleaned.append(_clean_touchpoint_condition(where, condition))
        else:
            cleaned.append(_clean_field_condition(where, condition))
    return {"match": match, "conditions": cleaned}


# --- SQL ---------------------------------------------------------------------------------


class NotInContactSet(Expression):
    """``NOT EXISTS (SELECT 1 FROM (<subquery>) g WHERE g.contact_id = <contact id>)``.

    PostgreSQL turns this into a hash anti-join against the subquery's result even when the
    subquery groups (``HAVING count(*) >= n``); ``NOT IN`` or a correlated ``NOT EXISTS`` would
    run once per contact.
    """

    output_field = BooleanField()
    conditional = True

    def __init__(self, subquery: QuerySet, outer: Any = None) -> None:
        super().__init__(output_field=BooleanField())
        self.subquery = subquery
        self.outer = outer if outer is not None else F("pk")

    def get_source_expressions(self) -> list[Any]:
        return [self.outer]

    def set_source_expressions(self, exprs: list[Any]) -> None:
        (self.outer,) = exprs

    def as_sql(self, compiler: Any, connection: Any) -> tuple[str, tuple[Any, ...]]:
        inner_sql, inner_params = self.subquery.query.get_compiler(connection=connection).as_sql()
        outer_sql, outer_params = compiler.compile(self.outer)
        sql = (
            f"NOT EXISTS (SELECT 1 FROM ({inner_sql}) magpie_segment_set "
            f"WHERE magpie_segment_set.contact_id = {outer_sql})"
        )
        return sql, (*inner_params, *outer_params)


def _site_id(site: Any) -> int:
    return int(getattr(site, "pk", site))


def _when(value: str) -> datetime | date:
    parsed = parse_datetime(value)
    if parsed is not None:
        if timezone.is_naive(parsed):
            parsed = timezone.make_aware(parsed)
        return parsed
    day = parse_date(value)
    return timezone.make_aware(datetime.combine(day, datetime.min.time()))


def _field_q(condition: dict[str, Any], now: datetime) -> Q:
    spec = FIELDS[condition["field"]]
    op, value = condition["op"], condition["value"]
    path = spec.path
    if spec.kind == "score":
        total = F("engagement_score") + F("fit_score")
        compare = {
            "gt": GreaterThan,
            "gte": GreaterThanOrEqual,
            "lt": LessThan,
            "lte": LessThanOrEqual,
        }
        if op in compare:
            return Q(compare[op](total, value))
        if op == "in":
            return Q(In(total, value))
        equal = Q(Exact(total, value))
        return ~equal if op == "ne" else equal
    if op == "eq":
        return Q(**{path: value})
    if op == "ne":
        return ~Q(**{path: value})
    if op == "in":
        return Q(**{f"{path}__in": value})
    if op == "contains":
        return Q(**{f"{path}__icontains": value})
    if op == "startswith":
        return Q(**{f"{path}__istartswith": value})
    if op == "is_empty":
        if spec.kind == "user":
            empty = Q(**{f"{path}__isnull": True})
        else:
            empty = Q(**{path: ""}) | Q(**{f"{path}__isnull": True})
        return empty if value else ~empty
    if op == "within_days":
        return Q(**{f"{path}__gte": now - timedelta(days=value)})
    if op == "before_days":
        return Q(**{f"{path}__lt": now - timedelta(days=value)})
    if spec.kind == "date":
        return Q(**{f"{path}__{op}": _when(value)})
    return Q(**{f"{path}__{op}": value})


def touchpoint_contact_ids(site_id: int, spec: dict[str, Any], now: datetime) -> QuerySet:
    """``SELECT contact_id FROM touchpoint WHERE …`` (grouped when ``min_count`` > 1)."""
    from magpie.journey.models import Touchpoint

    filters: dict[str, Any] = {
        "site_id": site_id,
        "type": spec["type"],
        "occurred_at__gte": now - timedelta(days=spec["within_days"]),
        "contact_id__isnull": False,
    }
    if "path_prefix" in spec:
        filters["path__startswith"] = spec["path_prefix"]
    if "campaign" in spec:
        filters["campaign_id"] = spec["campaign"]
    if "channel" in spec:
        filters["channel"] = spec["channel"]
    queryset = Touchpoint.objects.filter(**filters).order_by().values("contact_id")
    if spec.get("min_count", 1) > 1:
        queryset = (
            queryset.annotate(touchpoint_count=Count("*"))
            .filter(touchpoint_count__gte=spec["min_count"])
            .values("contact_id")
        )
    return queryset


def _touchpoint_q(site_id: int, spec: dict[str, Any], now: datetime) -> Q:
    ids = touchpoint_contact_ids(site_id, spec, now)
    if spec.get("negate"):
        return Q(NotInContactSet(ids))
    return Q(pk__in=ids)


def _branch_ids(site_id: int, condition: dict[str, Any], now: datetime) -> QuerySet:
    """The ids of one ``any`` branch, as a subquery of ``contact_id``/``id`` values."""
    if "touchpoints" in condition and not condition["touchpoints"].get("negate"):
        return touchpoint_contact_ids(site_id, condition["touchpoints"], now)
    q = (
        _touchpoint_q(site_id, condition["touchpoints"], now)
        if "touchpoints" in condition
        else _field_q(condition, now)
    )
    return Contact.objects.filter(site_id=site_id).filter(q).order_by().values("id")


def contacts_matching(site: Any, rules: dict) -> QuerySet:
    """The contacts of ``site`` (a Site or its id) that match ``rules``, as a plain queryset.

    The rules are validated first (:func:`validate_rules`). The queryset has no ordering and
    no joins beyond what the conditions need, so ``.count()`` is one cheap query.
    """
    cleaned = validate_rules(rules)
    site_id = _site_id(site)
    now = timezone.now()
    queryset = Contact.objects.filter(site_id=site_id).order_by()
    conditions = cleaned["conditions"]
    if not conditions:
        return queryset
    if cleaned["match"] == "all":
        for condition in conditions:
            if "touchpoints" in condition:
                queryset = queryset.filter(_touchpoint_q(site_id, condition["touchpoints"], now))
            else:
                queryset = queryset.filter(_field_q(condition, now))
        return queryset
    fields = [c for c in conditions if "touchpoints" not in c]
    touchpoints = [c for c in conditions if "touchpoints" in c]
    field_q = Q(*[_field_q(c, now) for c in fields], _connector=Q.OR) if fields else None
    if not touchpoints:
        return queryset.filter(field_q)
    # A subquery under OR stays a per-row subplan; a UNION of the branches' ids is one
    # semi-join.
    branches = [_branch_ids(site_id, c, now) for c in touchpoints]
    if field_q is not None:
        branches.insert(0, Contact.objects.filter(site_id=site_id).filter(field_q).values("id"))
    union = branches[0].union(*branches[1:]) if len(branches) > 1 else branches[0]
    return queryset.filter(pk__in=union)


def count_matching(site: Any, rules: dict) -> int:
    """How many contacts of ``site`` match ``rules`` (validated first); one ``COUNT(*)``."""
    return contacts_matching(site, rules).count()


def cache_key(site: Any, rules: dict) -> str:
    """The cache key of a count: the site and a hash of the cleaned rules."""
    canonical = json.dumps(validate_rules(rules), sort_keys=True, separators=(",", ":"))
    digest = hashlib.sha256(canonical.encode()).hexdigest()[:32]
    return f"magpie:segment-count:{_site_id(site)}:{digest}"


def cached_count(site: Any, rules: dict, timeout: int = COUNT_CACHE_SECONDS) -> int:
    """:func:`count_matching`, kept in the cache for ``timeout`` seconds per site and rules."""
    key = cache_key(site, rules)
    count = cache.get(key)
    if count is None:
        count = count_matching(site, rules)
        cache.set(key, count, timeout)
    return count
