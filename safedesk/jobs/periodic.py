"""Periodic jobs (the SLA sweep, later digests and clean-ups).

Apps register a task and an interval when they load. Every worker runs a small scheduler loop;
for each job whose time has come, one of them (the one that locks the schedule row first, with
SKIP LOCKED on PostgreSQL; SQLite has one writer anyway) enqueues the task and moves the row to
the next time. The task itself then runs like any other job, on whichever worker claims it, so a
sweep is never run twice for one period however many workers there are.
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.db import connection, transaction
from django.utils import timezone

from safedesk.jobs.enqueue import enqueue

logger = logging.getLogger("safedesk.jobs")


@dataclass(frozen=True)
class Periodic:
    name: str
    every: timedelta
    task: Any  # a django_tasks Task taking no arguments


_registry: dict[str, Periodic] = {}


def register(name: str, every: timedelta, task: Any) -> None:
    _registry[name] = Periodic(name, every, task)


def registered() -> list[Periodic]:
    return list(_registry.values())


def enqueue_due(now: datetime | None = None) -> list[str]:
    """Enqueue every registered job whose time has come; returns their names."""
    from safedesk.jobs.models import PeriodicSchedule

    now = now or timezone.now()
    jobs = registered()
    if not jobs:
        return []
    PeriodicSchedule.objects.bulk_create(
        [PeriodicSchedule(name=job.name, next_run_at=now) for job in jobs], ignore_conflicts=True
    )
    started: list[str] = []
    skip_locked = connection.features.has_select_for_update_skip_locked
    for job in jobs:
        with transaction.atomic():
            row = (
                PeriodicSchedule.objects.select_for_update(skip_locked=skip_locked)
                .filter(name=job.name, next_run_at__lte=now)
                .first()
            )
            if row is None:
                continue
            row.next_run_at = now + job.every
            row.save(update_fields=["next_run_at"])
            enqueue(job.task)
            started.append(job.name)
    return started


class Ticker:
    """A daemon thread beside a worker that calls `step` every `tick` seconds until stopped.
    A failed step is logged and the next one retries; the thread's database connection is
    closed after each step (it sleeps most of the time)."""

    name = "safedesk-ticker"

    def __init__(self, tick: float) -> None:
        self.tick = tick
        self.stopping = threading.Event()
        self.thread = threading.Thread(target=self._run, name=self.name, daemon=True)

    def step(self) -> None:
        raise NotImplementedError

    def _run(self) -> None:
        while not self.stopping.is_set():
            try:
                self.step()
            except Exception:  # a failed step must not end the loop; the next one retries
                logger.exception("%s: step failed", self.name)
            finally:
                connection.close()
            self.stopping.wait(self.tick)

    def start(self) -> None:
        self.thread.start()

    def stop(self) -> None:
        self.stopping.set()
        self.thread.join(timeout=10)


class Scheduler(Ticker):
    """The scheduler loop beside a worker: enqueues the periodic jobs whose time has come."""

    name = "safedesk-periodic"

    def __init__(self, tick: float = 5.0) -> None:
        super().__init__(tick)

    def step(self) -> None:
        enqueue_due()
