"""Background job worker (django-tasks with the database backend: the job row is written in the
request's transaction, so an acknowledged request never loses its follow-up work)."""

from __future__ import annotations

import logging
import os
import socket
import threading

from django_tasks_db.management.commands.db_worker import Worker

from safedesk.jobs.periodic import Scheduler

logger = logging.getLogger("safedesk.jobs")


def make_worker(*, interval: float = 1.0, max_tasks: int | None = None) -> Worker:
    return Worker(
        queue_names=["*"],
        interval=interval,
        batch=max_tasks is not None,
        backend_name="default",
        startup_delay=False,
        max_tasks=max_tasks,
        worker_id=f"{socket.gethostname()}-{os.getpid()}",
        excluded_queue_names=[],
    )


class EmbeddedWorker:
    """The job worker as a daemon thread inside `safedesk serve` (embedded mode only)."""

    def __init__(self, interval: float = 1.0) -> None:
        self.worker = make_worker(interval=interval)
        self.thread = threading.Thread(target=self._run, name="safedesk-jobs", daemon=True)
        self.scheduler = Scheduler()

    def _run(self) -> None:
        try:
            self.worker.run()
        except Exception:  # the thread must never die silently
            logger.exception("embedded job worker stopped")

    def start(self) -> None:
        self.thread.start()
        self.scheduler.start()

    def stop(self) -> None:
        self.scheduler.stop()
        self.worker.running = False
        self.thread.join(timeout=10)
