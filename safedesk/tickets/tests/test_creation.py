"""Creating a ticket writes each row once: the new ticket's reference is checked by the unique
constraint (a taken one is drawn again, the whole attempt rolled back), the new row is routed
without being read and locked again, and the API answers the creation with exactly what reading
the ticket afterwards shows, in fewer queries than before (budgets below)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from safedesk.accounts.models import Role, Team, User
from safedesk.accounts.services import add_team_member, create_team
from safedesk.audit.models import AuditEvent
from safedesk.lib import ids
from safedesk.tickets import services, setup_services
from safedesk.tickets.models import AssignmentMode, Message, Ticket

pytestmark = pytest.mark.django_db

URL = "/api/v1/tickets"
TX = "0x" + "ef" * 32
JSON = "application/json"

# Guest form, a new address: the address's account (a savepoint around its INSERT), the
# ticket, its first message, the two audit events (one INSERT), the confirmation job; BEGIN and
# COMMIT.
GUEST_NEW_ADDRESS = 10
# Customer API: the user (the session comes from the cache); the ticket, its message, the audit
# event, the email job and the team of its category, inside BEGIN and COMMIT; then the answer's
# messages and their files.
API_CUSTOMER = 10


@pytest.fixture
def round_robin_team(admin_root: Any, make_user: Callable[..., Any]) -> Team:
    team = create_team(name="Withdrawals", actor=admin_root)
    add_team_member(team, make_user("amy", Role.AGENT), actor=admin_root)
    setup_services.save_team_settings(
        team, calendar=None, assignment_mode=AssignmentMode.ROUND_ROBIN, categories=["withdrawal"], actor=admin_root
    )
    return team


def _same_as_a_read(client: Client, payload: dict[str, Any]) -> dict[str, Any]:
    response = client.post(URL, payload, content_type=JSON)
    assert response.status_code == 201, response.content
    created = response.json()
    read = client.get(f"{URL}/{created['ref']}")
    assert read.status_code == 200
    assert created == read.json()
    return dict(created)


def test_it_answers_a_customers_new_ticket_as_reading_it_shows(
    alice: Any, round_robin_team: Team, login: Callable[..., Client]
) -> None:
    client = login(alice)
    routed = _same_as_a_read(client, {"subject": "Withdrawal stuck", "body": "Since Monday.", "category": "withdrawal"})
    # Routed and assigned on creation: the customer sees the status change, not the assignment.
    assert routed["status"] == "open" and routed["assignee"] is not None
    assert [m["event"] for m in routed["messages"]] == ["", "status_changed"]
    linked = _same_as_a_read(client, {"subject": "Deposit missing", "body": "Not credited.", "chain_links": [TX]})
    assert linked["chain_links"] == [{"kind": "tx", "network": "evm", "value": TX}] and linked["team"] is None
    blank = _same_as_a_read(client, {"subject": "Fees", "body": "Why?", "chain_links": ["  "]})
    assert blank["chain_links"] == []


def test_it_answers_an_agents_new_ticket_as_reading_it_shows(
    alice: Any, agent_sam: Any, round_robin_team: Team, login: Callable[..., Client]
) -> None:
    client = login(agent_sam)
    body = _same_as_a_read(
        client,
        {
            "subject": "Phone call",
            "body": "Withdrawal stuck.",
            "category": "withdrawal",
            "tags": ["phone"],
            "chain_links": TX,
            "requester_email": "alice@example.com",
        },
    )
    assert body["team"] == "Withdrawals" and body["requester_email"] == "alice@example.com"
    assert [m["event"] for m in body["messages"]] == ["", "status_changed", "assigned"]


def test_it_draws_a_taken_reference_again(alice: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    taken = services.submit_ticket(alice, services.TicketInput(subject="First", body="One."))
    drawn = iter([taken.ref, taken.ref, "T-NEWREF01"])
    monkeypatch.setattr(services, "new_ref", lambda prefix: next(drawn))
    before = AuditEvent.objects.count(), Message.objects.count(), User.objects.count()
    ticket = services.submit_guest_ticket("newcomer@example.com", services.TicketInput(subject="Hi", body="Two."))
    assert ticket is not None and ticket.ref == "T-NEWREF01"
    # The failed attempts left nothing: one account, one ticket, one message and two events.
    assert User.objects.count() == before[2] + 1
    assert Message.objects.count() == before[1] + 1
    assert AuditEvent.objects.count() == before[0] + 2
    assert Ticket.objects.filter(ref=taken.ref).count() == 1


def test_a_known_guests_ticket_is_one_write_and_a_taken_reference_is_drawn_again(
    alice: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A guest address seen before: the ticket, its message, its audit event and its job are
    written together (on PostgreSQL one statement per attempt, `lib.db.inserts_together`); an
    attempt whose reference is taken leaves nothing and the next reference is used."""
    from django_tasks_db.models import DBTaskResult

    first = services.submit_guest_ticket("repeat@example.com", services.TicketInput(subject="Hi", body="One."))
    assert first is not None
    taken = services.submit_ticket(alice, services.TicketInput(subject="Taken", body="Ref."))
    drawn = iter([taken.ref, "T-NEWREF02"])
    monkeypatch.setattr(services, "new_ref", lambda prefix: next(drawn))

    def counts() -> tuple[int, ...]:
        return Ticket.objects.count(), Message.objects.count(), AuditEvent.objects.count(), DBTaskResult.objects.count()

    before = counts()
    with CaptureQueriesContext(connection) as ctx:
        again = services.submit_guest_ticket("repeat@example.com", services.TicketInput(subject="Hi", body="Two."))
    assert again is not None and again.ref == "T-NEWREF02" and again.requester_id == first.requester_id
    assert counts() == (before[0] + 1, before[1] + 1, before[2] + 1, before[3] + 1)
    assert Message.objects.get(ticket=again).body == "Two."
    writes = [q["sql"] for q in ctx.captured_queries if not q["sql"].startswith(("SELECT", "SAVEPOINT", "RELEASE"))]
    if connection.vendor == "postgresql":
        # The failed attempt's statement, rolled back to its savepoint, then the one that wrote.
        assert [w[:5] for w in writes if not w.startswith("ROLLBACK")] == ["WITH ", "WITH "]
    else:
        assert sum(w.startswith("INSERT") for w in writes) == 1 + 4  # the failed ticket INSERT, then four


def test_it_gives_up_after_five_taken_references(alice: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    from django.db import IntegrityError

    taken = services.submit_ticket(alice, services.TicketInput(subject="First", body="One."))
    monkeypatch.setattr(services, "new_ref", lambda prefix: taken.ref)
    before = Ticket.objects.count(), AuditEvent.objects.count()
    with pytest.raises(IntegrityError):
        services.submit_ticket(alice, services.TicketInput(subject="Second", body="Two."))
    assert (Ticket.objects.count(), AuditEvent.objects.count()) == before


def test_it_draws_references_from_the_whole_alphabet() -> None:
    refs = {ids.new_ref("T") for _ in range(2000)}
    assert len(refs) == 2000
    assert all(len(r) == 10 and r.startswith("T-") and set(r[2:]) <= set(ids.ALPHABET) for r in refs)
    assert set("".join(r[2:] for r in refs)) == set(ids.ALPHABET)


def test_it_creates_tickets_within_the_query_budgets(
    alice: Any, login: Callable[..., Client], client: Client, settings: Any
) -> None:
    settings.SAFEDESK_TICKET_RATE_PER_HOUR = 1000
    # The first ticket of a process reads the SLA set-up (kept until it changes).
    client.post("/tickets/new/", {"email": "warm-up@example.com", "subject": "Hi", "body": "Help."})
    with CaptureQueriesContext(connection) as ctx:
        response = client.post("/tickets/new/", {"email": "first-time@example.com", "subject": "Hi", "body": "Help."})
    assert response.status_code == 303 and Ticket.objects.filter(requester__email="first-time@example.com").exists()
    assert len(ctx.captured_queries) == GUEST_NEW_ADDRESS, "\n".join(q["sql"][:60] for q in ctx.captured_queries)
    customer = login(alice)
    customer.get(URL)  # the session is read into the cache once
    with CaptureQueriesContext(connection) as ctx:
        response = customer.post(URL, {"subject": "Deposit", "body": "Missing."}, content_type=JSON)
    assert response.status_code == 201
    assert len(ctx.captured_queries) == API_CUSTOMER
