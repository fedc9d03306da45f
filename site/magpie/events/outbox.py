"""Emit domain events and deliver them to plugins, at least once, after commit.

``emit()`` writes an :class:`Event` and one :class:`Delivery` per plugin implementing
``handle_event`` (enabled on the event's site and wanting the type, see the ``event_types``
hook) inside the caller's transaction, and queues a delivery task: with the database task
queue in the same transaction, with any other task backend when that transaction commits
(:func:`queue_with_commit`; :func:`batch` makes it one task for many events). If it rolls
back, nothing was emitted.

Delivery claims each row with a lease (an atomic ``UPDATE``), calls the plugin, and marks
it delivered, or schedules a retry with exponential back-off. A worker killed mid-delivery
leaves a lease that runs out; :func:`deliver_due` (run by ``manage deliver_events``) picks
the row up again, so no event is lost.
"""

from __future__ import annotations

import json
import logging
import traceback
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from datetime import timedelta
from functools import cache
from typing import Any

from django.conf import settings
from django.core.cache import cache as django_cache
from django.core.serializers.json import DjangoJSONEncoder
from django.db import connection, router, transaction
from django.db.models import Q
from django.db.models.signals import post_delete, post_save
from django.utils import timezone
from django_tasks import task

from magpie.bulk import bulk_insert, execute_together, insert_statement
from magpie.events.models import Delivery, Event
from magpie.plugins import disabled_plugins, get_host

logger = logging.getLogger("magpie.events")

EVENT_HOOK = "handle_event"


#: How long a site's disabled plugins are kept in Django's cache (seconds). A change in the
#: admin clears the entry at once on this app server (and on all of them with a shared cache
#: such as Redis); with per-process caches other servers follow within this time.
DISABLED_CACHE_SECONDS = 30


def _disabled_key(site_id: Any) -> str:
    return f"magpie:events:disabled:{site_id}"


def disabled_for_site(site: Any) -> frozenset[str]:
    """Plugins switched off for ``site``, from Django's cache (one query per 30 s at most)."""
    site_id = getattr(site, "pk", site)
    if site_id is None:
        return frozenset()
    key = _disabled_key(site_id)
    found = django_cache.get(key)
    if found is None:
        found = frozenset(disabled_plugins(site))
        django_cache.set(key, found, DISABLED_CACHE_SECONDS)
    return found


def _forget_disabled(sender: Any, instance: Any, **kwargs: Any) -> None:
    django_cache.delete(_disabled_key(instance.site_id))


post_save.connect(
    _forget_disabled, sender="magpie_pluginhost.PluginState", dispatch_uid="magpie_events_ps_save"
)
post_delete.connect(
    _forget_disabled, sender="magpie_pluginhost.PluginState", dispatch_uid="magpie_events_ps_del"
)


def _plugins_for(type: str, site: Any) -> list[str]:
    return [
        impl.plugin_name
        for impl in get_host().implementations(EVENT_HOOK, disabled_for_site(site))
        if wants(impl.plugin_name, type)
    ]


def _checked_type(type: str) -> str:
    if not type or len(type) > 100:
        raise ValueError("An event type is a non-empty string of at most 100 characters.")
    return type


def _json(payload: dict[str, Any] | None) -> dict[str, Any]:
    return json.loads(json.dumps(payload or {}, cls=DjangoJSONEncoder))


def emit(
    type: str,
    payload: dict[str, Any] | None = None,
    site: Any = None,
    *,
    also: Iterable[tuple[str, list[Any]]] = (),
) -> Event:
    """Record domain event ``type`` with a JSON ``payload`` in the current transaction.

    Returns the :class:`Event`; its ``id`` is stable across retries, so plugins can use
    it for idempotency. Delivery starts after the surrounding transaction commits. The
    event and its deliveries are written in one statement on PostgreSQL, with ``also``:
    the caller's last writes of the same change, ``(sql, params)`` that neither read nor
    write the outbox (:func:`magpie.bulk.execute_together`), sent in the same round trip.
    """
    _checked_type(type)
    # A Site or its id, as emit_many() accepts.
    event = Event(type=type, payload=_json(payload), site_id=getattr(site, "pk", site))
    deliveries = [Delivery(event=event, plugin=name) for name in _plugins_for(type, site)]
    statements = [*also, insert_statement(Event, [event])]
    if deliveries:
        statements.append(insert_statement(Delivery, deliveries))
    with transaction.atomic(savepoint=False):  # all or nothing with the caller's change
        execute_together(statements)
        if deliveries:
            queue_with_commit([str(event.pk)])
    event._state.adding = False
    event._state.db = connection.alias
    return event


def emit_many(events: Iterable[tuple[str, dict[str, Any] | None, Any]]) -> list[Event]:
    """Record many domain events ``(type, payload, site)`` in the current transaction.

    The same as calling :func:`emit` for each, in one ``INSERT`` of events and one of
    deliveries (all or nothing). Returns the events in order.
    """
    rows = [(_checked_type(type), _json(payload), site) for type, payload, site in events]
    if not rows:
        return []
    with transaction.atomic(savepoint=False):
        created = bulk_insert(
            Event,
            (
                Event(type=type, payload=payload, site_id=getattr(site, "pk", site))
                for type, payload, site in rows
            ),
        )
        wanted: dict[tuple[str, Any], list[str]] = {}
        deliveries = []
        for event, (type, _payload, site) in zip(created, rows, strict=True):
            key = (type, getattr(site, "pk", site))
            if key not in wanted:
                wanted[key] = _plugins_for(type, site)
            deliveries.extend(Delivery(event=event, plugin=name) for name in wanted[key])
        bulk_insert(Delivery, deliveries)
        queue_with_commit([str(pk) for pk in dict.fromkeys(d.event_id for d in deliveries)])
    return created


def _queue_is_this_database() -> bool:
    """True when the task backend is django-tasks' database backend on this database."""
    from django_tasks_db.backend import DatabaseBackend
    from django_tasks_db.models import DBTaskResult

    from magpie.events.tasks import deliver_event_task

    return isinstance(deliver_event_task.get_backend(), DatabaseBackend) and (
        router.db_for_write(DBTaskResult) == transaction.get_connection().alias
    )


def queue_with_commit(event_ids: list[str]) -> None:
    """Queue the delivery of ``event_ids`` (one task) so that it exists exactly when the
    events do.

    With the database task backend on the same database, at once: the task's row is part
    of the transaction and commits or rolls back with the events (no write of its own
    after the commit; an error fails the transaction, events and all). With any other
    backend (a broker, the immediate one of the tests), when the transaction commits, so
    no worker looks for events not yet committed; a failure then is logged and the
    deliveries stay pending for :func:`deliver_due`.
    """
    from magpie.events.tasks import deliver_event_task

    if not event_ids:
        return
    open_batch = getattr(transaction.get_connection(), BATCH_ATTRIBUTE, None)
    if open_batch is not None:
        open_batch.extend(event_ids)
        return
    if transaction.get_connection().in_atomic_block and _queue_is_this_database():
        if len(event_ids) == 1:
            deliver_event_task.enqueue(event_ids[0])
        else:
            deliver_events_task.enqueue(event_ids)
    elif len(event_ids) == 1:
        transaction.on_commit(lambda: enqueue_delivery(event_ids[0]))
    else:
        transaction.on_commit(lambda: enqueue_batch_delivery(event_ids))


#: Where :func:`batch` keeps the ids of the events emitted in it (on the thread's connection).
BATCH_ATTRIBUTE = "_magpie_outbox_batch"


@contextmanager
def batch() -> Iterator[None]:
    """Queue one delivery task for all events emitted in the block, when it ends.

    For a change that emits several events (an order and its journey touchpoint): one
    task instead of one per event. Nested batches join the outermost. If the block
    raises, the task is queued only if the transaction still commits; an id of an event
    rolled back meanwhile is harmless (there is nothing to deliver for it).
    """
    db = transaction.get_connection()
    if getattr(db, BATCH_ATTRIBUTE, None) is not None:
        yield
        return
    event_ids: list[str] = []
    setattr(db, BATCH_ATTRIBUTE, event_ids)
    try:
        yield
    except BaseException:
        setattr(db, BATCH_ATTRIBUTE, None)
        if event_ids:
            transaction.on_commit(lambda: enqueue_batch_delivery(event_ids))
        raise
    setattr(db, BATCH_ATTRIBUTE, None)
    queue_with_commit(list(dict.fromkeys(event_ids)))


@cache
def _interests() -> dict[str, tuple[str, ...] | None]:
    """Per plugin, the event types from its ``event_types`` hook (``None``: all)."""
    interests: dict[str, tuple[str, ...] | None] = {}
    for impl in get_host().implementations("event_types"):
        types = impl.function()
        interests[impl.plugin_name] = None if types is None else tuple(types)
    return interests


def wants(plugin: str, type: str) -> bool:
    """True when ``plugin`` takes events of ``type`` (see the ``event_types`` hook)."""
    types = _interests().get(plugin)
    if types is None:
        return True
    return any(type == t or (t.endswith(".*") and type.startswith(t[:-1])) for t in types)


def enqueue_delivery(event_id: Any, delay: timedelta | None = None) -> None:
    """Queue the delivery task for one event (optionally later, where the backend can)."""
    from magpie.events.tasks import deliver_event_task

    task = deliver_event_task
    if delay and task.get_backend().supports_defer:
        task = task.using(run_after=timezone.now() + delay)
    elif delay:
        return  # no deferred tasks on this backend: deliver_due() retries when due
    try:
        task.enqueue(str(event_id))
    except Exception:  # the row stays pending; deliver_due() picks it up
        logger.exception("Could not queue delivery of event %s; it stays pending.", event_id)


def enqueue_batch_delivery(event_ids: list[str]) -> None:
    """Queue one task delivering several events (those of one :func:`emit_many`)."""
    ids = list(event_ids)
    try:
        deliver_events_task.enqueue(ids)
    except Exception:  # the rows stay pending; deliver_due() picks them up
        logger.exception("Could not queue delivery of %s events; they stay pending.", len(ids))


@task()
def deliver_events_task(event_ids: list[str]) -> int:
    """Deliver several events, each to every plugin still waiting for it (one task for a
    batch: queueing a task costs about as much as writing the event)."""
    return sum(deliver_event(event_id) for event_id in event_ids)


def _claim(delivery_id: int) -> bool:
    """Take the lease on one due delivery; False when another worker holds it or it is done."""
    now = timezone.now()
    lease = now + timedelta(seconds=settings.MAGPIE_EVENTS_LEASE_SECONDS)
    return bool(
        Delivery.objects.filter(
            Q(leased_until__isnull=True) | Q(leased_until__lt=now),
            pk=delivery_id,
            status=Delivery.Status.PENDING,
            next_attempt_at__lte=now,
        ).update(leased_until=lease)
    )


def backoff(attempts: int) -> timedelta:
    """Delay before the next try after ``attempts`` failures: base × 2^(attempts−1)."""
    return timedelta(seconds=settings.MAGPIE_EVENTS_BACKOFF_SECONDS * 2 ** max(attempts - 1, 0))


def deliver(delivery: Delivery) -> bool:
    """Call one plugin with one event; record the outcome. True when delivered.

    The caller must hold the lease (see :func:`_claim`).
    """
    impl = next(
        (i for i in get_host().implementations(EVENT_HOOK) if i.plugin_name == delivery.plugin),
        None,
    )
    now = timezone.now()
    delivery.attempts += 1
    try:
        if impl is None:
            raise LookupError(
                f"Plugin {delivery.plugin!r} is not installed or has no {EVENT_HOOK}."
            )
        impl.function(event=delivery.event)
    except Exception as exc:
        delivery.last_error = f"{type(exc).__name__}: {exc}\n\n{traceback.format_exc()}"[:10000]
        if delivery.attempts >= settings.MAGPIE_EVENTS_MAX_ATTEMPTS:
            delivery.status = Delivery.Status.FAILED
        else:
            delivery.next_attempt_at = now + backoff(delivery.attempts)
        delivery.leased_until = None
        delivery.save(
            update_fields=[
                "attempts",
                "last_error",
                "status",
                "next_attempt_at",
                "leased_until",
                "updated_at",
            ]
        )
        logging.getLogger(f"magpie.plugins.{delivery.plugin}").warning(
            "Delivery of %s %s to %s failed (attempt %s): %s",
            delivery.event.type,
            delivery.event_id,
            delivery.plugin,
            delivery.attempts,
            exc,
        )
        if delivery.status == Delivery.Status.PENDING:
            enqueue_delivery(delivery.event_id, backoff(delivery.attempts))
        return False
    delivery.status = Delivery.Status.DELIVERED
    delivery.delivered_at = now
    delivery.leased_until = None
    delivery.save(
        update_fields=["attempts", "status", "delivered_at", "leased_until", "updated_at"]
    )
    return True


def deliver_event(event_id: Any) -> int:
    """Deliver every due delivery of one event; return how many succeeded."""
    delivered = 0
    ids = Delivery.objects.filter(event_id=event_id, status=Delivery.Status.PENDING).values_list(
        "pk", flat=True
    )
    for delivery_id in list(ids):
        if _claim(delivery_id):
            delivered += deliver(Delivery.objects.select_related("event").get(pk=delivery_id))
    return delivered


def deliver_due(limit: int = 500) -> int:
    """Deliver pending deliveries whose time has come, oldest first, including those whose
    worker died holding the lease. Returns how many succeeded."""
    now = timezone.now()
    ids = (
        Delivery.objects.filter(status=Delivery.Status.PENDING, next_attempt_at__lte=now)
        .filter(Q(leased_until__isnull=True) | Q(leased_until__lt=now))
        .order_by("next_attempt_at", "pk")
        .values_list("pk", flat=True)[:limit]
    )
    delivered = 0
    for delivery_id in list(ids):
        if _claim(delivery_id):
            delivered += deliver(Delivery.objects.select_related("event").get(pk=delivery_id))
    return delivered


def retry(deliveries: Any) -> int:
    """Put failed (or pending) deliveries back in the queue now; returns how many."""
    now = timezone.now()
    ids = list(deliveries.exclude(status=Delivery.Status.DELIVERED).values_list("pk", flat=True))
    Delivery.objects.filter(pk__in=ids).update(
        status=Delivery.Status.PENDING, next_attempt_at=now, leased_until=None, attempts=0
    )
    for event_id in set(Delivery.objects.filter(pk__in=ids).values_list("event_id", flat=True)):
        transaction.on_commit(lambda event_id=event_id: enqueue_delivery(event_id))
    return len(ids)
