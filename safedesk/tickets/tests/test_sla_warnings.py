"""Warnings before a breach: emailed once per target and clock cycle, to the assignee (or the
team, or supervisors), through a real SMTP server, with the clock under time-machine."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import time_machine

from safedesk.accounts.models import Role
from safedesk.accounts.services import add_team_member, create_team
from safedesk.audit.models import AuditEvent
from safedesk.jobs import periodic
from safedesk.tickets import services, setup_services
from safedesk.tickets.models import BusinessCalendar, Priority, SlaPolicy, Status, Ticket

pytestmark = pytest.mark.django_db

# Tuesday 2026-06-02 10:00 in Shanghai (UTC+8) = 02:00 UTC.
TUESDAY_10 = datetime(2026, 6, 2, 2, 0, tzinfo=UTC)
PHISHING_SUBJECT = "Call +1-800-555-0100 now to unlock your wallet"


@pytest.fixture
def office_hours() -> BusinessCalendar:
    return BusinessCalendar.objects.create(
        name="Shanghai office",
        tz="Asia/Shanghai",
        weekly={d: ["09:00-18:00"] for d in ("mon", "tue", "wed", "thu", "fri")},
        is_default=True,
    )


@pytest.fixture
def policy(office_hours: BusinessCalendar) -> SlaPolicy:
    return SlaPolicy.objects.create(
        name="Normal",
        priority=Priority.NORMAL,
        first_response_minutes=120,
        next_response_minutes=240,
        resolution_minutes=16 * 60,
        warning_minutes=30,
    )


def at(minutes: int) -> Any:
    return time_machine.travel(TUESDAY_10 + timedelta(minutes=minutes), tick=False)


def submit(user: Any, **extra: Any) -> Ticket:
    data = services.TicketInput(subject=PHISHING_SUBJECT, body="Send your seed phrase to support.", **extra)
    return services.submit_ticket(user, data)


def test_it_warns_the_assignee_once_before_the_first_response_is_due(
    alice: Any, agent_sam: Any, policy: SlaPolicy, smtp_server: Any, run_tasks: Any
) -> None:
    with at(0):
        ticket = submit(alice)
        services.assign_ticket(ticket, assignee=agent_sam, actor=agent_sam)
    ticket.refresh_from_db()
    assert ticket.sla_warn_at == TUESDAY_10 + timedelta(minutes=90)  # 12:00 due, 30 minutes before
    run_tasks()
    smtp_server.clear()
    with at(60):
        assert services.send_sla_warnings() == 0  # not yet
    with at(95):
        assert services.send_sla_warnings() == 1
        assert services.send_sla_warnings() == 0  # once
        run_tasks()
    with at(100):
        assert services.send_sla_warnings() == 0  # still once, minutes later
    mails = smtp_server.to(agent_sam.email)
    assert len(mails) == 1
    mail = mails[0]
    assert ticket.ref in mail.subject and "SLA" in mail.subject
    assert "First response" in mail.text and "2026-06-02 12:00" in mail.text and "Asia/Shanghai" in mail.text
    assert "in 25 minutes" in mail.text
    # Never the customer's words, in the subject or anywhere else (CASES B10).
    for part in (mail.subject, mail.text, mail.html):
        assert "unlock" not in part and "+1-800" not in part and "seed" not in part
    assert AuditEvent.objects.filter(verb="ticket.sla_warning_sent", target_ref=ticket.ref).count() == 1
    ticket.refresh_from_db()
    assert ticket.sla_warned == ["first_response"]
    # Next: the resolution, due Wednesday 17:00 Shanghai (16 business hours), warned 30 minutes before.
    assert ticket.sla_warn_at == TUESDAY_10 + timedelta(hours=31, minutes=-30)


def test_it_warns_the_team_when_nobody_is_assigned_and_supervisors_when_there_is_no_team(
    alice: Any,
    make_user: Callable[..., Any],
    supervisor_ada: Any,
    admin_root: Any,
    agent_sam: Any,
    policy: SlaPolicy,
    smtp_server: Any,
    run_tasks: Any,
) -> None:
    team = create_team(name="Deposits", actor=admin_root)
    member = make_user("dora", Role.AGENT)
    add_team_member(team, member, actor=admin_root)
    setup_services.save_team_settings(
        team, calendar=None, assignment_mode="manual", categories=["deposit"], actor=admin_root
    )
    with at(0):
        in_team = submit(alice, category="deposit")
        loose = submit(alice, category="fees")
    run_tasks()
    smtp_server.clear()
    with at(95):
        assert services.send_sla_warnings() == 2
        run_tasks()
    assert [in_team.ref in m.subject for m in smtp_server.to(member.email)] == [True]
    assert {m.subject for m in smtp_server.to(supervisor_ada.email)} == {
        m.subject for m in smtp_server.to(admin_root.email)
    }
    assert any(loose.ref in m.subject for m in smtp_server.to(supervisor_ada.email))
    assert not any(in_team.ref in m.subject for m in smtp_server.to(supervisor_ada.email))
    assert smtp_server.to(agent_sam.email) == []


def test_it_warns_again_only_in_a_new_clock_cycle(
    alice: Any, agent_sam: Any, policy: SlaPolicy, smtp_server: Any, run_tasks: Any
) -> None:
    with at(0):
        ticket = submit(alice)
        services.assign_ticket(ticket, assignee=agent_sam, actor=agent_sam)
        services.add_reply(ticket, "We are on it.", actor=agent_sam)
    with at(10):
        services.add_reply(ticket, "Any news?", actor=alice)  # next response due 14:10 Shanghai
    ticket.refresh_from_db()
    assert ticket.next_response_due == TUESDAY_10 + timedelta(minutes=250)
    with at(225):
        assert services.send_sla_warnings() == 1
        assert services.send_sla_warnings() == 0
    with at(230):
        services.add_reply(ticket, "Still checking.", actor=agent_sam)
    with at(240):
        services.add_reply(ticket, "Please hurry.", actor=alice)  # a new next-response cycle
    ticket.refresh_from_db()
    assert "next_response" not in ticket.sla_warned
    with at(240 + 215):
        assert services.send_sla_warnings() == 1
        assert services.send_sla_warnings() == 0
    assert AuditEvent.objects.filter(verb="ticket.sla_warning_sent", target_ref=ticket.ref).count() == 2


def test_it_does_not_warn_while_paused_and_resumes_the_warning_clock(
    alice: Any, agent_sam: Any, policy: SlaPolicy
) -> None:
    with at(0):
        ticket = submit(alice)
        services.change_status(ticket, Status.PENDING, actor=agent_sam)
    ticket.refresh_from_db()
    assert ticket.sla_warn_at is None
    with at(95):
        assert services.send_sla_warnings() == 0
    with at(24 * 60):  # Wednesday 10:00: the customer answers, the clocks resume
        services.add_reply(ticket, "Here it is.", actor=alice)
    ticket.refresh_from_db()
    assert ticket.first_response_due == TUESDAY_10 + timedelta(days=1, hours=2)
    assert ticket.sla_warn_at == TUESDAY_10 + timedelta(days=1, hours=1, minutes=30)


def test_it_sends_the_breach_email_and_no_late_warning_when_the_window_was_missed(
    alice: Any, agent_sam: Any, policy: SlaPolicy, smtp_server: Any, run_tasks: Any
) -> None:
    with at(0):
        ticket = submit(alice)
        services.assign_ticket(ticket, assignee=agent_sam, actor=agent_sam)
    run_tasks()
    smtp_server.clear()
    with at(180):  # the sweep did not run between 11:30 and 12:00
        periodic.enqueue_due()
        run_tasks()
    subjects = [m.subject for m in smtp_server.to(agent_sam.email)]
    assert len(subjects) == 1 and "missed its SLA" in subjects[0]
    assert not AuditEvent.objects.filter(verb="ticket.sla_warning_sent").exists()


def test_it_drops_a_warning_whose_target_was_met_before_it_went_out(
    alice: Any, agent_sam: Any, policy: SlaPolicy, smtp_server: Any, run_tasks: Any
) -> None:
    with at(0):
        ticket = submit(alice)
        services.assign_ticket(ticket, assignee=agent_sam, actor=agent_sam)
    run_tasks()
    smtp_server.clear()
    with at(95):
        assert services.send_sla_warnings() == 1
        services.add_reply(ticket, "Answered before the email left.", actor=agent_sam)
        run_tasks()
    assert not any("SLA warning" in m.subject for m in smtp_server.messages)


def test_it_runs_the_warnings_in_the_periodic_sweep(
    alice: Any, agent_sam: Any, policy: SlaPolicy, smtp_server: Any, run_tasks: Any
) -> None:
    with at(0):
        ticket = submit(alice)
        services.assign_ticket(ticket, assignee=agent_sam, actor=agent_sam)
    run_tasks()
    smtp_server.clear()
    with at(95):
        assert "tickets.sla_sweep" in periodic.enqueue_due()
        run_tasks()
    with at(96):
        periodic.enqueue_due()
        run_tasks()
    warnings = [m for m in smtp_server.to(agent_sam.email) if "SLA warning" in m.subject]
    assert len(warnings) == 1 and ticket.ref in warnings[0].subject


def test_it_moves_running_warnings_when_a_policys_lead_time_changes(
    alice: Any, agent_sam: Any, admin_root: Any, policy: SlaPolicy, run_tasks: Any
) -> None:
    with at(0):
        ticket = submit(alice)
    run_tasks()
    data = setup_services.PolicyInput(
        name="Normal",
        priority=str(Priority.NORMAL),
        first_response_minutes=120,
        next_response_minutes=240,
        resolution_minutes=960,
        warning_minutes=60,
    )
    with at(5):
        setup_services.save_policy(policy, data, actor=admin_root)
        run_tasks()
    ticket.refresh_from_db()
    assert ticket.first_response_due == TUESDAY_10 + timedelta(hours=2)  # due times stay
    assert ticket.sla_warn_at == TUESDAY_10 + timedelta(hours=1)


def test_it_records_a_breach_of_a_later_next_response_cycle_again(
    alice: Any, agent_sam: Any, policy: SlaPolicy
) -> None:
    with at(0):
        ticket = submit(alice)
        services.add_reply(ticket, "Looking.", actor=agent_sam)
    with at(10):
        services.add_reply(ticket, "And?", actor=alice)  # next response due 14:10 Shanghai
    with at(260):
        assert services.record_sla_breaches() == 1
    with at(270):
        services.add_reply(ticket, "Sorry for the wait.", actor=agent_sam)
    with at(280):
        services.add_reply(ticket, "Still broken.", actor=alice)  # a new cycle: 4 business hours
    ticket.refresh_from_db()
    assert ticket.sla_breached == [] and ticket.sla_due_at == ticket.next_response_due
    assert ticket.next_response_due == TUESDAY_10 + timedelta(hours=23, minutes=40)  # Wednesday 09:40 Shanghai
    with at(23 * 60 + 45):
        assert services.record_sla_breaches() == 1
    ticket.refresh_from_db()
    assert ticket.sla_breached == ["next_response"]
    assert AuditEvent.objects.filter(verb="ticket.sla_breached", target_ref=ticket.ref).count() == 2


def test_it_writes_the_warning_in_the_recipients_language(
    alice: Any, make_user: Callable[..., Any], policy: SlaPolicy, smtp_server: Any, run_tasks: Any
) -> None:
    agent = make_user("lin", Role.AGENT, language="zh-hans")
    with at(0):
        ticket = submit(alice)
        services.assign_ticket(ticket, assignee=agent, actor=agent)
    run_tasks()
    smtp_server.clear()
    with at(95):
        services.send_sla_warnings()
        run_tasks()
    (mail,) = smtp_server.to(agent.email)
    assert mail.subject.strip() == f"[{ticket.ref}] SLA 预警：有目标即将到期"
    assert "首次回复：截止 2026-06-02 12:00（还剩 25 分钟）" in mail.text
    assert "以上时间为 Asia/Shanghai 时区。" in mail.html
