"""Token authentication on the API (CASES.md T44): the Authorization header only, one answer for
every unusable token, scopes, the owner's current role and status, no CSRF, a rate limit per
token, and the security scheme in the OpenAPI document."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import pytest
import time_machine
from django.test import Client
from django.utils import timezone

from safedesk.accounts import services as account_services
from safedesk.accounts.models import ApiToken, Role
from safedesk.accounts.tests.helpers import bearer, new_token
from safedesk.audit.models import AuditEvent
from safedesk.tickets import services
from safedesk.tickets.models import Message, Status, Ticket

TICKETS = "/api/v1/tickets"
ARTICLES = "/api/v1/articles"
JSON = "application/json"


def _ticket(user: Any, subject: str = "Withdrawal stuck") -> Ticket:
    return services.submit_ticket(user, services.TicketInput(subject=subject, body="Please help."))


def _state() -> tuple[int, int, int]:
    return Ticket.objects.count(), Message.objects.count(), ApiToken.objects.filter(revoked_at__isnull=True).count()


def _post(client: Client, path: str, data: Any, **headers: str) -> Any:
    return client.post(path, data, content_type=JSON, headers=headers)


# ---- where the token goes ----------------------------------------------------------------------


@pytest.mark.parametrize("param", ["token", "api_key", "access_token", "apikey"])
def test_it_refuses_a_token_in_the_query_string(alice: Any, client: Client, param: str) -> None:
    secret = new_token(alice)
    before = _state()
    for response in (
        client.get(TICKETS, {param: secret}),
        client.get(TICKETS, {param: secret}, headers=bearer(secret)),  # even beside a good header
        client.post(f"{TICKETS}?{param}={secret}", {"subject": "s", "body": "b"}, content_type=JSON),
        client.get(ARTICLES, {param: secret}),  # public endpoints too
    ):
        assert response.status_code == 401, response.content
        assert response.json()["code"] == "token_in_query"
        assert secret not in response.content.decode()
        assert response["WWW-Authenticate"].startswith("Bearer")
    assert _state() == before
    # Logged once per burst, by network address, without the token.
    [event] = AuditEvent.objects.filter(verb="security.api_token_refused")
    assert event.actor_label == "anonymous" and event.ip == "127.0.0.1"
    assert event.data["kind"] == "api.token_in_query" and secret not in str(event.data)


def test_it_answers_every_unusable_token_alike(alice: Any, bob: Any, login: Callable[..., Client]) -> None:
    good = new_token(alice)
    revoked = new_token(alice, name="old")
    account_services.revoke_api_token(ApiToken.objects.get(name="old"), actor=alice)
    inactive_owner = new_token(bob)
    bob.is_active = False
    bob.save(update_fields=["is_active"])
    prefix, key_id, secret = good.split("_")
    headers = [
        f"Token {good}",
        f"Basic {good}",
        "Bearer",
        "Bearer ",
        f"Bearer  {good}",
        f"Bearer {good} ",
        f"Bearer {good}x",
        f"{good}",
        "",
        f"Bearer {prefix}_{key_id}_{secret[::-1]}",  # right key id, wrong secret
        f"Bearer sdk_{'q' * 10}_{'A' * 40}",  # well formed, unknown
        f"Bearer {key_id}",
        f"Bearer {revoked}",
        f"Bearer {inactive_owner}",
        "Bearer " + "x" * 5000,
    ]
    # A signed-in session beside a bad token does not rescue it: the header decides.
    clients = [Client(), login(alice)]
    bodies = set()
    for client in clients:
        for value in headers:
            response = client.get(TICKETS, headers={"Authorization": value})
            assert response.status_code == 401, (value, response.content)
            assert response["WWW-Authenticate"] == 'Bearer realm="safedesk", error="invalid_token"'
            bodies.add(response.content)
            assert good not in response.content.decode()
    assert len(bodies) == 1
    assert Client().get(TICKETS, headers={"Authorization": f"bearer {good}"}).status_code == 200


def test_it_refuses_an_expired_token(alice: Any, client: Client) -> None:
    secret = new_token(alice, days=7)
    assert client.get(TICKETS, headers=bearer(secret)).status_code == 200
    with time_machine.travel(timezone.now() + dt.timedelta(days=7, seconds=1)):
        response = client.get(TICKETS, headers=bearer(secret))
        assert response.status_code == 401 and response.json()["code"] == "invalid_token"


def test_it_needs_no_csrf_token_with_a_token_and_ignores_the_session(
    alice: Any, bob: Any, login: Callable[..., Client]
) -> None:
    secret = new_token(alice)
    # A browser signed in as bob, with CSRF checks on, sending alice's token.
    browser = login(bob, Client(enforce_csrf_checks=True))
    response = _post(browser, TICKETS, {"subject": "From a script", "body": "b"}, **bearer(secret))
    assert response.status_code == 201, response.content
    assert Ticket.objects.get(ref=response.json()["ref"]).requester == alice
    # Without the header the session answers, and wants its CSRF token.
    response = _post(browser, TICKETS, {"subject": "Forged", "body": "b"})
    assert response.status_code == 403 and response.json()["code"] == "csrf_failed"
    assert Ticket.objects.filter(requester=bob).count() == 0


# ---- scopes ------------------------------------------------------------------------------------


def test_it_needs_the_scope_of_each_operation(alice: Any, client: Client) -> None:
    ticket = _ticket(alice)
    reader = new_token(alice, ("tickets:read",), name="reader")
    writer = new_token(alice, ("tickets:write",), name="writer")
    articles_only = new_token(alice, ("articles:read",), name="articles")
    before = _state()

    def refused(response: Any, scope: str) -> None:
        assert response.status_code == 403, response.content
        body = response.json()
        assert body["code"] == "insufficient_scope" and body["details"] == {"scope": scope}
        assert f'scope="{scope}"' in response["WWW-Authenticate"]

    assert client.get(TICKETS, headers=bearer(reader)).status_code == 200
    assert client.get(f"{TICKETS}/{ticket.ref}", headers=bearer(reader)).status_code == 200
    refused(_post(client, TICKETS, {"subject": "s", "body": "b"}, **bearer(reader)), "tickets:write")
    for path, data in (
        ("replies", {"body": "hi"}),
        ("status", {"status": "closed"}),
        ("rating", {"score": 5}),
        ("appeal", {"reason": "r"}),
    ):
        refused(_post(client, f"{TICKETS}/{ticket.ref}/{path}", data, **bearer(reader)), "tickets:write")
        refused(_post(client, f"{TICKETS}/{ticket.ref}/{path}", data, **bearer(articles_only)), "tickets:write")
    refused(client.get(TICKETS, headers=bearer(writer)), "tickets:read")
    refused(client.get(f"{TICKETS}/{ticket.ref}", headers=bearer(writer)), "tickets:read")
    refused(client.get(ARTICLES, headers=bearer(writer)), "articles:read")
    refused(client.get(f"{ARTICLES}/search", {"q": "fee"}, headers=bearer(reader)), "articles:read")
    assert _state() == before
    # Fourteen refusals of alice's working tokens: one security event for her.
    [event] = AuditEvent.objects.filter(verb="security.api_token_refused")
    assert event.actor == alice and event.data["kind"] == "api.insufficient_scope"
    assert event.target_ref.startswith("sdk_") and event.target_ref.endswith("_…")

    assert _post(client, f"{TICKETS}/{ticket.ref}/replies", {"body": "hi"}, **bearer(writer)).status_code == 201
    assert client.get(ARTICLES, headers=bearer(articles_only)).status_code == 200
    assert client.get(ARTICLES).status_code == 200  # public without a token


def test_it_lets_a_staff_token_work_without_a_session(alice: Any, agent_sam: Any, client: Client) -> None:
    ticket = _ticket(alice)
    secret = new_token(agent_sam)
    listed = client.get(TICKETS, headers=bearer(secret)).json()
    assert [t["ref"] for t in listed["results"]] == [ticket.ref]
    response = _post(
        client, f"{TICKETS}/{ticket.ref}/replies", {"body": "Checking.", "internal": True}, **bearer(secret)
    )
    assert response.status_code == 201 and response.json()["kind"] == "internal"


# ---- the owner's current role and status -------------------------------------------------------


def _answers(client: Client, ticket_ref: str, bobs_ref: str, **headers: str) -> list[tuple[int, str]]:
    """What a caller gets on the staff-only corners of the API."""
    responses = [
        client.get(TICKETS, {"view": "all", "status": "solved", "q": "x"}, headers=headers),
        _post(client, f"{TICKETS}/{ticket_ref}/replies", {"body": "note", "internal": True}, **headers),
        _post(client, f"{TICKETS}/{ticket_ref}/status", {"status": "solved"}, **headers),
        client.get(f"{TICKETS}/{bobs_ref}", headers=headers),
        _post(client, f"{TICKETS}/{bobs_ref}/replies", {"body": "mine"}, **headers),
    ]
    out = []
    for response in responses:
        body = response.json()
        out.append((response.status_code, body.get("code") or ",".join(t["ref"] for t in body.get("results", []))))
    return out


def test_it_gives_a_customer_token_what_the_customers_session_gets(
    alice: Any, bob: Any, login: Callable[..., Client]
) -> None:
    mine = _ticket(alice)
    bobs = _ticket(bob)
    secret = new_token(alice)
    with_session = _answers(login(alice), mine.ref, bobs.ref)
    with_token = _answers(Client(), mine.ref, bobs.ref, **bearer(secret))
    assert with_token == with_session
    assert with_token == [
        (200, mine.ref),
        (403, "permission_denied"),
        (403, "permission_denied"),
        (404, "not_found"),
        (404, "not_found"),
    ]
    assert not Message.objects.filter(kind="internal").exists()
    mine.refresh_from_db()
    assert mine.status == Status.NEW


def test_it_acts_with_the_owners_current_role(alice: Any, bob: Any, admin_root: Any, client: Client) -> None:
    bobs = _ticket(bob)
    secret = new_token(admin_root)
    assert [t["ref"] for t in client.get(TICKETS, headers=bearer(secret)).json()["results"]] == [bobs.ref]
    assert client.get(f"{TICKETS}/{bobs.ref}", headers=bearer(secret)).status_code == 200

    # Demoted: the very next request has a customer's powers.
    admin_root.role = Role.CUSTOMER
    admin_root.save(update_fields=["role"])
    assert client.get(TICKETS, headers=bearer(secret)).json()["results"] == []
    assert client.get(f"{TICKETS}/{bobs.ref}", headers=bearer(secret)).status_code == 404
    response = _post(client, f"{TICKETS}/{bobs.ref}/replies", {"body": "x", "internal": True}, **bearer(secret))
    assert response.status_code == 404
    # Deactivated: the token stops working altogether.
    admin_root.is_active = False
    admin_root.save(update_fields=["is_active"])
    response = client.get(TICKETS, headers=bearer(secret))
    assert response.status_code == 401 and response.json()["code"] == "invalid_token"
    assert Message.objects.filter(ticket=bobs).count() == 1


def test_it_refuses_a_customers_token_once_the_account_becomes_staff(alice: Any, bob: Any, client: Client) -> None:
    _ticket(bob)
    secret = account_services.create_api_token(
        alice, name="made as a customer", scopes=["tickets:read"], second_factor=False
    ).secret
    assert client.get(TICKETS, headers=bearer(secret)).json()["results"] == []
    alice.role = Role.AGENT
    alice.save(update_fields=["role"])
    response = client.get(TICKETS, headers=bearer(secret))
    assert response.status_code == 403 and response.json()["code"] == "token_needs_second_factor"


# ---- rate limit, cost, documentation -----------------------------------------------------------


def test_it_rate_limits_each_token(alice: Any, client: Client, settings: Any) -> None:
    settings.SAFEDESK_API_TOKEN_RATE_PER_MINUTE = 3
    first = new_token(alice, name="first")
    second = new_token(alice, name="second")
    for _n in range(3):
        assert client.get(TICKETS, headers=bearer(first)).status_code == 200
    response = client.get(TICKETS, headers=bearer(first))
    assert response.status_code == 429 and response.json()["code"] == "rate_limited"
    assert 1 <= int(response["Retry-After"]) <= 61
    assert client.get(TICKETS, headers=bearer(second)).status_code == 200


def test_it_lists_with_a_token_in_a_constant_number_of_queries(
    alice: Any, agent_sam: Any, client: Client, django_assert_max_num_queries: Any, settings: Any
) -> None:
    settings.SAFEDESK_TICKET_RATE_PER_HOUR = 100
    for n in range(20):
        services.assign_ticket(_ticket(alice, f"Question {n}"), assignee=agent_sam, actor=agent_sam)
    for user in (alice, agent_sam):
        secret = new_token(user)
        client.get(TICKETS, headers=bearer(secret))  # the first use stamps last_used_at
        with django_assert_max_num_queries(4):
            body = client.get(TICKETS, {"limit": 50}, headers=bearer(secret)).json()
        assert len(body["results"]) == 20


def test_it_documents_the_token_scheme_and_each_scope(db: Any, client: Client) -> None:
    schema = client.get("/api/v1/openapi.json").json()
    schemes = schema["components"]["securitySchemes"]
    assert schemes["BearerToken"]["type"] == "http" and schemes["BearerToken"]["scheme"] == "bearer"
    assert "query string" in schemes["BearerToken"]["description"]
    paths = schema["paths"]
    assert paths["/api/v1/tickets"]["get"]["security"] == [{"BearerToken": ["tickets:read"]}, {"SessionCookie": []}]
    assert paths["/api/v1/tickets"]["post"]["security"][0] == {"BearerToken": ["tickets:write"]}
    assert paths["/api/v1/tickets/{ref}/appeal"]["post"]["security"][0] == {"BearerToken": ["tickets:write"]}
    assert paths["/api/v1/articles"]["get"]["security"] == [{"BearerToken": ["articles:read"]}, {}]
    assert paths["/api/v1/safety/verify"]["post"]["security"] == [{"BearerToken": ["safety:read"]}, {}]
    assert paths["/api/v1/safety/official-channels"]["post"]["security"][0] == {"BearerToken": ["safety:write"]}
    for item in paths.values():
        for operation in item.values():
            assert operation.get("x-scope") in {
                "tickets:read",
                "tickets:write",
                "articles:read",
                "safety:read",
                "safety:write",
            }
    assert "insufficient_scope" in schema["info"]["description"]
