"""The job worker claims and finishes each job in one statement (`jobs.runner`): the same order,
the same row changes and the same failure records as django-tasks-db's own worker."""

from __future__ import annotations

import threading
import uuid
from datetime import timedelta
from typing import Any

import pytest
from django.db import connection, connections
from django.utils import timezone
from django_tasks import task
from django_tasks_db.models import DBTaskResult, get_date_max

from safedesk.jobs import runner
from safedesk.jobs.mail import send_templated_email
from safedesk.jobs.runner import claim_next, finish_successful, make_worker

RAN: list[str] = []


@task()
def remember(value: str) -> str:
    RAN.append(value)
    return value.upper()


@task()
def explode(value: str) -> None:
    raise RuntimeError(f"broken job {value}")


@task()
def mail_one(to: str) -> None:
    send_templated_email(
        to=to,
        subject="Hello",
        template="accounts/emails/password_changed",
        context={"user": {"display_name": "A"}, "reset_link": "https://x.example/r", "site_url": ""},
        language="en",
    )


def _job(name: str, *, priority: int = 0, after: Any = None, func: Any = remember) -> DBTaskResult:
    chosen = func.using(priority=priority, run_after=after)
    return chosen.enqueue(name).db_result


@pytest.mark.django_db
def test_it_claims_in_the_packages_order_and_skips_jobs_not_due() -> None:
    low = _job("low", priority=-5)
    high = _job("high", priority=5)
    later = _job("later", priority=10, after=timezone.now() + timedelta(hours=1))
    first = claim_next("w-1")
    assert first is not None and first.pk == high.pk
    assert first.status == "RUNNING" and first.worker_ids == ["w-1"]
    assert first.args_kwargs == {"args": ["high"], "kwargs": {}}
    assert first.started_at is not None and first.started_at.tzinfo is not None
    second = claim_next("w-2")
    assert second is not None and second.pk == low.pk
    assert claim_next("w-3") is None  # "later" is not due, the others are taken
    stored = {j.pk: j for j in DBTaskResult.objects.all()}
    assert stored[high.pk].status == "RUNNING" and stored[high.pk].worker_ids == ["w-1"]
    assert stored[low.pk].worker_ids == ["w-2"]
    assert stored[later.pk].status == "READY" and stored[later.pk].worker_ids == []


@pytest.mark.django_db
def test_it_appends_the_worker_to_earlier_attempts() -> None:
    job = _job("again")
    DBTaskResult.objects.filter(pk=job.pk).update(worker_ids=["old-worker"])
    claimed = claim_next("new-worker")
    assert claimed is not None and claimed.worker_ids == ["old-worker", "new-worker"]
    assert DBTaskResult.objects.get(pk=job.pk).worker_ids == ["old-worker", "new-worker"]


@pytest.mark.django_db
def test_it_finishes_a_job_as_set_successful_does() -> None:
    ours, theirs = _job("a"), _job("b")
    for job in (ours, theirs):
        job.claim("w")
    finish_successful(ours, {"sent": 1})
    theirs.set_successful({"sent": 1})
    a, b = DBTaskResult.objects.get(pk=ours.pk), DBTaskResult.objects.get(pk=theirs.pk)
    assert (a.status, a.return_value, a.exception_class_path, a.traceback) == ("SUCCESSFUL", {"sent": 1}, "", "")
    assert (a.status, a.return_value, a.exception_class_path, a.traceback) == (
        b.status,
        b.return_value,
        b.exception_class_path,
        b.traceback,
    )
    assert a.finished_at is not None and a.started_at is not None and a.finished_at >= a.started_at


@pytest.mark.django_db(transaction=True)
def test_it_runs_jobs_records_results_and_failures_then_stops() -> None:
    RAN.clear()
    ok = _job("one")
    bad = _job("two", func=explode)
    ok2 = _job("three")
    make_worker(max_tasks=3, interval=0).run()
    assert sorted(RAN) == ["one", "three"]
    rows = {j.pk: j for j in DBTaskResult.objects.all()}
    assert rows[ok.pk].status == "SUCCESSFUL" and rows[ok.pk].return_value == "ONE"
    assert rows[ok2.pk].status == "SUCCESSFUL"
    assert rows[bad.pk].status == "FAILED"
    assert rows[bad.pk].exception_class_path == "builtins.RuntimeError"
    assert "broken job two" in rows[bad.pk].traceback
    # Batch mode (max_tasks given) returns once nothing is ready.
    make_worker(max_tasks=5, interval=0).run()
    assert sorted(RAN) == ["one", "three"]


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(connection.vendor != "postgresql", reason="row locks race only on PostgreSQL")
def test_it_never_gives_one_job_to_two_workers() -> None:
    jobs = {str(_job(f"j{i}").pk) for i in range(40)}
    got: dict[str, list[str]] = {"a": [], "b": []}
    start = threading.Barrier(2)

    def drain(name: str) -> None:
        try:
            start.wait()
            while (job := claim_next(name)) is not None:
                got[name].append(str(job.pk))
        finally:
            connections.close_all()

    threads = [threading.Thread(target=drain, args=(n,)) for n in got]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    claimed = got["a"] + got["b"]
    assert sorted(claimed) == sorted(jobs)  # every job once, none twice


def _claim_plan(now: Any) -> str:
    claim, _fields, _release = runner._statements(connection.vendor)
    params = ["RUNNING", now, "w-plan", "READY", "default", get_date_max(), now, runner.CLAIM_BATCH]
    prefix = "EXPLAIN " if connection.vendor == "postgresql" else "EXPLAIN QUERY PLAN "
    with connection.cursor() as cursor:
        cursor.execute(prefix + claim, params)
        return "\n".join(str(row[-1]) for row in cursor.fetchall())


@pytest.mark.django_db(transaction=True)
def test_it_keeps_the_job_tables_statistics_current_so_that_a_claim_walks_the_ready_index(
    monkeypatch: Any,
) -> None:
    """A burst of jobs queued after the planner last looked (statistics say "empty") makes
    PostgreSQL read and sort every ready row on each claim; the worker analyzes the table when
    it starts and every ANALYZE_EVERY claims, after which a claim walks the ordered index."""
    monkeypatch.setattr(runner, "ANALYZE_EVERY", 20)
    now = timezone.now()
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            # Statistics of an empty table, as after a deployment's migrations: from here on only
            # the worker's own ANALYZE can tell the planner about the jobs below.
            cursor.execute("ANALYZE django_tasks_database_dbtaskresult")
    model = _job("model")
    DBTaskResult.objects.bulk_create(
        [
            DBTaskResult(
                **{f.attname: getattr(model, f.attname) for f in DBTaskResult._meta.concrete_fields if f.name != "id"},
                id=uuid.uuid4(),
            )
            for _ in range(2000)
        ]
    )
    if connection.vendor != "postgresql":
        # SQLite walks the index without statistics: nothing for the worker to do.
        assert "USING INDEX tasks_db_new_ordering_idx" in _claim_plan(now)
        assert runner.refresh_job_statistics() is False
        return
    make_worker(max_tasks=30, interval=0).run()
    assert DBTaskResult.objects.filter(status="SUCCESSFUL").count() == 30
    plan = _claim_plan(timezone.now())
    assert "Index Scan using tasks_db_new_ordering_idx" in plan and "Sort" not in plan
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT most_common_vals::text FROM pg_stats "
            "WHERE tablename = 'django_tasks_database_dbtaskresult' AND attname = 'status'"
        )
        (seen,) = cursor.fetchone()
    # The last ANALYZE came after the 20th claim (done jobs in the sample), not only at start.
    assert "SUCCESSFUL" in seen and "READY" in seen


FLAKY: list[str] = []


@task(queue_name="email")
def flaky_email(failures: str) -> str:
    """Fails its first `failures` runs (a mail server that is away), then succeeds."""
    FLAKY.append("run")
    if len(FLAKY) <= int(failures):
        raise ConnectionRefusedError("mail server away")
    return "sent"


def _due_now(job: DBTaskResult) -> None:
    DBTaskResult.objects.filter(pk=job.pk).update(run_after=timezone.now() - timedelta(seconds=1))


@pytest.mark.django_db(transaction=True)
def test_it_retries_a_failed_email_job_later_and_keeps_its_error() -> None:
    FLAKY.clear()
    job = _job("2", func=flaky_email)
    before = timezone.now()
    make_worker(max_tasks=1, interval=0).run()
    row = DBTaskResult.objects.get(pk=job.pk)
    assert row.status == "READY" and row.started_at is None and row.finished_at is None
    assert row.exception_class_path == "builtins.ConnectionRefusedError" and "mail server away" in row.traceback
    assert before + timedelta(minutes=1) <= row.run_after <= timezone.now() + timedelta(minutes=1)
    make_worker(max_tasks=1, interval=0).run()  # not due yet: nothing runs
    assert len(FLAKY) == 1
    _due_now(row)
    make_worker(max_tasks=1, interval=0).run()
    row = DBTaskResult.objects.get(pk=job.pk)
    assert row.status == "READY" and row.run_after >= timezone.now() + timedelta(minutes=3)  # 4 minutes now
    _due_now(row)
    make_worker(max_tasks=1, interval=0).run()
    row = DBTaskResult.objects.get(pk=job.pk)
    assert row.status == "SUCCESSFUL" and row.return_value == "sent" and len(row.worker_ids) == 3
    assert row.exception_class_path == "" and row.traceback == ""


@pytest.mark.django_db(transaction=True)
def test_it_gives_up_on_an_email_job_after_the_last_attempt_and_fails_other_jobs_at_once() -> None:
    FLAKY.clear()
    job = _job("100", func=flaky_email)
    for attempt in range(1, runner.MAX_ATTEMPTS + 1):
        make_worker(max_tasks=1, interval=0).run()
        row = DBTaskResult.objects.get(pk=job.pk)
        assert len(row.worker_ids) == attempt
        if attempt < runner.MAX_ATTEMPTS:
            assert row.status == "READY"
            _due_now(row)
    assert row.status == "FAILED" and row.finished_at is not None  # the dead-letter list
    assert row.exception_class_path == "builtins.ConnectionRefusedError"
    assert len(FLAKY) == runner.MAX_ATTEMPTS
    other = _job("once", func=explode)  # the default queue: no retry
    make_worker(max_tasks=1, interval=0).run()
    assert DBTaskResult.objects.get(pk=other.pk).status == "FAILED"
    assert [runner.retry_delay(n) for n in range(1, 6)] == [timedelta(minutes=m) for m in (1, 4, 16, 60, 60)]


@pytest.mark.django_db
def test_it_claims_several_ready_jobs_in_one_statement_in_the_packages_order() -> None:
    low = _job("low", priority=-5)
    first, second = _job("first"), _job("second")
    high = _job("high", priority=5)
    _job("later", after=timezone.now() + timedelta(hours=1))
    claimed = runner.claim_ready("w-batch", "default", 3)
    assert [j.pk for j in claimed] == [high.pk, first.pk, second.pk]
    assert all(j.status == "RUNNING" and j.worker_ids == ["w-batch"] for j in claimed)
    assert [j.pk for j in runner.claim_ready("w-other", "default", 8)] == [low.pk]  # "later" is not due
    assert runner.claim_ready("w-third", "default", 8) == []


STOPPING: list[Any] = []


@task()
def stop_the_worker(value: str) -> str:
    """Stands for a SIGTERM arriving while this job runs: the worker stops after it."""
    STOPPING[0].running = False
    RAN.append(value)
    return value


@pytest.mark.django_db(transaction=True)
def test_a_stopping_worker_puts_back_what_it_claimed_and_did_not_start() -> None:
    RAN.clear()
    stopper = _job("stop", priority=5, func=stop_the_worker)
    rest = [_job(f"rest{i}") for i in range(3)]
    DBTaskResult.objects.filter(pk=rest[0].pk).update(worker_ids=["earlier-worker"])
    worker = make_worker(interval=0)
    STOPPING[:] = [worker]
    worker.run()  # claims all four at once, runs the first, stops
    assert RAN == ["stop"]
    rows = {j.pk: j for j in DBTaskResult.objects.all()}
    assert rows[stopper.pk].status == "SUCCESSFUL"
    for job in rest:
        row = rows[job.pk]
        assert (row.status, row.started_at) == ("READY", None)
    # The attempt that never started is not counted (retries count attempts from worker_ids).
    assert rows[rest[0].pk].worker_ids == ["earlier-worker"]
    assert rows[rest[1].pk].worker_ids == [] and rows[rest[2].pk].worker_ids == []
    make_worker(max_tasks=3, interval=0).run()
    assert sorted(RAN) == ["rest0", "rest1", "rest2", "stop"]


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(connection.vendor != "postgresql", reason="an SQLite file connection does not drop")
def test_a_job_whose_connection_drops_is_recorded_and_the_rest_of_its_batch_runs() -> None:
    RAN.clear()
    breaker = _job("x", priority=5, func=break_the_connection)
    after = [_job(f"after{i}") for i in range(2)]
    make_worker(max_tasks=3, interval=0).run()
    rows = {j.pk: j for j in DBTaskResult.objects.all()}
    assert rows[breaker.pk].status == "FAILED"
    assert [rows[j.pk].status for j in after] == ["SUCCESSFUL", "SUCCESSFUL"]
    assert RAN == ["after0", "after1"]


@task()
def break_the_connection(value: str) -> None:
    """A job whose database connection dies under it (the server restarted, a proxy cut it)."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_terminate_backend(pg_backend_pid())")


@task()
def give_back(value: str) -> Any:
    """Returns its argument; "not-json" returns a value JSON cannot hold."""
    RAN.append(value)
    return {1, 2} if value == "not-json" else {"echo": value}


@pytest.mark.django_db(transaction=True)
def test_a_batchs_successes_are_written_together_each_with_its_own_value_and_time() -> None:
    from django.test.utils import CaptureQueriesContext

    RAN.clear()
    jobs = [_job(f"v{i}", func=give_back) for i in range(runner.CLAIM_BATCH)]
    with CaptureQueriesContext(connection) as queries:
        make_worker(max_tasks=runner.CLAIM_BATCH, interval=0).run()
    writes = [q["sql"] for q in queries.captured_queries if q["sql"].startswith("UPDATE")]
    assert len(writes) == 2  # one claim of the whole batch, one record of its successes
    rows = {j.pk: j for j in DBTaskResult.objects.all()}
    for i, job in enumerate(jobs):
        row = rows[job.pk]
        assert (row.status, row.return_value, row.exception_class_path) == ("SUCCESSFUL", {"echo": f"v{i}"}, "")
        assert row.started_at is not None and row.finished_at is not None and row.finished_at >= row.started_at
    finished = [t for j in jobs if (t := rows[j.pk].finished_at) is not None]
    assert len(finished) == len(jobs) and finished == sorted(finished) and len(set(finished)) > 1  # each job's own time


@pytest.mark.django_db(transaction=True)
def test_a_return_value_json_cannot_hold_fails_that_job_only() -> None:
    RAN.clear()
    before = _job("before", func=give_back)
    bad = _job("not-json", func=give_back)
    after = _job("after", func=give_back)
    make_worker(max_tasks=3, interval=0).run()
    rows = {j.pk: j for j in DBTaskResult.objects.all()}
    assert rows[bad.pk].status == "FAILED" and rows[bad.pk].exception_class_path == "builtins.TypeError"
    assert (rows[before.pk].status, rows[after.pk].status) == ("SUCCESSFUL", "SUCCESSFUL")
    assert rows[after.pk].return_value == {"echo": "after"}


@pytest.mark.django_db(transaction=True)
def test_the_emails_of_one_claimed_batch_share_one_smtp_session(smtp_server, monkeypatch) -> None:
    monkeypatch.setattr(runner, "CLAIM_BATCH", 3)
    for n in range(5):
        _job(f"u{n}@example.com", func=mail_one)
    make_worker(max_tasks=10, interval=0).run()
    assert DBTaskResult.objects.filter(status="SUCCESSFUL").count() == 5
    by_peer: dict[Any, list[str]] = {}
    for m in smtp_server.messages:
        by_peer.setdefault(m.peer, []).extend(m.rcpt_tos)
    # Two claims (3 + 2 jobs), each with its own session, in the order the jobs were claimed.
    assert sorted(by_peer.values()) == [[f"u{n}@example.com" for n in range(3)], ["u3@example.com", "u4@example.com"]]
