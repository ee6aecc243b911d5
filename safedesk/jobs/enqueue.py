"""Enqueue a task as part of the current transaction.

With the database backend (django-tasks-db, our default) the job row is an outbox row: written
in the caller's transaction, it exists exactly when the change that asked for it was committed,
and no network I/O happens in the request. Any other backend (immediate, dummy, a future
broker) cannot share our transaction, so the enqueue is deferred to ``transaction.on_commit``:
a rolled-back change never sends its email.

Never pass secrets (tokens, codes, passwords) as task arguments: the arguments are stored in
the job row. Pass public ids and let the task derive what it needs.
"""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django_tasks import task_backends
from django_tasks.base import Task
from django_tasks_db import DatabaseBackend


def enqueue(task: Task[Any, Any], *args: Any, **kwargs: Any) -> None:
    backend = task_backends[task.backend]
    if isinstance(backend, DatabaseBackend):
        task.enqueue(*args, **kwargs)
    else:
        transaction.on_commit(lambda: task.enqueue(*args, **kwargs))
