"""Planned inserts (`safedesk.lib.db.insert`): one INSERT written once per model, database and row
count. A row written this way must equal the row the ORM writes for the same instance, column by
column, on SQLite and on PostgreSQL, and the instance must come back as the ORM leaves it."""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any

import pytest
from django.db import IntegrityError, connection, transaction
from django.db.models import F, Model, signals
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from django_tasks_db.models import DBTaskResult, get_date_max

from safedesk.audit.models import AuditEvent
from safedesk.lib import db as libdb
from safedesk.lib.db import insert
from safedesk.tickets.models import Message, MessageKind, Ticket

pytestmark = pytest.mark.django_db

DUE = timezone.now().replace(microsecond=123456) + timedelta(hours=4)
# Columns the database or the clock fills differently for two rows written one after the other.
VARYING = {"id", "ref", "public_id", "created_at", "updated_at", "enqueued_at"}


def _columns(model: type[Model], pk: Any) -> dict[str, Any]:
    row = model._default_manager.filter(pk=pk).values().get()
    return {k: v for k, v in row.items() if k not in VARYING}


def _ticket(requester: Any, ref: str) -> Ticket:
    return Ticket(
        ref=ref,
        requester=requester,
        subject="提币 stuck · withdrawal",
        tags=["usdt", "提现"],
        language="en",
        confirm_nonce="ab" * 16,
        sla_breached=["first_response"],
        message_count=1,
        first_response_due=DUE,
    )


def test_it_writes_the_row_the_orm_writes(alice: Any) -> None:
    ours, theirs = _ticket(alice, "T-PLANNED1"), _ticket(alice, "T-PLANNED2")
    with CaptureQueriesContext(connection) as ctx:
        insert(ours)
    theirs.save(force_insert=True)
    assert len(ctx.captured_queries) == 1
    assert isinstance(ours.pk, int) and ours.pk != theirs.pk
    assert ours._state.adding is False and ours._state.db == "default"
    assert ours.created_at is not None and ours.updated_at is not None  # auto_now(_add) filled
    assert _columns(Ticket, ours.pk) == _columns(Ticket, theirs.pk)
    assert Ticket.objects.get(pk=ours.pk).tags == ["usdt", "提现"]


def test_it_writes_uuid_json_and_foreign_keys_as_the_orm_does(alice: Any) -> None:
    ticket = _ticket(alice, "T-PLANNED3")
    insert(ticket)
    ours = Message(ticket=ticket, author=alice, kind=MessageKind.PUBLIC, body="账户 锁定", data={"k": [1, "二"]})
    theirs = Message(ticket=ticket, author=alice, kind=MessageKind.PUBLIC, body="账户 锁定", data={"k": [1, "二"]})
    insert(ours)
    theirs.save(force_insert=True)
    assert _columns(Message, ours.pk) == _columns(Message, theirs.pk)
    assert Message.objects.get(pk=ours.pk).public_id == ours.public_id


def test_it_writes_several_rows_in_one_statement_in_their_order() -> None:
    events = [AuditEvent(verb=f"test.v{i}", target_type="x", target_ref=str(i), data={"i": i}) for i in range(3)]
    with CaptureQueriesContext(connection) as ctx:
        insert(*events)
    assert len(ctx.captured_queries) == 1
    keys = [e.pk for e in events]
    assert keys == sorted(keys)
    assert [AuditEvent.objects.get(pk=k).verb for k in keys] == ["test.v0", "test.v1", "test.v2"]


def test_it_keeps_the_preset_key_and_runs_save_signals_for_one_row() -> None:
    seen: list[tuple[str, Any]] = []

    def pre(sender: Any, instance: Any, **kw: Any) -> None:
        seen.append(("pre", instance._state.adding))

    def post(sender: Any, instance: Any, created: bool, **kw: Any) -> None:
        seen.append(("post", created))

    signals.pre_save.connect(pre, sender=DBTaskResult)
    signals.post_save.connect(post, sender=DBTaskResult)
    try:
        key = uuid.uuid4()
        job: DBTaskResult = DBTaskResult(
            id=key, args_kwargs={"args": ["T-1"], "kwargs": {}}, task_path="x.y", backend_name="default"
        )
        insert(job)
    finally:
        signals.pre_save.disconnect(pre, sender=DBTaskResult)
        signals.post_save.disconnect(post, sender=DBTaskResult)
    assert seen == [("pre", True), ("post", True)]
    row = DBTaskResult.objects.get(pk=key)
    # django-tasks-db's own pre_save receiver ran too: no run_after means "any time".
    assert row.run_after == get_date_max()
    assert row.args_kwargs == {"args": ["T-1"], "kwargs": {}} and row.status == "READY"


def test_it_refuses_sql_expressions_and_writes_nothing(alice: Any) -> None:
    ticket = _ticket(alice, "T-PLANNED4")
    ticket.message_count = F("message_count") + 1
    before = Ticket.objects.count()
    with pytest.raises(TypeError):
        insert(ticket)
    assert Ticket.objects.count() == before


def test_it_raises_the_integrity_error_of_a_taken_unique_value(alice: Any) -> None:
    insert(_ticket(alice, "T-PLANNED5"))
    with pytest.raises(IntegrityError), transaction.atomic():
        insert(_ticket(alice, "T-PLANNED5"))
    assert Ticket.objects.filter(ref="T-PLANNED5").count() == 1


def test_it_refuses_mixed_models_and_unsaved_related_rows(alice: Any) -> None:
    with pytest.raises(TypeError):
        insert(AuditEvent(verb="a"), Message(body="b"))
    unsaved_ticket = _ticket(alice, "T-PLANNED6")
    with pytest.raises(ValueError):
        insert(Message(ticket=unsaved_ticket, body="x"))
    assert not Message.objects.filter(body="x").exists()


def test_it_leaves_models_it_cannot_plan_to_the_orm(monkeypatch: Any) -> None:
    monkeypatch.setattr(libdb, "_plain_shape", lambda model: False)
    events = [AuditEvent(verb="test.orm", data={}) for _ in range(2)]
    insert(*events)
    assert AuditEvent.objects.filter(verb="test.orm").count() == 2


def test_it_leaves_models_with_their_own_save_to_it(monkeypatch: Any) -> None:
    """The SLA set-up rows drop a shared cache token in save(): an INSERT that skipped it would
    leave every process counting with the old set-up."""
    from safedesk.tickets.models import BusinessCalendar

    calls: list[Any] = []
    original = BusinessCalendar.save

    def spy(self: Any, *args: Any, **kwargs: Any) -> None:
        calls.append(kwargs)
        original(self, *args, **kwargs)

    monkeypatch.setattr(BusinessCalendar, "save", spy)
    calendar = BusinessCalendar(name="Planned", weekly={"mon": ["09:00-18:00"]})
    insert(calendar)
    assert calls == [{"force_insert": True}]
    assert BusinessCalendar.objects.filter(pk=calendar.pk, name="Planned").exists()
    # Audit events declare that their save() (which refuses updates) adds nothing to an INSERT.
    assert libdb._plain_shape(AuditEvent) and not libdb._plain_shape(BusinessCalendar)


# ---- inserts_together ------------------------------------------------------------------------

POSTGRES = connection.vendor == "postgresql"


def _new_ticket_rows(requester: Any, ref: str) -> tuple[Ticket, Message, list[AuditEvent], DBTaskResult]:
    from safedesk.audit.services import unsaved

    ticket = _ticket(requester, ref)
    first = Message(ticket=ticket, author=requester, kind=MessageKind.PUBLIC, body="我的提币没有到账")
    events = [unsaved("ticket.created", actor=None, target=ticket, target_ref=ref, data={"channel": "guest"})]
    job: DBTaskResult = DBTaskResult(
        id=uuid.uuid4(),
        args_kwargs={"args": [ref], "kwargs": {}},
        priority=0,
        task_path="safedesk.tickets.tasks.send_guest_confirmation",
        queue_name="email",
        run_after=get_date_max(),
        backend_name="default",
    )
    return ticket, first, events, job


def _write_rows(rows: tuple[Ticket, Message, list[AuditEvent], DBTaskResult]) -> None:
    ticket, first, events, job = rows
    insert(ticket)
    insert(first)
    insert(*events)
    insert(job)


def test_rows_written_together_are_the_rows_written_one_by_one(alice: Any) -> None:
    """The four rows of a new guest ticket: on PostgreSQL one statement (the message's ticket key
    filled in by it), elsewhere one INSERT each; the rows equal those of separate inserts."""
    ours, theirs = _new_ticket_rows(alice, "T-TOGETHR1"), _new_ticket_rows(alice, "T-TOGETHR2")
    with CaptureQueriesContext(connection) as ctx, libdb.inserts_together() as batch:
        _write_rows(ours)
        assert ours[0].pk is None or not POSTGRES  # nothing is written before the block ends
    _write_rows(theirs)
    writes = [q["sql"] for q in ctx.captured_queries if "SAVEPOINT" not in q["sql"]]
    if POSTGRES:
        assert batch is not None and len(batch.rows) == 4
        assert len(writes) == 1 and writes[0].startswith("WITH ")
    else:
        assert batch is None and len(writes) == 4
    ticket, first, events, job = ours
    assert isinstance(ticket.pk, int) and first.ticket_id == ticket.pk and isinstance(first.pk, int)
    assert events[0].pk is not None and all(o._state.adding is False for o in (ticket, first, events[0], job))
    assert Message.objects.get(pk=first.pk).ticket_id == ticket.pk
    assert _columns(Ticket, ticket.pk) == _columns(Ticket, theirs[0].pk)
    assert {k: v for k, v in _columns(Message, first.pk).items() if k != "ticket_id"} == {
        k: v for k, v in _columns(Message, theirs[1].pk).items() if k != "ticket_id"
    }
    for model, a, b in ((AuditEvent, events[0], theirs[2][0]), (DBTaskResult, job, theirs[3])):
        mine, other = _columns(model, a.pk), _columns(model, b.pk)
        assert mine.keys() == other.keys()
        assert {k: v for k, v in mine.items() if k not in {"target_ref", "args_kwargs"}} == {
            k: v for k, v in other.items() if k not in {"target_ref", "args_kwargs"}
        }


def _counts() -> tuple[int, ...]:
    return (Ticket.objects.count(), Message.objects.count(), AuditEvent.objects.count(), DBTaskResult.objects.count())


def test_an_error_inside_the_block_writes_none_of_its_rows(alice: Any) -> None:
    before = _counts()
    with pytest.raises(ZeroDivisionError), libdb.inserts_together():
        _write_rows(_new_ticket_rows(alice, "T-TOGETHR3"))
        _ = 1 / 0
    assert _counts() == before


def test_a_broken_constraint_writes_none_of_the_rows_and_leaves_the_transaction_usable(alice: Any) -> None:
    insert(_ticket(alice, "T-TOGETHR4"))
    before = _counts()
    with pytest.raises(IntegrityError), libdb.inserts_together():
        _write_rows(_new_ticket_rows(alice, "T-TOGETHR4"))  # the reference is taken
    assert _counts() == before  # the message, event and job of the failed ticket are not there


@pytest.mark.skipif(not POSTGRES, reason="SQLite writes each insert at once inside the block's transaction")
def test_other_writes_are_refused_inside_the_block(alice: Any) -> None:
    before = _counts()
    # (In its own savepoint: the ORM marks the test's transaction broken after a failed update.)
    with pytest.raises(RuntimeError, match="only reads"), transaction.atomic(), libdb.inserts_together():
        _write_rows(_new_ticket_rows(alice, "T-TOGETHR5"))
        Ticket.objects.filter(ref="T-NOSUCH00").update(subject="x")
    assert _counts() == before
    with libdb.inserts_together(), pytest.raises(RuntimeError, match="do not nest"), libdb.inserts_together():
        pass


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(not POSTGRES, reason="the single statement is PostgreSQL's")
def test_outside_a_transaction_the_rows_are_one_statement_in_autocommit(alice: Any) -> None:
    """No transaction is opened for the block (so no BEGIN and COMMIT round trips), and its rows
    are still written by one transaction: they carry the same transaction id (xmin)."""
    rows = _new_ticket_rows(alice, "T-TOGETHR6")
    with libdb.inserts_together():
        assert connection.get_autocommit() and not connection.in_atomic_block
        _write_rows(rows)
    ticket, first, events, job = rows
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT (SELECT xmin::text FROM tickets_ticket WHERE id = %s), "
            "(SELECT xmin::text FROM tickets_message WHERE id = %s), "
            "(SELECT xmin::text FROM audit_auditevent WHERE id = %s), "
            "(SELECT xmin::text FROM django_tasks_database_dbtaskresult WHERE id = %s)",
            [ticket.pk, first.pk, events[0].pk, job.pk],
        )
        xmins = cursor.fetchone()
    assert None not in xmins and len(set(xmins)) == 1
    before = _counts()
    rows = _new_ticket_rows(alice, "T-TOGETHR6")  # taken: the statement fails as a whole
    with pytest.raises(IntegrityError), libdb.inserts_together():
        _write_rows(rows)
    assert _counts() == before
