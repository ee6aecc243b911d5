"""The jobs app's own periodic job."""

from __future__ import annotations

from django_tasks import task


@task(queue_name="default")
def requeue_orphans() -> int:
    """Periodic (every minute): jobs RUNNING under a worker that stopped beating go back to the
    queue (`jobs.liveness`)."""
    from safedesk.jobs import liveness

    return len(liveness.requeue_orphans())
