"""A job whose worker dies is run again (CASES.md F3): workers beat, and the periodic
`requeue_orphans` gives the RUNNING jobs of a worker that stopped beating back to the queue."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from django.utils import timezone
from django_tasks import task
from django_tasks_db.models import DBTaskResult

from safedesk.jobs import liveness
from safedesk.jobs.models import WorkerBeat
from safedesk.jobs.periodic import registered
from safedesk.jobs.runner import claim_next, make_worker
from safedesk.tests.serving import BIN, embedded_env


@task()
def note(value: str) -> str:
    return value.upper()


@task()
def stall_once(marker: str) -> str:
    """The first run marks the file and hangs (it is killed there); a second run returns."""
    path = Path(marker)
    if path.exists():
        return "ran again"
    path.write_text(str(os.getpid()))
    time.sleep(300)
    return "not reached"


def _enqueued(name: str) -> DBTaskResult:
    result: Any = note.enqueue(name)
    return result.db_result


def _claimed(name: str, worker: str, started: Any) -> DBTaskResult:
    job = _enqueued(name)
    claimed = claim_next(worker)
    assert claimed is not None and claimed.pk == job.pk
    DBTaskResult.objects.filter(pk=job.pk).update(started_at=started)
    return job


@pytest.mark.django_db(transaction=True)
def test_it_requeues_the_jobs_of_workers_that_stopped_beating_and_only_those() -> None:
    now = timezone.now()
    long_ago = now - timedelta(minutes=5)
    liveness.beat("live-worker", now - timedelta(seconds=20))
    liveness.beat("dead-worker", now - timedelta(minutes=3))
    orphan = _claimed("orphan", "dead-worker", long_ago)
    silent = _claimed("silent", "never-beat-worker", long_ago)  # died before its first beat
    busy = _claimed("busy", "live-worker", long_ago)  # a long job of a worker still alive
    young = _claimed("young", "dead-worker", now - timedelta(seconds=30))  # not yet overdue
    done = _enqueued("done")
    DBTaskResult.objects.filter(pk=done.pk).update(status="SUCCESSFUL", started_at=long_ago, finished_at=now)

    assert sorted(liveness.requeue_orphans(now)) == sorted([str(orphan.pk), str(silent.pk)])
    rows = {j.pk: j for j in DBTaskResult.objects.all()}
    assert rows[orphan.pk].status == "READY" and rows[orphan.pk].started_at is None
    assert rows[orphan.pk].worker_ids == ["dead-worker"]  # the history of attempts stays
    assert rows[silent.pk].status == "READY"
    assert {rows[busy.pk].status, rows[young.pk].status} == {"RUNNING"}
    assert rows[done.pk].status == "SUCCESSFUL"
    assert liveness.requeue_orphans(now) == []  # nothing twice

    # The next worker runs them; each records both attempts.
    make_worker(max_tasks=2, interval=0).run()
    for job in (orphan, silent):
        row = DBTaskResult.objects.get(pk=job.pk)
        assert row.status == "SUCCESSFUL" and len(row.worker_ids) == 2
    assert DBTaskResult.objects.get(pk=orphan.pk).return_value == "ORPHAN"


@pytest.mark.django_db(transaction=True)
def test_it_forgets_workers_gone_for_a_day() -> None:
    now = timezone.now()
    liveness.beat("gone", now - timedelta(days=2))
    liveness.beat("here", now)
    liveness.requeue_orphans(now)
    assert list(WorkerBeat.objects.values_list("worker_id", flat=True)) == ["here"]


@pytest.mark.django_db(transaction=True)
def test_the_heartbeat_thread_beats_until_stopped_then_forgets_the_worker() -> None:
    heartbeat = liveness.Heartbeat("hb-worker", every=timedelta(seconds=0.05))
    heartbeat.start()
    try:
        deadline = time.monotonic() + 10
        seen: set[Any] = set()
        while len(seen) < 2 and time.monotonic() < deadline:
            seen |= set(WorkerBeat.objects.filter(worker_id="hb-worker").values_list("beat_at", flat=True))
            time.sleep(0.03)
        assert len(seen) >= 2  # it beats again and again, not once
    finally:
        heartbeat.stop()
    assert not WorkerBeat.objects.filter(worker_id="hb-worker").exists()


def test_the_sweep_is_a_periodic_job_every_minute() -> None:
    [job] = [p for p in registered() if p.name == "jobs.requeue_orphans"]
    assert job.every == timedelta(minutes=1)


INSPECT = """
import json, os, sys
from datetime import timedelta
import django
django.setup()
from django.utils import timezone
from django_tasks_db.models import DBTaskResult
from safedesk.jobs import liveness
from safedesk.jobs.models import WorkerBeat
from safedesk.jobs.runner import make_worker
job = DBTaskResult.objects.get(task_path__endswith="stall_once")  # (the scheduler queued its periodic jobs too)
out = {"job": str(job.pk), "status": job.status, "worker_ids": job.worker_ids,
       "beats": list(WorkerBeat.objects.values_list("worker_id", flat=True)),
       "now": liveness.requeue_orphans(),
       "later": liveness.requeue_orphans(timezone.now() + timedelta(minutes=2))}
make_worker(max_tasks=1, interval=0).run()
job.refresh_from_db()
out.update(final=job.status, value=job.return_value, attempts=job.worker_ids)
print("RESULT " + json.dumps(out))
"""

ENQUEUE = """
import sys
import django
django.setup()
from safedesk.jobs.tests.test_liveness import stall_once
print(stall_once.enqueue(sys.argv[1]).db_result.pk)
"""


def _python(env: dict[str, str], code: str, *args: str) -> str:
    done = subprocess.run(
        [sys.executable, "-c", code, *args], env=env, capture_output=True, text=True, timeout=120, check=False
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return done.stdout


def test_a_job_whose_worker_is_killed_mid_job_runs_again(tmp_path: Path) -> None:
    """`kill -9` a real `safedesk worker` while it runs a job: the job is neither lost nor
    finished; once the worker's beat is overdue the sweep requeues it and another worker
    finishes it. (Its own embedded database, so the worker process and this test share it.)"""
    env = embedded_env(tmp_path / "data", 0) | {"DJANGO_SETTINGS_MODULE": "safedesk.settings"}
    subprocess.run([str(BIN / "safedesk"), "migrate", "-v0"], env=env, check=True, capture_output=True, timeout=300)
    marker = tmp_path / "started"
    _python(env, ENQUEUE, str(marker))
    worker = subprocess.Popen(
        [str(BIN / "safedesk"), "worker", "--interval", "0.1"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 90
        while not marker.exists() and time.monotonic() < deadline and worker.poll() is None:
            time.sleep(0.1)
        assert marker.exists(), "the worker never started the job"
    finally:
        os.kill(worker.pid, signal.SIGKILL)
        worker.wait(timeout=30)
    line = next(x for x in _python(env, INSPECT).splitlines() if x.startswith("RESULT "))
    seen = json.loads(line[len("RESULT ") :])
    killed = f"{os.uname().nodename}-{marker.read_text()}"
    assert seen["status"] == "RUNNING" and seen["worker_ids"] == [killed]
    assert seen["beats"] == [killed]  # it beat while it ran; nobody removed the beat
    assert seen["now"] == []  # within a minute of its last beat it may still be alive
    # Then its job goes back to the queue (with any job it had claimed in the same batch and not
    # started: the scheduler's periodic jobs may have been ready beside it).
    assert seen["job"] in seen["later"]
    assert seen["final"] == "SUCCESSFUL" and seen["value"] == "ran again"
    assert seen["attempts"][0] == killed and len(seen["attempts"]) == 2
