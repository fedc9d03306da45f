"""Background tasks of the outbox."""

from django_tasks import task

from magpie.events import outbox


@task()
def deliver_event_task(event_id: str) -> int:
    """Deliver one event to every plugin still waiting for it."""
    return outbox.deliver_event(event_id)
