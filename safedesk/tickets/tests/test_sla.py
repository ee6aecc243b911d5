"""SLA clocks in business hours, the pause while we wait for the customer, and the sweep that
records breaches once, escalates and tells supervisors."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import time_machine

from safedesk.accounts.services import create_team
from safedesk.audit.models import AuditEvent
from safedesk.jobs import periodic
from safedesk.jobs.models import PeriodicSchedule
from safedesk.tickets import selectors, services
from safedesk.tickets.models import BusinessCalendar, Message, Priority, SlaPolicy, Status, TeamSettings, Ticket

pytestmark = pytest.mark.django_db

# Tuesday 2026-06-02 10:00 in Shanghai (UTC+8, no DST) = 02:00 UTC.
TUESDAY_10 = datetime(2026, 6, 2, 2, 0, tzinfo=UTC)


def utc(year: int, month: int, day: int, hour: int, minute: int) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=UTC)


@pytest.fixture
def office_hours() -> BusinessCalendar:
    return BusinessCalendar.objects.create(
        name="Shanghai office",
        tz="Asia/Shanghai",
        weekly={d: ["09:00-18:00"] for d in ("mon", "tue", "wed", "thu", "fri")},
        holidays=["2026-06-19"],  # Dragon Boat Festival (a Friday)
        is_default=True,
    )


@pytest.fixture
def normal_policy() -> SlaPolicy:
    return SlaPolicy.objects.create(
        name="Normal",
        priority=Priority.NORMAL,
        first_response_minutes=120,
        next_response_minutes=240,
        resolution_minutes=16 * 60,
    )


def submit(user: Any, **extra: Any) -> Ticket:
    return services.submit_ticket(user, services.TicketInput(subject="Deposit missing", body="Two hours ago.", **extra))


def test_it_sets_due_times_in_business_hours(alice: Any, office_hours: Any, normal_policy: Any) -> None:
    with time_machine.travel(TUESDAY_10, tick=False):
        ticket = submit(alice)
    # 2 business hours from Tuesday 10:00 → 12:00; 16 business hours → Wednesday 17:00 (9 h a day).
    assert ticket.first_response_due == utc(2026, 6, 2, 4, 0)
    assert ticket.resolution_due == utc(2026, 6, 3, 9, 0)
    assert ticket.sla_due_at == ticket.first_response_due
    assert ticket.sla_policy == normal_policy


def test_it_skips_nights_weekends_and_holidays(alice: Any, office_hours: Any, normal_policy: Any) -> None:
    # Thursday 2026-06-18 17:00 Shanghai: one hour left that day, Friday is a holiday, then the weekend.
    with time_machine.travel(utc(2026, 6, 18, 9, 0), tick=False):
        ticket = submit(alice)
    assert ticket.first_response_due == utc(2026, 6, 22, 2, 0)  # Monday 10:00 Shanghai


def test_it_prefers_the_most_specific_policy(alice: Any, office_hours: Any, normal_policy: Any) -> None:
    SlaPolicy.objects.create(name="Any", first_response_minutes=600)
    specific = SlaPolicy.objects.create(
        name="Normal withdrawals", priority=Priority.NORMAL, category="withdrawal", first_response_minutes=30
    )
    with time_machine.travel(TUESDAY_10, tick=False):
        assert submit(alice, category="withdrawal").sla_policy == specific
        assert submit(alice, category="fees").sla_policy == normal_policy


def test_it_uses_the_team_calendar(
    alice: Any, agent_sam: Any, admin_root: Any, office_hours: Any, normal_policy: Any
) -> None:
    team = create_team(name="Night shift", actor=admin_root)
    always = BusinessCalendar.objects.create(
        name="24x7", tz="UTC", weekly={d: ["00:00-24:00"] for d in ("mon", "tue", "wed", "thu", "fri", "sat", "sun")}
    )
    TeamSettings.objects.create(team=team, calendar=always)
    with time_machine.travel(utc(2026, 6, 6, 12, 0), tick=False):  # a Saturday
        ticket = submit(alice)
        assert ticket.first_response_due == utc(2026, 6, 8, 3, 0)  # office: Monday 11:00 Shanghai
        services.assign_ticket(ticket, assignee=None, team=team, actor=agent_sam)
    ticket.refresh_from_db()
    assert ticket.first_response_due == utc(2026, 6, 6, 14, 0)  # around the clock


def test_it_meets_responses_and_restarts_the_next_response_clock(
    alice: Any, agent_sam: Any, office_hours: Any, normal_policy: Any
) -> None:
    with time_machine.travel(TUESDAY_10, tick=False):
        ticket = submit(alice)
    with time_machine.travel(TUESDAY_10 + timedelta(minutes=30), tick=False):
        services.add_reply(ticket, "Looking into it.", actor=agent_sam)
    ticket.refresh_from_db()
    assert ticket.first_response_due is None and ticket.next_response_due is None
    assert ticket.sla_due_at == ticket.resolution_due
    with time_machine.travel(TUESDAY_10 + timedelta(hours=1), tick=False):
        services.add_reply(ticket, "Any news?", actor=alice)
    ticket.refresh_from_db()
    assert ticket.next_response_due == utc(2026, 6, 2, 7, 0)  # 11:00 + 4 business hours = 15:00 Shanghai


def test_it_pauses_while_pending_customer_and_resumes_with_the_time_left(
    alice: Any, agent_sam: Any, office_hours: Any, normal_policy: Any
) -> None:
    with time_machine.travel(TUESDAY_10, tick=False):
        ticket = submit(alice)
    due = ticket.resolution_due
    assert due is not None
    with time_machine.travel(TUESDAY_10 + timedelta(hours=1), tick=False):
        services.change_status(ticket, Status.PENDING, actor=agent_sam)
    ticket.refresh_from_db()
    assert ticket.sla_paused_at is not None and ticket.sla_due_at is None
    assert ticket not in selectors.inbox(agent_sam, selectors.clean_filter({"view": "breaching"})).tickets
    # The customer answers one calendar day (9 business hours) later: every clock moves by that.
    with time_machine.travel(TUESDAY_10 + timedelta(days=1, hours=1), tick=False):
        services.add_reply(ticket, "Here is the screenshot.", actor=alice)
    ticket.refresh_from_db()
    assert ticket.status == Status.OPEN and ticket.sla_paused_at is None
    assert ticket.resolution_due == utc(2026, 6, 4, 9, 0)  # Wednesday 17:00 → Thursday 17:00 Shanghai


def test_it_stops_the_clocks_when_solved_and_restarts_them_on_reopen(
    alice: Any, agent_sam: Any, office_hours: Any, normal_policy: Any
) -> None:
    with time_machine.travel(TUESDAY_10, tick=False):
        ticket = submit(alice)
        services.change_status(ticket, Status.SOLVED, actor=agent_sam)
    ticket.refresh_from_db()
    assert (ticket.first_response_due, ticket.resolution_due, ticket.sla_due_at) == (None, None, None)
    with time_machine.travel(TUESDAY_10 + timedelta(hours=2), tick=False):
        services.reopen_ticket(ticket, actor=alice)
    ticket.refresh_from_db()
    # Tuesday 12:00 + 16 business hours: 6 h Tuesday, 9 h Wednesday, 1 h Thursday → 10:00 Shanghai.
    assert ticket.resolution_due == utc(2026, 6, 4, 2, 0)


def test_it_records_a_breach_once_escalates_and_tells_supervisors(
    alice: Any, supervisor_ada: Any, office_hours: Any, normal_policy: Any, smtp_server: Any, run_tasks: Any
) -> None:
    with time_machine.travel(TUESDAY_10, tick=False):
        ticket = submit(alice)
    run_tasks()
    smtp_server.clear()
    with time_machine.travel(TUESDAY_10 + timedelta(hours=1), tick=False):
        assert services.record_sla_breaches() == 0  # not due yet
    with time_machine.travel(TUESDAY_10 + timedelta(hours=3), tick=False):
        assert ticket in selectors.inbox(supervisor_ada, selectors.clean_filter({"view": "breaching"})).tickets
        assert services.record_sla_breaches() == 1
        assert services.record_sla_breaches() == 0  # once per target
    ticket.refresh_from_db()
    assert ticket.sla_breached == ["first_response"]
    assert ticket.priority == Priority.HIGH
    assert ticket.sla_due_at == ticket.resolution_due
    assert Message.objects.filter(ticket=ticket, event="sla_breached").count() == 1
    assert AuditEvent.objects.filter(verb="ticket.sla_breached").count() == 1
    # Customers do not see our SLA bookkeeping in their timeline.
    assert all(m.event != "sla_breached" for m in selectors.thread(ticket, viewer=alice))
    run_tasks()
    mails = smtp_server.to(supervisor_ada.email)
    assert len(mails) == 1 and ticket.ref in mails[0].subject


def test_it_enqueues_a_periodic_job_once_per_period() -> None:
    from django_tasks_db.models import DBTaskResult

    with time_machine.travel(TUESDAY_10, tick=False):
        assert "tickets.sla_sweep" in periodic.enqueue_due()
        assert "tickets.sla_sweep" not in periodic.enqueue_due()  # not again within the minute
    with time_machine.travel(TUESDAY_10 + timedelta(minutes=1), tick=False):
        assert "tickets.sla_sweep" in periodic.enqueue_due()
    assert PeriodicSchedule.objects.get(name="tickets.sla_sweep").next_run_at == TUESDAY_10 + timedelta(minutes=2)
    assert DBTaskResult.objects.filter(task_path__endswith="sla_sweep").count() == 2


def test_it_runs_the_sweep_as_a_job(alice: Any, office_hours: Any, normal_policy: Any, run_tasks: Any) -> None:
    with time_machine.travel(TUESDAY_10, tick=False):
        ticket = submit(alice)
    run_tasks()
    with time_machine.travel(TUESDAY_10 + timedelta(hours=3), tick=False):
        periodic.enqueue_due()
        run_tasks()
    ticket.refresh_from_db()
    assert ticket.sla_breached == ["first_response"]


def test_it_starts_a_guest_tickets_clock_when_it_is_confirmed(office_hours: Any, normal_policy: Any) -> None:
    with time_machine.travel(TUESDAY_10, tick=False):
        ticket = services.submit_guest_ticket("late@example.com", services.TicketInput(subject="Help", body="Please"))
        assert ticket is not None
        token = services.guest_confirmation_token(ticket)
    with time_machine.travel(TUESDAY_10 + timedelta(hours=5), tick=False):
        assert services.record_sla_breaches() == 0  # held tickets are never breached
        ticket = services.confirm_guest_ticket(token)
    assert ticket.first_response_due == utc(2026, 6, 2, 9, 0)  # confirmed 15:00 + 2 h → 17:00 Shanghai
