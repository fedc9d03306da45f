"""The outbox: emit in the caller's transaction, deliver after commit, retry, isolate."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from wagtail.models import Site

from magpie.events import outbox
from magpie.events.models import Delivery, Event
from magpie.pluginhost.models import PluginState
from magpie_testplugins import recorder

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def reset_recorder():
    recorder.received.clear()
    recorder.fail_next = 0
    yield
    recorder.received.clear()
    recorder.fail_next = 0


def _emit(django_capture_on_commit_callbacks, type="test.happened", payload=None, site=None):
    with django_capture_on_commit_callbacks(execute=True):
        return outbox.emit(type, payload or {"number": "2026-000001"}, site=site)


def test_rolled_back_transaction_emits_nothing():
    with pytest.raises(RuntimeError), transaction.atomic():
        outbox.emit("test.happened", {"number": "x"})
        raise RuntimeError("the order failed")
    assert not Event.objects.exists()
    assert not Delivery.objects.exists()
    assert recorder.received == []


def test_event_is_delivered_after_commit_once_per_plugin(django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        event = outbox.emit("test.signed_up", {"email": "anna@example.ch"})
        # Nothing is delivered before the transaction commits.
        assert recorder.received == []
    for callback in callbacks:
        callback()
    assert recorder.received == [(event.id, "test.signed_up", {"email": "anna@example.ch"})]
    deliveries = {d.plugin: d for d in Delivery.objects.filter(event=event)}
    assert set(deliveries) == {"recorder", "failing"}  # not search: no catalog event
    assert deliveries["recorder"].status == Delivery.Status.DELIVERED
    assert deliveries["recorder"].attempts == 1
    # Delivering again does not call the plugin a second time.
    outbox.deliver_event(event.id)
    outbox.deliver_due()
    assert len(recorder.received) == 1


def test_failing_plugin_is_isolated_and_scheduled_with_backoff(
    django_capture_on_commit_callbacks, settings
):
    settings.MAGPIE_EVENTS_BACKOFF_SECONDS = 10
    before = timezone.now()
    event = _emit(django_capture_on_commit_callbacks)  # does not raise
    failing = Delivery.objects.get(event=event, plugin="failing")
    assert failing.status == Delivery.Status.PENDING
    assert failing.attempts == 1
    assert "PluginFailure: cannot handle test.happened" in failing.last_error
    assert failing.next_attempt_at >= before + timedelta(seconds=10)
    assert len(recorder.received) == 1  # the other plugin got it anyway

    # Not due yet: the sweeper leaves it alone.
    assert outbox.deliver_due() == 0
    assert Delivery.objects.get(pk=failing.pk).attempts == 1

    # Due: tried again, and the delay doubles.
    Delivery.objects.filter(pk=failing.pk).update(next_attempt_at=timezone.now())
    second_try = timezone.now()
    outbox.deliver_due()
    failing.refresh_from_db()
    assert failing.attempts == 2
    assert failing.next_attempt_at >= second_try + timedelta(seconds=20)


def test_delivery_gives_up_after_max_attempts(django_capture_on_commit_callbacks, settings):
    settings.MAGPIE_EVENTS_MAX_ATTEMPTS = 3
    event = _emit(django_capture_on_commit_callbacks)
    for _ in range(5):
        Delivery.objects.filter(event=event, plugin="failing").update(
            next_attempt_at=timezone.now()
        )
        outbox.deliver_due()
    failing = Delivery.objects.get(event=event, plugin="failing")
    assert failing.status == Delivery.Status.FAILED
    assert failing.attempts == 3


def test_retry_redelivers_with_the_same_event_id(django_capture_on_commit_callbacks):
    recorder.fail_next = 1
    event = _emit(django_capture_on_commit_callbacks, payload={"n": 1})
    assert recorder.received == []
    delivery = Delivery.objects.get(event=event, plugin="recorder")
    assert delivery.status == Delivery.Status.PENDING
    with django_capture_on_commit_callbacks(execute=True):
        assert outbox.retry(Delivery.objects.filter(pk=delivery.pk)) == 1
    assert recorder.received == [(event.id, "test.happened", {"n": 1})]
    delivery.refresh_from_db()
    assert delivery.status == Delivery.Status.DELIVERED


def test_worker_killed_mid_delivery_loses_no_event(django_capture_on_commit_callbacks):
    # The task never ran (say the worker died before it); then a worker claimed the
    # delivery and died holding the lease.
    with django_capture_on_commit_callbacks(execute=False):
        event = outbox.emit("test.happened", {"n": 2})
    delivery = Delivery.objects.get(event=event, plugin="recorder")
    assert outbox._claim(delivery.pk)
    assert not outbox._claim(delivery.pk)  # a second worker cannot take it meanwhile
    assert outbox.deliver_due() == 0
    assert recorder.received == []
    # The lease runs out; the sweeper delivers.
    Delivery.objects.filter(pk=delivery.pk).update(leased_until=timezone.now() - timedelta(1))
    outbox.deliver_due()
    assert recorder.received == [(event.id, "test.happened", {"n": 2})]


def test_disabled_plugin_gets_no_delivery(django_capture_on_commit_callbacks):
    site = Site.objects.get(is_default_site=True)
    PluginState.objects.create(site=site, plugin="recorder", enabled=False)
    event = _emit(django_capture_on_commit_callbacks, site=site)
    assert set(Delivery.objects.filter(event=event).values_list("plugin", flat=True)) == {"failing"}
    assert recorder.received == []


def test_bad_event_type_is_rejected():
    with pytest.raises(ValueError):
        outbox.emit("", {})
    assert not Event.objects.exists()


def test_admin_lists_failed_deliveries_and_retries_them(
    admin_client, django_capture_on_commit_callbacks, settings
):
    settings.MAGPIE_EVENTS_MAX_ATTEMPTS = 1
    event = _emit(django_capture_on_commit_callbacks)
    failing = Delivery.objects.get(event=event, plugin="failing")
    assert failing.status == Delivery.Status.FAILED

    response = admin_client.get(reverse("magpie_event_deliveries:index") + "?status=failed")
    assert response.status_code == 200
    assert "failing" in response.content.decode()
    assert reverse("magpie_events_retry", args=[failing.pk]) in response.content.decode()

    response = admin_client.get(reverse("magpie_event_deliveries:inspect", args=[failing.pk]))
    assert response.status_code == 200
    assert "cannot handle test.happened" in response.content.decode()

    confirm = admin_client.get(reverse("magpie_events_retry_failed"))
    assert confirm.status_code == 200
    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post(reverse("magpie_events_retry_failed"))
    assert response.status_code == 302
    failing.refresh_from_db()
    # Retried at once; it failed again, so it is back to failed with one new attempt.
    assert failing.attempts == 1
    assert failing.status == Delivery.Status.FAILED


def test_retry_needs_permission(client, django_user_model):
    user = django_user_model.objects.create_user("editor", password="pw")
    from django.contrib.auth.models import Permission

    user.user_permissions.add(Permission.objects.get(codename="access_admin"))
    client.force_login(user)
    response = client.post(reverse("magpie_events_retry_failed"))
    assert response.status_code in (302, 403)
    if response.status_code == 302:
        assert "retry" not in response.url


def test_plugins_get_only_the_event_types_they_want(django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False):
        lead = outbox.emit("test.signed_up", {"email": "anna@example.ch"})
        change = outbox.emit("product.changed", {"skus": []})
    lead_plugins = set(Delivery.objects.filter(event=lead).values_list("plugin", flat=True))
    change_plugins = set(Delivery.objects.filter(event=change).values_list("plugin", flat=True))
    assert "search" not in lead_plugins  # the search plugin wants catalog events only
    assert {"search", "recorder"} <= change_plugins
    assert outbox.wants("recorder", "anything.at.all")  # no event_types: every event


def test_event_ids_are_time_ordered_uuids():
    # Version 7: the index of event ids grows at one end, like a sequence.
    from magpie.events.models import uuid7

    ids = [uuid7() for _ in range(1000)]
    assert {value.version for value in ids} == {7}
    assert len(set(ids)) == 1000
    stamps = [value.int >> 80 for value in ids]
    assert stamps == sorted(stamps)
    first = outbox.emit("test.happened", {})
    assert first.id.version == 7


@pytest.fixture
def database_tasks(settings):
    """The production task backend: django-tasks' queue table in this database."""
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}


def test_database_queue_gets_its_task_in_the_events_transaction(
    database_tasks, django_capture_on_commit_callbacks
):
    from django_tasks_db.models import DBTaskResult

    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        event = outbox.emit("test.signed_up", {"email": "anna@example.ch"})
        many = outbox.emit_many([("test.happened", {"n": n}, None) for n in range(3)])
    assert callbacks == []  # nothing left for after the commit: the rows are the queue
    tasks = {task.task_path: task.args_kwargs["args"] for task in DBTaskResult.objects.all()}
    assert tasks == {
        "magpie.events.tasks.deliver_event_task": [str(event.pk)],
        "magpie.events.outbox.deliver_events_task": [[str(e.pk) for e in many]],
    }
    assert recorder.received == []  # a worker delivers them, not the request


def test_database_queue_rolls_back_with_the_events(database_tasks):
    from django_tasks_db.models import DBTaskResult

    with transaction.atomic():
        outbox.emit("test.kept", {})
        with pytest.raises(RuntimeError), transaction.atomic():
            outbox.emit("test.dropped", {})
            raise RuntimeError("the inner step failed")
    assert list(Event.objects.values_list("type", flat=True)) == ["test.kept"]
    assert DBTaskResult.objects.count() == 1
    (task,) = DBTaskResult.objects.all()
    assert task.args_kwargs["args"] == [str(Event.objects.get().pk)]


def test_emit_writes_the_event_and_its_deliveries_in_one_statement(
    django_assert_num_queries, django_capture_on_commit_callbacks
):
    from django.db import connection

    with django_capture_on_commit_callbacks(execute=False):
        with django_assert_num_queries(1 if connection.vendor == "postgresql" else 2):
            event = outbox.emit("test.signed_up", {"email": "anna@example.ch"})
    assert set(Delivery.objects.filter(event=event).values_list("plugin", flat=True)) == {
        "recorder",
        "failing",
    }
    assert Event.objects.get(pk=event.pk).payload == {"email": "anna@example.ch"}


def test_a_batch_queues_one_task_for_its_events(database_tasks):
    from django_tasks_db.models import DBTaskResult

    with transaction.atomic(), outbox.batch():
        first = outbox.emit("test.signed_up", {"email": "anna@example.ch"})
        with outbox.batch():  # joins the outer one
            second = outbox.emit("test.happened", {})
        assert not DBTaskResult.objects.exists()  # queued when the block ends
    (task,) = DBTaskResult.objects.all()
    assert task.task_path == "magpie.events.outbox.deliver_events_task"
    assert task.args_kwargs["args"] == [[str(first.pk), str(second.pk)]]


def test_a_batch_that_raises_queues_nothing_when_its_transaction_rolls_back(
    database_tasks, django_capture_on_commit_callbacks
):
    from django_tasks_db.models import DBTaskResult

    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        with pytest.raises(RuntimeError), transaction.atomic(), outbox.batch():
            outbox.emit("test.happened", {})
            raise RuntimeError("the change failed")
    assert callbacks == []
    assert not Event.objects.exists() and not DBTaskResult.objects.exists()


def test_events_of_a_batch_are_delivered(django_capture_on_commit_callbacks):
    # The immediate backend of the tests: one task after the commit delivers both.
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        with outbox.batch():
            first = outbox.emit("test.signed_up", {"email": "anna@example.ch"})
            second = outbox.emit("test.happened", {})
    assert len(callbacks) == 1
    assert [(event_id, type) for event_id, type, _payload in recorder.received] == [
        (first.id, "test.signed_up"),
        (second.id, "test.happened"),
    ]
