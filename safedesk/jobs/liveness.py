"""Jobs of a worker that died are run again (CASES.md F3: never a lost job).

A worker claims a job by marking it RUNNING under its id; if the process is then killed (OOM,
`kill -9`, a machine lost) nothing would ever finish or release the row, and the email or the
sweep it stood for would be lost. So every worker process beats: a thread beside it writes
"alive at" for its id every BEAT_EVERY. Once a minute a periodic job (`requeue_orphans`) puts
back to READY every job RUNNING for longer than STALE_AFTER under a worker whose last beat is
older than that; the next free worker runs it again. A job is therefore run at least once, and
in the rare case of a worker that dies after the job's effect and before its success record,
twice: an email may arrive twice, never not at all (docs/deploy-scaleout.md, "Job workers").

A job RUNNING for a long time under a worker that still beats is left alone, however long it
takes. A graceful stop (SIGTERM) finishes the current job before the worker exits and forgets
its beat.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from django.db import connection
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from safedesk.jobs.models import WorkerBeat
from safedesk.jobs.periodic import Ticker

logger = logging.getLogger("safedesk.jobs")

BEAT_EVERY = timedelta(seconds=10)
# Six missed beats: a worker busy with a job still beats (its own thread), so only a process
# that is gone, or cut off from the database for a minute, looks dead.
STALE_AFTER = timedelta(seconds=60)
FORGET_AFTER = timedelta(days=1)  # beat rows of long-gone workers are deleted


def beat(worker_id: str, now: datetime | None = None) -> None:
    now = now or timezone.now()
    if not WorkerBeat.objects.filter(worker_id=worker_id).update(beat_at=now):
        WorkerBeat.objects.update_or_create(worker_id=worker_id, defaults={"beat_at": now})


def forget(worker_id: str) -> None:
    WorkerBeat.objects.filter(worker_id=worker_id).delete()


def requeue_orphans(now: datetime | None = None) -> list[str]:
    """Put the jobs of dead workers back in the queue; returns their ids."""
    now = now or timezone.now()
    cutoff = now - STALE_AFTER
    live = set(WorkerBeat.objects.filter(beat_at__gte=cutoff).values_list("worker_id", flat=True))
    # RUNNING rows are few (one per busy worker), so they are read and judged here.
    running = DBTaskResult.objects.filter(status="RUNNING", started_at__lt=cutoff).values_list("id", "worker_ids")
    orphans = [str(pk) for pk, worker_ids in running if not worker_ids or worker_ids[-1] not in live]
    if orphans:
        # The same conditions again in the UPDATE: a job that finished meanwhile stays finished.
        DBTaskResult.objects.filter(pk__in=orphans, status="RUNNING", started_at__lt=cutoff).update(
            status="READY", started_at=None
        )
        logger.warning("requeued %d job(s) of stopped workers: %s", len(orphans), ", ".join(orphans))
    WorkerBeat.objects.filter(beat_at__lt=now - FORGET_AFTER).delete()
    return orphans


class Heartbeat(Ticker):
    """The beating thread beside one worker (a daemon: it dies with the process, as it must)."""

    name = "safedesk-heartbeat"

    def __init__(self, worker_id: str, every: timedelta = BEAT_EVERY) -> None:
        super().__init__(every.total_seconds())
        self.worker_id = worker_id

    def step(self) -> None:
        beat(self.worker_id)

    def stop(self) -> None:
        """After the worker's last job: its beat row goes, its jobs are all finished."""
        super().stop()
        try:
            forget(self.worker_id)
        except Exception:
            logger.exception("could not remove the worker's heartbeat")
        finally:
            connection.close()
