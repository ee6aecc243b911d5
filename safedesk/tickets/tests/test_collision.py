"""The collision warning: presence ("Ada is viewing / is replying", a heartbeat kept in the cache)
and the reply guard (a reply that would cross a newer public message comes back with 409 and
is sent only on a second, explicit submit) on the console and in the API."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
import time_machine
from django.test import Client

from safedesk.audit.models import AuditEvent
from safedesk.lib.errors import Conflict, InvalidInput
from safedesk.tickets import presence, services
from safedesk.tickets.models import Message, Ticket

pytestmark = pytest.mark.django_db


def _ticket(user: Any) -> Ticket:
    return services.submit_ticket(user, services.TicketInput(subject="Card payment failed", body="Twice today."))


def _latest(ticket: Ticket) -> Message:
    message = Message.objects.filter(ticket=ticket).order_by("-id").first()
    assert message is not None
    return message


def _state() -> tuple[int, int]:
    return Message.objects.count(), AuditEvent.objects.count()


# ---- presence ----------------------------------------------------------------------------------


def test_it_shows_other_agents_who_view_or_reply(
    alice: Any, agent_sam: Any, supervisor_ada: Any, login: Callable[..., Client]
) -> None:
    ticket = _ticket(alice)
    sam, ada = login(agent_sam), login(supervisor_ada)
    url = f"/agent/tickets/{ticket.ref}/presence/"
    assert sam.post(url, {"state": "viewing"}).json()["others"] == []
    body = ada.post(url, {"state": "replying"}).json()
    assert body["others"] == [{"name": "Sam", "state": "viewing", "text": "Sam is viewing"}]
    assert body["heartbeat"] == presence.HEARTBEAT_SECONDS
    assert sam.post(url, {"state": "viewing"}).json()["others"][0]["text"] == "Ada is replying"
    # The ticket page shows it without waiting for the first beat.
    assert "Ada is replying" in sam.get(f"/agent/tickets/{ticket.ref}/").content.decode()
    # Closing the page ends it at once.
    assert ada.post(url, {"state": "left"}).status_code == 200
    assert sam.post(url, {"state": "viewing"}).json()["others"] == []


def test_it_forgets_an_agent_who_stops_beating(alice: Any, agent_sam: Any, supervisor_ada: Any) -> None:
    ticket = _ticket(alice)
    with time_machine.travel("2026-12-01 10:00:00", tick=False) as clock:
        presence.beat(ticket.ref, supervisor_ada, presence.REPLYING)
        assert [p.text for p in presence.others(ticket.ref, agent_sam)] == ["Ada is replying"]
        clock.shift(presence.PRESENCE_TTL - 1)
        assert presence.others(ticket.ref, agent_sam)
        clock.shift(2)
        assert presence.others(ticket.ref, agent_sam) == []
        # An unknown state counts as viewing; presence is per ticket.
        presence.beat(ticket.ref, supervisor_ada, "dancing")
        assert [p.state for p in presence.others(ticket.ref, agent_sam)] == ["viewing"]
        assert presence.others("T-OTHER000", agent_sam) == []


def test_it_keeps_presence_to_agents_who_may_see_the_ticket(
    alice: Any, mallory: Any, agent_sam: Any, login: Callable[..., Client]
) -> None:
    ticket = _ticket(alice)
    url = f"/agent/tickets/{ticket.ref}/presence/"
    before = _state()
    assert login(mallory).post(url, {"state": "viewing"}).status_code == 403
    assert login(alice).post(url, {"state": "viewing"}).status_code == 403
    assert Client().post(url, {"state": "viewing"}).status_code == 302
    assert presence.others(ticket.ref, agent_sam) == []
    sam = login(agent_sam)
    assert sam.post("/agent/tickets/T-ZZZZZZZZ/presence/", {"state": "viewing"}).status_code == 404
    assert sam.get(url).status_code == 405  # a heartbeat is never a GET
    # Presence is throwaway state: it writes nothing to the database or the audit log.
    sam.post(url, {"state": "replying"})
    assert _state() == before


# ---- the reply guard ---------------------------------------------------------------------------


def test_it_refuses_a_reply_that_crosses_a_newer_public_message(
    alice: Any, agent_sam: Any, supervisor_ada: Any
) -> None:
    ticket = _ticket(alice)
    seen = _latest(ticket).public_id
    services.add_reply(ticket, "Also: it happened a third time.", actor=alice)
    before = _state()
    with pytest.raises(Conflict) as refused:
        services.add_reply(ticket, "We refunded you.", actor=agent_sam, last_seen=seen)
    assert refused.value.code == "reply_collision" and refused.value.status == 409
    assert _state() == before
    # A colleague's public reply counts too; an internal note or one's own message does not.
    seen = _latest(ticket).public_id
    services.add_reply(ticket, "Checked the card network.", actor=supervisor_ada, internal=True)
    services.add_reply(ticket, "First part of my answer.", actor=agent_sam)
    services.add_reply(ticket, "Second part.", actor=agent_sam, last_seen=seen)
    seen = _latest(ticket).public_id
    services.add_reply(ticket, "Ada answers too.", actor=supervisor_ada)
    with pytest.raises(Conflict):
        services.add_reply(ticket, "Sam again.", actor=agent_sam, last_seen=seen)
    # Sending anyway is explicit.
    message = services.add_reply(ticket, "Sam again.", actor=agent_sam, last_seen=seen, force=True)
    assert message.body == "Sam again."
    # Internal notes are never held back.
    services.add_reply(ticket, "note", actor=agent_sam, internal=True, last_seen=seen)


def test_it_refuses_a_last_seen_that_is_not_of_this_ticket(alice: Any, bob: Any, agent_sam: Any) -> None:
    ticket, other = _ticket(alice), _ticket(bob)
    before = _state()
    for value in ("nonsense", str(_latest(other).public_id), "00000000-0000-0000-0000-000000000000"):
        with pytest.raises(InvalidInput) as refused:
            services.add_reply(ticket, "Hello", actor=agent_sam, last_seen=value)
        assert refused.value.code == "invalid_last_seen"
    assert _state() == before


def test_it_shows_the_new_message_and_sends_on_the_second_submit(
    alice: Any, agent_sam: Any, login: Callable[..., Client]
) -> None:
    ticket = _ticket(alice)
    client = login(agent_sam)
    page = client.get(f"/agent/tickets/{ticket.ref}/").content.decode()
    seen = str(_latest(ticket).public_id)
    assert f'name="last_seen" value="{seen}"' in page
    services.add_reply(ticket, "Never mind, my bank blocked it.", actor=alice)
    before = _state()
    draft = {"body": "Please try again now.", "internal": "0", "last_seen": seen, "status": "pending"}
    response = client.post(f"/agent/tickets/{ticket.ref}/reply/", draft)
    body = response.content.decode()
    assert response.status_code == 409 and 'data-code="reply_collision"' in body
    assert "Please try again now." in body  # the draft is kept
    assert "data-new" in body and "Never mind, my bank blocked it." in body
    assert "Send anyway" in body
    assert _state() == before and Ticket.objects.get(pk=ticket.pk).status == "new"
    # The page carries the newest message now: sending again is the explicit "send anyway".
    fresh = str(_latest(ticket).public_id)
    assert f'name="last_seen" value="{fresh}"' in body
    response = client.post(f"/agent/tickets/{ticket.ref}/reply/", {**draft, "last_seen": fresh})
    assert response.status_code == 303
    assert Message.objects.filter(ticket=ticket, kind="public").order_by("-id")[0].body == "Please try again now."
    assert Ticket.objects.get(pk=ticket.pk).status == "pending"


def test_it_guards_api_replies_the_same_way(alice: Any, agent_sam: Any, login: Callable[..., Client]) -> None:
    ticket = _ticket(alice)
    client = login(agent_sam)
    url = f"/api/v1/tickets/{ticket.ref}/replies"
    seen = client.get(f"/api/v1/tickets/{ticket.ref}").json()["messages"][-1]["public_id"]
    services.add_reply(ticket, "Update from me.", actor=alice)
    before = _state()
    response = client.post(url, {"body": "Done.", "last_seen": seen}, content_type="application/json")
    assert response.status_code == 409 and response.json()["code"] == "reply_collision"
    response = client.post(url, {"body": "Done.", "last_seen": "x"}, content_type="application/json")
    assert response.status_code == 400 and response.json()["code"] == "invalid_last_seen"
    assert _state() == before
    response = client.post(url, {"body": "Done.", "last_seen": seen, "force": True}, content_type="application/json")
    assert response.status_code == 201 and response.json()["ticket"] == ticket.ref
    # Without the field, nothing changes for existing callers.
    assert client.post(url, {"body": "Plain."}, content_type="application/json").status_code == 201


def test_it_lets_only_one_of_two_simultaneous_replies_through(alice: Any, agent_sam: Any, supervisor_ada: Any) -> None:
    ticket = _ticket(alice)
    seen = _latest(ticket).public_id
    # Both agents had the same screen; the ticket lock orders them: the second one sees the first.
    services.add_reply(ticket, "Sam's answer.", actor=agent_sam, last_seen=seen)
    with pytest.raises(Conflict):
        services.add_reply(ticket, "Ada's answer.", actor=supervisor_ada, last_seen=seen)
    assert list(Message.objects.filter(ticket=ticket, kind="public").values_list("body", flat=True)) == [
        "Twice today.",
        "Sam's answer.",
    ]


def test_it_keeps_the_heartbeat_cheap(
    alice: Any, agent_sam: Any, supervisor_ada: Any, login: Callable[..., Client], django_assert_max_num_queries: Any
) -> None:
    ticket = _ticket(alice)
    presence.beat(ticket.ref, supervisor_ada, presence.REPLYING)
    client = login(agent_sam)
    # Session, user, OTP device and the ticket: presence itself never touches the database.
    with django_assert_max_num_queries(4):
        assert client.post(f"/agent/tickets/{ticket.ref}/presence/", {"state": "viewing"}).status_code == 200
