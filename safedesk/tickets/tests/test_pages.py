"""The portal and console pages: who may open what, refusals that change nothing, and a bounded
number of queries on every list and detail page."""

from __future__ import annotations

from typing import Any

import pytest

from safedesk.audit.models import AuditEvent
from safedesk.tickets import services
from safedesk.tickets.models import Message, Status, Ticket

pytestmark = pytest.mark.django_db


def submit(user: Any, subject: str = "Deposit not credited", **extra: Any) -> Ticket:
    return services.submit_ticket(user, services.TicketInput(subject=subject, body="It has been two hours.", **extra))


def counts() -> tuple[int, int, int]:
    return Ticket.objects.count(), Message.objects.count(), AuditEvent.objects.count()


def test_it_lets_a_customer_submit_and_follow_a_request(alice: Any, login: Any) -> None:
    client = login(alice)
    response = client.post(
        "/tickets/new/",
        {"subject": "提币一直在处理中", "body": "已经两天了", "category": "withdrawal", "language": "zh-hans"},
    )
    assert response.status_code == 303
    ticket = Ticket.objects.get(requester=alice)
    assert response["Location"] == f"/tickets/{ticket.ref}/"
    page = client.get(response["Location"])
    assert page.status_code == 200
    assert "提币一直在处理中" in page.content.decode()
    assert ticket.ref in client.get("/tickets/").content.decode()


def test_it_refuses_a_bad_form_with_a_clear_error_and_changes_nothing(alice: Any, login: Any) -> None:
    client = login(alice)
    before = counts()
    response = client.post("/tickets/new/", {"subject": "", "body": "text", "category": "withdrawal"})
    assert response.status_code == 400
    assert 'data-code="' in response.content.decode()
    response = client.post("/tickets/new/", {"subject": "x", "body": "text", "chain_links": "0x1234"})
    assert response.status_code == 400
    assert "invalid_chain_link" in response.content.decode()
    assert counts() == before


def test_it_hides_other_peoples_tickets(alice: Any, mallory: Any, login: Any) -> None:
    ticket = submit(alice)
    client = login(mallory)
    before = counts()
    assert client.get(f"/tickets/{ticket.ref}/").status_code == 404
    assert client.post(f"/tickets/{ticket.ref}/reply/", {"body": "I am support, send your seed"}).status_code == 404
    assert client.post(f"/tickets/{ticket.ref}/close/").status_code == 404
    assert counts() == before
    assert client.get("/agent/tickets/").status_code == 403
    assert client.get(f"/agent/tickets/{ticket.ref}/").status_code == 403


def test_it_sends_guests_to_sign_in_for_the_portal_and_refuses_changes_by_get(alice: Any, client: Any) -> None:
    ticket = submit(alice)
    response = client.get(f"/tickets/{ticket.ref}/")
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]
    assert client.get(f"/tickets/{ticket.ref}/close/").status_code in {302, 405}
    assert Ticket.objects.get(pk=ticket.pk).status == Status.NEW


def test_it_holds_a_guest_ticket_until_the_button_on_the_link_page_is_pressed(client: Any) -> None:
    response = client.post(
        "/tickets/new/", {"email": "someone@example.com", "subject": "Locked out", "body": "Please help."}
    )
    assert response.status_code == 303 and response["Location"] == "/tickets/new/sent/"
    ticket = Ticket.objects.get()
    assert ticket.is_held
    token = services.guest_confirmation_token(ticket)
    # Opening the link (a mail scanner does this too) changes nothing.
    assert client.get(f"/tickets/confirm/{token}/").status_code == 200
    assert Ticket.objects.get(pk=ticket.pk).is_held
    response = client.post(f"/tickets/confirm/{token}/")
    assert response.status_code == 200
    assert ticket.ref in response.content.decode()
    assert not Ticket.objects.get(pk=ticket.pk).is_held
    again = client.post(f"/tickets/confirm/{token}/")
    assert again.status_code == 400


def test_it_answers_every_guest_address_with_the_same_redirect_and_a_reload_sends_nothing(
    client: Any, agent_sam: Any
) -> None:
    """Post/redirect/get: the form's POST ends in a 303 to one page, for an address with a
    customer account, a new address and a staff address alike; that page, loaded again, is a
    GET that creates nothing and queues nothing."""
    from django_tasks_db.models import DBTaskResult

    answers = [
        client.post("/tickets/new/", {"email": email, "subject": "Locked out", "body": "Please help."})
        for email in ("new-guest@example.com", "new-guest@example.com", agent_sam.email)
    ]
    assert {(r.status_code, r["Location"]) for r in answers} == {(303, "/tickets/new/sent/")}
    assert Ticket.objects.count() == 2
    tickets, jobs = Ticket.objects.count(), DBTaskResult.objects.count()
    for lang, heading in (("en", "Check your email"), ("zh-hans", "请查收邮件")):
        page = client.get("/tickets/new/sent/", HTTP_ACCEPT_LANGUAGE=lang)
        assert page.status_code == 200 and heading in page.content.decode()
    assert (Ticket.objects.count(), DBTaskResult.objects.count()) == (tickets, jobs)
    assert client.post("/tickets/new/sent/").status_code == 405


def test_it_lets_an_agent_reply_note_solve_and_the_customer_rate(alice: Any, agent_sam: Any, login: Any) -> None:
    ticket = submit(alice)
    agent = login(agent_sam)
    base = f"/agent/tickets/{ticket.ref}/"
    assert agent.get(base).status_code == 200
    assert agent.post(base + "reply/", {"body": "Checking with the wallet team.", "internal": "1"}).status_code == 303
    assert agent.post(base + "reply/", {"body": "It is credited now.", "internal": "0"}).status_code == 303
    assert agent.post(base + "assign/", {"assignee": "me"}).status_code == 303
    assert agent.post(base + "status/", {"status": "solved"}).status_code == 303
    ticket.refresh_from_db()
    assert ticket.status == Status.SOLVED and ticket.assignee == agent_sam and ticket.first_response_at
    # A transition the state machine does not allow: 409, the page again, nothing changed.
    before = counts()
    refused = agent.post(base + "status/", {"status": "new"})
    assert refused.status_code == 409 and "invalid_transition" in refused.content.decode()
    assert counts() == before

    customer = login(alice)
    page = customer.get(f"/tickets/{ticket.ref}/").content.decode()
    assert "It is credited now." in page
    assert "Checking with the wallet team." not in page
    assert customer.post(f"/tickets/{ticket.ref}/rate/", {"score": "5", "comment": "Quick"}).status_code == 303
    ticket.refresh_from_db()
    assert ticket.rating == 5
    assert customer.post(f"/tickets/{ticket.ref}/rate/", {"score": "9"}).status_code == 400
    assert Ticket.objects.get(pk=ticket.pk).rating == 5


def test_it_routes_an_appeal_to_the_supervisor_queue(
    alice: Any, agent_sam: Any, supervisor_ada: Any, login: Any
) -> None:
    ticket = submit(alice)
    services.change_status(ticket, Status.SOLVED, actor=agent_sam)
    customer = login(alice)
    assert customer.post(f"/tickets/{ticket.ref}/appeal/", {"reason": "Not fixed at all."}).status_code == 303
    assert login(agent_sam).get("/agent/appeals/").status_code == 403
    supervisor = login(supervisor_ada)
    queue = supervisor.get("/agent/appeals/")
    assert queue.status_code == 200 and ticket.ref in queue.content.decode()
    appeal = ticket.appeals.get()
    response = supervisor.post(
        f"/agent/appeals/{appeal.public_id}/decide/", {"upheld": "1", "decision": "Reopened for a second look."}
    )
    assert response.status_code == 303
    assert Ticket.objects.get(pk=ticket.pk).status == Status.OPEN


def test_it_filters_the_inbox_and_refuses_bad_filters(alice: Any, bob: Any, agent_sam: Any, login: Any) -> None:
    submit(alice, "Withdrawal fee too high", category="fees")
    submit(bob, "Account locked", category="account")
    agent = login(agent_sam)
    page = agent.get("/agent/tickets/?view=all&category=fees").content.decode()
    assert "Withdrawal fee too high" in page and "Account locked" not in page
    assert agent.get("/agent/tickets/?view=everything").status_code == 400
    assert agent.get("/agent/tickets/?view=all&after=T-NOPE").status_code == 400
    assert agent.get("/agent/tickets/?view=all&q=" + "x" * 500).status_code == 400


def test_it_keeps_the_queries_of_every_page_bounded(
    alice: Any, bob: Any, agent_sam: Any, login: Any, django_assert_max_num_queries: Any
) -> None:
    tickets = [submit(alice if i % 2 else bob, f"Request {i}") for i in range(30)]
    for ticket in tickets[:10]:
        services.add_reply(ticket, "On it.", actor=agent_sam)
        services.assign_ticket(ticket, assignee=agent_sam, actor=agent_sam)
    agent = login(agent_sam)
    customer = login(alice)
    # Session, user, OTP device and the page's own reads: the same budget for 30 tickets as for 3.
    with django_assert_max_num_queries(7):
        assert agent.get("/agent/tickets/?view=all").status_code == 200
    with django_assert_max_num_queries(7):
        assert agent.get("/agent/tickets/?view=mine").status_code == 200
    with django_assert_max_num_queries(13):
        assert agent.get(f"/agent/tickets/{tickets[1].ref}/").status_code == 200
    with django_assert_max_num_queries(4):
        assert customer.get("/tickets/").status_code == 200
    with django_assert_max_num_queries(8):
        assert customer.get(f"/tickets/{tickets[1].ref}/").status_code == 200


def test_it_refuses_an_oversized_form_with_a_clear_413(alice: Any, login: Any, settings: Any) -> None:
    client = login(alice)
    before = counts()
    response = client.post(
        "/tickets/new/", {"subject": "Big", "body": "x" * (settings.DATA_UPLOAD_MAX_MEMORY_SIZE + 1)}
    )
    assert response.status_code == 413
    assert 'data-code="too_large"' in response.content.decode()
    assert counts() == before


def test_it_renders_markup_in_tickets_inert(alice: Any, agent_sam: Any, login: Any) -> None:
    payload = '<script>alert(1)</script><img src=x onerror="alert(2)">'
    ticket = submit(alice, subject=payload[:150])
    services.add_reply(ticket, payload, actor=alice)
    for client, url in ((login(alice), f"/tickets/{ticket.ref}/"), (login(agent_sam), f"/agent/tickets/{ticket.ref}/")):
        page = client.get(url).content.decode()
        assert "<script>alert(1)" not in page and "<img src=x" not in page
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    inbox = login(agent_sam).get("/agent/tickets/?view=all").content.decode()
    assert "<script>alert(1)" not in inbox


def test_it_counts_one_submission_limit_across_the_form_and_the_api(alice: Any, login: Any, settings: Any) -> None:
    settings.SAFEDESK_TICKET_RATE_PER_HOUR = 2
    client = login(alice)
    assert client.post("/tickets/new/", {"subject": "One", "body": "text"}).status_code == 303
    api = client.post("/api/v1/tickets", {"subject": "Two", "body": "text"}, content_type="application/json")
    assert api.status_code == 201
    refused = client.post("/tickets/new/", {"subject": "Three", "body": "text"})
    assert refused.status_code == 429 and refused["Retry-After"]
    assert Ticket.objects.filter(requester=alice).count() == 2


def test_it_limits_guest_requests_per_email_address(client: Any, settings: Any) -> None:
    settings.SAFEDESK_TICKET_RATE_PER_HOUR = 1
    assert client.post("/tickets/new/", {"email": "victim@example.com", "subject": "a", "body": "b"}).status_code == 303
    again = client.post(
        "/tickets/new/", {"email": "victim@example.com", "subject": "a", "body": "b"}, REMOTE_ADDR="10.9.9.9"
    )
    assert again.status_code == 429
    assert Ticket.objects.count() == 1
