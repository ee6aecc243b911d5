"""`safedesk worker`: run background jobs (scale-out mode runs K of these)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from safedesk.jobs.liveness import Heartbeat
from safedesk.jobs.periodic import Scheduler
from safedesk.jobs.runner import make_worker


class Command(BaseCommand):
    help = "Run background jobs until SIGTERM."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--interval", type=float, default=1.0)
        parser.add_argument("--max-tasks", type=int, default=None, help="stop after this many jobs")

    def handle(self, *args: Any, **options: Any) -> None:
        worker = make_worker(interval=options["interval"], max_tasks=options["max_tasks"])
        worker.configure_signals()  # SIGTERM finishes the current job, then stops
        heartbeat = Heartbeat(worker.worker_id)  # its jobs are requeued if this process dies
        heartbeat.start()
        scheduler = Scheduler()
        scheduler.start()
        try:
            worker.run()
        finally:
            scheduler.stop()
            heartbeat.stop()
