"""Background job worker (django-tasks with the database backend: the job row is written in the
request's transaction, so an acknowledged request never loses its follow-up work)."""

from __future__ import annotations

import logging
import os
import socket
import threading
import time
from collections import deque
from collections.abc import Sequence
from contextlib import ExitStack
from datetime import timedelta
from functools import lru_cache
from traceback import format_exception
from typing import Any

from django.db import OperationalError, close_old_connections, connections
from django.utils import timezone
from django_tasks_db.compat import normalize_json
from django_tasks_db.management.commands.db_worker import Worker as _PackageWorker
from django_tasks_db.models import DBTaskResult, get_date_max
from django_tasks_db.utils import is_locked_database_exception, retry

from safedesk.jobs import mail
from safedesk.jobs.liveness import Heartbeat
from safedesk.jobs.periodic import Scheduler

logger = logging.getLogger("safedesk.jobs")
DB = "default"


# ---- claiming and finishing jobs in one statement each -----------------------------------------
#
# django-tasks-db claims a job with four statements built by the ORM on every pass (BEGIN, a
# SELECT … FOR UPDATE SKIP LOCKED, an UPDATE, COMMIT) and finishes it with a fifth: ~2.5 ms of
# the worker's CPU per job on this machine, as much as rendering and sending the email the job
# is for. Here each is one statement written once per database, with the same effect on the rows:
# the claim takes the first ready jobs (up to CLAIM_BATCH) in the package's order (priority, then
# run_after, then enqueued_at), skipping rows another worker holds, sets them RUNNING with their
# start time and this worker's id appended, and reads them back; the finish writes what
# `set_successful` writes, for every job of the batch that succeeded.


@lru_cache(maxsize=4)
def _statements(vendor: str) -> tuple[str, tuple[Any, ...], str]:
    meta = DBTaskResult._meta
    qn = connections[DB].ops.quote_name
    table = qn(str(meta.db_table))
    fields = tuple(meta.concrete_fields)
    columns = ", ".join(f"{table}.{qn(str(f.column))}" for f in fields)
    ids = qn("worker_ids")
    if vendor == "postgresql":
        append = f"{ids} || jsonb_build_array(%s::text)"
        drop_last = f"{ids} - -1"
        lock = " FOR UPDATE SKIP LOCKED"
    elif vendor == "sqlite":
        # One statement is one transaction on SQLite, and writers take turns: no row lock needed.
        append = f"json_insert({ids}, '$[#]', %s)"
        drop_last = f"json_remove({ids}, '$[#-1]')"
        lock = ""
    else:  # pragma: no cover - safedesk runs on SQLite or PostgreSQL only
        raise NotImplementedError(vendor)
    # Only quoted names of the model's table and columns go into the text; values are parameters.
    claim = (
        f"UPDATE {table} SET {qn('status')} = %s, {qn('started_at')} = %s, {ids} = {append} "  # noqa: S608
        f"WHERE {qn('id')} IN (SELECT {qn('id')} FROM {table} WHERE {qn('status')} = %s "
        f"AND {qn('backend_name')} = %s AND ({qn('run_after')} = %s OR {qn('run_after')} <= %s) "
        f"ORDER BY {qn('priority')} DESC, {qn('run_after')} ASC, {qn('enqueued_at')} ASC LIMIT %s{lock}) "
        f"RETURNING {columns}"
    )
    # A claimed job this worker will not run after all (it is stopping) goes back as it was.
    release = (
        f"UPDATE {table} SET {qn('status')} = %s, {qn('started_at')} = NULL, {ids} = {drop_last} "  # noqa: S608
        f"WHERE {qn('id')} = %s AND {qn('status')} = %s"
    )
    return claim, fields, release


def _prep(name: str, value: Any) -> Any:
    field: Any = DBTaskResult._meta.get_field(name)
    return field.get_db_prep_save(value, connections[DB])


def _from_row(fields: tuple[Any, ...], row: tuple[Any, ...]) -> DBTaskResult:
    """The claimed row as the ORM would read it (each column through its converters)."""
    conn = connections[DB]
    values = []
    for field, value in zip(fields, row, strict=True):
        col = field.get_col(DBTaskResult._meta.db_table)
        for converter in [*conn.ops.get_db_converters(col), *field.get_db_converters(conn)]:
            value = converter(value, col, conn)
        values.append(value)
    return DBTaskResult.from_db(DB, [f.attname for f in fields], values)


CLAIM_BATCH = 8  # jobs claimed per statement when that many are ready


def claim_ready(worker_id: str, backend_name: str = "default", limit: int = 1) -> list[DBTaskResult]:
    """Claims up to `limit` ready jobs for `worker_id` (status RUNNING), first first."""
    conn = connections[DB]
    claim, fields, _release = _statements(conn.vendor)
    now = timezone.now()
    params = [
        _prep("status", "RUNNING"),
        _prep("started_at", now),
        worker_id,
        _prep("status", "READY"),
        backend_name,
        _prep("run_after", get_date_max()),
        _prep("run_after", now),
        limit,
    ]
    with conn.cursor() as cursor:
        cursor.execute(claim, params)
        rows = cursor.fetchall()
    jobs = [_from_row(fields, row) for row in rows]
    # RETURNING gives no order: run them in the order they were chosen in.
    jobs.sort(key=lambda j: (-j.priority, j.run_after, j.enqueued_at))
    return jobs


def claim_next(worker_id: str, backend_name: str = "default") -> DBTaskResult | None:
    """Claims the next ready job for `worker_id` (status RUNNING), or None when none is ready."""
    jobs = claim_ready(worker_id, backend_name, 1)
    return jobs[0] if jobs else None


@retry()
def release(job: DBTaskResult) -> None:
    """Puts a job this worker claimed but did not start back in the queue, as it was before."""
    conn = connections[DB]
    _claim, _fields, statement = _statements(conn.vendor)
    with conn.cursor() as cursor:
        cursor.execute(statement, [_prep("status", "READY"), _prep("id", job.id), _prep("status", "RUNNING")])


def mark_successful(job: DBTaskResult, return_value: Any) -> None:
    """Sets on `job` what `DBTaskResult.set_successful` sets, without writing it (see
    `finish_all`). A return value that cannot be stored as JSON is refused here, while the job
    can still be recorded as failed, as the package's own `set_successful` would refuse it."""
    normalize_json(return_value)
    job.status = "SUCCESSFUL"
    job.finished_at = timezone.now()
    job.return_value = return_value
    job.exception_class_path = ""
    job.traceback = ""


@lru_cache(maxsize=4 * CLAIM_BATCH)
def _finish_all_statement(vendor: str, rows: int) -> str:
    """One UPDATE writing `rows` jobs' success records, each with its own value and time."""
    qn = connections[DB].ops.quote_name
    table = qn(str(DBTaskResult._meta.db_table))
    casts = ("::uuid", "::jsonb", "::timestamptz") if vendor == "postgresql" else ("", "", "")
    first = f"SELECT %s{casts[0]} AS job_id, %s{casts[1]} AS job_value, %s{casts[2]} AS job_finished"
    more = f"SELECT %s{casts[0]}, %s{casts[1]}, %s{casts[2]}"
    values = " UNION ALL ".join([first] + [more] * (rows - 1))
    # Only quoted names of the model's table and columns go into the text; values are parameters.
    return (
        f"UPDATE {table} SET {qn('status')} = %s, {qn('return_value')} = done.job_value, "  # noqa: S608
        f"{qn('finished_at')} = done.job_finished, {qn('exception_class_path')} = '', {qn('traceback')} = '' "
        f"FROM ({values}) AS done WHERE {table}.{qn('id')} = done.job_id"
    )


@retry()
def finish_all(jobs: Sequence[DBTaskResult]) -> None:
    """Writes the success records of jobs marked by `mark_successful`, in one statement."""
    if not jobs:
        return
    conn = connections[DB]
    params: list[Any] = [_prep("status", "SUCCESSFUL")]
    for job in jobs:
        params += [_prep("id", job.id), _prep("return_value", job.return_value), _prep("finished_at", job.finished_at)]
    with conn.cursor() as cursor:
        cursor.execute(_finish_all_statement(conn.vendor, len(jobs)), params)


def finish_successful(job: DBTaskResult, return_value: Any) -> None:
    """What `DBTaskResult.set_successful` does, in one prepared statement (retried like it)."""
    mark_successful(job, return_value)
    finish_all([job])


# ---- keeping the job table's planner statistics current (PostgreSQL) -------------------------
#
# The claim walks the partial index of ready jobs in its order and stops at the first free row,
# but only if PostgreSQL's planner knows the table is not tiny. Its statistics come from ANALYZE;
# the job table fills in bursts (a rush of tickets queues thousands of emails in seconds), far
# faster than autovacuum looks (once a minute at best, and not at all where it is switched off),
# and with statistics that still say "empty" the planner reads and sorts every ready row on each
# claim instead: measured here, ~4 ms per claim with 10,000 jobs queued against 0.05 ms, which
# capped one worker at ~120 jobs/s. So the worker analyzes the table itself, when it starts and
# after every ANALYZE_EVERY jobs it claims (a sample of at most 30,000 rows: a few milliseconds).

ANALYZE_EVERY = 500


def refresh_job_statistics() -> bool:
    """ANALYZE the job table on PostgreSQL (True); nothing to do elsewhere (False): SQLite picks
    the ordered index without statistics (its plan, checked in the tests, says so)."""
    conn = connections[DB]
    if conn.vendor != "postgresql":
        return False
    with conn.cursor() as cursor:
        cursor.execute(f"ANALYZE {conn.ops.quote_name(str(DBTaskResult._meta.db_table))}")
    return True


# ---- retrying email jobs ---------------------------------------------------------------------
#
# An email job fails when the mail server is away or refuses for a while; left FAILED, the email
# would be lost. Jobs of the queues in RETRY_QUEUES go back to the queue after a failure, due
# again after 1, 4, 16 and 60 minutes; the MAX_ATTEMPTS-th failure is final (FAILED, with its
# traceback: the dead-letter list) and logged as an error. Other jobs (the periodic sweeps) fail
# at once: their next period runs them again anyway.

RETRY_QUEUES = frozenset({"email"})
MAX_ATTEMPTS = 5


def retry_delay(attempt: int) -> timedelta:
    """How long after its `attempt`-th failure a job is due again."""
    return min(timedelta(minutes=4 ** (attempt - 1)), timedelta(hours=1))


@retry()
def fail_or_retry(job: DBTaskResult, exc: BaseException) -> bool:
    """What the package's `set_failed` does, or for a retried queue the job back in the queue
    with its error kept; True when it will run again."""
    if _connection_needs_a_look():
        close_old_connections()  # the job's own error may have been a dropped connection
    attempts = len(job.worker_ids)
    if job.queue_name not in RETRY_QUEUES or attempts >= MAX_ATTEMPTS:
        DBTaskResult.set_failed(job, exc)
        if job.queue_name in RETRY_QUEUES:
            logger.error("job %s (%s) failed for good after %d attempts", job.id, job.task_path, attempts)
        return False
    job.status = "READY"
    job.run_after = timezone.now() + retry_delay(attempts)
    job.started_at = None
    job.exception_class_path = f"{type(exc).__module__}.{type(exc).__qualname__}"
    job.traceback = "".join(format_exception(exc))
    job.save(update_fields=["status", "run_after", "started_at", "exception_class_path", "traceback"])
    logger.warning(
        "job %s (%s) failed on attempt %d of %d, due again at %s: %s",
        job.id,
        job.task_path,
        attempts,
        MAX_ATTEMPTS,
        job.run_after.isoformat(),
        job.exception_class_path,
    )
    return True


def _connection_needs_a_look() -> bool:
    """After a job: did it leave the connection in a state `close_old_connections` must check
    (a database error, or autocommit left off)?"""
    conn = connections[DB]
    return conn.connection is not None and (
        conn.errors_occurred or conn.get_autocommit() != conn.settings_dict["AUTOCOMMIT"]
    )


class Worker(_PackageWorker):
    """django-tasks-db's worker (its signals, SIGTERM handling, failure records, max_tasks and
    batch mode), claiming up to CLAIM_BATCH jobs at a time with `claim_ready` and recording the
    batch's successes with one `finish_all` before the next claim, keeping the job table's
    statistics current (`refresh_job_statistics`). A crash between a job's work and that record
    runs the job again (after the orphan sweep): at least once, as before, for up to a batch of
    jobs instead of one."""

    _done: list[DBTaskResult] | None = None  # successes not yet written, while `run` runs

    def run(self) -> None:
        logger.info("Starting worker worker_id=%s", self.worker_id)
        claims_to_analyze = 0  # analyze before the first claim
        claimed: deque[DBTaskResult] = deque()
        done: list[DBTaskResult] = []
        self._done = done
        held = ExitStack()  # what one batch of jobs holds open: its mail connection
        try:
            while self.running:
                if not claimed:
                    held.close()  # the batch's emails are handed over before its successes are written
                    finish_all(done)  # the batch's success records, in one statement
                    done.clear()
                    # Dropped or expired connections are looked for once per claim, not once per
                    # job: with health checks on, each look is a round trip to the database.
                    close_old_connections()
                    retrieved = self._claim(claimed, claims_to_analyze <= 0)
                    if claims_to_analyze <= 0:
                        claims_to_analyze = ANALYZE_EVERY
                    claims_to_analyze -= len(claimed)
                    if not claimed:
                        if self.batch and retrieved:
                            return
                        close_old_connections()
                        if self.running:
                            time.sleep(self.interval)
                        continue
                    held.enter_context(mail.one_connection())
                self.run_task(claimed.popleft())
                if self.max_tasks is not None and self._run_tasks >= self.max_tasks:
                    return
                if _connection_needs_a_look():
                    close_old_connections()  # a job's database error: reconnect before the next
        finally:
            # Stopping (SIGTERM, max_tasks, an error): what succeeded is recorded, what was
            # claimed and not started goes back.
            self._done = None
            held.close()
            finish_all(done)
            while claimed:
                release(claimed.popleft())

    def _claim(self, into: deque[DBTaskResult], analyze: bool) -> bool:
        """Claims up to CLAIM_BATCH ready jobs (fewer when max_tasks is nearer); False when the
        database was busy (SQLite), to be tried again on the next pass."""
        limit = CLAIM_BATCH
        if self.max_tasks is not None:
            limit = max(1, min(limit, self.max_tasks - self._run_tasks))
        try:
            if analyze:
                refresh_job_statistics()
            into.extend(claim_ready(self.worker_id, self.backend_name, limit))
        except OperationalError as exc:
            if not is_locked_database_exception(exc):
                raise
            return False  # SQLite busy: try again on the next pass
        return True

    def _succeeded(self, job: DBTaskResult, return_value: Any) -> None:
        if self._done is None:
            finish_successful(job, return_value)  # run_task called on its own (the tests' run_tasks)
        else:
            mark_successful(job, return_value)
            self._done.append(job)

    def run_task(self, db_task_result: DBTaskResult) -> None:
        # The package's run_task marks success with `set_successful` (an ORM save); for this
        # job that name means `mark_successful`, the same values set and the write left to
        # `finish_all` with the rest of the batch, and `set_failed` means `fail_or_retry`
        # (written at once). Everything else is the package's.
        db_task_result.set_successful = lambda value: self._succeeded(db_task_result, value)
        db_task_result.set_failed = lambda exc: fail_or_retry(db_task_result, exc)
        try:
            super().run_task(db_task_result)
        finally:
            del db_task_result.set_successful  # the model's methods again
            del db_task_result.set_failed


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
        self.heartbeat = Heartbeat(self.worker.worker_id)

    def _run(self) -> None:
        try:
            self.worker.run()
        except Exception:  # the thread must never die silently
            logger.exception("embedded job worker stopped")

    def start(self) -> None:
        self.heartbeat.start()
        self.thread.start()
        self.scheduler.start()

    def stop(self) -> None:
        self.scheduler.stop()
        self.worker.running = False
        self.thread.join(timeout=10)
        self.heartbeat.stop()
