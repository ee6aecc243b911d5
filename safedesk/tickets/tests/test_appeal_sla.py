"""The appeal queue's own SLA: a decision due time from the ticket's policy in business minutes
of the default calendar, shown and sortable in /agent/appeals/, overdue appeals flagged, and a
sweep that warns supervisors before and records the breach once after."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import time_machine

from safedesk.audit.models import AuditEvent
from safedesk.tickets import selectors, services
from safedesk.tickets.models import Appeal, BusinessCalendar, Message, Priority, SlaPolicy, Status, Ticket

pytestmark = pytest.mark.django_db

# Tuesday 2026-06-02 10:00 in Shanghai (UTC+8) = 02:00 UTC.
TUESDAY_10 = datetime(2026, 6, 2, 2, 0, tzinfo=UTC)


def at(minutes: int) -> Any:
    return time_machine.travel(TUESDAY_10 + timedelta(minutes=minutes), tick=False)


@pytest.fixture
def office_hours() -> BusinessCalendar:
    return BusinessCalendar.objects.create(
        name="Shanghai office",
        tz="Asia/Shanghai",
        weekly={d: ["09:00-18:00"] for d in ("mon", "tue", "wed", "thu", "fri")},
        is_default=True,
    )


@pytest.fixture
def policies(office_hours: BusinessCalendar) -> dict[int, SlaPolicy]:
    return {
        Priority.NORMAL: SlaPolicy.objects.create(
            name="Normal", priority=Priority.NORMAL, resolution_minutes=960, appeal_minutes=8 * 60, warning_minutes=60
        ),
        Priority.URGENT: SlaPolicy.objects.create(
            name="Urgent", priority=Priority.URGENT, resolution_minutes=240, appeal_minutes=60, warning_minutes=15
        ),
    }


def solved(customer: Any, agent: Any, *, priority: int = Priority.NORMAL, subject: str = "Frozen") -> Ticket:
    ticket = services.create_ticket_for_customer(
        customer.email, services.TicketInput(subject=subject, body="Please check.", priority=priority), actor=agent
    )
    services.change_status(ticket, Status.SOLVED, actor=agent)
    return ticket


def test_it_gives_an_appeal_a_decision_due_time_in_business_minutes(
    alice: Any, bob: Any, agent_sam: Any, policies: Any
) -> None:
    with at(7 * 60):  # Tuesday 17:00 Shanghai: one business hour left that day
        ticket = solved(alice, agent_sam)
        appeal = services.appeal_ticket(ticket, "The answer did not help.", actor=alice)
    # 8 business hours: 1 on Tuesday, 7 on Wednesday from 09:00 → Wednesday 16:00 Shanghai.
    assert appeal.due_at == datetime(2026, 6, 3, 8, 0, tzinfo=UTC)
    assert appeal.warn_at == appeal.due_at - timedelta(hours=1)
    # Without a policy that sets an appeal target, there is no due time (and nothing is flagged).
    SlaPolicy.objects.update(appeal_minutes=None)
    with at(7 * 60):
        other = services.appeal_ticket(solved(bob, agent_sam), "No.", actor=bob)
    assert other.due_at is None and other.warn_at is None


def test_it_sorts_the_queue_by_due_time_and_flags_overdue_appeals(
    alice: Any, agent_sam: Any, supervisor_ada: Any, login: Any, policies: Any
) -> None:
    with at(0):
        slow = services.appeal_ticket(solved(alice, agent_sam, subject="Normal one"), "Please review.", actor=alice)
    with at(10):
        fast = services.appeal_ticket(
            solved(alice, agent_sam, priority=Priority.URGENT, subject="Urgent one"), "Urgent review.", actor=alice
        )
    assert fast.due_at is not None and slow.due_at is not None and fast.due_at < slow.due_at
    client = login(supervisor_ada)
    with at(30):
        page = client.get("/agent/appeals/").content.decode()
        assert page.index(str(fast.public_id)) < page.index(str(slow.public_id))
        assert "data-overdue" not in page
        by_age = client.get("/agent/appeals/?sort=created").content.decode()
        assert by_age.index(str(slow.public_id)) < by_age.index(str(fast.public_id))
    with at(80):  # the urgent appeal was due after 60 business minutes
        page = client.get("/agent/appeals/").content.decode()
    flagged = page[page.index(str(fast.public_id)) - 400 : page.index(str(slow.public_id))]
    assert "data-overdue" in flagged
    assert page.count("data-overdue") == 1
    response = client.get("/agent/appeals/?sort=oldest")
    assert response.status_code == 400 and 'data-code="invalid_sort"' in response.content.decode()


def test_it_warns_supervisors_once_and_records_a_breach_once(
    alice: Any,
    agent_sam: Any,
    supervisor_ada: Any,
    admin_root: Any,
    policies: Any,
    smtp_server: Any,
    run_tasks: Any,
) -> None:
    with at(0):
        appeal = services.appeal_ticket(
            solved(alice, agent_sam, priority=Priority.URGENT, subject="Call +1-800 for a refund"),
            "Refund me at this number.",
            actor=alice,
        )
    run_tasks()
    smtp_server.clear()
    with at(30):
        assert services.send_appeal_warnings() == 0 and services.record_appeal_breaches() == 0
    with at(50):  # 15 minutes before the 60-minute target
        assert services.send_appeal_warnings() == 1
        assert services.send_appeal_warnings() == 0
        run_tasks()
    with at(61):
        assert services.record_appeal_breaches() == 1
        assert services.record_appeal_breaches() == 0
        assert services.send_appeal_warnings() == 0
        run_tasks()
    with at(120):
        assert services.record_appeal_breaches() == 0
    for person in (supervisor_ada, admin_root):
        subjects = [m.subject for m in smtp_server.to(person.email)]
        assert len(subjects) == 2
        assert all(appeal.ticket.ref in s and "+1-800" not in s and "refund" not in s.lower() for s in subjects)
    texts = [m.text for m in smtp_server.to(supervisor_ada.email)]
    assert "must be decided by 2026-06-02 11:00 Asia/Shanghai" in texts[0]
    assert "was not decided in time" in texts[1]
    appeal.refresh_from_db()
    assert appeal.breached_at == TUESDAY_10 + timedelta(minutes=61)
    assert AuditEvent.objects.filter(verb="ticket.appeal_overdue").count() == 1
    assert Message.objects.filter(ticket=appeal.ticket, event="appeal_overdue").count() == 1
    # Customers do not see the queue's bookkeeping.
    assert all(m.event != "appeal_overdue" for m in selectors.thread(appeal.ticket, viewer=alice))


def test_it_leaves_decided_appeals_alone(alice: Any, agent_sam: Any, supervisor_ada: Any, policies: Any) -> None:
    with at(0):
        appeal = services.appeal_ticket(solved(alice, agent_sam, priority=Priority.URGENT), "Review.", actor=alice)
        services.decide_appeal(appeal, upheld=False, decision="We checked it again.", actor=supervisor_ada)
    with at(500):
        assert services.send_appeal_warnings() == 0
        assert services.record_appeal_breaches() == 0
    assert Appeal.objects.get(pk=appeal.pk).breached_at is None


def test_it_keeps_the_appeal_queue_queries_bounded(
    alice: Any, agent_sam: Any, supervisor_ada: Any, login: Any, policies: Any, django_assert_max_num_queries: Any
) -> None:
    with at(0):
        for i in range(20):
            services.appeal_ticket(solved(alice, agent_sam, subject=f"Case {i}"), "Review please.", actor=alice)
    client = login(supervisor_ada)
    with django_assert_max_num_queries(10):
        assert client.get("/agent/appeals/").status_code == 200
    with django_assert_max_num_queries(10):
        assert client.get("/agent/appeals/?sort=created").status_code == 200
