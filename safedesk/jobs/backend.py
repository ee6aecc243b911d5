"""django-tasks-db's backend, with the job row written by a planned insert.

The job row is an outbox row written in the request's transaction (see `enqueue`). The package
writes it with `objects.create`, which builds and compiles an INSERT on every call; a new ticket
pays that once per job. Here the same row (the same values, django-tasks-db's own pre_save
receiver still run) goes through `lib.db.insert`, and the task result the caller gets back is
built once instead of twice."""

from __future__ import annotations

from typing import Any

from django_tasks_db import DatabaseBackend as _PackageBackend
from django_tasks_db.compat import normalize_json, task_enqueued
from django_tasks_db.models import DBTaskResult

from safedesk.lib.db import insert


class DatabaseBackend(_PackageBackend):
    def _task_to_db_task(self, task: Any, args: Any, kwargs: Any) -> DBTaskResult:
        row: DBTaskResult = DBTaskResult(
            id=self._get_id(),
            args_kwargs=normalize_json({"args": args, "kwargs": kwargs}),
            priority=task.priority,
            task_path=task.module_path,
            queue_name=task.queue_name,
            run_after=task.run_after,
            backend_name=self.alias,
        )
        insert(row)
        return row

    def enqueue(self, task: Any, args: Any, kwargs: Any) -> Any:
        self.validate_task(task)
        result = self._task_to_db_task(task, args, kwargs).task_result
        task_enqueued.send(type(self), task_result=result)
        return result
