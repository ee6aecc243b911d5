"""Two transactions at once, on PostgreSQL, with real threads and connections: routing takes
turns under the team settings' row lock, and a warning is sent once however many workers run
the sweep. (SQLite runs one writer at a time, so there is nothing to race there.)"""

from __future__ import annotations

import threading
import time
from collections import Counter
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import time_machine
from django.db import connection, transaction

from safedesk.accounts.models import Role, Team
from safedesk.accounts.services import add_team_member, create_team
from safedesk.tickets import services, setup_services
from safedesk.tickets.models import AssignmentMode, Priority, SlaPolicy, TeamSettings, Ticket

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(connection.vendor != "postgresql", reason="row locks race only on PostgreSQL"),
]

HOLD = 0.5  # seconds the first transaction keeps its locks after it has done its work


def run_in_thread(target: Callable[[], Any], errors: list[BaseException]) -> threading.Thread:
    def body() -> None:
        try:
            target()
        except BaseException as exc:  # collected and re-raised in the test's thread
            errors.append(exc)
        finally:
            connection.close()

    thread = threading.Thread(target=body)
    thread.start()
    return thread


@pytest.fixture
def team(make_user: Callable[..., Any], admin_root: Any) -> tuple[Team, list[Any]]:
    team = create_team(name="Concurrency", actor=admin_root)
    agents = [make_user(name, Role.AGENT) for name in ("dan", "eve", "fay", "gus")]
    for agent in agents:
        add_team_member(team, agent, actor=admin_root)
    return team, agents


def unrouted(customer: Any, n: int) -> list[Ticket]:
    return [
        services.submit_ticket(customer, services.TicketInput(subject=f"Race {i}", body="Now.", category="other"))
        for i in range(n)
    ]


def race_two(team: Team, first: Ticket, second: Ticket) -> tuple[float, float]:
    """Routes `first` in a transaction that holds its locks a while, and `second` meanwhile.
    Returns when the first committed and when the second finished."""
    routed, started = threading.Event(), threading.Event()
    times: dict[str, float] = {}
    errors: list[BaseException] = []

    def one() -> None:
        with transaction.atomic():
            services.route_ticket(first, team=team)
            routed.set()
            started.wait(5)
            time.sleep(HOLD)
        times["first_committed"] = time.monotonic()

    def two() -> None:
        routed.wait(5)
        started.set()
        services.route_ticket(second, team=team)
        times["second_done"] = time.monotonic()

    threads = [run_in_thread(one, errors), run_in_thread(two, errors)]
    for thread in threads:
        thread.join(20)
    if errors:
        raise errors[0]
    return times["first_committed"], times["second_done"]


@pytest.mark.parametrize("mode", [AssignmentMode.ROUND_ROBIN, AssignmentMode.LEAST_LOADED])
def test_it_never_gives_two_concurrent_tickets_the_same_turn(
    mode: str, alice: Any, admin_root: Any, team: tuple[Team, list[Any]]
) -> None:
    group, _agents = team
    setup_services.save_team_settings(group, calendar=None, assignment_mode=mode, categories=[], actor=admin_root)
    first, second = unrouted(alice, 2)
    committed, done = race_two(group, first, second)
    first.refresh_from_db()
    second.refresh_from_db()
    assert first.assignee_id is not None and second.assignee_id is not None
    assert first.assignee_id != second.assignee_id
    # The second waited for the first one's lock instead of reading the turn before it moved.
    assert done >= committed


def test_it_shares_many_concurrent_tickets_evenly(alice: Any, admin_root: Any, team: tuple[Team, list[Any]]) -> None:
    group, agents = team
    setup_services.save_team_settings(
        group, calendar=None, assignment_mode=AssignmentMode.ROUND_ROBIN, categories=[], actor=admin_root
    )
    tickets = unrouted(alice, 20)
    barrier = threading.Barrier(4)
    errors: list[BaseException] = []

    def worker(batch: list[Ticket]) -> Callable[[], None]:
        def run() -> None:
            barrier.wait(5)
            for ticket in batch:
                services.route_ticket(ticket, team=group)

        return run

    threads = [run_in_thread(worker(tickets[i::4]), errors) for i in range(4)]
    for thread in threads:
        thread.join(30)
    if errors:
        raise errors[0]
    counts = Counter(Ticket.objects.filter(pk__in=[t.pk for t in tickets]).values_list("assignee_id", flat=True))
    assert counts == {a.pk: 5 for a in agents}
    assert TeamSettings.objects.get(team=group).round_robin_last_id in {a.pk for a in agents}


def test_it_sends_a_warning_once_when_two_workers_sweep_at_once(alice: Any, agent_sam: Any) -> None:
    from django_tasks_db.models import DBTaskResult

    SlaPolicy.objects.create(
        name="Normal", priority=Priority.NORMAL, first_response_minutes=60, resolution_minutes=600, warning_minutes=15
    )
    start = datetime(2026, 6, 2, 2, 0, tzinfo=UTC)
    with time_machine.travel(start, tick=False):
        ticket = unrouted(alice, 1)[0]
        services.assign_ticket(ticket, assignee=agent_sam, actor=agent_sam)
    swept, started = threading.Event(), threading.Event()
    results: list[int] = []
    errors: list[BaseException] = []

    def one() -> None:
        with transaction.atomic():
            results.append(services.send_sla_warnings())
            swept.set()
            started.wait(5)
            time.sleep(HOLD)

    def two() -> None:
        swept.wait(5)
        started.set()
        results.append(services.send_sla_warnings())

    with time_machine.travel(start + timedelta(minutes=50), tick=False):
        threads = [run_in_thread(one, errors), run_in_thread(two, errors)]
        for thread in threads:
            thread.join(20)
    if errors:
        raise errors[0]
    assert sorted(results) == [0, 1]
    ticket.refresh_from_db()
    assert ticket.sla_warned == ["first_response"]
    assert DBTaskResult.objects.filter(task_path__endswith="notify_sla_warning").count() == 1
