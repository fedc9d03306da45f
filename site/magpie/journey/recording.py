"""The journey API: :func:`record` a touchpoint (or :func:`record_many` at once),
:func:`identify` a visitor as a contact.

Plugins call these (``from magpie.journey.recording import record``). The hot path of a
page view is one ``INSERT`` (plus one for a new visitor): the site and consent mode, the
campaign of a ``utm_campaign`` and the visitor's last-seen time are kept in Django's cache
(the visitors' hourly marks in the ``journey`` cache when one is configured).
"""

from __future__ import annotations

import json
import logging
import re
import uuid
from collections.abc import Iterable, Mapping
from decimal import Decimal, InvalidOperation
from functools import lru_cache
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from django.conf import settings
from django.core.cache import cache, caches
from django.db import transaction
from django.db.models.signals import post_delete, post_save, pre_save
from django.dispatch import receiver
from django.utils import timezone

from magpie.bulk import bulk_insert
from magpie.events import outbox
from magpie.journey import consent
from magpie.journey.channels import classify
from magpie.journey.models import Campaign, JourneySettings, Touchpoint, Visitor

logger = logging.getLogger("magpie.journey")

#: The touchpoint types the host knows; plugins add theirs with ``touchpoint_types()``.
HOST_TYPES = frozenset(
    {
        "page_view",
        "form_submission",
        "search",
        "download",
        "email_open",
        "email_click",
        "cart_add",
        "checkout_started",
        "order_placed",
        "login",
        "client_event",
        "video_play",
        "cta_click",
    }
)
#: Types that emit the domain event ``touchpoint.recorded`` (page views never do).
EVENT_TYPES = frozenset({"form_submission", "order_placed", "download", "email_click"})
EVENT = "touchpoint.recorded"
#: Emitted when :func:`identify` moves a visitor's anonymous touchpoints onto a contact.
IDENTIFIED_EVENT = "contact.identified"
#: Types whose recording with both a visitor and a contact joins the two (:func:`identify`).
STITCH_TYPES = frozenset({"form_submission", "login"})
#: The largest ``data`` a touchpoint keeps, as serialised JSON (bytes).
MAX_DATA_BYTES = 4096
UTM_FIELDS = ("utm_source", "utm_medium", "utm_campaign", "utm_term", "utm_content")
UTM_LENGTH = 100
TEXT_LENGTH = 500
#: How long a visitor's last-seen time stays unwritten (seconds).
LAST_SEEN_INTERVAL = 3600
CACHE_SECONDS = 300
SITES_KEY = "magpie:journey:sites"
#: The cache alias for visitors' hourly "seen" marks (many small entries), when configured.
VISITOR_CACHE = "journey"
#: The keyword arguments of :func:`record` an item of :func:`record_many` may carry.
ITEM_KEYS = frozenset(
    {
        "type",
        "request",
        "site",
        "visitor",
        "contact",
        "obj",
        "value",
        "currency",
        "data",
        "occurred_at",
        "path",
        "referrer",
    }
)

_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]")


@lru_cache(maxsize=1)
def known_types() -> frozenset[str]:
    """The host's types and every loaded plugin's (asked once per process)."""
    from magpie.plugins import get_host

    types = set(HOST_TYPES)
    for impl in get_host().implementations("touchpoint_types"):
        try:
            declared = impl.function() or []
        except Exception:
            logger.exception("Plugin %s failed in touchpoint_types.", impl.plugin_name)
            continue
        types.update(str(name) for name in declared)
    return frozenset(types)


def clean_text(value: Any, length: int) -> str:
    """``value`` as plain text: control characters removed, cut to ``length``.

    Markup is kept as typed (escaping is the templates' job); it is never trusted.
    """
    if value is None or value == "":
        return ""
    text = value if isinstance(value, str) else str(value)
    if text.isprintable():  # the common case: nothing to remove
        return text.strip()[:length]
    return _CONTROL.sub("", text).strip()[:length]


# -- cached look-ups ------------------------------------------------------------------------


def site_and_mode(request: Any) -> tuple[int | None, str]:
    """``(site id, consent mode)`` for the request's host, from Django's cache.

    Sets ``request._magpie_consent_mode`` so that :func:`consent.tracking_allowed` asks no
    query either. ``(None, "off")`` when no site answers the host.
    """
    cached = getattr(request, "_magpie_journey_site", None)
    if cached is not None:
        return cached
    try:
        host = request.get_host().lower()
    except Exception:  # DisallowedHost
        return None, "off"
    sites = cache.get(SITES_KEY) or {}
    found = sites.get(host)
    if found is None:
        from wagtail.models import Site

        site = getattr(request, "_wagtail_site", None) or Site.find_for_request(request)
        if site is None:
            found = (None, "off")
        else:
            # Read, never create: a settings row written on a GET would bump the page cache.
            mode = (
                JourneySettings.objects.filter(site=site)
                .values_list("consent_mode", flat=True)
                .first()
            )
            found = (site.pk, mode or JourneySettings._meta.get_field("consent_mode").default)
        sites = dict(sites)
        sites[host] = found
        cache.set(SITES_KEY, sites, CACHE_SECONDS)
    found = tuple(found)
    request._magpie_journey_site = found
    if found[0] is not None:
        request._magpie_consent_mode = found[1]
    return found


@receiver(post_save, sender=JourneySettings)
@receiver(post_delete, sender=JourneySettings)
def _forget_sites(**kwargs: Any) -> None:
    cache.delete(SITES_KEY)


def _connect_site_signals() -> None:
    from wagtail.models import Site

    post_save.connect(_forget_sites, sender=Site, dispatch_uid="magpie_journey_site_saved")
    post_delete.connect(_forget_sites, sender=Site, dispatch_uid="magpie_journey_site_deleted")


def _campaign_key(site_id: int, utm_campaign: str) -> str:
    return f"magpie:journey:campaign:{site_id}:{utm_campaign.lower()}"


def campaign_id(site_id: int, utm_campaign: str) -> int | None:
    """The id of the site's campaign with this ``utm_campaign`` (cached), or ``None``."""
    if not utm_campaign:
        return None
    key = _campaign_key(site_id, utm_campaign)
    found = cache.get(key)
    if found is None:
        found = (
            Campaign.objects.filter(site_id=site_id, utm_campaign__iexact=utm_campaign)
            .values_list("pk", flat=True)
            .first()
        ) or 0
        cache.set(key, found, CACHE_SECONDS)
    return found or None


@receiver(pre_save, sender=Campaign)
def _forget_old_campaign(sender: Any, instance: Campaign, **kwargs: Any) -> None:
    if instance.pk:
        old = Campaign.objects.filter(pk=instance.pk).values("site_id", "utm_campaign").first()
        if old:
            cache.delete(_campaign_key(old["site_id"], old["utm_campaign"]))


@receiver(post_save, sender=Campaign)
@receiver(post_delete, sender=Campaign)
def _forget_campaign(sender: Any, instance: Campaign, **kwargs: Any) -> None:
    cache.delete(_campaign_key(instance.site_id, instance.utm_campaign))


# -- visitors -------------------------------------------------------------------------------


def visitor_id(request: Any) -> uuid.UUID | None:
    """The visitor id of the request's cookie, if it is a well-formed one."""
    if request is None:
        return None
    known = getattr(request, "_magpie_visitor_id", None)
    if known is not None:
        return known
    raw = request.COOKIES.get(consent.VISITOR_COOKIE)
    if not raw:
        return None
    try:
        return uuid.UUID(raw[:64])
    except ValueError:
        return None


def visitor_cache() -> Any:
    """The cache that keeps visitors' hourly marks: ``journey`` if configured, else default."""
    return caches[VISITOR_CACHE] if VISITOR_CACHE in settings.CACHES else cache


#: A visitor's hourly mark holds its contact's id, or this for a visitor without contact.
NO_CONTACT = -1


def _mark_key(vid: Any) -> str:
    return f"magpie:journey:seen:{vid}"


def _checked(vid: uuid.UUID, site_id: int) -> bool:
    """Whether visitor ``vid`` exists on the site; writes ``last_seen`` at most hourly.

    The hourly mark also remembers the visitor's contact (:func:`marked_contact`), so the
    page views of an identified visitor land on the contact's timeline without a query.
    """
    key = _mark_key(vid)
    marks = visitor_cache()
    if marks.get(key):
        return True
    found = Visitor.objects.filter(pk=vid, site_id=site_id)
    contact_id = found.values_list("contact_id", flat=True).first()
    if found.update(last_seen=timezone.now()):
        marks.set(key, contact_id or NO_CONTACT, LAST_SEEN_INTERVAL)
        return True
    return False


def marked_contact(vid: Any) -> int | None:
    """The contact id of visitor ``vid`` from its hourly mark (``None``: none or unknown)."""
    value = visitor_cache().get(_mark_key(vid)) if vid is not None else None
    return value if isinstance(value, int) and value > 0 else None


def forget_visitors(vids: Iterable[Any]) -> None:
    """Drop the hourly marks of visitors that were deleted or changed (erasure)."""
    visitor_cache().delete_many([_mark_key(vid) for vid in vids])


def known_visitor(request: Any, site_id: int) -> uuid.UUID | None:
    """The cookie's visitor id if that visitor exists on the site (checked hourly)."""
    vid = visitor_id(request)
    if vid is None or getattr(request, "_magpie_visitor_id", None) == vid:
        return vid
    return vid if _checked(vid, site_id) else None


def ensure_visitor(request: Any, site_id: int) -> tuple[uuid.UUID, bool]:
    """``(visitor id, created)`` for a request that may be tracked.

    A cookie's visitor is checked (and its ``last_seen`` written) at most once an hour: an
    ``UPDATE`` that also tells whether the row still exists on this site. A missing one (a
    forged cookie, or a visitor deleted after the retention period) is replaced.
    """
    vid = visitor_id(request)
    if vid is not None and _checked(vid, site_id):
        request._magpie_visitor_id = vid
        return vid, False
    visitor = Visitor.objects.create(site_id=site_id)
    visitor_cache().set(_mark_key(visitor.pk), NO_CONTACT, LAST_SEEN_INTERVAL)
    request._magpie_visitor_id = visitor.pk
    return visitor.pk, True


def set_visitor_cookie(request: Any, response: Any, vid: uuid.UUID) -> None:
    """Set ``magpie_vid`` on ``response``: a year, first party, ``HttpOnly``, ``Lax``."""
    response.set_cookie(
        consent.VISITOR_COOKIE,
        str(vid),
        max_age=consent.COOKIE_MAX_AGE,
        samesite="Lax",
        httponly=True,
        secure=request.is_secure(),
    )


# -- record ---------------------------------------------------------------------------------


def _clean_data(data: Any) -> dict[str, Any]:
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise ValueError("Touchpoint data must be a JSON object (a dict).")
    try:
        encoded = json.dumps(data, ensure_ascii=False, allow_nan=False)
    except (TypeError, ValueError) as error:
        raise ValueError(f"Touchpoint data must be JSON-serialisable: {error}") from None
    if len(encoded.encode("utf-8")) > MAX_DATA_BYTES:
        raise ValueError(
            f"Touchpoint data is {len(encoded.encode('utf-8'))} bytes as JSON; "
            f"at most {MAX_DATA_BYTES} are kept."
        )
    return data


def _clean_value(value: Any) -> Decimal | None:
    if value is None:
        return None
    try:
        number = value if isinstance(value, Decimal) else Decimal(str(value))
    except (InvalidOperation, ValueError):
        raise ValueError(f"Touchpoint value {value!r} is not a number.") from None
    if not number.is_finite() or abs(number) >= Decimal("1e12"):
        raise ValueError(f"Touchpoint value {value!r} is out of range.")
    return number.quantize(Decimal("0.01"))


def _site_id(site: Any) -> int | None:
    if site is None:
        return None
    return site if isinstance(site, int) else site.pk


def record(
    type: str,
    *,
    request: Any = None,
    site: Any = None,
    visitor: Any = None,
    contact: Any = None,
    obj: Any = None,
    value: Any = None,
    currency: str = "",
    data: dict[str, Any] | None = None,
    occurred_at: Any = None,
    path: str | None = None,
    referrer: str | None = None,
    savepoint: bool = True,
) -> Touchpoint | None:
    """Record one touchpoint of ``type`` and return it, or ``None`` when it may not be kept.

    With a ``request``: nothing is recorded when :func:`consent.tracking_allowed` says no and
    no ``contact`` is given (a known contact's touchpoint is kept, without a visitor); the
    visitor comes from the ``magpie_vid`` cookie, the UTM tags, referrer and path from the
    request (``path`` and ``referrer`` override them; UTM tags in ``path``'s query count),
    the channel from :func:`magpie.journey.channels.classify`, the campaign from
    ``utm_campaign``. Without one, ``site`` is required.

    A type that emits ``touchpoint.recorded`` writes the touchpoint and the outbox event in
    one transaction. Raises :class:`ValueError` for an unknown type, ``data`` that is not a
    JSON object of at most 4 KB, or a ``value`` that is not a number (before writing).

    Inside the caller's transaction that is a savepoint, so a caller may catch an error and
    go on. ``savepoint=False`` leaves it out (two round trips fewer) when the touchpoint
    belongs to the caller's change: a database error then fails the caller's transaction.
    """
    touchpoint = prepare(
        type,
        request=request,
        site=site,
        visitor=visitor,
        contact=contact,
        obj=obj,
        value=value,
        currency=currency,
        data=data,
        occurred_at=occurred_at,
        path=path,
        referrer=referrer,
    )
    if touchpoint is None:
        return None
    if not _stitches(touchpoint) and not _emits(touchpoint):
        touchpoint.save(force_insert=True)  # one INSERT in autocommit: the page view path
        return touchpoint
    with transaction.atomic(savepoint=savepoint):
        touchpoint.save(force_insert=True)
        if _stitches(touchpoint):
            identify(touchpoint.visitor_id, contact)
        _fill_source(touchpoint, contact)
        if _emits(touchpoint):
            outbox.emit(EVENT, event_payload(touchpoint), site=_site(touchpoint.site_id))
    return touchpoint


def record_many(
    items: Iterable[Mapping[str, Any]], *, site: Any = None, request: Any = None
) -> list[Touchpoint]:
    """Record many touchpoints at once; return those kept, in order.

    Each item is a mapping of :func:`record`'s arguments (``type`` included); ``site`` and
    ``request`` apply to items that do not name their own. Every item is checked as
    :func:`record` checks it before anything is written: one bad item raises
    :class:`ValueError` (``"Item 3: …"``) and nothing is stored. Items that may not be kept
    (no consent, no contact) are left out. The touchpoints go in one ``INSERT``, their
    ``touchpoint.recorded`` events in one more (and one for the deliveries), all in one
    transaction; a form submission or login with a visitor and a contact stitches the two,
    as :func:`record` does.
    """
    prepared: list[Touchpoint] = []
    contacts: dict[int, Any] = {}
    for index, item in enumerate(items):
        if not isinstance(item, Mapping):
            raise ValueError(f"Item {index}: a touchpoint is a mapping of record()'s arguments.")
        unknown = set(item) - ITEM_KEYS
        if unknown:
            raise ValueError(f"Item {index}: unknown argument(s) {', '.join(sorted(unknown))}.")
        arguments = dict(item)
        arguments.setdefault("site", site)
        arguments.setdefault("request", request)
        kind = arguments.pop("type", None)
        try:
            touchpoint = prepare(kind, **arguments)
        except ValueError as error:
            raise ValueError(f"Item {index}: {error}") from None
        if touchpoint is not None:
            prepared.append(touchpoint)
            if arguments.get("contact") is not None:
                contacts[touchpoint.contact_id] = arguments["contact"]
    if not prepared:
        return []
    with transaction.atomic():
        bulk_insert(Touchpoint, prepared)
        stitched: set[tuple[Any, int]] = set()
        for touchpoint in prepared:
            pair = (touchpoint.visitor_id, touchpoint.contact_id)
            # (a contact known only from the visitor's mark is already joined to it)
            if _stitches(touchpoint) and pair not in stitched and pair[1] in contacts:
                stitched.add(pair)
                identify(touchpoint.visitor_id, contacts[touchpoint.contact_id])
            _fill_source(touchpoint, contacts.get(touchpoint.contact_id))
        outbox.emit_many(
            (EVENT, event_payload(touchpoint), touchpoint.site_id)
            for touchpoint in prepared
            if _emits(touchpoint)
        )
    return prepared


def _emits(touchpoint: Touchpoint) -> bool:
    """``touchpoint.recorded`` goes out for the types in :data:`EVENT_TYPES` and for every
    touchpoint on a contact's timeline (scoring and alerts need those, page views too)."""
    return touchpoint.type in EVENT_TYPES or touchpoint.contact_id is not None


def _fill_source(touchpoint: Touchpoint, contact: Any) -> None:
    """A contact without a source gets the channel of its first classified touchpoint."""
    if contact is None or getattr(contact, "source", "x") or not touchpoint.channel:
        return
    contact.source = touchpoint.channel
    type(contact).objects.filter(pk=contact.pk, source="").update(source=touchpoint.channel)


def _stitches(touchpoint: Touchpoint) -> bool:
    return (
        touchpoint.type in STITCH_TYPES
        and touchpoint.contact_id is not None
        and touchpoint.visitor_id is not None
    )


def prepare(
    type: str,
    *,
    request: Any = None,
    site: Any = None,
    visitor: Any = None,
    contact: Any = None,
    obj: Any = None,
    value: Any = None,
    currency: str = "",
    data: dict[str, Any] | None = None,
    occurred_at: Any = None,
    path: str | None = None,
    referrer: str | None = None,
) -> Touchpoint | None:
    """The unsaved touchpoint :func:`record` would write (checked and cleaned), or ``None``
    when it may not be kept. Raises :class:`ValueError` as :func:`record` does."""
    if not isinstance(type, str) or type not in known_types():
        raise ValueError(
            f"Unknown touchpoint type {type!r}: use one of the host's types or declare it "
            "in a plugin's touchpoint_types() hook."
        )
    data = _clean_data(data)
    amount = _clean_value(value)
    fields: dict[str, Any] = {}
    site_id = _site_id(site)
    vid = getattr(visitor, "pk", visitor)
    if request is not None:
        request_site, _mode = site_and_mode(request)
        site_id = site_id or request_site
        allowed = site_id is not None and consent.tracking_allowed(request)
        if not allowed and contact is None:
            return None
        if allowed and vid is None:
            vid = known_visitor(request, site_id)
        if not allowed:
            vid = None
        fields = _request_fields(request, path, referrer)
    else:
        if path is not None:
            fields["path"] = clean_text(path, TEXT_LENGTH)
        if referrer is not None:
            fields["referrer"] = clean_text(referrer, TEXT_LENGTH)
    if site_id is None:
        site_id = getattr(contact, "site_id", None)
    if site_id is None:
        raise ValueError("record() needs a request, a site or a contact to know the site.")
    campaign = campaign_id(site_id, fields.get("utm_campaign", ""))
    contact_id = contact.pk if contact is not None else marked_contact(vid)
    if obj is not None:
        fields["object_type"] = obj._meta.label_lower[:100]
        fields["object_id"] = str(obj.pk)[:64]
    return Touchpoint(
        site_id=site_id,
        visitor_id=vid,
        contact_id=contact_id,
        type=type,
        occurred_at=occurred_at or timezone.now(),
        campaign_id=campaign,
        value=amount,
        currency=clean_text(currency, 3).upper(),
        data=data,
        **fields,
    )


def _site(site_id: int) -> Any:
    from wagtail.models import Site

    return Site(pk=site_id)


def event_payload(touchpoint: Touchpoint) -> dict[str, Any]:
    """What ``touchpoint.recorded`` carries: ids and the attribution, no personal data."""
    return {
        "touchpoint": touchpoint.pk,
        "type": touchpoint.type,
        "contact": touchpoint.contact_id,
        "visitor": str(touchpoint.visitor_id) if touchpoint.visitor_id else None,
        "channel": touchpoint.channel,
        "campaign": touchpoint.campaign_id,
        "utm_campaign": touchpoint.utm_campaign,
        "object_type": touchpoint.object_type,
        "object_id": touchpoint.object_id,
        "value": str(touchpoint.value) if touchpoint.value is not None else None,
        "currency": touchpoint.currency,
        "occurred_at": touchpoint.occurred_at.isoformat(),
    }


def _request_fields(request: Any, path: str | None, referrer: str | None) -> dict[str, Any]:
    if path is None:
        params = request.GET
        page_path = request.path
        names = list(request.GET.keys())
    else:
        try:
            parts = urlsplit(str(path)[:2000])
        except ValueError:
            parts = urlsplit("")
        pairs = parse_qsl(parts.query)
        params = dict(pairs)
        page_path = parts.path
        names = [name for name, _value in pairs]
    if referrer is None:
        referrer = request.headers.get("Referer", "")
    fields = {name: clean_text(params.get(name, ""), UTM_LENGTH) for name in UTM_FIELDS}
    fields["referrer"] = clean_text(referrer, TEXT_LENGTH)
    fields["path"] = clean_text(page_path, TEXT_LENGTH)
    try:
        own_host = request.get_host()
    except Exception:
        own_host = ""
    fields["channel"] = classify(
        fields["utm_source"], fields["utm_medium"], fields["referrer"], own_host, names
    ).value
    return fields


# -- identity stitching ---------------------------------------------------------------------


def identify(request_or_visitor: Any, contact: Any) -> int:
    """Join a visitor's anonymous touchpoints to ``contact``'s timeline.

    ``request_or_visitor`` is a request (its ``magpie_vid`` cookie, only where tracking is
    allowed), a :class:`Visitor` or a visitor id. Links the visitor to the contact, moves its
    touchpoints without a contact onto it in one ``UPDATE`` and fills an empty
    ``contact.source`` from the first touchpoint's channel. Returns how many moved.
    """
    if request_or_visitor is None or contact is None:
        return 0
    if hasattr(request_or_visitor, "COOKIES"):
        if not consent.tracking_allowed(request_or_visitor):
            return 0
        vid = visitor_id(request_or_visitor)
    else:
        vid = getattr(request_or_visitor, "pk", request_or_visitor)
    if vid is None:
        return 0
    with transaction.atomic(savepoint=False):
        visitor = Visitor.objects.filter(pk=vid, site_id=contact.site_id)
        linked = visitor.values_list("contact_id").first()
        if linked is None:
            return 0
        if linked[0] != contact.pk:  # no write (and no dead row) when already linked
            visitor.update(contact=contact)
        moved = Touchpoint.objects.filter(visitor_id=vid, contact__isnull=True).update(
            contact=contact
        )
        visitor_cache().set(_mark_key(vid), contact.pk, LAST_SEEN_INTERVAL)
        if moved:
            outbox.emit(
                IDENTIFIED_EVENT,
                {"contact": contact.pk, "visitor": str(vid), "moved": moved},
                site=_site(contact.site_id),
            )
        # Only touchpoints just moved can give a contact without a source its first
        # channel (a contact's own are handled as they are recorded): no scan of a long
        # history on every form submission.
        if moved and not contact.source:
            first = (
                Touchpoint.objects.filter(contact=contact)
                .exclude(channel="")
                .order_by("occurred_at", "pk")
                .values_list("channel", flat=True)
                .first()
            )
            if first:
                contact.source = first
                type(contact).objects.filter(pk=contact.pk, source="").update(source=first)
    return moved


def attach_visitor(request: Any, response: Any, contact: Any) -> uuid.UUID | None:
    """Make sure the request's browser is a visitor known to be ``contact``.

    For a request that may be tracked: a browser without a visitor cookie (it accepted the
    banner just now, say) gets a new visitor linked to ``contact`` and the ``magpie_vid``
    cookie on ``response``; one with a cookie is identified as ``contact``. Its later page
    views then land on the contact's timeline. Returns the visitor id, or ``None``.
    """
    if contact is None:
        return None
    site_id, _mode = site_and_mode(request)
    if site_id is None or site_id != contact.site_id or not consent.tracking_allowed(request):
        return None
    vid, created = ensure_visitor(request, site_id)
    if created:
        set_visitor_cookie(request, response, vid)
    identify(vid, contact)
    return vid


def on_user_logged_in(sender: Any, request: Any, user: Any, **kwargs: Any) -> None:
    """``user_logged_in``: a contact with the user's email on the request's site is
    identified with the request's visitor."""
    if request is None or not getattr(user, "email", ""):
        return
    try:
        if visitor_id(request) is None:
            return
        site_id, _mode = site_and_mode(request)
        if site_id is None:
            return
        from magpie.people.models import Contact

        contact = Contact.objects.filter(site_id=site_id, email=user.email.strip().lower()).first()
        if contact is not None:
            identify(request, contact)
    except Exception:
        logger.exception("Could not join the visitor to the contact at login.")
