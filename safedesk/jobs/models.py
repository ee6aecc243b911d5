"""When each periodic job last became due (one row per job name, shared by every worker)."""

from __future__ import annotations

from django.db import models


class PeriodicSchedule(models.Model):
    name = models.CharField(max_length=100, unique=True)
    next_run_at = models.DateTimeField()

    def __str__(self) -> str:
        return self.name
