"""Routing and automatic assignment: categories send new tickets to a team; round-robin takes
turns fairly, least loaded levels the load; unavailable, inactive and non-staff members and
members at their cap are skipped; nobody eligible leaves the ticket waiting in the team's queue
until someone is."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from typing import Any

import pytest

from safedesk.accounts.models import Availability, Role, Team
from safedesk.accounts.services import add_team_member, create_team
from safedesk.audit.models import AuditEvent
from safedesk.tickets import services, setup_services
from safedesk.tickets.models import AssignmentMode, Message, Status, TeamSettings, Ticket

pytestmark = pytest.mark.django_db


def submit(user: Any, category: str = "withdrawal", subject: str = "Withdrawal stuck") -> Ticket:
    return services.submit_ticket(
        user, services.TicketInput(subject=subject, body="Since yesterday.", category=category)
    )


@pytest.fixture
def agents(make_user: Callable[..., Any]) -> list[Any]:
    return [make_user(name, Role.AGENT) for name in ("amy", "ben", "cai")]


@pytest.fixture
def team(admin_root: Any, agents: list[Any]) -> Team:
    team = create_team(name="Withdrawals", actor=admin_root)
    for agent in agents:
        add_team_member(team, agent, actor=admin_root)
    return team


def configure(team: Team, mode: str, admin: Any, categories: tuple[str, ...] = ("withdrawal",)) -> None:
    setup_services.save_team_settings(
        team, calendar=None, assignment_mode=mode, categories=list(categories), actor=admin
    )


def set_away(user: Any, state: str = Availability.AWAY) -> None:
    services.set_availability(user, state, actor=user)


def test_it_routes_new_tickets_of_a_category_to_its_team(alice: Any, team: Team, admin_root: Any) -> None:
    configure(team, AssignmentMode.MANUAL, admin_root)
    routed = submit(alice)
    other = submit(alice, category="fees", subject="Fee question")
    assert routed.team_id == team.pk and routed.assignee_id is None
    assert other.team_id is None
    # Manual teams leave the ticket in their queue, unassigned and new.
    assert routed.status == Status.NEW
    assert AuditEvent.objects.filter(verb="ticket.routed", target_ref=routed.ref).count() == 1


def test_it_takes_turns_fairly_in_round_robin(alice: Any, team: Team, agents: list[Any], admin_root: Any) -> None:
    configure(team, AssignmentMode.ROUND_ROBIN, admin_root)
    tickets = [submit(alice, subject=f"Withdrawal {i}") for i in range(9)]
    order = [t.assignee_id for t in tickets]
    # A stable order (user id), one turn each, wrapping around.
    expected = [a.pk for a in sorted(agents, key=lambda a: a.pk)] * 3
    assert order == expected
    assert Counter(order) == {a.pk: 3 for a in agents}
    assert all(t.status == Status.OPEN for t in tickets)  # assigning a new ticket opens it
    assert TeamSettings.objects.get(team=team).round_robin_last_id == expected[-1]
    event = Message.objects.filter(ticket=tickets[0], event="assigned").get()
    assert event.data["mode"] == "round_robin" and event.data["source"] == "category"


def test_it_skips_unavailable_inactive_and_non_staff_members(
    alice: Any, bob: Any, team: Team, agents: list[Any], admin_root: Any
) -> None:
    amy, ben, cai = sorted(agents, key=lambda a: a.pk)
    add_team_member(team, bob, actor=admin_root)  # a customer in a team never gets tickets
    configure(team, AssignmentMode.ROUND_ROBIN, admin_root)
    set_away(amy)
    set_away(ben, Availability.OFFLINE)
    cai.is_active = False
    cai.save(update_fields=["is_active"])
    lonely = submit(alice)
    assert lonely.assignee_id is None  # nobody eligible: it waits in the team's queue
    assert lonely.team_id == team.pk and lonely.status == Status.NEW
    set_away(ben, Availability.AVAILABLE)
    assert submit(alice).assignee_id == ben.pk
    assert submit(alice).assignee_id == ben.pk  # the only one available, turn after turn


def test_it_gives_least_loaded_tickets_to_the_member_with_fewest_active_tickets(
    alice: Any, team: Team, agents: list[Any], admin_root: Any
) -> None:
    amy, ben, cai = sorted(agents, key=lambda a: a.pk)
    configure(team, AssignmentMode.LEAST_LOADED, admin_root)
    # Load from elsewhere counts too: amy has two, ben one, cai none.
    for agent, count in ((amy, 2), (ben, 1)):
        for _i in range(count):
            services.assign_ticket(submit(alice, category="fees"), assignee=agent, actor=agent)
    solved = submit(alice, category="fees")
    services.assign_ticket(solved, assignee=cai, actor=cai)
    services.change_status(solved, Status.SOLVED, actor=cai)  # solved tickets are not load
    picks = [submit(alice).assignee_id for _i in range(6)]
    # The one without active tickets first; then always one of the fewest, the lower user id on a tie.
    assert picks[0] == cai.pk
    loads = Counter({amy.pk: 2, ben.pk: 1, cai.pk: 1})
    for pick in picks[1:]:
        fewest = min(loads.values())
        assert loads[pick] == fewest
        assert pick == min(pk for pk, n in loads.items() if n == fewest)  # ties: the lower user id
        loads[pick] += 1
    assert sorted(loads.values()) == [3, 3, 3]


def test_it_respects_an_agents_cap_of_active_tickets(
    alice: Any, team: Team, agents: list[Any], admin_root: Any
) -> None:
    amy, ben, cai = sorted(agents, key=lambda a: a.pk)
    configure(team, AssignmentMode.ROUND_ROBIN, admin_root)
    setup_services.set_agent_cap(amy, 1, actor=admin_root)
    setup_services.set_agent_cap(ben, 0, actor=admin_root)  # never automatically
    picks = [submit(alice).assignee_id for _i in range(4)]
    assert picks == [amy.pk, cai.pk, cai.pk, cai.pk]
    # Manual assignment is not capped.
    services.assign_ticket(submit(alice, category="fees"), assignee=ben, actor=admin_root)
    assert Ticket.objects.filter(assignee=ben).count() == 1


def test_it_assigns_waiting_tickets_when_someone_becomes_available(
    alice: Any, team: Team, agents: list[Any], admin_root: Any, run_tasks: Any, smtp_server: Any
) -> None:
    *_others, cai = sorted(agents, key=lambda a: a.pk)
    configure(team, AssignmentMode.ROUND_ROBIN, admin_root)
    for agent in agents:
        set_away(agent)
    waiting = [submit(alice, subject=f"Waiting {i}") for i in range(3)]
    assert all(t.assignee_id is None for t in waiting)
    assert services.assign_waiting_tickets() == 0  # still nobody
    run_tasks()
    smtp_server.clear()
    # Becoming available enqueues the queue job at once (and the minute job would do it too).
    set_away(cai, Availability.AVAILABLE)
    run_tasks()
    assigned = Ticket.objects.filter(pk__in=[t.pk for t in waiting])
    assert {t.assignee_id for t in assigned} == {cai.pk}
    assert AuditEvent.objects.filter(verb="ticket.routed", data__source="queue").count() == 3
    mails = smtp_server.to(cai.email)
    assert len(mails) == 3 and all("assigned to you" in m.subject for m in mails)
    assert services.assign_waiting_tickets() == 0  # nothing left: idempotent


def test_it_routes_a_ticket_moved_to_another_team_without_an_assignee(
    alice: Any, agent_sam: Any, team: Team, agents: list[Any], admin_root: Any, run_tasks: Any, smtp_server: Any
) -> None:
    configure(team, AssignmentMode.LEAST_LOADED, admin_root, categories=())
    ticket = submit(alice, category="fees")
    assert ticket.team_id is None
    services.assign_ticket(ticket, assignee=None, team=team, actor=agent_sam)
    ticket.refresh_from_db()
    first = min(agents, key=lambda a: a.pk)
    assert ticket.assignee_id == first.pk and ticket.team_id == team.pk
    run_tasks()
    assert len(smtp_server.to(first.email)) == 1
    # An explicit assignee wins over the team's mode.
    other = submit(alice, category="fees")
    services.assign_ticket(other, assignee=agent_sam, team=team, actor=agent_sam)
    other.refresh_from_db()
    assert other.assignee_id == agent_sam.pk


def test_it_routes_a_guest_ticket_only_once_it_is_confirmed(team: Team, agents: list[Any], admin_root: Any) -> None:
    configure(team, AssignmentMode.ROUND_ROBIN, admin_root)
    held = services.submit_guest_ticket(
        "guest@example.com", services.TicketInput(subject="Stuck", body="Help", category="withdrawal")
    )
    assert held is not None and held.team_id is None and held.assignee_id is None
    assert services.assign_waiting_tickets() == 0  # held tickets are in no queue
    confirmed = services.confirm_guest_ticket(services.guest_confirmation_token(held))
    assert confirmed.team_id == team.pk and confirmed.assignee_id is not None


def test_it_leaves_tickets_in_manual_teams_alone(alice: Any, team: Team, admin_root: Any) -> None:
    configure(team, AssignmentMode.MANUAL, admin_root)
    ticket = submit(alice)
    assert services.assign_waiting_tickets() == 0
    ticket.refresh_from_db()
    assert ticket.assignee_id is None


def test_it_routes_through_one_entry_point_with_a_given_team(
    alice: Any, team: Team, agents: list[Any], admin_root: Any
) -> None:
    # What the answer bot's triage (issue #5) will call with its suggestion.
    configure(team, AssignmentMode.ROUND_ROBIN, admin_root, categories=())
    ticket = submit(alice, category="other")
    routed = services.route_ticket(ticket, team=team, source="triage")
    assert routed.team_id == team.pk and routed.assignee_id is not None
    assert AuditEvent.objects.get(verb="ticket.routed", target_ref=ticket.ref).data["source"] == "triage"
    # Routing again changes nothing: the ticket has its team and its assignee.
    assert services.route_ticket(routed, team=team).assignee_id == routed.assignee_id
    assert AuditEvent.objects.filter(verb="ticket.routed", target_ref=ticket.ref).count() == 1
