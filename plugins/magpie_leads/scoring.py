"""Lead scoring: engagement (what a contact does) and fit (who they are).

* Rules come from the admin (:class:`~magpie_leads.models.ScoringRule`, cached briefly per
  site) and from plugins' ``lead_scoring_rules(site)`` hook (:class:`PluginRule` is a ready
  dataclass); :func:`rules_for` returns both as one list of rule objects.
* :func:`score_touchpoint` scores one touchpoint incrementally: for each matching
  engagement rule it writes one :class:`~magpie_leads.models.ScoreEvent` (after the rule's
  cap per period) and adds its points to the contact's decaying
  :class:`~magpie_leads.models.ScoreState`, with the state row locked. Nothing is rebuilt.
* Points decay with the site's half-life: points ``p`` earned at ``t`` are worth
  ``p · 0.5 ** ((now − t) / half_life)`` now. The state keeps the sum as of ``as_of``; the
  value at a later time is one multiplication (:func:`decayed`). :func:`decay_scores` writes
  the rounded value to ``Contact.engagement_score`` in batches (run daily).
* :func:`score_fit` evaluates fit rules on the contact and its company and writes a score
  event whenever a rule starts or stops matching, so the history explains the fit score.
* :func:`rescore` rebuilds a contact's engagement history from its touchpoints (after rule
  changes; explicit, never automatic).
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any, Protocol

from django.core.cache import cache
from django.db import transaction
from django.db.models import Sum
from django.db.models.signals import post_delete, post_save
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from magpie.people.models import Contact
from magpie_leads.models import LeadSettings, ScoreEvent, ScoreState, ScoringRule

logger = logging.getLogger("magpie.plugins.leads")

ENGAGEMENT = ScoringRule.Kind.ENGAGEMENT.value
FIT = ScoringRule.Kind.FIT.value
#: How long a site's admin rules stay in Django's cache (seconds); a save or delete of a
#: rule clears the entry at once (on every server with a shared cache such as Redis).
RULES_CACHE_SECONDS = 60
#: The touchpoints :func:`score_backlog` looks at when a visitor becomes a contact.
BACKLOG_LIMIT = 1000
#: Contacts per transaction in :func:`decay_scores`.
DECAY_BATCH = 1000
DEFAULT_HALF_LIFE = LeadSettings._meta.get_field("half_life_days").default

#: Fit rule fields: name → (label, how to read it from a contact). Company fields read the
#: contact's company ("" without one).
FIT_FIELDS: dict[str, tuple[Any, Any]] = {
    "job_title": (_("Job title"), lambda c: c.job_title),
    "country": (
        _("Country (contact, else company)"),
        lambda c: c.country or _company(c, "country"),
    ),
    "locale": (_("Language"), lambda c: c.locale),
    "source": (_("Source (first channel)"), lambda c: c.source),
    "email_domain": (_("Email domain"), lambda c: c.email.rpartition("@")[2]),
    "phone": (_("Phone"), lambda c: c.phone),
    "company.name": (_("Company name"), lambda c: _company(c, "name")),
    "company.industry": (_("Company industry"), lambda c: _company(c, "industry")),
    "company.size": (_("Company size (employees)"), lambda c: _company(c, "size")),
    "company.country": (_("Company country"), lambda c: _company(c, "country")),
    "company.vat_id": (_("Company VAT ID"), lambda c: _company(c, "vat_id")),
}


def _company(contact: Contact, name: str) -> str:
    company = contact.company if contact.company_id else None
    return getattr(company, name, "") or "" if company is not None else ""


def fit_field_choices() -> list[tuple[str, Any]]:
    """``(field, label)`` pairs a fit rule may compare (the form's choices)."""
    return [(name, label) for name, (label, _reader) in FIT_FIELDS.items()]


# -- rules ----------------------------------------------------------------------------------


class Rule(Protocol):
    """What a scoring rule offers (admin rules and plugin rules alike)."""

    key: str
    label: str
    kind: str
    points: int
    cap_points: int | None
    cap_period_days: int | None

    def matches(self, contact: Contact, touchpoint: Any) -> bool: ...


@dataclass(frozen=True)
class PluginRule:
    """A scoring rule a plugin returns from ``lead_scoring_rules(site)``.

    ``key`` must be unique and stable (it names the rule in the score history and its
    cap); prefix it with the plugin's name. ``condition(contact, touchpoint)`` decides
    whether it matches (``touchpoint`` is ``None`` for fit rules). For example::

        PluginRule(
            key="webinar:attended",
            label="Attended a webinar",
            kind="engagement",
            points=20,
            cap_points=40,
            cap_period_days=30,
            condition=lambda contact, tp: tp.type == "webinar_attended",
        )
    """

    key: str
    label: str
    kind: str
    points: int
    condition: Any = field(repr=False, compare=False)
    cap_points: int | None = None
    cap_period_days: int | None = None

    def matches(self, contact: Contact, touchpoint: Any) -> bool:
        """Whether the rule applies (the plugin's ``condition``)."""
        return bool(self.condition(contact, touchpoint))


def _tags(touchpoint: Any) -> set[str]:
    raw = (getattr(touchpoint, "data", None) or {}).get("tags") or []
    if isinstance(raw, str):
        raw = raw.split(",")
    return {str(tag).strip().lower() for tag in raw if str(tag).strip()}


def _number(value: Any) -> Decimal | None:
    """The leading number of ``value`` ("50-249" → 50, "250+" → 250), or ``None``."""
    found = re.match(r"\s*(-?\d+(?:[.,]\d+)?)", str(value or ""))
    if not found:
        return None
    try:
        return Decimal(found.group(1).replace(",", "."))
    except InvalidOperation:
        return None


def _options(value: str) -> list[str]:
    return [part.strip().lower() for part in value.split(",") if part.strip()]


def compare(actual: Any, operator: str, expected: str) -> bool:
    """Whether ``actual`` ``operator`` ``expected`` holds (text compared case-insensitively).

    ``contains`` and ``in`` take comma-separated alternatives (any of them matches);
    ``gte``/``lte`` compare the leading numbers ("50-249" counts as 50).
    """
    text = str(actual or "").strip().lower()
    wanted = (expected or "").strip().lower()
    Op = ScoringRule.Operator
    if operator == Op.FILLED:
        return bool(text)
    if operator == Op.EMPTY:
        return not text
    if operator == Op.EQUALS:
        return text == wanted
    if operator == Op.NOT_EQUALS:
        return text != wanted
    if operator == Op.IN:
        return text in _options(expected)
    if operator == Op.CONTAINS:
        return bool(text) and any(option in text for option in _options(expected))
    if operator in (Op.GTE, Op.LTE):
        left, right = _number(actual), _number(expected)
        if left is None or right is None:
            return False
        return left >= right if operator == Op.GTE else left <= right
    return False


@dataclass
class AdminRule:
    """A :class:`ScoringRule` row as a rule object (picklable, so it can be cached)."""

    pk: int
    key: str
    label: str
    kind: str
    points: int
    cap_points: int | None
    cap_period_days: int | None
    touchpoint_type: str = ""
    path_prefix: str = ""
    campaign_id: int | None = None
    channel: str = ""
    tag: str = ""
    object_type: str = ""
    field: str = ""
    operator: str = ""
    value: str = ""

    @classmethod
    def from_row(cls, row: ScoringRule) -> AdminRule:
        """The rule object of one row."""
        return cls(
            pk=row.pk,
            key=row.key,
            label=row.name,
            kind=row.kind,
            points=row.points,
            cap_points=row.cap_points,
            cap_period_days=row.cap_period_days,
            touchpoint_type=row.touchpoint_type,
            path_prefix=row.path_prefix,
            campaign_id=row.campaign_id,
            channel=row.channel,
            tag=row.tag.strip().lower(),
            object_type=row.object_type.strip().lower(),
            field=row.field,
            operator=row.operator,
            value=row.value,
        )

    def matches(self, contact: Contact, touchpoint: Any) -> bool:
        """Engagement: the touchpoint's type and every condition filled in. Fit: the field
        comparison on the contact (or its company)."""
        if self.kind == FIT:
            reader = FIT_FIELDS.get(self.field)
            if reader is None or not self.operator:
                return False
            return compare(reader[1](contact), self.operator, self.value)
        if touchpoint is None or touchpoint.type != self.touchpoint_type:
            return False
        if self.path_prefix and not (touchpoint.path or "").startswith(self.path_prefix):
            return False
        if self.campaign_id and touchpoint.campaign_id != self.campaign_id:
            return False
        if self.channel and touchpoint.channel != self.channel:
            return False
        if self.tag and self.tag not in _tags(touchpoint):
            return False
        if self.object_type and (touchpoint.object_type or "").lower() != self.object_type:
            return False
        return True

    def describe_match(self, contact: Contact) -> str:
        """For a fit rule: "job_title = 'Head of purchasing'" (what the history shows)."""
        reader = FIT_FIELDS.get(self.field)
        actual = reader[1](contact) if reader else ""
        return f"{self.field} = {str(actual)[:120]!r}"


def _rules_key(site_id: int) -> str:
    return f"magpie:leads:rules:{site_id}"


def admin_rules(site_id: int) -> list[AdminRule]:
    """The site's active admin rules (Django's cache; cleared when a rule changes)."""
    key = _rules_key(site_id)
    found = cache.get(key)
    if found is None:
        found = [
            AdminRule.from_row(row)
            for row in ScoringRule.objects.filter(site_id=site_id, active=True).order_by(
                "kind", "sort_order", "pk"
            )
        ]
        cache.set(key, found, RULES_CACHE_SECONDS)
    return found


def _forget_rules(sender: Any, instance: ScoringRule, **kwargs: Any) -> None:
    cache.delete(_rules_key(instance.site_id))


post_save.connect(_forget_rules, sender=ScoringRule, dispatch_uid="magpie_leads_rule_saved")
post_delete.connect(_forget_rules, sender=ScoringRule, dispatch_uid="magpie_leads_rule_deleted")


def plugin_rules(site: Any) -> list[Any]:
    """Rules from the ``lead_scoring_rules`` hook of plugins enabled on ``site``.

    Each implementation is called in its own ``try``: a failing plugin is logged and left
    out, the others still count. Objects without a ``key``, ``kind`` or ``matches`` are
    left out too.
    """
    from magpie.events.outbox import disabled_for_site
    from magpie.plugins import get_host

    found: list[Any] = []
    for impl in get_host().implementations("lead_scoring_rules", disabled_for_site(site)):
        try:
            rules = impl.function(site=site) or []
        except Exception:
            logging.getLogger(f"magpie.plugins.{impl.plugin_name}").exception(
                "Plugin %s failed in lead_scoring_rules; its rules are left out.",
                impl.plugin_name,
            )
            continue
        for rule in rules:
            if (
                getattr(rule, "key", None)
                and getattr(rule, "kind", None) in (ENGAGEMENT, FIT)
                and callable(getattr(rule, "matches", None))
            ):
                found.append(rule)
            else:
                logger.warning("Plugin %s returned an invalid rule %r.", impl.plugin_name, rule)
    return found


def rules_for(site: Any, kind: str | None = None) -> list[Any]:
    """The site's scoring rules: active admin rules, then plugins' rules (of ``kind``)."""
    site_id = getattr(site, "pk", site)
    rules = [*admin_rules(site_id), *plugin_rules(site_id)]
    return [rule for rule in rules if kind is None or rule.kind == kind]


def _safe_match(rule: Any, contact: Contact, touchpoint: Any) -> bool:
    try:
        return bool(rule.matches(contact, touchpoint))
    except Exception:
        logger.exception("Scoring rule %s failed to match; it is skipped.", rule.key)
        return False


# -- decay ----------------------------------------------------------------------------------


#: The lead settings every event reads, kept in Django's cache per site (seconds).
SETTINGS_CACHE_SECONDS = 60
SETTINGS_FIELDS = ("half_life_days", "mql_threshold", "alert_path_prefixes", "alert_throttle_hours")


def _settings_key(site_id: int) -> str:
    return f"magpie:leads:settings:{site_id}"


def site_values(site_id: int) -> dict[str, Any]:
    """The site's half-life, MQL threshold and alert settings (defaults without a settings
    row), from Django's cache; saving the settings clears the entry."""
    key = _settings_key(site_id)
    found = cache.get(key)
    if found is None:
        found = LeadSettings.objects.filter(site_id=site_id).values(*SETTINGS_FIELDS).first()
        if found is None:
            found = {name: LeadSettings._meta.get_field(name).default for name in SETTINGS_FIELDS}
        cache.set(key, found, SETTINGS_CACHE_SECONDS)
    return found


def _forget_settings(sender: Any, instance: LeadSettings, **kwargs: Any) -> None:
    cache.delete(_settings_key(instance.site_id))


post_save.connect(_forget_settings, sender=LeadSettings, dispatch_uid="magpie_leads_settings")
post_delete.connect(_forget_settings, sender=LeadSettings, dispatch_uid="magpie_leads_settings_d")


def half_life_days(site_id: int) -> float:
    """The site's engagement half-life in days (the default without lead settings)."""
    return float(site_values(site_id)["half_life_days"] or DEFAULT_HALF_LIFE)


def decay_factor(since: datetime, until: datetime, half_life: float) -> float:
    """``0.5 ** (days from since to until / half_life)``: what one point is worth later."""
    days = (until - since).total_seconds() / 86400.0
    return 0.5 ** (days / half_life)


def decayed(engagement: float, as_of: datetime, at: datetime, half_life: float) -> float:
    """The engagement ``engagement`` (as of ``as_of``) is worth this at ``at``."""
    return engagement * decay_factor(as_of, at, half_life)


# -- engagement -----------------------------------------------------------------------------


def _load_touchpoint(touchpoint: Any) -> Any:
    from magpie.journey.models import Touchpoint

    if isinstance(touchpoint, Touchpoint):
        return touchpoint
    return Touchpoint.objects.filter(pk=touchpoint).first()


def _cap_used(contact_id: int, rule_key: str, at: datetime, days: int) -> int:
    used = ScoreEvent.objects.filter(
        contact_id=contact_id,
        rule_key=rule_key,
        occurred_at__gt=at - timedelta(days=days),
        occurred_at__lte=at,
    ).aggregate(total=Sum("points"))["total"]
    return int(used or 0)


def _locked_state(contact: Contact, at: datetime) -> ScoreState:
    """The contact's score state row, created if missing, locked until the transaction ends."""
    ScoreState.objects.get_or_create(contact=contact, defaults={"as_of": at})
    return ScoreState.objects.select_for_update().get(pk=contact.pk)


def _award(
    contact: Contact,
    rule: Any,
    touchpoint: Any,
    at: datetime,
    taken: set[str],
) -> ScoreEvent | None:
    """The score event a matching ``rule`` earns for ``touchpoint`` (after its cap), unsaved."""
    if rule.key in taken:
        return None
    points = int(rule.points)
    reason = ""
    cap, days = getattr(rule, "cap_points", None), getattr(rule, "cap_period_days", None)
    if points > 0 and cap is not None and days:
        remaining = int(cap) - _cap_used(contact.pk, rule.key, at, int(days))
        if remaining <= 0:
            return None
        if remaining < points:
            reason = str(_("capped at %(cap)s points per %(days)s days")) % {
                "cap": cap,
                "days": days,
            }
            points = remaining
    if points == 0:
        return None
    return ScoreEvent(
        contact=contact,
        kind=ENGAGEMENT,
        rule_id=getattr(rule, "pk", None) if isinstance(rule, AdminRule) else None,
        rule_key=str(rule.key)[:100],
        rule_label=str(rule.label)[:200],
        points=points,
        touchpoint=touchpoint,
        reason=reason[:300],
        occurred_at=at,
    )


def _add_to_state(
    state: ScoreState, events: Sequence[ScoreEvent], half_life: float, now: datetime
) -> float:
    """Add ``events`` to ``state`` (decayed to the new anchor) and return the value now."""
    anchor = max([state.as_of, now, *(event.occurred_at for event in events)])
    value = decayed(state.engagement, state.as_of, anchor, half_life)
    for event in events:
        value += event.points * decay_factor(event.occurred_at, anchor, half_life)
    state.engagement, state.as_of = value, anchor
    state.save(update_fields=["engagement", "as_of"])
    return decayed(value, anchor, now, half_life)


def score_touchpoint(
    touchpoint: Any, *, now: datetime | None = None, rules: list[Any] | None = None
) -> list[ScoreEvent]:
    """Score one touchpoint (a :class:`~magpie.journey.models.Touchpoint` or its id) of a
    contact; return the score events written (none for a touchpoint already scored).

    One transaction with the contact's score state locked, so concurrent touchpoints of
    the same contact never lose points and a redelivered event counts once (one event per
    rule and touchpoint, also enforced by a unique constraint). Updates
    ``Contact.engagement_score`` to the rounded, decayed value at ``now``.
    """
    touchpoint = _load_touchpoint(touchpoint)
    if touchpoint is None or touchpoint.contact_id is None:
        return []
    contact = Contact.objects.select_related("company").filter(pk=touchpoint.contact_id).first()
    if contact is None:
        return []
    if rules is None:
        rules = rules_for(contact.site_id, ENGAGEMENT)
    # Matching needs no lock: most touchpoints (page views) match nothing and cost no write.
    rules = [
        rule for rule in rules if rule.kind == ENGAGEMENT and _safe_match(rule, contact, touchpoint)
    ]
    if not rules:
        return []
    now = now or timezone.now()
    half_life = half_life_days(contact.site_id)
    with transaction.atomic():
        state = _locked_state(contact, touchpoint.occurred_at)
        taken = set(
            ScoreEvent.objects.filter(touchpoint=touchpoint).values_list("rule_key", flat=True)
        )
        events = []
        for rule in rules:
            event = _award(contact, rule, touchpoint, touchpoint.occurred_at, taken)
            if event is not None:
                event.save(force_insert=True)
                taken.add(event.rule_key)
                events.append(event)
        if events:
            value = _add_to_state(state, events, half_life, now)
            Contact.objects.filter(pk=contact.pk).update(engagement_score=round(value))
    return events


def score_backlog(contact: Contact, *, limit: int = BACKLOG_LIMIT) -> int:
    """Score the contact's latest ``limit`` touchpoints that no rule scored yet (oldest
    first, so caps count in order); return how many score events were written.

    Used when a visitor turns out to be a contact: its anonymous page views join the
    contact's timeline and count now. Idempotent.
    """
    from magpie.journey.models import Touchpoint

    rules = rules_for(contact.site_id, ENGAGEMENT)
    types = {getattr(rule, "touchpoint_type", None) for rule in rules}
    recent = Touchpoint.objects.filter(contact=contact).order_by("-occurred_at", "-pk")
    if None not in types:  # only admin rules: only their touchpoint types can score
        recent = recent.filter(type__in=types)
    ids = list(recent.values_list("pk", flat=True)[:limit])
    scored = set(
        ScoreEvent.objects.filter(touchpoint_id__in=ids).values_list("touchpoint_id", flat=True)
    )
    written = 0
    for touchpoint in Touchpoint.objects.filter(pk__in=set(ids) - scored).order_by(
        "occurred_at", "pk"
    ):
        written += len(score_touchpoint(touchpoint, rules=rules))
    return written


def engagement_now(contact: Contact, now: datetime | None = None) -> float:
    """The contact's engagement score now, before rounding (0 without any history)."""
    state = ScoreState.objects.filter(pk=contact.pk).first()
    if state is None:
        return 0.0
    return decayed(
        state.engagement, state.as_of, now or timezone.now(), half_life_days(contact.site_id)
    )


def history(contact: Contact, now: datetime | None = None) -> list[ScoreEvent]:
    """The contact's score events, newest first, each with ``worth_now`` (an engagement
    event's points after decay; a fit event's points as they are)."""
    now = now or timezone.now()
    half_life = half_life_days(contact.site_id)
    events = list(ScoreEvent.objects.filter(contact=contact).select_related("touchpoint", "rule"))
    for event in events:
        event.worth_now = (
            event.points * decay_factor(event.occurred_at, now, half_life)
            if event.kind == ENGAGEMENT
            else float(event.points)
        )
    return events


def decay_scores(*, now: datetime | None = None, batch: int = DECAY_BATCH, site: Any = None) -> int:
    """Write every contact's decayed engagement score; return how many changed.

    Only contacts whose score is not 0 are looked at (decay only shrinks a score, so a 0
    stays 0 until new points arrive), in batches of ``batch`` in primary-key order. Each
    batch locks its score states (as :func:`score_touchpoint` does, so a touchpoint scored
    meanwhile is never overwritten with an older value), computes
    ``engagement · 0.5 ** (Δdays / half-life)`` and updates only the contacts whose
    rounded score changed, one ``UPDATE … WHERE id IN (…)`` per new score value.
    """
    now = now or timezone.now()
    half_lives = dict(LeadSettings.objects.values_list("site_id", "half_life_days"))
    contacts = Contact.objects.exclude(engagement_score=0)
    if site is not None:
        contacts = contacts.filter(site=site)
    changed, last = 0, 0
    while True:
        # One table in key order (no join whose other side is scanned from its start).
        rows = list(
            contacts.filter(pk__gt=last)
            .order_by("pk")
            .values_list("pk", "site_id", "engagement_score")[:batch]
        )
        if not rows:
            return changed
        last = rows[-1][0]
        with transaction.atomic():
            states = {
                pk: (engagement, as_of)
                for pk, engagement, as_of in ScoreState.objects.select_for_update()
                .filter(pk__in=[row[0] for row in rows])
                .order_by("pk")
                .values_list("pk", "engagement", "as_of")
            }
            new: dict[int, int] = {}
            for pk, site_id, score in rows:
                if pk not in states:  # a score typed in by staff, without history
                    continue
                engagement, as_of = states[pk]
                half_life = float(half_lives.get(site_id) or DEFAULT_HALF_LIFE)
                value = round(decayed(engagement, as_of, now, half_life))
                if value != score:
                    new[pk] = value
            by_value: dict[int, list[int]] = {}
            for pk, value in new.items():
                by_value.setdefault(value, []).append(pk)
            for value, pks in by_value.items():  # scores are small integers: few statements
                Contact.objects.filter(pk__in=pks).update(engagement_score=value)
            changed += len(new)


def rescore(contact: Contact, *, now: datetime | None = None) -> int:
    """Rebuild ``contact``'s engagement history from its touchpoints with today's rules
    (after rules changed or the half-life was edited); also re-evaluates fit.

    Deletes the contact's engagement events, resets its score state (locked) and scores
    every touchpoint again, oldest first, in one transaction. Returns the new engagement
    score.
    """
    from magpie.journey.models import Touchpoint

    now = now or timezone.now()
    rules = rules_for(contact.site_id, ENGAGEMENT)
    with transaction.atomic():
        # The state row first, as score_touchpoint locks it (the same lock order: no
        # deadlock with a touchpoint of the contact scored meanwhile).
        state = _locked_state(contact, now)
        ScoreEvent.objects.filter(contact=contact, kind=ENGAGEMENT).delete()
        state.engagement, state.as_of = 0.0, now
        state.save(update_fields=["engagement", "as_of"])
        Contact.objects.filter(pk=contact.pk).update(engagement_score=0)
        touchpoints = Touchpoint.objects.filter(contact=contact).order_by("occurred_at", "pk")
        if rules:
            for touchpoint in touchpoints.iterator(chunk_size=500):
                score_touchpoint(touchpoint, now=now, rules=rules)
        score_fit(contact)
    contact.engagement_score = (
        Contact.objects.filter(pk=contact.pk).values_list("engagement_score", flat=True).get()
    )
    return contact.engagement_score


# -- fit ------------------------------------------------------------------------------------


def score_fit(contact: Contact, *, now: datetime | None = None) -> int:
    """Evaluate the site's fit rules on ``contact`` and its company; return the fit score.

    For each rule the points it holds (the sum of its fit events) are compared with what
    it should hold now (its points when it matches, else 0); a difference is written as
    one score event (+N when it starts matching, −N when it stops or the rule is gone),
    so the fit events of a contact always add up to ``Contact.fit_score``. Idempotent.
    """
    now = now or timezone.now()
    contact = Contact.objects.select_related("company").get(pk=contact.pk)
    rules = {rule.key: rule for rule in rules_for(contact.site_id, FIT)}
    with transaction.atomic():
        Contact.objects.select_for_update().filter(pk=contact.pk).values_list("pk").first()
        held = dict(
            ScoreEvent.objects.filter(contact=contact, kind=FIT)
            .values("rule_key")
            .annotate(total=Sum("points"))
            .values_list("rule_key", "total")
        )
        events = []
        for key in sorted(set(rules) | set(held)):
            rule = rules.get(key)
            matches = rule is not None and _safe_match(rule, contact, None)
            should = int(rule.points) if matches else 0
            delta = should - int(held.get(key) or 0)
            if delta == 0:
                continue
            if rule is None:
                reason, label = str(_("rule removed or switched off")), key
            else:
                label = rule.label
                detail = rule.describe_match(contact) if isinstance(rule, AdminRule) else ""
                if matches:
                    reason = str(_("matches: %(detail)s")) % {"detail": detail or label}
                else:
                    reason = str(_("no longer matches: %(detail)s")) % {"detail": detail or label}
            events.append(
                ScoreEvent(
                    contact=contact,
                    kind=FIT,
                    rule_id=rule.pk if isinstance(rule, AdminRule) else None,
                    rule_key=str(key)[:100],
                    rule_label=str(label)[:200],
                    points=delta,
                    reason=reason[:300],
                    occurred_at=now,
                )
            )
        if events:
            ScoreEvent.objects.bulk_create(events)
        total = int(
            ScoreEvent.objects.filter(contact=contact, kind=FIT).aggregate(t=Sum("points"))["t"]
            or 0
        )
        if total != contact.fit_score:
            Contact.objects.filter(pk=contact.pk).update(fit_score=total)
    return total


def score_fit_many(contacts: Iterable[Contact]) -> None:
    """:func:`score_fit` for each contact (a failing one is logged, the rest go on)."""
    for contact in contacts:
        try:
            score_fit(contact)
        except Exception:
            logger.exception("Could not score the fit of contact %s.", contact.pk)


def _fit_on_save(sender: Any, instance: Any, created: bool = False, **kwargs: Any) -> None:
    """A contact or company edited (in the admin, by enrichment, …): its fit is evaluated
    again after the transaction commits, when the site has fit rules."""
    if kwargs.get("raw") or instance.pk is None:
        return
    is_contact, pk = sender is Contact, instance.pk

    def later() -> None:  # no query at save time: everything happens after the commit
        try:
            contacts = Contact.objects.filter(pk=pk) if is_contact else None
            if contacts is None:
                contacts = Contact.objects.filter(company_id=pk).order_by("pk")[:1000]
            sites = set(contacts.values_list("site_id", flat=True))
            if any(rules_for(site_id, FIT) for site_id in sites):
                score_fit_many(contacts)
        except Exception:
            logger.exception("Could not evaluate the fit after a save.")

    transaction.on_commit(later)


post_save.connect(_fit_on_save, sender=Contact, dispatch_uid="magpie_leads_fit_contact")
post_save.connect(
    _fit_on_save, sender="magpie_people.Company", dispatch_uid="magpie_leads_fit_company"
)


def total_score(contact: Contact) -> int:
    """Engagement plus fit, as stored on the contact (what the MQL threshold compares)."""
    return int(contact.engagement_score or 0) + int(contact.fit_score or 0)


__all__ = [
    "FIT_FIELDS",
    "AdminRule",
    "PluginRule",
    "compare",
    "decay_factor",
    "decay_scores",
    "decayed",
    "engagement_now",
    "history",
    "rescore",
    "rules_for",
    "score_backlog",
    "score_fit",
    "score_touchpoint",
]
