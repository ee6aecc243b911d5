"""The tickets REST API (/api/v1/tickets): every verb as a customer and as an agent, isolation
between customers, the error shapes, keyset pages and the query budget."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from django.test import Client

from safedesk.tickets import services
from safedesk.tickets.api import TicketPage, TicketSummary
from safedesk.tickets.models import Appeal, ChainLink, Message, Status, Ticket

URL = "/api/v1/tickets"
TX = "0x" + "ab" * 32
JSON = "application/json"


def _ticket(user: Any, subject: str = "I cannot withdraw", **extra: Any) -> Ticket:
    return services.submit_ticket(user, services.TicketInput(subject=subject, body="Please help.", **extra))


def _solve(ticket: Ticket, agent: Any) -> Ticket:
    return services.change_status(ticket, Status.SOLVED, actor=agent)


def _post(client: Client, path: str, data: Any) -> Any:
    return client.post(path, data, content_type=JSON)


def _keys(value: Any) -> Iterator[tuple[str, Any]]:
    if isinstance(value, dict):
        for key, item in value.items():
            yield key, item
            yield from _keys(item)
    elif isinstance(value, list):
        for item in value:
            yield from _keys(item)


def _assert_no_integer_ids(body: Any) -> None:
    for key, value in _keys(body):
        assert key != "id", body
        if key.endswith("id") or key.endswith("_pk"):
            assert not isinstance(value, int), (key, value)


def _state() -> tuple[int, int, int, int]:
    return Ticket.objects.count(), Message.objects.count(), Appeal.objects.count(), ChainLink.objects.count()


# ---- customers ---------------------------------------------------------------------------------


def test_it_lets_a_customer_create_list_and_read_a_ticket(alice: Any, login: Callable[..., Client]) -> None:
    client = login(alice)
    response = _post(
        client,
        URL,
        {
            "subject": "  Withdrawal   stuck ",
            "body": "My withdrawal has been pending for two days.",
            "category": "withdrawal",
            "language": "en",
            "priority": "urgent",  # customers do not choose their priority: ignored
            "tags": ["vip"],  # nor tags
            "chain_links": [TX],
        },
    )
    assert response.status_code == 201, response.content
    created = response.json()
    assert created["ref"].startswith("T-") and created["subject"] == "Withdrawal stuck"
    assert created["status"] == "new" and created["priority"] == "normal" and created["tags"] == []
    assert created["channel"] == "api" and created["category"] == "withdrawal" and created["language"] == "en"
    assert created["requester"] == str(alice.public_id) and created["requester_email"] is None
    assert created["assignee"] is None and created["rating"] is None and created["appeals"] == []
    assert created["chain_links"] == [{"kind": "tx", "network": "evm", "value": TX}]
    [message] = created["messages"]
    assert message["kind"] == "public" and message["body"].startswith("My withdrawal")
    assert message["author"] == str(alice.public_id) and message["from_staff"] is False
    ticket = Ticket.objects.get(ref=created["ref"])
    assert ticket.requester == alice and ticket.channel == "api"

    listed = client.get(URL).json()
    assert [t["ref"] for t in listed["results"]] == [created["ref"]] and listed["next_after"] is None
    item = listed["results"][0]
    assert set(item) == {
        "ref",
        "subject",
        "status",
        "priority",
        "category",
        "language",
        "channel",
        "created_at",
        "updated_at",
        "assignee",
        "requester",
        "requester_email",
    }
    detail = client.get(f"{URL}/{created['ref']}").json()
    assert detail["ref"] == created["ref"] and len(detail["messages"]) == 1


def test_it_ignores_staff_filters_for_customers(alice: Any, bob: Any, login: Callable[..., Client]) -> None:
    mine = _ticket(alice)
    _ticket(bob)
    body = login(alice).get(URL, {"view": "nonsense", "status": "solved", "priority": "urgent", "q": "x"}).json()
    assert [t["ref"] for t in body["results"]] == [mine.ref]


def test_it_lets_a_customer_reply_close_reopen_rate_and_appeal(
    alice: Any, agent_sam: Any, login: Callable[..., Client]
) -> None:
    ticket = _ticket(alice)
    client = login(alice)
    response = _post(client, f"{URL}/{ticket.ref}/replies", {"body": "Any news?"})
    assert response.status_code == 201
    reply = response.json()
    assert reply["kind"] == "public" and reply["body"] == "Any news?" and reply["author"] == str(alice.public_id)

    # Rating and appealing wait until the request is solved.
    assert _post(client, f"{URL}/{ticket.ref}/rating", {"score": 5}).json()["code"] == "not_solved"
    assert _post(client, f"{URL}/{ticket.ref}/appeal", {"reason": "x"}).json()["code"] == "not_solved"

    _solve(ticket, agent_sam)
    response = _post(client, f"{URL}/{ticket.ref}/status", {"status": "open"})
    assert response.status_code == 200 and response.json()["status"] == "open"
    response = _post(client, f"{URL}/{ticket.ref}/status", {"status": "closed"})
    assert response.status_code == 200 and response.json()["status"] == "closed"
    assert response.json()["closed_at"] is not None

    response = _post(client, f"{URL}/{ticket.ref}/rating", {"score": 2, "comment": "Slow."})
    assert response.status_code == 200
    assert response.json()["rating"]["score"] == 2 and response.json()["rating"]["comment"] == "Slow."
    ticket.refresh_from_db()
    assert ticket.rating == 2

    response = _post(client, f"{URL}/{ticket.ref}/appeal", {"reason": "Nobody checked my transaction."})
    assert response.status_code == 201
    appeal = response.json()
    assert appeal["status"] == "open" and appeal["reason"] == "Nobody checked my transaction."
    assert Appeal.objects.get(public_id=appeal["public_id"]).ticket == ticket
    again = _post(client, f"{URL}/{ticket.ref}/appeal", {"reason": "Again."})
    assert again.status_code == 409 and again.json()["code"] == "appeal_open"

    events = [m["event"] for m in client.get(f"{URL}/{ticket.ref}").json()["messages"] if m["kind"] == "event"]
    assert events == ["status_changed", "status_changed", "status_changed", "rated", "appealed"]


def test_it_lets_a_customer_only_close_or_reopen(alice: Any, agent_sam: Any, login: Callable[..., Client]) -> None:
    ticket = _ticket(alice)
    client = login(alice)
    for status in ("solved", "pending", "on_hold", "bogus"):
        response = _post(client, f"{URL}/{ticket.ref}/status", {"status": status})
        assert response.status_code == 403 and response.json()["code"] == "permission_denied"
    # "open" reopens only a solved request.
    response = _post(client, f"{URL}/{ticket.ref}/status", {"status": "open"})
    assert response.status_code == 409 and response.json()["code"] == "reopen_window_passed"
    ticket.refresh_from_db()
    assert ticket.status == Status.NEW


def test_it_never_shows_internal_notes_to_customers(alice: Any, agent_sam: Any, login: Callable[..., Client]) -> None:
    ticket = _ticket(alice)
    agent = login(agent_sam)
    response = _post(agent, f"{URL}/{ticket.ref}/replies", {"body": "Looks like a phishing victim.", "internal": True})
    assert response.status_code == 201 and response.json()["kind"] == "internal"
    response = _post(agent, f"{URL}/{ticket.ref}/replies", {"body": "We are checking your transfer."})
    assert response.status_code == 201 and response.json()["from_staff"] is True

    staff_view = agent.get(f"{URL}/{ticket.ref}").json()
    assert "internal" in [m["kind"] for m in staff_view["messages"]]
    customer = login(alice)
    raw = customer.get(f"{URL}/{ticket.ref}").content.decode()
    assert "phishing" not in raw and "We are checking your transfer." in raw
    assert "internal" not in [m["kind"] for m in customer.get(f"{URL}/{ticket.ref}").json()["messages"]]

    # Nor can a customer write one.
    response = _post(customer, f"{URL}/{ticket.ref}/replies", {"body": "sneaky", "internal": True})
    assert response.status_code == 403 and response.json()["code"] == "permission_denied"
    assert not Message.objects.filter(body="sneaky").exists()


# ---- staff -------------------------------------------------------------------------------------


def test_it_lets_an_agent_create_a_ticket_for_a_customer(
    alice: Any, agent_sam: Any, login: Callable[..., Client]
) -> None:
    client = login(agent_sam)
    payload = {
        "subject": "Phone call: account frozen",
        "body": "Customer called about a frozen account.",
        "category": "frozen_assets",
        "priority": "high",
        "tags": ["phone", "Frozen Assets"],
        "requester_email": "ALICE@example.com",
    }
    response = _post(client, URL, payload)
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["channel"] == "agent" and body["priority"] == "high" and body["tags"] == ["phone", "frozen-assets"]
    assert body["requester"] == str(alice.public_id) and body["requester_email"] == "alice@example.com"
    assert body["messages"][0]["author"] == str(agent_sam.public_id)
    assert Ticket.objects.get(ref=body["ref"]).requester == alice

    # Numbers work for the priority too; a new address gets a customer account.
    response = _post(client, URL, {**payload, "priority": 4, "requester_email": "newcomer@example.com"})
    assert response.status_code == 201 and response.json()["priority"] == "urgent"

    before = _state()
    response = _post(client, URL, {k: v for k, v in payload.items() if k != "requester_email"})
    assert response.status_code == 400 and response.json()["code"] == "requester_email_required"
    response = _post(client, URL, {**payload, "requester_email": "not an address"})
    assert response.status_code == 400 and response.json()["code"] == "invalid_email"
    response = _post(client, URL, {**payload, "priority": "whenever"})
    assert response.status_code == 400 and response.json()["code"] == "invalid_priority"
    assert _state() == before


def test_it_lists_the_inbox_for_staff(alice: Any, bob: Any, agent_sam: Any, login: Callable[..., Client]) -> None:
    first = _ticket(alice, "Deposit missing")
    second = _ticket(bob, "Two-factor reset")
    services.update_fields(second, actor=agent_sam, priority="urgent", tags=["2fa"])
    solved = _solve(_ticket(bob, "Solved already"), agent_sam)
    client = login(agent_sam)

    body = client.get(URL).json()  # view "all", the active statuses
    assert [t["ref"] for t in body["results"]] == [second.ref, first.ref]
    # The list is rendered without validation: it must still be exactly what its schema says.
    mine = login(alice).get(URL).json()
    assert [t["ref"] for t in mine["results"]] == [first.ref]
    for page in (body, mine):
        TicketPage.model_validate(page)
        assert set(page) == set(TicketPage.model_fields)
        assert all(set(row) == set(TicketSummary.model_fields) for row in page["results"])
    by_ref = {t["ref"]: t for t in body["results"]}
    assert by_ref[first.ref]["requester_email"] == "alice@example.com"
    assert by_ref[second.ref]["requester"] == str(bob.public_id) and by_ref[second.ref]["priority"] == "urgent"

    def refs(**params: Any) -> list[str]:
        response = client.get(URL, params)
        assert response.status_code == 200, response.content
        return [t["ref"] for t in response.json()["results"]]

    assert refs(priority="urgent") == [second.ref]
    assert refs(priority=4) == [second.ref]
    assert refs(tag="2fa") == [second.ref]
    assert refs(status="solved") == [solved.ref]
    assert refs(status=["new", "solved"]) == [solved.ref, second.ref, first.ref]
    assert refs(q="deposit") == [first.ref]
    assert refs(q=first.ref) == [first.ref]
    assert refs(view="mine") == []
    assert refs(view="unassigned") == [second.ref, first.ref]
    bad: list[tuple[dict[str, Any], str]] = [
        ({"view": "everything"}, "invalid_view"),
        ({"status": "lost"}, "invalid_status"),
        ({"priority": "whenever"}, "invalid_priority"),
        ({"category": "nope"}, "invalid_category"),
        ({"assignee": "not-a-uuid"}, "invalid_filter"),
        ({"limit": 0}, "invalid_limit"),
        ({"limit": "many"}, "invalid_limit"),
    ]
    for params, code in bad:
        response = client.get(URL, params)
        assert response.status_code == 400 and response.json()["code"] == code, (params, response.content)


def test_it_lets_an_agent_reply_and_change_the_status(alice: Any, agent_sam: Any, login: Callable[..., Client]) -> None:
    ticket = _ticket(alice)
    client = login(agent_sam)
    response = _post(client, f"{URL}/{ticket.ref}/replies", {"body": "We are on it."})
    assert response.status_code == 201
    ticket.refresh_from_db()
    assert ticket.status == Status.OPEN and ticket.first_response_at is not None

    response = _post(client, f"{URL}/{ticket.ref}/status", {"status": "pending"})
    assert response.status_code == 200 and response.json()["status"] == "pending"
    response = _post(client, f"{URL}/{ticket.ref}/status", {"status": "solved"})
    assert response.status_code == 200 and response.json()["solved_at"] is not None

    before = _state()
    response = _post(client, f"{URL}/{ticket.ref}/status", {"status": "pending"})
    assert response.status_code == 409 and response.json()["code"] == "invalid_transition"
    response = _post(client, f"{URL}/{ticket.ref}/status", {"status": "lost"})
    assert response.status_code == 400 and response.json()["code"] == "invalid_status"
    # Only the requester rates or appeals.
    response = _post(client, f"{URL}/{ticket.ref}/rating", {"score": 5})
    assert response.status_code == 403 and response.json()["code"] == "permission_denied"
    response = _post(client, f"{URL}/{ticket.ref}/appeal", {"reason": "Because."})
    assert response.status_code == 403 and response.json()["code"] == "permission_denied"
    assert _state() == before
    ticket.refresh_from_db()
    assert ticket.status == Status.SOLVED and ticket.rating is None


def test_it_refuses_staff_who_have_not_passed_their_second_factor(alice: Any, agent_sam: Any) -> None:
    ticket = _ticket(alice)
    client = Client()
    client.force_login(agent_sam)  # password only, no TOTP
    for response in (
        client.get(URL),
        client.get(f"{URL}/{ticket.ref}"),
        _post(client, f"{URL}/{ticket.ref}/replies", {"body": "hi"}),
    ):
        assert response.status_code == 403 and response.json()["code"] == "otp_required"
    assert Message.objects.filter(ticket=ticket).count() == 1


# ---- isolation and authentication --------------------------------------------------------------


def test_it_hides_bobs_ticket_from_alice(alice: Any, bob: Any, agent_sam: Any, login: Callable[..., Client]) -> None:
    ticket = _solve(_ticket(bob, "Bob's secret withdrawal"), agent_sam)
    client = login(alice)
    before = _state()
    attempts = [
        client.get(f"{URL}/{ticket.ref}"),
        client.get(f"{URL}/{ticket.ref.lower()}"),
        _post(client, f"{URL}/{ticket.ref}/replies", {"body": "mine now"}),
        _post(client, f"{URL}/{ticket.ref}/status", {"status": "closed"}),
        _post(client, f"{URL}/{ticket.ref}/status", {"status": "open"}),
        _post(client, f"{URL}/{ticket.ref}/rating", {"score": 1}),
        _post(client, f"{URL}/{ticket.ref}/appeal", {"reason": "no"}),
    ]
    for response in attempts:
        assert response.status_code == 404, response.content
        assert response.json()["code"] == "not_found"
        assert "Bob" not in response.content.decode()
    assert _state() == before
    ticket.refresh_from_db()
    assert ticket.status == Status.SOLVED and ticket.rating is None
    assert client.get(URL).json()["results"] == []


def test_it_answers_404_for_unknown_and_held_tickets(alice: Any, agent_sam: Any, login: Callable[..., Client]) -> None:
    held = services.submit_guest_ticket("guest@example.com", services.TicketInput(subject="Help", body="Please"))
    assert held is not None
    for client in (login(alice), login(agent_sam)):
        for ref in ("T-00000000", "nonsense", "1", held.ref):
            response = client.get(f"{URL}/{ref}")
            assert response.status_code == 404 and response.json()["code"] == "not_found"


def test_it_refuses_anonymous_callers(alice: Any, client: Client) -> None:
    ticket = _ticket(alice)
    before = _state()
    for response in (
        client.get(URL),
        client.get(f"{URL}/{ticket.ref}"),
        _post(client, URL, {"subject": "s", "body": "b"}),
        _post(client, f"{URL}/{ticket.ref}/replies", {"body": "b"}),
        _post(client, f"{URL}/{ticket.ref}/status", {"status": "closed"}),
        _post(client, f"{URL}/{ticket.ref}/rating", {"score": 5}),
        _post(client, f"{URL}/{ticket.ref}/appeal", {"reason": "r"}),
    ):
        assert response.status_code == 401
        assert response.json()["code"] == "unauthenticated"
    assert _state() == before


def test_it_refuses_unsafe_requests_without_the_csrf_token(alice: Any, login: Callable[..., Client]) -> None:
    client = login(alice, Client(enforce_csrf_checks=True))
    assert client.get(URL).status_code == 200  # safe methods need no token
    before = _state()
    response = _post(client, URL, {"subject": "Forged", "body": "From another site"})
    # ninja's django_auth raises HttpError(403); the API's handler answers the usual error shape.
    assert response.status_code == 403
    assert response["Content-Type"].startswith("application/json")
    assert response.json()["code"] == "csrf_failed"
    assert "security token" in response.json()["message"]
    assert _state() == before

    token = "csrftokencsrftokencsrftokencsrft"  # 32 characters, as Django's secrets are
    client.cookies["csrftoken"] = token
    response = client.post(URL, {"subject": "Real", "body": "From our page"}, content_type=JSON, HTTP_X_CSRFTOKEN=token)
    assert response.status_code == 201


def test_it_rate_limits_ticket_creation(alice: Any, login: Callable[..., Client], settings: Any) -> None:
    settings.SAFEDESK_TICKET_RATE_PER_HOUR = 2
    client = login(alice)
    for _attempt in range(2):
        assert _post(client, URL, {"subject": "s", "body": "b"}).status_code == 201
    response = _post(client, URL, {"subject": "s", "body": "b"})
    assert response.status_code == 429 and response.json()["code"] == "rate_limited"
    assert int(response["Retry-After"]) >= 1
    assert Ticket.objects.filter(requester=alice).count() == 2


# ---- bad input ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("payload", "code"),
    [
        ({"body": "b"}, "invalid_input"),  # no subject
        ({"subject": "s"}, "invalid_input"),  # no body
        ({"subject": 123, "body": "b"}, "invalid_input"),
        ({"subject": ["s"], "body": "b"}, "invalid_input"),
        ({"subject": "s", "body": {"text": "b"}}, "invalid_input"),
        ({"subject": "x" * 10_000, "body": "b"}, "too_long"),
        ({"subject": "   ", "body": "b"}, "required"),
        ({"subject": "s", "body": "b\x00"}, "invalid_characters"),
        ({"subject": "s", "body": "x" * 20_001}, "too_long"),
        ({"subject": "s", "body": "b", "category": "lottery"}, "invalid_category"),
        ({"subject": "s", "body": "b", "language": "fr"}, "invalid_lang"),
        ({"subject": "s", "body": "b", "chain_links": ["not a hash"]}, "invalid_chain_link"),
        ({"subject": "s", "body": "b", "chain_links": 5}, "invalid_input"),
        ({"subject": "s", "body": "b", "chain_links": [f"0x{i:064x}" for i in range(11)]}, "too_many_chain_links"),
        ({"subject": "s", "body": "b", "chain_links": [TX + "0"]}, "invalid_chain_link"),
    ],
)
def test_it_refuses_bad_tickets(alice: Any, login: Callable[..., Client], payload: dict[str, Any], code: str) -> None:
    client = login(alice)
    before = _state()
    response = _post(client, URL, payload)
    assert response.status_code == 400, response.content
    body = response.json()
    assert body["code"] == code and body["message"]
    assert _state() == before


def test_it_refuses_a_body_that_is_not_json(alice: Any, login: Callable[..., Client]) -> None:
    client = login(alice)
    response = client.post(URL, "{not json", content_type=JSON)
    # ninja raises HttpError(400) for a body it cannot parse; the API keeps the error shape.
    assert response.status_code == 400 and response.json()["code"] == "invalid_json"
    assert Ticket.objects.count() == 0


def test_it_refuses_an_oversized_body_with_413(alice: Any, login: Callable[..., Client], settings: Any) -> None:
    client = login(alice)
    body = json.dumps({"subject": "Big", "body": "x" * (settings.DATA_UPLOAD_MAX_MEMORY_SIZE + 1)})
    response = client.post(URL, body, content_type=JSON)
    assert response.status_code == 413 and response.json()["code"] == "too_large"
    assert Ticket.objects.count() == 0


@pytest.mark.parametrize(
    ("path", "payload", "code"),
    [
        ("replies", {"body": ""}, "required"),
        ("replies", {"body": 5}, "invalid_input"),
        ("replies", {}, "invalid_input"),
        ("replies", {"body": "x" * 20_001}, "too_long"),
        ("rating", {"score": 9}, "invalid_rating"),
        ("rating", {"score": 0}, "invalid_rating"),
        ("rating", {"score": "five"}, "invalid_input"),
        ("rating", {"score": True}, "invalid_input"),
        ("rating", {"score": 4, "comment": "x" * 2001}, "too_long"),
        ("appeal", {"reason": ""}, "required"),
        ("appeal", {"reason": None}, "invalid_input"),
        ("status", {"status": 3}, "invalid_input"),
    ],
)
def test_it_refuses_bad_actions(
    alice: Any, agent_sam: Any, login: Callable[..., Client], path: str, payload: dict[str, Any], code: str
) -> None:
    ticket = _solve(_ticket(alice), agent_sam)
    client = login(alice)
    before = _state()
    response = _post(client, f"{URL}/{ticket.ref}/{path}", payload)
    assert response.status_code == 400, response.content
    assert response.json()["code"] == code
    assert _state() == before
    ticket.refresh_from_db()
    assert ticket.status == Status.SOLVED and ticket.rating is None


@pytest.mark.parametrize("after", ["garbage", "T-00000000", "T-" + "A" * 30, "x" * 600])
def test_it_refuses_bad_cursors(alice: Any, agent_sam: Any, login: Callable[..., Client], after: str) -> None:
    _ticket(alice)
    for client in (login(alice), login(agent_sam)):
        response = client.get(URL, {"after": after})
        assert response.status_code == 400 and response.json()["code"] == "invalid_cursor"


# ---- pages, shapes and cost --------------------------------------------------------------------


@pytest.mark.parametrize("as_staff", [False, True])
def test_it_walks_every_ticket_with_next_after(
    alice: Any, agent_sam: Any, login: Callable[..., Client], as_staff: bool
) -> None:
    made = [_ticket(alice, f"Question {i}").ref for i in range(7)]
    client = login(agent_sam if as_staff else alice)
    seen: list[str] = []
    after = None
    pages = 0
    while True:
        params: dict[str, Any] = {"limit": 3}
        if after:
            params["after"] = after
        body = client.get(URL, params).json()
        pages += 1
        seen += [t["ref"] for t in body["results"]]
        after = body["next_after"]
        if after is None:
            break
        assert after == body["results"][-1]["ref"]
    assert pages == 3
    assert seen == list(reversed(made))  # newest first, each once
    assert len(set(seen)) == len(seen)


def test_it_never_exposes_integer_ids(alice: Any, agent_sam: Any, login: Callable[..., Client]) -> None:
    ticket = _ticket(alice, chain_links=[TX])
    agent = login(agent_sam)
    customer = login(alice)
    bodies = [
        _post(agent, f"{URL}/{ticket.ref}/replies", {"body": "note", "internal": True}).json(),
        _post(agent, f"{URL}/{ticket.ref}/status", {"status": "solved"}).json(),
        _post(customer, f"{URL}/{ticket.ref}/rating", {"score": 4}).json(),
        _post(customer, f"{URL}/{ticket.ref}/appeal", {"reason": "Too slow."}).json(),
        _post(customer, URL, {"subject": "More", "body": "b"}).json(),
        agent.get(URL, {"status": ["new", "solved"]}).json(),
        customer.get(URL).json(),
        agent.get(f"{URL}/{ticket.ref}").json(),
        customer.get(f"{URL}/{ticket.ref}").json(),
    ]
    for body in bodies:
        _assert_no_integer_ids(body)
    assert str(ticket.pk) not in [v for b in bodies for _k, v in _keys(b) if isinstance(v, str)]


@pytest.mark.parametrize("as_staff", [False, True])
def test_it_lists_in_a_constant_number_of_queries(
    alice: Any,
    agent_sam: Any,
    login: Callable[..., Client],
    django_assert_max_num_queries: Any,
    as_staff: bool,
    settings: Any,
) -> None:
    settings.SAFEDESK_TICKET_RATE_PER_HOUR = 100  # 30 requests from one customer in this set-up
    for i in range(30):
        ticket = _ticket(alice, f"Question {i}")
        services.assign_ticket(ticket, assignee=agent_sam, actor=agent_sam)
    client = login(agent_sam if as_staff else alice)
    with django_assert_max_num_queries(5):
        body = client.get(URL, {"limit": 50}).json()
    assert len(body["results"]) == 30
    assert {t["assignee"] for t in body["results"]} == {str(agent_sam.public_id)}


def test_it_reads_a_ticket_in_a_few_queries(
    alice: Any, agent_sam: Any, login: Callable[..., Client], django_assert_max_num_queries: Any
) -> None:
    ticket = _ticket(alice, chain_links=[TX])
    for i in range(10):
        services.add_reply(ticket, f"reply {i}", actor=agent_sam if i % 2 else alice)
    _solve(ticket, agent_sam)
    services.rate_ticket(ticket, 3, actor=alice)
    services.appeal_ticket(ticket, "Please look again.", actor=alice)
    for user in (alice, agent_sam):
        client = login(user)
        with django_assert_max_num_queries(9):
            body = client.get(f"{URL}/{ticket.ref}").json()
        assert len(body["messages"]) >= 11 and len(body["appeals"]) == 1 and body["rating"]["score"] == 3


def test_it_documents_the_ticket_paths(db: Any, client: Client) -> None:
    schema = client.get("/api/v1/openapi.json").json()
    paths = schema["paths"]
    for path in (
        "/api/v1/tickets",
        "/api/v1/tickets/{ref}",
        "/api/v1/tickets/{ref}/replies",
        "/api/v1/tickets/{ref}/status",
        "/api/v1/tickets/{ref}/rating",
        "/api/v1/tickets/{ref}/appeal",
    ):
        assert path in paths, path
    assert set(paths["/api/v1/tickets"]) == {"get", "post"}
    assert "security" in paths["/api/v1/tickets"]["get"]
