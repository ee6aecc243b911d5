"""BOLA sweep (CASES.md T45): every API route, read from the OpenAPI document, with every method,
called by two customers and an agent (with their tokens, and again with their sessions) on
objects they may not see. Each answer must be exactly the answer for an object that does not
exist, and nothing may change.

The routes come from the schema, so a new route is swept as soon as it exists; a route with a
path parameter this sweep does not know fails the test until the parameter gets a victim value
here (a nested route needs both its parent's and its child's)."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from django.test import Client

from safedesk.accounts.tests.helpers import bearer, new_token
from safedesk.helpcenter import services as hc_services
from safedesk.helpcenter.models import ArticleTranslation
from safedesk.tickets import services
from safedesk.tickets.models import Appeal, Attachment, Message, Status, Ticket

METHODS = ("get", "post", "put", "patch", "delete")
# A body that would succeed if the check were missing, for each last path segment.
BODIES: dict[str, dict[str, Any]] = {
    "tickets": {"subject": "Mine now", "body": "Taken over."},
    "{ref}": {"subject": "Changed", "status": "closed"},
    "replies": {"body": "I took this ticket over."},
    "status": {"status": "closed"},
    "rating": {"score": 1, "comment": "Written by someone else"},
    "appeal": {"reason": "Written by someone else"},
    "merge": {"into": "T-00000000"},
    "{slug}": {"title": "Defaced"},
    # PATCH /safety/official-channels/{public_id}: a registry entry relabelled by someone else.
    "{public_id}": {"label_en": "Taken over", "label_zh": "被接管"},
}
MISSING = {"ref": "T-00000000", "slug": "no-such-article-here", "public_id": "00000000-0000-4000-8000-000000000000"}
NOTE = ("note.txt", b"only for the owner\n")
PARAM = re.compile(r"\{(\w+)\}")


@dataclass
class World:
    alices: Ticket
    bobs: Ticket
    held: Ticket  # a guest's ticket, not confirmed yet: in nobody's view
    draft_slug: str
    draft_word: str
    files: dict[str, str]  # whose ticket -> the public id of a file on it


def _file_of(ticket: Ticket) -> str:
    return str(Attachment.objects.filter(ticket=ticket).values_list("public_id", flat=True).get())


@pytest.fixture
def world(alice: Any, bob: Any, agent_sam: Any, media_dir: Any) -> World:
    alices = services.submit_ticket(
        alice, services.TicketInput(subject="Alice's deposit", body="Where is it?"), files=[NOTE]
    )
    bobs = services.submit_ticket(
        bob, services.TicketInput(subject="Bob's private matter", body="My seed is safe."), files=[NOTE]
    )
    # Solved, so that every write on it (reply, status, rating, appeal) would be accepted for its owner.
    services.change_status(bobs, Status.SOLVED, actor=agent_sam)
    held = services.submit_guest_ticket(
        "guest@example.com", services.TicketInput(subject="Held", body="Unconfirmed"), files=[NOTE]
    )
    assert held is not None
    category = hc_services.save_category(slug="internal", name_zh_hans="内部", name_en="Internal", actor=agent_sam)
    article = hc_services.create_article(key="unreleased", category=category, actor=agent_sam)
    saved = hc_services.save_translation(
        article, lang="en", title="Unreleased fee change", body="Zanzibarfee rises next week.", actor=agent_sam
    )
    assert not ArticleTranslation.objects.get(pk=saved.translation.pk).published_at
    files = {"alice": _file_of(alices), "bob": _file_of(bobs), "held": _file_of(held)}
    return World(
        alices=alices,
        bobs=bobs,
        held=held,
        draft_slug=saved.translation.slug,
        draft_word="Zanzibarfee",
        files=files,
    )


def _routes(client: Client) -> list[tuple[str, set[str]]]:
    schema = client.get("/api/v1/openapi.json").json()
    return [(path, {m for m in item if m in METHODS}) for path, item in schema["paths"].items()]


def _state(world: World) -> tuple[Any, ...]:
    bobs = Ticket.objects.get(pk=world.bobs.pk)
    return (
        Ticket.objects.count(),
        Message.objects.count(),
        Appeal.objects.count(),
        Attachment.objects.count(),
        bobs.status,
        bobs.rating,
        bobs.subject,
        Ticket.objects.get(pk=world.held.pk).confirmed_at,
    )


def _call(client: Client, method: str, path: str, headers: dict[str, str]) -> Any:
    last = path.rstrip("/").rsplit("/", 1)[-1]
    body = BODIES.get(last, BODIES.get("{" + (PARAM.findall(path) or ["-"])[-1] + "}", {}))
    if method == "get":
        return client.get(path, headers=headers)
    return getattr(client, method)(path, body, content_type="application/json", headers=headers)


def _client(user: Any, via: str, login: Callable[..., Client]) -> tuple[Client, dict[str, str]]:
    if via == "token":
        return Client(), bearer(new_token(user))
    return login(user), {}


@pytest.mark.parametrize("via", ["token", "session"])
@pytest.mark.parametrize("caller", ["alice", "bob", "agent_sam"])
def test_it_answers_every_route_as_if_the_object_did_not_exist(
    world: World, caller: str, via: str, request: pytest.FixtureRequest, login: Callable[..., Client]
) -> None:
    user = request.getfixturevalue(caller)
    # What each caller may not see: the other customer's ticket, for staff a held one.
    victims = {
        "alice": {"ref": world.bobs.ref, "slug": world.draft_slug, "public_id": world.files["bob"]},
        "bob": {"ref": world.alices.ref, "slug": world.draft_slug, "public_id": world.files["alice"]},
        "agent_sam": {"ref": world.held.ref, "slug": world.draft_slug, "public_id": world.files["held"]},
    }[caller]
    client, headers = _client(user, via, login)
    before = _state(world)
    swept = 0
    for template, defined in _routes(client):
        params = PARAM.findall(template)
        if not params:
            continue
        unknown = [p for p in params if p not in victims]
        assert not unknown, f"{template}: give the sweep a victim value for {unknown}"
        theirs = PARAM.sub(lambda m: victims[m.group(1)], template)
        nothing = PARAM.sub(lambda m: MISSING[m.group(1)], template)
        for method in METHODS:
            got = _call(client, method, theirs, headers)
            expected = _call(client, method, nothing, headers)
            where = f"{method.upper()} {template} as {caller} ({via})"
            assert got.status_code == expected.status_code, (where, got.content)
            assert got.content == expected.content, where
            # Staff-only operations refuse a customer before looking anything up (the same 403
            # for a missing object, compared above); everything else is the not-found answer.
            allowed = {404: "not_found", 403: "permission_denied"} if method in defined else {405: "method_not_allowed"}
            assert got.status_code in allowed, (where, got.content)
            assert got.json()["code"] == allowed[got.status_code], where
            # Staff are never refused, except on administrators' routes (the channel registry).
            admins_only = template.startswith("/api/v1/safety/official-channels/")
            assert got.status_code != 403 or caller != "agent_sam" or admins_only, where
            swept += 1
    assert swept >= 9 * len(METHODS)  # the nine paths with a path parameter today
    assert _state(world) == before


@pytest.mark.parametrize("via", ["token", "session"])
def test_it_shows_no_one_elses_objects_in_lists_searches_and_cursors(
    world: World, alice: Any, via: str, login: Callable[..., Client]
) -> None:
    client, headers = _client(alice, via, login)
    before = _state(world)
    listed = client.get("/api/v1/tickets", {"limit": 100}, headers=headers).json()
    assert [t["ref"] for t in listed["results"]] == [world.alices.ref]
    # Someone else's reference as a cursor reads like a made-up one.
    theirs = client.get("/api/v1/tickets", {"after": world.bobs.ref}, headers=headers)
    made_up = client.get("/api/v1/tickets", {"after": "T-00000000"}, headers=headers)
    assert theirs.status_code == made_up.status_code == 400 and theirs.content == made_up.content
    # Staff filters that would reach other people's tickets are not a customer's.
    for params in ({"q": world.bobs.ref}, {"view": "all"}, {"requester": str(world.bobs.requester.public_id)}):
        body = client.get("/api/v1/tickets", params, headers=headers).json()
        assert [t["ref"] for t in body["results"]] == [world.alices.ref], params
    # Drafts are not found by search or suggestions, nor listed.
    for path in ("/api/v1/articles/search", "/api/v1/articles/suggest"):
        assert client.get(path, {"q": world.draft_word}, headers=headers).json()["results"] == []
    assert all(a["slug"] != world.draft_slug for a in client.get("/api/v1/articles", headers=headers).json()["results"])
    # Filing a request "for" someone else files it for oneself.
    response = client.post(
        "/api/v1/tickets",
        {"subject": "For Bob", "body": "b", "requester_email": "bob@example.com"},
        content_type="application/json",
        headers=headers,
    )
    assert response.status_code == 201 and response.json()["requester"] == str(alice.public_id)
    assert Ticket.objects.get(ref=response.json()["ref"]).requester == alice
    assert Ticket.objects.filter(requester=world.bobs.requester).count() == 1
    # Wrong methods on the collection routes change nothing either.
    for path in ("/api/v1/tickets", "/api/v1/articles"):
        for method in ("put", "patch", "delete"):
            refused = getattr(client, method)(path, {}, content_type="application/json", headers=headers)
            assert refused.status_code == 405 and refused.json()["code"] == "method_not_allowed"
    after = _state(world)
    # Only the one request filed for oneself was added (a ticket and its first message).
    assert after[:2] == (before[0] + 1, before[1] + 1) and after[2:] == before[2:]


@pytest.mark.parametrize("via", ["token", "session"])
def test_it_checks_the_child_under_the_callers_own_parent(
    world: World, alice: Any, via: str, login: Callable[..., Client]
) -> None:
    # Alice's own ticket in the path, Bob's file after it: the file is not found under her ticket.
    client, headers = _client(alice, via, login)
    before = _state(world)
    mine = f"/api/v1/tickets/{world.alices.ref}/attachments"
    for suffix in ("", "/content"):
        got = client.get(f"{mine}/{world.files['bob']}{suffix}", headers=headers)
        expected = client.get(f"{mine}/{MISSING['public_id']}{suffix}", headers=headers)
        assert (got.status_code, got.content) == (expected.status_code, expected.content)
        assert got.status_code == 404 and got.json()["code"] == "not_found"
        assert client.get(f"{mine}/{world.files['alice']}{suffix}", headers=headers).status_code == 200
    assert _state(world) == before
