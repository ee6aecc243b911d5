import pytest
from django.db import transaction
from django_tasks import task
from django_tasks_db.models import DBTaskResult

from safedesk.jobs.enqueue import enqueue

CALLS: list[str] = []


@task()
def remember(value: str) -> None:
    CALLS.append(value)


@pytest.fixture(autouse=True)
def _forget() -> None:
    CALLS.clear()


def test_it_writes_the_job_row_in_the_callers_transaction(db, run_tasks) -> None:
    with pytest.raises(RuntimeError), transaction.atomic():
        enqueue(remember, "rolled back")
        assert DBTaskResult.objects.count() == 1
        raise RuntimeError
    assert DBTaskResult.objects.count() == 0
    with transaction.atomic():
        enqueue(remember, "kept")
    assert run_tasks() == 1
    assert CALLS == ["kept"]


def test_it_defers_other_backends_until_commit(db, settings, django_capture_on_commit_callbacks) -> None:
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
    with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
        enqueue(remember, "after commit")
        assert CALLS == []
    assert CALLS == ["after commit"]
    with (
        django_capture_on_commit_callbacks(execute=True) as callbacks,
        pytest.raises(RuntimeError),
        transaction.atomic(),
    ):
        enqueue(remember, "never")
        raise RuntimeError
    assert callbacks == []
    assert CALLS == ["after commit"]
