"""Probing for other people's tickets (CASES.md T06): every miss answers exactly like a ticket
that does not exist, in about the same time, and a burst of misses writes ONE security event
(who, what, when, source address, outcome) that supervisors see in the audit log."""

from __future__ import annotations

import datetime as dt
import re
import statistics
import time
from collections.abc import Callable
from typing import Any

import pytest
import time_machine
from django.test import Client
from django.utils import timezone

from safedesk.accounts.tests.helpers import bearer, new_token
from safedesk.audit.models import AuditEvent
from safedesk.tickets import services
from safedesk.tickets.models import Message, Ticket

PROBE = "security.access_probe"
CSRF = re.compile(rb'name="csrfmiddlewaretoken" value="[^"]+"')


def _ticket(user: Any, subject: str = "Private matter") -> Ticket:
    return services.submit_ticket(user, services.TicketInput(subject=subject, body="Only for support."))


def _made_up(n: int) -> str:
    return f"T-{n:08d}"


def _probes(**filters: Any) -> list[AuditEvent]:
    return list(AuditEvent.objects.filter(verb=PROBE, **filters).order_by("id"))


@pytest.fixture
def bobs(bob: Any, settings: Any) -> list[Ticket]:
    settings.SAFEDESK_TICKET_RATE_PER_HOUR = 100
    return [_ticket(bob, f"Bob {n}") for n in range(3)]


def test_it_writes_one_event_for_a_burst_of_misses_in_the_portal(
    alice: Any, bobs: list[Ticket], login: Callable[..., Client], settings: Any
) -> None:
    assert settings.SAFEDESK_PROBE_THRESHOLD == 10
    client = login(alice)
    refs = [bobs[n % 3].ref if n % 2 else _made_up(n) for n in range(30)]
    before = (Ticket.objects.count(), Message.objects.count())
    for n, ref in enumerate(refs, start=1):
        # Reads and writes, on the ticket and its nested routes, all count.
        response = (
            client.post(f"/tickets/{ref}/reply/", {"body": "mine"}) if n % 3 == 0 else client.get(f"/tickets/{ref}/")
        )
        assert response.status_code == 404
        assert len(_probes()) == (0 if n < 10 else 1), n
    assert (Ticket.objects.count(), Message.objects.count()) == before
    [event] = _probes()
    assert event.actor == alice and event.actor_label == "alice@example.com" and event.ip == "127.0.0.1"
    assert event.target_type == "tickets.ticket" and event.target_ref == refs[9]
    assert event.data["outcome"] == "not_found" and event.data["misses"] == 10
    assert event.data["channel"] == "web" and event.data["window_seconds"] == 600
    assert event.data["recent"] == refs[:10]
    # Only the burst is recorded, never what was posted.
    assert "mine" not in str(event.data)


def test_it_writes_again_only_in_a_later_window(alice: Any, login: Callable[..., Client]) -> None:
    client = login(alice)
    start = timezone.now()
    with time_machine.travel(start, tick=False) as clock:
        for n in range(25):
            client.get(f"/tickets/{_made_up(n)}/")
        assert len(_probes()) == 1
        clock.shift(dt.timedelta(seconds=599))
        for n in range(5):
            client.get(f"/tickets/{_made_up(n)}/")
        assert len(_probes()) == 1
        clock.shift(dt.timedelta(seconds=2))
        for n in range(10):
            client.get(f"/tickets/{_made_up(n)}/")
        assert len(_probes()) == 2


def test_it_counts_each_person_and_each_address_apart(
    alice: Any, mallory: Any, login: Callable[..., Client], client: Client
) -> None:
    for n in range(9):
        login(alice).get(f"/tickets/{_made_up(n)}/")
        login(mallory).get(f"/tickets/{_made_up(n)}/")
    assert _probes() == []
    login(mallory).get(f"/tickets/{_made_up(99)}/")
    assert [e.actor for e in _probes()] == [mallory]

    # Anonymous callers are counted by network address: here with refused API tokens.
    for n in range(10):
        client.get("/api/v1/tickets", headers=bearer(f"sdk_{'a' * 10}_{'B' * 39}{n}"), REMOTE_ADDR="203.0.113.5")
    for n in range(9):
        client.get("/api/v1/tickets", headers=bearer(f"sdk_{'a' * 10}_{'B' * 39}{n}"), REMOTE_ADDR="203.0.113.6")
    [refused] = AuditEvent.objects.filter(verb="security.api_token_refused")
    assert refused.actor is None and refused.actor_label == "anonymous" and refused.ip == "203.0.113.5"
    assert refused.data["kind"] == "api.invalid_token" and refused.data["misses"] == 10
    # Only the non-secret key id of what was sent is kept.
    assert refused.target_ref == f"sdk_{'a' * 10}_…" and "BBBB" not in str(refused.data)


@pytest.mark.parametrize("via", ["token", "session"])
def test_it_writes_one_event_for_a_burst_of_misses_in_the_api(
    alice: Any, bobs: list[Ticket], via: str, login: Callable[..., Client]
) -> None:
    client, headers = (Client(), bearer(new_token(alice))) if via == "token" else (login(alice), {})
    for n in range(15):
        ref = bobs[n % 3].ref if n % 2 else _made_up(n)
        if n % 2:
            response = client.post(
                f"/api/v1/tickets/{ref}/rating", {"score": 1}, content_type="application/json", headers=headers
            )
        else:
            response = client.get(f"/api/v1/tickets/{ref}", headers=headers)
        assert response.status_code == 404 and response.json()["code"] == "not_found"
    [event] = _probes()
    assert event.actor == alice and event.data["channel"] == "api" and event.data["misses"] == 10
    assert event.data["path"].startswith("/api/v1/tickets/")


def test_it_answers_someone_elses_ticket_exactly_like_a_missing_one(
    alice: Any, bobs: list[Ticket], login: Callable[..., Client]
) -> None:
    web = login(alice)
    theirs = web.get(f"/tickets/{bobs[0].ref}/")
    missing = web.get("/tickets/T-ZZZZZZZZ/")
    assert theirs.status_code == missing.status_code == 404
    # Identical but for the CSRF tokens and the page's own address (the language switch returns to it).
    assert CSRF.sub(b"", theirs.content).replace(bobs[0].ref.encode(), b"REF") == CSRF.sub(
        b"", missing.content
    ).replace(b"T-ZZZZZZZZ", b"REF")
    assert b"Bob" not in theirs.content

    api, headers = Client(), bearer(new_token(alice))
    theirs = api.get(f"/api/v1/tickets/{bobs[0].ref}", headers=headers)
    missing = api.get("/api/v1/tickets/T-ZZZZZZZZ", headers=headers)
    assert theirs.status_code == missing.status_code == 404 and theirs.content == missing.content
    assert {k: v for k, v in theirs.items() if k != "Date"} == {k: v for k, v in missing.items() if k != "Date"}


def _median_gap_ms(client: Client, first: str, second: str, headers: dict[str, str]) -> float:
    """Median response time of `first` minus that of `second`, over 50 tries each, taken in
    turns so that a busy moment of the machine slows both alike."""
    times: dict[str, list[float]] = {first: [], second: []}
    for _try in range(50):
        for path in (first, second):
            started = time.perf_counter()
            assert client.get(path, headers=headers).status_code == 404
            times[path].append((time.perf_counter() - started) * 1000)
    return statistics.median(times[first]) - statistics.median(times[second])


def test_it_takes_about_as_long_for_someone_elses_ticket(
    alice: Any, bobs: list[Ticket], login: Callable[..., Client], settings: Any
) -> None:
    settings.SAFEDESK_API_TOKEN_RATE_PER_MINUTE = 1000
    web = login(alice)
    gap = _median_gap_ms(web, f"/tickets/{bobs[0].ref}/", "/tickets/T-ZZZZZZZZ/", {})
    assert abs(gap) < 20, gap
    headers = bearer(new_token(alice))
    gap = _median_gap_ms(Client(), f"/api/v1/tickets/{bobs[0].ref}", "/api/v1/tickets/T-ZZZZZZZZ", headers)
    assert abs(gap) < 20, gap


def test_it_shows_the_events_to_supervisors_in_the_audit_log(
    alice: Any, agent_sam: Any, supervisor_ada: Any, login: Callable[..., Client]
) -> None:
    client = login(alice)
    for n in range(10):
        client.get(f"/tickets/{_made_up(n)}/", REMOTE_ADDR="198.51.100.23")
    page = login(supervisor_ada).get("/agent/audit/", {"verb": "security."})
    assert page.status_code == 200
    assert [e.verb for e in page.context["events"]] == [PROBE]
    html = page.content.decode()
    assert "alice@example.com" in html and "198.51.100.23" in html and "not_found" in html
    # The audit page links straight to security events for those who see everything.
    assert "verb=security." in login(supervisor_ada).get("/agent/audit/").content.decode()
    # Not for the person who probed, nor for agents (they see only their own actions).
    assert client.get("/agent/audit/").status_code == 403
    assert PROBE not in [e.verb for e in login(agent_sam).get("/agent/audit/").context["events"]]
