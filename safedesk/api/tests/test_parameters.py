"""Query parameters an attacker adds (CASES.md T46): page sizes are capped or refused, unknown
ordering, filter, field and expand parameters change nothing (no hidden field reachable, no
sort-order oracle), and no response carries a field that is not in the schema."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client

from safedesk.accounts.tests.helpers import bearer, new_token
from safedesk.helpcenter import services as hc_services
from safedesk.tickets import services
from safedesk.tickets.models import Ticket

TICKETS = "/api/v1/tickets"
ARTICLES = "/api/v1/articles"
# Parameters no endpoint exposes, aimed at fields the API never shows.
SNEAKY: list[dict[str, str]] = [
    {"page_size": "1000000"},
    {"per_page": "1000000"},
    {"ordering": "requester__password"},
    {"ordering": "-secret_hash"},
    {"order_by": "requester__email"},
    {"sort": "-id"},
    {"fields": "password"},
    {"fields": "requester.password,requester.api_tokens"},
    {"expand": "owner.api_tokens"},
    {"expand": "requester"},
    {"include": "internal_notes"},
    {"requester__password__startswith": "pbkdf2"},
    {"requester__email": "bob@example.com"},
    {"requester__role": "admin"},
    {"id__gt": "0"},
    {"confirmed_at__isnull": "true"},
    {"format": "csv"},
]
HIDDEN = ("password", "secret_hash", "api_tokens", "session_epoch", "pbkdf2", "is_superuser", "key_id")


def _all_keys(value: Any) -> set[str]:
    if isinstance(value, dict):
        return set(value) | {k for v in value.values() for k in _all_keys(v)}
    if isinstance(value, list):
        return {k for v in value for k in _all_keys(v)}
    return set()


@pytest.fixture
def tickets(alice: Any, bob: Any, agent_sam: Any, settings: Any) -> list[Ticket]:
    settings.SAFEDESK_TICKET_RATE_PER_HOUR = 100
    made = [
        services.submit_ticket(user, services.TicketInput(subject=f"Question {n}", body="Body"))
        for n, user in enumerate([alice, bob, alice, bob, alice])
    ]
    services.add_reply(made[0], "Internal: check the KYC file.", actor=agent_sam, internal=True)
    return made


@pytest.fixture
def articles(agent_sam: Any) -> None:
    category = hc_services.save_category(slug="fees", name_zh_hans="手续费", name_en="Fees", actor=agent_sam)
    for n in range(3):
        article = hc_services.create_article(key=f"fee-{n}", category=category, actor=agent_sam)
        saved = hc_services.save_translation(
            article, lang="en", title=f"Fee table {n}", body="Withdrawal fees.", actor=agent_sam
        )
        hc_services.publish_translation(saved.translation, actor=agent_sam)


@pytest.mark.parametrize("who", ["alice", "agent_sam"])
def test_it_ignores_parameters_no_endpoint_offers(
    tickets: list[Ticket], articles: None, who: str, request: pytest.FixtureRequest, client: Client
) -> None:
    headers = bearer(new_token(request.getfixturevalue(who)))
    for path in (TICKETS, f"{TICKETS}/{tickets[0].ref}", ARTICLES):
        baseline = client.get(path, headers=headers)
        assert baseline.status_code == 200
        for params in SNEAKY:
            response = client.get(path, params, headers=headers)
            assert response.status_code == 200, (path, params, response.content)
            # The same items in the same order: nothing filtered, sorted or expanded by them.
            assert response.json() == baseline.json(), (path, params)
            text = response.content.decode()
            assert not any(word in text for word in HIDDEN), (path, params)


def test_it_caps_or_refuses_page_sizes(tickets: list[Ticket], articles: None, alice: Any, client: Client) -> None:
    headers = bearer(new_token(alice))
    for limit in ("0", "-1", "101", "1000000", "99999999999999999999999", "1e9", "ten", "NaN"):
        response = client.get(TICKETS, {"limit": limit}, headers=headers)
        assert response.status_code == 400, (limit, response.content)
        assert response.json()["code"] in {"invalid_limit", "invalid_input"}
    assert len(client.get(TICKETS, {"limit": "100"}, headers=headers).json()["results"]) == 3
    # Articles clamp instead: at most 100, at least 1.
    assert len(client.get(ARTICLES, {"limit": "1000000"}, headers=headers).json()["results"]) == 3
    assert len(client.get(ARTICLES, {"limit": "-1"}, headers=headers).json()["results"]) == 1
    assert client.get(ARTICLES, {"limit": "ten"}, headers=headers).status_code == 400


def test_it_refuses_unknown_values_of_the_offered_filters(
    tickets: list[Ticket], agent_sam: Any, client: Client
) -> None:
    headers = bearer(new_token(agent_sam))
    for params, code in (
        ({"view": "everything"}, "invalid_view"),
        ({"status": "deleted"}, "invalid_status"),
        ({"priority": "0"}, "invalid_priority"),
        ({"category": "admin"}, "invalid_category"),
        ({"team": "../../etc"}, "invalid_filter"),
        ({"assignee": "1"}, "invalid_filter"),
        ({"q": "x" * 10_000}, "query_too_long"),
    ):
        response = client.get(TICKETS, params, headers=headers)
        assert response.status_code == 400 and response.json()["code"] == code, (params, response.content)


def test_it_shows_only_schema_fields(
    tickets: list[Ticket], alice: Any, agent_sam: Any, client: Client, login: Callable[..., Client]
) -> None:
    schema = client.get("/api/v1/openapi.json").json()["components"]["schemas"]
    allowed = {name for component in schema.values() for name in component.get("properties", {})}
    for user in (alice, agent_sam):
        headers = bearer(new_token(user))
        bodies = [
            client.get(TICKETS, headers=headers).json(),
            client.get(f"{TICKETS}/{tickets[0].ref}", headers=headers).json(),
        ]
        for body in bodies:
            assert _all_keys(body) - allowed == set(), body
            assert not _all_keys(body) & set(HIDDEN)
    customer_view = client.get(f"{TICKETS}/{tickets[0].ref}", headers=bearer(new_token(alice, name="again"))).json()
    assert "KYC" not in str(customer_view) and customer_view["requester_email"] is None
