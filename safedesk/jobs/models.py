"""When each periodic job last became due (one row per job name, shared by every worker)."""

from __future__ import annotations

from django.db import models


class PeriodicSchedule(models.Model):
    name = models.CharField(max_length=100, unique=True)
    next_run_at = models.DateTimeField()

    def __str__(self) -> str:
        return self.name


class WorkerBeat(models.Model):
    """The last sign of life of each job worker, under the id it writes into the jobs it claims
    (`jobs.liveness`): a job RUNNING under a worker that stopped beating is given to another."""

    worker_id = models.CharField(max_length=200, primary_key=True)
    beat_at = models.DateTimeField()

    def __str__(self) -> str:
        return self.worker_id
