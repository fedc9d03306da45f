"""Background tasks of the leads plugin (django-tasks)."""

from __future__ import annotations

from django_tasks import task


@task()
def decay_scores_task() -> int:
    """Write every contact's decayed engagement score (see ``manage decay_scores``)."""
    from magpie_leads.scoring import decay_scores

    return decay_scores()
