"""Agent availability: switched in the console header (POST, audited), shown in the assignment
picker, and the teams page where supervisors see who is available and how loaded."""

from __future__ import annotations

from typing import Any

import pytest

from safedesk.accounts.models import Availability, Role, User
from safedesk.accounts.services import add_team_member, create_team
from safedesk.audit.models import AuditEvent
from safedesk.tickets import services, setup_services

pytestmark = pytest.mark.django_db


def state(user: Any) -> str:
    return str(User.objects.get(pk=user.pk).availability)


def audits() -> int:
    return AuditEvent.objects.filter(verb="accounts.availability_changed").count()


def test_it_switches_ones_own_availability_from_the_header(agent_sam: Any, login: Any) -> None:
    client = login(agent_sam)
    page = client.get("/agent/tickets/").content.decode()
    assert 'action="/agent/availability/"' in page and 'data-availability="available"' in page
    response = client.post("/agent/availability/", {"availability": "away", "next": "/agent/tickets/?view=all"})
    assert response.status_code == 303 and response["Location"] == "/agent/tickets/?view=all"
    assert state(agent_sam) == Availability.AWAY
    event = AuditEvent.objects.get(verb="accounts.availability_changed")
    assert event.data == {"from": "available", "to": "away"} and event.actor_id == agent_sam.pk
    assert 'data-availability="away"' in client.get("/agent/tickets/").content.decode()
    # The same state again is no change and no audit event.
    client.post("/agent/availability/", {"availability": "away"})
    assert audits() == 1


def test_it_refuses_bad_switches_and_changes_nothing(agent_sam: Any, alice: Any, make_user: Any, login: Any) -> None:
    other = make_user("olga", Role.AGENT)
    client = login(agent_sam)
    assert client.get("/agent/availability/").status_code == 405
    response = client.post("/agent/availability/", {"availability": "asleep"})
    assert response.status_code == 400 and 'data-code="invalid_availability"' in response.content.decode()
    # An agent cannot switch anyone else (a made-up id alike); a supervisor's made-up or customer
    # id is not found; an off-site next is ignored.
    assert (
        client.post("/agent/availability/", {"availability": "offline", "agent": str(other.public_id)}).status_code
        == 403
    )
    assert client.post("/agent/availability/", {"availability": "offline", "agent": "nope"}).status_code == 403
    supervisor = login(make_user("sue", Role.SUPERVISOR))
    assert supervisor.post("/agent/availability/", {"availability": "offline", "agent": "nope"}).status_code == 404
    assert (
        supervisor.post("/agent/availability/", {"availability": "offline", "agent": str(alice.public_id)}).status_code
        == 404
    )
    assert login(alice).post("/agent/availability/", {"availability": "away"}).status_code == 403
    assert (state(agent_sam), state(other), audits()) == ("available", "available", 0)
    response = client.post("/agent/availability/", {"availability": "offline", "next": "https://evil.example/"})
    assert response["Location"] == "/agent/tickets/"


def test_it_lets_a_supervisor_switch_a_member_who_left(agent_sam: Any, supervisor_ada: Any, login: Any) -> None:
    response = login(supervisor_ada).post(
        "/agent/availability/", {"availability": "offline", "agent": str(agent_sam.public_id)}
    )
    assert response.status_code == 303
    assert state(agent_sam) == Availability.OFFLINE
    assert AuditEvent.objects.get(verb="accounts.availability_changed").actor_id == supervisor_ada.pk


def test_it_shows_availability_in_the_assignment_picker(alice: Any, agent_sam: Any, make_user: Any, login: Any) -> None:
    away = make_user("amos", Role.AGENT)
    services.set_availability(away, "away", actor=away)
    ticket = services.submit_ticket(alice, services.TicketInput(subject="Help", body="Please."))
    page = login(agent_sam).get(f"/agent/tickets/{ticket.ref}/").content.decode()
    assert f'value="{away.public_id}" data-availability="away"' in page
    assert f"{away.email} · Away" in page


def test_it_shows_supervisors_each_teams_availability_and_load(
    alice: Any,
    agent_sam: Any,
    supervisor_ada: Any,
    admin_root: Any,
    make_user: Any,
    login: Any,
    django_assert_max_num_queries: Any,
) -> None:
    for t in range(3):
        team = create_team(name=f"Team {t}", actor=admin_root)
        for i in range(4):
            member = make_user(f"m{t}{i}", Role.AGENT)
            add_team_member(team, member, actor=admin_root)
            if i == 0:
                services.set_availability(member, "offline", actor=member)
                setup_services.set_agent_cap(member, 5, actor=admin_root)
        add_team_member(team, agent_sam, actor=admin_root)
    for _i in range(2):
        ticket = services.submit_ticket(alice, services.TicketInput(subject="Load", body="x"))
        services.assign_ticket(ticket, assignee=agent_sam, actor=agent_sam)
    assert login(agent_sam).get("/agent/teams/").status_code == 403  # supervisors and admins only
    client = login(supervisor_ada)
    with django_assert_max_num_queries(12):
        page = client.get("/agent/teams/")
    html = page.content.decode()
    assert page.status_code == 200
    assert html.count("presence-offline") == 3 and html.count("presence-available") == 12
    row = html[html.index(f'data-member="{agent_sam.public_id}"') :]
    assert "<td>2</td>" in row[:400]
