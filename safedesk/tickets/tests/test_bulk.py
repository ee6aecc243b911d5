"""Bulk actions from the inbox and the API: each ticket through its own service verb and checks,
one outcome and one audit event per changed ticket, a capped batch, and a refused batch that
changes nothing."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client

from safedesk.accounts.models import Team
from safedesk.audit.models import AuditEvent
from safedesk.lib.errors import InvalidInput
from safedesk.tickets import services
from safedesk.tickets.models import Message, Status, Ticket

pytestmark = pytest.mark.django_db
API = "/api/v1/tickets/bulk"


def _tickets(user: Any, count: int) -> list[Ticket]:
    return [
        services.submit_ticket(user, services.TicketInput(subject=f"Request {i}", body="Please help."))
        for i in range(count)
    ]


def _state() -> tuple[Any, ...]:
    rows = tuple(Ticket.objects.order_by("id").values_list("status", "assignee_id", "team_id", "tags"))
    return rows, Message.objects.count(), AuditEvent.objects.count()


def test_it_assigns_the_checked_tickets_from_the_inbox(
    alice: Any, agent_sam: Any, login: Callable[..., Client]
) -> None:
    first, second, untouched = _tickets(alice, 3)
    team = Team.objects.create(name="Withdrawals")
    client = login(agent_sam)
    page = client.get("/agent/tickets/?view=all").content.decode()
    assert f'name="tickets" value="{first.ref}"' in page and "data-select-page" in page
    audits = AuditEvent.objects.count()
    response = client.post(
        "/agent/tickets/bulk/",
        {
            "tickets": [first.ref, second.ref],
            "action": "assign",
            "assignee": "me",
            "team": str(team.public_id),
            "back": "?view=all",
        },
    )
    assert response.status_code == 200
    body = response.content.decode()
    assert (
        f'data-ref="{first.ref}" data-outcome="done"' in body and f'data-ref="{second.ref}" data-outcome="done"' in body
    )
    assert 'href="/agent/tickets/?view=all"' in body
    for ticket in (first, second):
        ticket.refresh_from_db()
        assert ticket.assignee == agent_sam and ticket.team == team and ticket.status == Status.OPEN
    assert Ticket.objects.get(pk=untouched.pk).assignee is None
    # One audit event per changed ticket (the assignment verb's own).
    assert AuditEvent.objects.count() - audits == 2
    assert set(AuditEvent.objects.filter(verb="ticket.assigned").values_list("target_ref", flat=True)) == {
        first.ref,
        second.ref,
    }


def test_it_applies_an_action_to_the_whole_page(alice: Any, agent_sam: Any, login: Callable[..., Client]) -> None:
    tickets = _tickets(alice, 4)
    response = login(agent_sam).post(
        "/agent/tickets/bulk/",
        {
            "scope": "page",
            "page": [t.ref for t in tickets],
            "tickets": [tickets[0].ref],
            "action": "add_tag",
            "tag": "VIP client",
        },
    )
    assert response.status_code == 200
    assert all(Ticket.objects.get(pk=t.pk).tags == ["vip-client"] for t in tickets)


def test_it_reports_each_tickets_outcome_and_goes_on_after_a_refusal(
    alice: Any, agent_sam: Any, login: Callable[..., Client]
) -> None:
    new, solved, already = _tickets(alice, 3)
    services.change_status(solved, Status.SOLVED, actor=agent_sam)
    services.change_status(solved, Status.CLOSED, actor=agent_sam)
    services.change_status(already, Status.PENDING, actor=agent_sam)
    outcomes = services.bulk_update(
        services.BulkInput(
            tickets=[new.ref, solved.ref, already.ref, "T-NOTREAL1", new.ref.lower()], action="status", status="pending"
        ),
        actor=agent_sam,
    )
    assert [(o.ref, o.outcome, o.code) for o in outcomes] == [
        (new.ref, "done", ""),
        (solved.ref, "refused", "invalid_transition"),
        (already.ref, "unchanged", ""),
        ("T-NOTREAL1", "refused", "not_found"),
    ]
    assert Ticket.objects.get(pk=new.pk).status == Status.PENDING
    assert Ticket.objects.get(pk=solved.pk).status == Status.CLOSED
    # The page shows the reason of each refusal.
    response = login(agent_sam).post(
        "/agent/tickets/bulk/", {"tickets": [solved.ref, new.ref], "action": "status", "status": "open"}
    )
    body = response.content.decode()
    assert response.status_code == 200 and 'data-code="invalid_transition"' in body
    assert "A ticket cannot go from Closed to Open." in body


def test_it_adds_and_removes_tags_without_losing_others(alice: Any, agent_sam: Any) -> None:
    first, second = _tickets(alice, 2)
    services.update_fields(first, tags="kyc, vip", actor=agent_sam)
    services.bulk_update(
        services.BulkInput(tickets=[first.ref, second.ref], action="add_tag", tag="Phishing"), actor=agent_sam
    )
    assert Ticket.objects.get(pk=first.pk).tags == ["kyc", "vip", "phishing"]
    assert Ticket.objects.get(pk=second.pk).tags == ["phishing"]
    outcomes = services.bulk_update(
        services.BulkInput(tickets=[first.ref, second.ref], action="remove_tag", tag="vip"), actor=agent_sam
    )
    assert [o.outcome for o in outcomes] == ["done", "unchanged"]
    assert Ticket.objects.get(pk=first.pk).tags == ["kyc", "phishing"]


def test_it_refuses_a_bad_or_oversized_batch_and_changes_nothing(
    alice: Any, agent_sam: Any, login: Callable[..., Client]
) -> None:
    tickets = _tickets(alice, 2)
    refs = [t.ref for t in tickets]
    client = login(agent_sam)
    before = _state()
    too_many = [f"T-{i:08d}" for i in range(services.MAX_BULK)] + refs
    cases = [
        ({"tickets": too_many, "action": "status", "status": "pending"}, "too_many_tickets"),
        ({"action": "status", "status": "pending"}, "no_tickets"),
        ({"tickets": refs, "action": "delete"}, "invalid_action"),
        ({"tickets": refs, "action": "status", "status": "archived"}, "invalid_status"),
        ({"tickets": refs, "action": "assign", "assignee": str(alice.public_id)}, "invalid_choice"),
        ({"tickets": refs, "action": "assign", "assignee": "nonsense"}, "invalid_choice"),
        ({"tickets": refs, "action": "assign", "team": "00000000-0000-0000-0000-000000000000"}, "invalid_choice"),
        ({"tickets": refs, "action": "add_tag", "tag": ""}, "invalid_tag"),
    ]
    for data, code in cases:
        response = client.post("/agent/tickets/bulk/", data)
        assert response.status_code == 400, data
        assert f'data-code="{code}"' in response.content.decode(), data
        api = client.post(API, data, content_type="application/json")
        assert api.status_code == 400 and api.json()["code"] == code, (data, api.content)
    with pytest.raises(InvalidInput):
        services.bulk_update(services.BulkInput(tickets=[1, 2], action="status", status="open"), actor=agent_sam)
    assert _state() == before
    assert client.get("/agent/tickets/bulk/").status_code == 405


def test_it_lets_no_customer_run_bulk_actions(alice: Any, mallory: Any, login: Callable[..., Client]) -> None:
    tickets = _tickets(alice, 2)
    client = login(mallory)
    before = _state()
    data = {"tickets": [t.ref for t in tickets], "action": "status", "status": "closed"}
    assert client.post("/agent/tickets/bulk/", data).status_code == 403
    response = client.post(API, data, content_type="application/json")
    assert response.status_code == 403 and response.json()["code"] == "permission_denied"
    # Nor the owner: closing many at once is an agent's tool.
    assert login(alice).post(API, data, content_type="application/json").status_code == 403
    assert _state() == before
    assert Client().post(API, data, content_type="application/json").status_code == 401


def test_it_runs_the_same_rules_through_the_api(alice: Any, agent_sam: Any, login: Callable[..., Client]) -> None:
    new, closed = _tickets(alice, 2)
    services.change_status(closed, Status.SOLVED, actor=agent_sam)
    services.change_status(closed, Status.CLOSED, actor=agent_sam)
    held = services.submit_guest_ticket("guest@example.com", services.TicketInput(subject="Held", body="b"))
    assert held is not None
    response = login(agent_sam).post(
        API,
        {"tickets": [new.ref, closed.ref, held.ref], "action": "status", "status": "solved"},
        content_type="application/json",
    )
    assert response.status_code == 200, response.content
    assert response.json()["results"] == [
        {"ref": new.ref, "outcome": "done", "code": "", "message": ""},
        {
            "ref": closed.ref,
            "outcome": "refused",
            "code": "invalid_transition",
            "message": "A ticket cannot go from Closed to Solved.",
        },
        # A ticket the agent cannot see answers exactly like one that does not exist.
        {"ref": held.ref, "outcome": "refused", "code": "not_found", "message": "Nothing was found at this address."},
    ]
    assert Ticket.objects.get(pk=new.pk).status == Status.SOLVED
    assert Ticket.objects.get(pk=held.pk).status == Status.NEW


def test_it_keeps_the_queries_of_a_bulk_action_proportional_to_its_tickets(
    alice: Any, agent_sam: Any, login: Callable[..., Client], django_assert_max_num_queries: Any
) -> None:
    tickets = _tickets(alice, 10)
    client = login(agent_sam)
    # Each ticket: read it, lock it, write it, its event and audit row; no query per other ticket.
    with django_assert_max_num_queries(10 + 10 * 9):
        response = client.post(
            "/agent/tickets/bulk/", {"tickets": [t.ref for t in tickets], "action": "add_tag", "tag": "batch"}
        )
    assert response.status_code == 200
