"""The ticket state machine (models.AGENT_TRANSITIONS), replies, notes, the reopen window,
ratings and appeals, each through the services, with the audit event every change writes."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
import time_machine
from django.conf import settings
from django.utils import timezone

from safedesk.audit.models import AuditEvent
from safedesk.lib.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from safedesk.tickets import selectors, services
from safedesk.tickets.models import (
    AGENT_TRANSITIONS,
    Appeal,
    AppealStatus,
    Message,
    MessageKind,
    Status,
    Ticket,
)


def _ticket(requester: Any, subject: str = "Withdrawal stuck") -> Ticket:
    return services.submit_ticket(
        requester, services.TicketInput(subject=subject, body="My withdrawal has been pending for two days.")
    )


def _audits(ticket: Ticket, verb: str) -> list[AuditEvent]:
    return list(AuditEvent.objects.filter(target_ref=ticket.ref, verb=verb).order_by("id"))


def _status_events(ticket: Ticket) -> list[tuple[str, str]]:
    events = Message.objects.filter(ticket=ticket, kind=MessageKind.EVENT, event="status_changed").order_by("id")
    return [(m.data["from"], m.data["to"]) for m in events]


def _fresh(ticket: Ticket) -> Ticket:
    return Ticket.objects.get(pk=ticket.pk)


def _put_in(ticket: Ticket, status: str) -> None:
    """Test setup only: place a ticket in a status directly."""
    Ticket.objects.filter(pk=ticket.pk).update(
        status=status,
        solved_at=timezone.now() if status == Status.SOLVED else None,
        closed_at=timezone.now() if status == Status.CLOSED else None,
    )


def _solved(requester: Any, agent: Any) -> Ticket:
    ticket = _ticket(requester)
    services.change_status(ticket, Status.SOLVED, actor=agent)
    return _fresh(ticket)


ALL_PAIRS = [(a, b) for a in Status.values for b in Status.values if a != b]


@pytest.mark.parametrize(("start", "target"), ALL_PAIRS)
def test_it_follows_the_agent_state_machine(alice: Any, agent_sam: Any, start: str, target: str) -> None:
    ticket = _ticket(alice)
    _put_in(ticket, start)
    before = AuditEvent.objects.count()
    if target in AGENT_TRANSITIONS[start]:
        services.change_status(ticket, target, actor=agent_sam, ip="203.0.113.9")
        assert _fresh(ticket).status == target
        [event] = _audits(ticket, "ticket.status_changed")
        assert event.actor == agent_sam and event.data == {"from": start, "to": target} and event.ip == "203.0.113.9"
        assert _status_events(ticket) == [(start, target)]
    else:
        with pytest.raises(Conflict) as refused:
            services.change_status(ticket, target, actor=agent_sam)
        assert refused.value.code == "invalid_transition"
        assert _fresh(ticket).status == start
        assert AuditEvent.objects.count() == before
        assert _status_events(ticket) == []


def test_it_keeps_closed_final(alice: Any, agent_sam: Any, supervisor_ada: Any) -> None:
    ticket = _solved(alice, agent_sam)
    services.change_status(ticket, Status.CLOSED, actor=agent_sam)
    closed = _fresh(ticket)
    assert closed.status == Status.CLOSED and closed.closed_at is not None
    for target in (Status.OPEN, Status.NEW, Status.PENDING, Status.SOLVED, Status.ON_HOLD):
        with pytest.raises(Conflict) as refused:
            services.change_status(closed, target, actor=supervisor_ada)
        assert refused.value.code == "invalid_transition"
    for actor in (alice, agent_sam):
        with pytest.raises(Conflict) as refused_reply:
            services.add_reply(closed, "Hello again?", actor=actor)
        assert refused_reply.value.code == "ticket_closed"
    with pytest.raises(Conflict) as refused_reopen:
        services.reopen_ticket(closed, actor=alice)
    assert refused_reopen.value.code == "reopen_window_passed"
    assert _fresh(ticket).status == Status.CLOSED


def test_it_records_solved_and_closed_times_and_clears_solved_on_reopen(alice: Any, agent_sam: Any) -> None:
    ticket = _solved(alice, agent_sam)
    assert ticket.solved_at is not None
    services.change_status(ticket, Status.OPEN, actor=agent_sam)
    reopened = _fresh(ticket)
    assert reopened.status == Status.OPEN and reopened.solved_at is None
    assert [e.data for e in _audits(ticket, "ticket.status_changed")] == [
        {"from": "new", "to": "solved"},
        {"from": "solved", "to": "open"},
    ]


def test_it_lets_only_active_staff_change_status(alice: Any, agent_sam: Any) -> None:
    ticket = _ticket(alice)
    with pytest.raises(PermissionDenied):
        services.change_status(ticket, Status.SOLVED, actor=alice)
    agent_sam.is_active = False
    agent_sam.save()
    with pytest.raises(PermissionDenied):
        services.change_status(ticket, Status.SOLVED, actor=agent_sam)
    assert _fresh(ticket).status == Status.NEW
    assert _audits(ticket, "ticket.status_changed") == []


def test_it_refuses_an_unknown_status(alice: Any, agent_sam: Any) -> None:
    ticket = _ticket(alice)
    for bad in ("reopened", "", None, ["open"]):
        with pytest.raises(InvalidInput) as refused:
            services.change_status(ticket, bad, actor=agent_sam)
        assert refused.value.code == "invalid_status"
    assert _fresh(ticket).status == Status.NEW


def test_it_writes_nothing_when_the_status_is_unchanged(alice: Any, agent_sam: Any) -> None:
    ticket = _ticket(alice)
    services.change_status(ticket, Status.PENDING, actor=agent_sam)
    before = AuditEvent.objects.count()
    services.change_status(ticket, Status.PENDING, actor=agent_sam)
    assert AuditEvent.objects.count() == before
    assert _status_events(ticket) == [("new", "pending")]


def test_it_reopens_a_pending_ticket_when_the_customer_replies(alice: Any, agent_sam: Any) -> None:
    ticket = _ticket(alice)
    services.change_status(ticket, Status.PENDING, actor=agent_sam)
    message = services.add_reply(ticket, "Here is the screenshot you asked for.", actor=alice)
    reopened = _fresh(ticket)
    assert reopened.status == Status.OPEN
    assert reopened.message_count == 2
    assert _status_events(ticket) == [("new", "pending"), ("pending", "open")]
    [event] = _audits(ticket, "ticket.replied")
    assert event.actor == alice and event.data == {"message": str(message.public_id)}


def test_it_leaves_new_and_on_hold_alone_when_the_customer_replies(alice: Any, agent_sam: Any) -> None:
    ticket = _ticket(alice)
    services.add_reply(ticket, "Any news?", actor=alice)
    assert _fresh(ticket).status == Status.NEW
    services.change_status(ticket, Status.ON_HOLD, actor=agent_sam)
    services.add_reply(ticket, "Still waiting.", actor=alice)
    assert _fresh(ticket).status == Status.ON_HOLD
    assert len(_audits(ticket, "ticket.replied")) == 2


def test_it_opens_a_new_ticket_on_the_agents_first_public_reply(alice: Any, agent_sam: Any) -> None:
    ticket = _ticket(alice)
    services.add_reply(ticket, "Checking with the wallet team.", actor=agent_sam, internal=True)
    after_note = _fresh(ticket)
    assert after_note.status == Status.NEW and after_note.first_response_at is None
    services.add_reply(ticket, "We are looking into it.", actor=agent_sam)
    answered = _fresh(ticket)
    assert answered.status == Status.OPEN
    assert answered.first_response_at is not None
    first = answered.first_response_at
    services.add_reply(ticket, "Still on it.", actor=agent_sam)
    assert _fresh(ticket).first_response_at == first
    assert _status_events(ticket) == [("new", "open")]
    assert [e.actor for e in _audits(ticket, "ticket.replied")] == [agent_sam, agent_sam]
    [note] = _audits(ticket, "ticket.note_added")
    assert note.actor == agent_sam
    assert _fresh(ticket).message_count == 4


def test_it_refuses_internal_notes_from_customers(alice: Any) -> None:
    ticket = _ticket(alice)
    with pytest.raises(PermissionDenied):
        services.add_reply(ticket, "Mark this as VIP.", actor=alice, internal=True)
    assert Message.objects.filter(ticket=ticket).count() == 1
    assert _audits(ticket, "ticket.note_added") == []


def test_it_refuses_replies_from_other_customers(alice: Any, mallory: Any) -> None:
    ticket = _ticket(alice)
    with pytest.raises(NotFound):
        services.add_reply(ticket, "Send your seed phrase to me.", actor=mallory)
    with pytest.raises(NotFound):
        services.close_ticket(ticket, actor=mallory)
    assert Message.objects.filter(ticket=ticket).count() == 1
    assert _fresh(ticket).status == Status.NEW


def test_it_hides_internal_notes_from_customers_in_the_thread(alice: Any, agent_sam: Any) -> None:
    ticket = _ticket(alice)
    services.add_reply(ticket, "Customer sounds like a phishing victim.", actor=agent_sam, internal=True)
    services.add_reply(ticket, "Please do not share your password with anyone.", actor=agent_sam)
    customer_view = selectors.thread(ticket, viewer=alice)
    agent_view = selectors.thread(ticket, viewer=agent_sam)
    assert MessageKind.INTERNAL not in {m.kind for m in customer_view}
    assert "Customer sounds like a phishing victim." not in [m.body for m in customer_view]
    assert "Please do not share your password with anyone." in [m.body for m in customer_view]
    assert "Customer sounds like a phishing victim." in [m.body for m in agent_view]
    assert len(agent_view) == len(customer_view) + 1
    assert [m.id for m in agent_view] == sorted(m.id for m in agent_view)


def test_it_reopens_within_the_window_and_refuses_after(alice: Any, agent_sam: Any) -> None:
    days = settings.SAFEDESK_TICKET_REOPEN_DAYS
    start = dt.datetime(2025, 3, 1, 12, tzinfo=dt.UTC)
    with time_machine.travel(start, tick=False):
        early = _solved(alice, agent_sam)
        late = _solved(alice, agent_sam)
        late_reply = _solved(alice, agent_sam)
    with time_machine.travel(start + dt.timedelta(days=days) - dt.timedelta(minutes=1), tick=False):
        services.reopen_ticket(early, actor=alice)
    assert _fresh(early).status == Status.OPEN
    assert [e.actor for e in _audits(early, "ticket.reopened")] == [alice]
    with time_machine.travel(start + dt.timedelta(days=days, minutes=1), tick=False):
        with pytest.raises(Conflict) as refused:
            services.reopen_ticket(late, actor=alice)
        assert refused.value.code == "reopen_window_passed"
        with pytest.raises(Conflict) as refused_reply:
            services.add_reply(late_reply, "It happened again.", actor=alice)
        assert refused_reply.value.code == "reopen_window_passed"
    assert _fresh(late).status == Status.SOLVED and _fresh(late_reply).status == Status.SOLVED
    assert _audits(late, "ticket.reopened") == [] and _audits(late_reply, "ticket.replied") == []
    assert Message.objects.filter(ticket=late_reply, kind=MessageKind.PUBLIC).count() == 1


def test_it_reopens_a_solved_ticket_when_the_customer_replies_in_time(alice: Any, agent_sam: Any) -> None:
    ticket = _solved(alice, agent_sam)
    services.add_reply(ticket, "It is not fixed, the coins are still missing.", actor=alice)
    reopened = _fresh(ticket)
    assert reopened.status == Status.OPEN and reopened.solved_at is None
    assert _status_events(ticket)[-1] == ("solved", "open")
    assert len(_audits(ticket, "ticket.replied")) == 1


def test_it_lets_only_the_requester_reopen_a_solved_ticket(alice: Any, mallory: Any, agent_sam: Any) -> None:
    ticket = _solved(alice, agent_sam)
    with pytest.raises(NotFound):
        services.reopen_ticket(ticket, actor=mallory)
    open_ticket = _ticket(alice)
    with pytest.raises(Conflict) as refused:
        services.reopen_ticket(open_ticket, actor=alice)
    assert refused.value.code == "reopen_window_passed"
    assert _fresh(ticket).status == Status.SOLVED
    assert _audits(ticket, "ticket.reopened") == []


def test_it_lets_the_customer_close_their_request(alice: Any) -> None:
    ticket = _ticket(alice)
    services.close_ticket(ticket, actor=alice)
    closed = _fresh(ticket)
    assert closed.status == Status.CLOSED and closed.closed_at is not None
    [event] = _audits(ticket, "ticket.closed")
    assert event.actor == alice and event.data == {"from": "new"}
    assert _status_events(ticket) == [("new", "closed")]


def test_it_rates_only_solved_or_closed_tickets(alice: Any, agent_sam: Any) -> None:
    ticket = _ticket(alice)
    for status in (Status.NEW, Status.OPEN, Status.PENDING):
        if status != Status.NEW:
            services.change_status(ticket, status, actor=agent_sam)
        with pytest.raises(Conflict) as refused:
            services.rate_ticket(ticket, 5, actor=alice)
        assert refused.value.code == "not_solved"
    assert _fresh(ticket).rating is None
    assert _audits(ticket, "ticket.rated") == []

    services.change_status(ticket, Status.SOLVED, actor=agent_sam)
    services.rate_ticket(ticket, 4, "Quick and kind.", actor=alice)
    rated = _fresh(ticket)
    assert (rated.rating, rated.rating_comment) == (4, "Quick and kind.")
    assert rated.rated_at is not None
    services.change_status(ticket, Status.CLOSED, actor=agent_sam)
    services.rate_ticket(ticket, "2", actor=alice)
    assert _fresh(ticket).rating == 2
    assert [(e.actor, e.data) for e in _audits(ticket, "ticket.rated")] == [
        (alice, {"score": 4}),
        (alice, {"score": 2}),
    ]
    assert Message.objects.filter(ticket=ticket, event="rated").count() == 2


@pytest.mark.parametrize("score", [0, 6, -1, "", "five", None, True, 3.5e9, "1e1", 4.5])
def test_it_refuses_ratings_outside_one_to_five(alice: Any, agent_sam: Any, score: Any) -> None:
    ticket = _solved(alice, agent_sam)
    with pytest.raises(InvalidInput) as refused:
        services.rate_ticket(ticket, score, actor=alice)
    assert refused.value.code == "invalid_rating"
    assert _fresh(ticket).rating is None
    assert _audits(ticket, "ticket.rated") == []


def test_it_lets_only_the_requester_rate(alice: Any, mallory: Any, agent_sam: Any) -> None:
    ticket = _solved(alice, agent_sam)
    with pytest.raises(NotFound):
        services.rate_ticket(ticket, 1, actor=mallory)
    with pytest.raises(NotFound):
        services.rate_ticket(ticket, 5, actor=agent_sam)
    assert _fresh(ticket).rating is None


def test_it_requires_a_reason_for_an_appeal(alice: Any, agent_sam: Any) -> None:
    ticket = _solved(alice, agent_sam)
    for reason in ("", "   \n ", None):
        with pytest.raises(InvalidInput) as refused:
            services.appeal_ticket(ticket, reason, actor=alice)
        assert refused.value.code in {"required", "invalid_input"}
    assert not Appeal.objects.filter(ticket=ticket).exists()
    assert _audits(ticket, "ticket.appealed") == []


def test_it_allows_appeals_only_on_done_tickets_by_the_requester(alice: Any, mallory: Any, agent_sam: Any) -> None:
    ticket = _ticket(alice)
    with pytest.raises(Conflict) as refused:
        services.appeal_ticket(ticket, "The agent ignored me.", actor=alice)
    assert refused.value.code == "not_solved"
    services.change_status(ticket, Status.SOLVED, actor=agent_sam)
    with pytest.raises(NotFound):
        services.appeal_ticket(ticket, "Let me in.", actor=mallory)
    assert not Appeal.objects.exists()


def test_it_keeps_one_open_appeal_at_a_time(alice: Any, agent_sam: Any, supervisor_ada: Any) -> None:
    ticket = _solved(alice, agent_sam)
    first = services.appeal_ticket(ticket, "The refund never arrived.", actor=alice)
    assert first.status == AppealStatus.OPEN
    [event] = _audits(ticket, "ticket.appealed")
    assert event.actor == alice and event.data == {"appeal": str(first.public_id)}
    with pytest.raises(Conflict) as refused:
        services.appeal_ticket(ticket, "Again: the refund never arrived.", actor=alice)
    assert refused.value.code == "appeal_open"
    assert Appeal.objects.filter(ticket=ticket).count() == 1

    services.decide_appeal(first, upheld=False, decision="The refund was sent on 3 March.", actor=supervisor_ada)
    second = services.appeal_ticket(ticket, "I still do not have it.", actor=alice)
    assert second.pk != first.pk
    assert Appeal.objects.filter(ticket=ticket, status=AppealStatus.OPEN).get() == second
    assert len(_audits(ticket, "ticket.appealed")) == 2


def test_it_lets_only_supervisors_decide_appeals(
    alice: Any, agent_sam: Any, supervisor_ada: Any, admin_root: Any
) -> None:
    ticket = _solved(alice, agent_sam)
    appeal = services.appeal_ticket(ticket, "Wrong answer.", actor=alice)
    for actor in (agent_sam, alice):
        with pytest.raises(PermissionDenied):
            services.decide_appeal(appeal, upheld=True, decision="Sure.", actor=actor)
    appeal.refresh_from_db()
    assert appeal.status == AppealStatus.OPEN and appeal.decided_by is None
    assert _fresh(ticket).status == Status.SOLVED
    assert _audits(ticket, "ticket.appeal_decided") == []

    services.decide_appeal(appeal, upheld=False, decision="The answer was right.", actor=admin_root)
    appeal.refresh_from_db()
    assert appeal.status == AppealStatus.REJECTED and appeal.decided_by == admin_root
    assert _fresh(ticket).status == Status.SOLVED
    with pytest.raises(Conflict) as refused:
        services.decide_appeal(appeal, upheld=True, decision="Changed my mind.", actor=supervisor_ada)
    assert refused.value.code == "appeal_decided"


def test_it_reopens_the_ticket_when_an_appeal_is_upheld(alice: Any, agent_sam: Any, supervisor_ada: Any) -> None:
    ticket = _solved(alice, agent_sam)
    services.change_status(ticket, Status.CLOSED, actor=agent_sam)
    appeal = services.appeal_ticket(ticket, "My account is still frozen.", actor=alice)
    services.decide_appeal(appeal, upheld=True, decision="We will look again.", actor=supervisor_ada)
    appeal.refresh_from_db()
    assert appeal.status == AppealStatus.UPHELD
    assert appeal.decided_by == supervisor_ada and appeal.decided_at is not None
    assert appeal.decision == "We will look again."
    reopened = _fresh(ticket)
    assert reopened.status == Status.OPEN
    assert _status_events(ticket)[-1] == ("closed", "open")
    customer_view = [m.body for m in selectors.thread(ticket, viewer=alice)]
    assert "We will look again." in customer_view
    [event] = _audits(ticket, "ticket.appeal_decided")
    assert event.actor == supervisor_ada
    assert event.data == {"appeal": str(appeal.public_id), "status": "upheld"}


def test_it_refuses_work_on_a_held_guest_ticket(agent_sam: Any) -> None:
    ticket = services.submit_guest_ticket(
        "guest@example.com", services.TicketInput(subject="Locked out", body="Please help.")
    )
    assert ticket is not None
    with pytest.raises(Conflict) as refused:
        services.change_status(ticket, Status.OPEN, actor=agent_sam)
    assert refused.value.code == "ticket_held"
    with pytest.raises(Conflict) as refused_reply:
        services.add_reply(ticket, "Hello", actor=agent_sam)
    assert refused_reply.value.code == "ticket_held"
    assert _fresh(ticket).status == Status.NEW
    assert Message.objects.filter(ticket=ticket).count() == 1
