"""Merging a duplicate into another ticket of the same customer: the rules and their codes, what
both threads and the customer see afterwards, the email, the API, and refusals that change
nothing."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client

from safedesk.audit.models import AuditEvent
from safedesk.lib.errors import Conflict, InvalidInput, SafedeskError
from safedesk.tickets import selectors, services
from safedesk.tickets.models import ChainLink, Message, Status, Ticket

pytestmark = pytest.mark.django_db
TX = "0x" + "cd" * 32
ADDRESS = "0x52908400098527886E0F7030069857D2E4169EE7"


def _ticket(user: Any, subject: str = "Withdrawal stuck", **extra: Any) -> Ticket:
    return services.submit_ticket(user, services.TicketInput(subject=subject, body=f"{subject}: please help.", **extra))


def _state() -> tuple[Any, ...]:
    rows = tuple(Ticket.objects.order_by("id").values_list("status", "merged_into_id"))
    return rows, Message.objects.count(), ChainLink.objects.count(), AuditEvent.objects.count()


def _refusal(source: Ticket, into: str, actor: Any) -> SafedeskError:
    with pytest.raises(SafedeskError) as refused:
        services.merge_tickets(source, into, actor=actor)
    return refused.value


def test_it_merges_a_duplicate_into_the_customers_other_ticket(alice: Any, agent_sam: Any) -> None:
    target = _ticket(alice, "USDT withdrawal pending", chain_links=[TX])
    source = _ticket(alice, "Where is my USDT?", chain_links=[TX, ADDRESS])
    services.add_reply(source, "I also sent a screenshot.", actor=alice)
    services.add_reply(source, "Checked the chain: confirmed.", actor=agent_sam, internal=True)
    merged = services.merge_tickets(source, target.ref.lower(), actor=agent_sam)
    assert merged == target
    source.refresh_from_db()
    assert source.status == Status.CLOSED and source.merged_into == target and source.closed_at is not None
    # An event in both threads.
    assert Message.objects.filter(ticket=source, event="merged_into", data={"target": target.ref}).exists()
    assert Message.objects.filter(ticket=target, event="merged_from", data={"source": source.ref}).exists()
    # The source's replies now show in the target: to the customer the public ones only.
    customer_thread = [m.body for m in selectors.thread(target, viewer=alice)]
    assert "I also sent a screenshot." in customer_thread and "Where is my USDT?: please help." in customer_thread
    assert "Checked the chain: confirmed." not in customer_thread
    agent_thread = [m.body for m in selectors.thread(target, viewer=agent_sam)]
    assert "Checked the chain: confirmed." in agent_thread
    # Its events stay in its own thread.
    assert not any(
        m.event == "status_changed" and m.ticket_id == source.pk for m in selectors.thread(target, viewer=agent_sam)
    )
    # Linked hashes and addresses come along (once each).
    linked = sorted(ChainLink.objects.filter(ticket=target).values_list("value", flat=True))
    assert linked == sorted([TX, ADDRESS.lower()])
    verbs = dict(AuditEvent.objects.filter(verb__startswith="ticket.merged").values_list("verb", "target_ref"))
    assert verbs == {"ticket.merged": source.ref, "ticket.merged_in": target.ref}


def test_it_shows_a_chain_of_merges_in_the_last_ticket(alice: Any, agent_sam: Any) -> None:
    first, second, third = _ticket(alice, "First"), _ticket(alice, "Second"), _ticket(alice, "Third")
    services.merge_tickets(first, second.ref, actor=agent_sam)
    services.merge_tickets(second, third.ref, actor=agent_sam)
    bodies = [m.body for m in selectors.thread(third, viewer=alice)]
    assert {"First: please help.", "Second: please help.", "Third: please help."} <= set(bodies)


@pytest.mark.parametrize(
    ("case", "code"),
    [
        ("self", "merge_into_self"),
        ("other_customer", "requesters_differ"),
        ("closed_target", "merge_target_closed"),
        ("merged_target", "merge_target_merged"),
        ("merged_source", "already_merged"),
        ("closed_source", "merge_source_closed"),
        ("appeal_open", "appeal_open"),
        ("unknown", "merge_target_not_found"),
        ("held", "merge_target_not_found"),
        ("empty", "required"),
    ],
)
def test_it_refuses_merges_that_break_a_rule_and_changes_nothing(
    case: str, code: str, alice: Any, bob: Any, agent_sam: Any
) -> None:
    source, target = _ticket(alice, "Source"), _ticket(alice, "Target")
    into = target.ref
    if case == "self":
        into = source.ref
    elif case == "other_customer":
        into = _ticket(bob, "Bob's").ref
    elif case == "closed_target":
        services.change_status(target, Status.SOLVED, actor=agent_sam)
        services.change_status(target, Status.CLOSED, actor=agent_sam)
    elif case == "merged_target":
        services.merge_tickets(target, _ticket(alice, "Third").ref, actor=agent_sam)
    elif case == "merged_source":
        services.merge_tickets(source, _ticket(alice, "Third").ref, actor=agent_sam)
    elif case == "closed_source":
        services.close_ticket(source, actor=alice)
    elif case == "appeal_open":
        services.change_status(source, Status.SOLVED, actor=agent_sam)
        services.appeal_ticket(source, "Not solved.", actor=alice)
    elif case == "unknown":
        into = "T-ZZZZZZZZ"
    elif case == "held":
        guest = services.submit_guest_ticket("alice@example.com", services.TicketInput(subject="Held", body="b"))
        assert guest is not None
        into = guest.ref
    elif case == "empty":
        into = "  "
    before = _state()
    refused = _refusal(Ticket.objects.get(pk=source.pk), into, agent_sam)
    assert refused.code == code
    assert isinstance(refused, Conflict | InvalidInput) and refused.status in {400, 409}
    assert _state() == before


def test_it_never_reopens_a_merged_ticket(alice: Any, agent_sam: Any, login: Callable[..., Client]) -> None:
    source, target = _ticket(alice, "Source"), _ticket(alice, "Target")
    services.merge_tickets(source, target.ref, actor=agent_sam)
    source = Ticket.objects.get(pk=source.pk)
    before = _state()
    for attempt in (
        lambda: services.reopen_ticket(source, actor=alice),
        lambda: services.add_reply(source, "Hello?", actor=alice),
        lambda: services.change_status(source, Status.OPEN, actor=agent_sam),
        lambda: services.appeal_ticket(source, "Reopen it", actor=alice),
    ):
        with pytest.raises(Conflict):
            attempt()
    client = login(alice)
    response = client.post(f"/api/v1/tickets/{source.ref}/status", {"status": "open"}, content_type="application/json")
    assert response.status_code == 409
    response = client.post(f"/api/v1/tickets/{source.ref}/appeal", {"reason": "x"}, content_type="application/json")
    assert response.status_code == 409 and response.json()["code"] == "ticket_merged"
    assert _state() == before
    # The customer's page of the old request says where it went on.
    page = client.get(f"/tickets/{source.ref}/").content.decode()
    assert 'data-code="ticket_merged"' in page and f'href="/tickets/{target.ref}/"' in page


def test_it_tells_the_customer_by_email(
    alice: Any, agent_sam: Any, smtp_server: Any, run_tasks: Callable[[], int]
) -> None:
    source, target = _ticket(alice, "Subject with a lure: call +1 800"), _ticket(alice, "Target")
    run_tasks()
    smtp_server.clear()
    services.merge_tickets(source, target.ref, actor=agent_sam)
    run_tasks()
    [mail] = smtp_server.to("alice@example.com")
    assert source.ref in mail.subject and "merged" in mail.subject
    assert target.ref in mail.text and f"/tickets/{target.ref}/" in mail.text
    # No customer-written text in our mail (CASES B10).
    assert "lure" not in mail.subject and "lure" not in mail.text


def test_it_merges_from_the_console_after_a_review_page(
    alice: Any, agent_sam: Any, login: Callable[..., Client]
) -> None:
    source, target = _ticket(alice, "Source"), _ticket(alice, "Target")
    client = login(agent_sam)
    page = client.get(f"/agent/tickets/{source.ref}/").content.decode()
    assert f'action="/agent/tickets/{source.ref}/merge/"' in page and f'<option value="{target.ref}">' in page
    before = _state()
    review = client.get(f"/agent/tickets/{source.ref}/merge/", {"into": target.ref})
    assert review.status_code == 200 and f'name="into" value="{target.ref}"' in review.content.decode()
    assert _state() == before  # reviewing changes nothing
    response = client.post(f"/agent/tickets/{source.ref}/merge/", {"into": target.ref})
    assert response.status_code == 303 and response["Location"] == f"/agent/tickets/{target.ref}/"
    assert Ticket.objects.get(pk=source.pk).merged_into_id == target.pk
    page = client.get(response["Location"]).content.decode()
    assert "Source: please help." in page and f"from {source.ref}" in page
    old = client.get(f"/agent/tickets/{source.ref}/").content.decode()
    assert 'data-code="ticket_merged"' in old and "Review merge" not in old


def test_it_shows_why_a_merge_cannot_be_done_before_and_after_pressing(
    alice: Any, bob: Any, agent_sam: Any, login: Callable[..., Client]
) -> None:
    source, other = _ticket(alice, "Alice's"), _ticket(bob, "Bob's")
    client = login(agent_sam)
    before = _state()
    review = client.get(f"/agent/tickets/{source.ref}/merge/", {"into": other.ref})
    body = review.content.decode()
    assert review.status_code == 409 and 'data-code="requesters_differ"' in body
    assert f'<input type="hidden" name="into" value="{other.ref}">' not in body  # no merge button
    response = client.post(f"/agent/tickets/{source.ref}/merge/", {"into": other.ref})
    assert response.status_code == 409 and 'data-code="requesters_differ"' in response.content.decode()
    response = client.post(f"/agent/tickets/{source.ref}/merge/", {"into": "T-ZZZZZZZZ"})
    assert response.status_code == 400 and 'data-code="merge_target_not_found"' in response.content.decode()
    assert client.get(f"/agent/tickets/{source.ref}/merge/").status_code == 200
    assert _state() == before
    # Customers have no merge.
    assert login(alice).post(f"/agent/tickets/{source.ref}/merge/", {"into": source.ref}).status_code == 403


def test_it_merges_through_the_api(alice: Any, bob: Any, agent_sam: Any, login: Callable[..., Client]) -> None:
    source, target = _ticket(alice, "Source"), _ticket(alice, "Target")
    client = login(agent_sam)
    url = f"/api/v1/tickets/{source.ref}/merge"
    response = client.post(url, {"into": target.ref}, content_type="application/json")
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["ref"] == target.ref
    assert {m["ticket"] for m in body["messages"] if m["kind"] == "public"} == {source.ref, target.ref}
    again = client.post(url, {"into": target.ref}, content_type="application/json")
    assert again.status_code == 409 and again.json()["code"] == "already_merged"
    other = _ticket(bob, "Bob's")
    before = _state()
    third = f"/api/v1/tickets/{other.ref}/merge"
    response = client.post(third, {"into": target.ref}, content_type="application/json")
    assert response.status_code == 409 and response.json()["code"] == "requesters_differ"
    # Customers cannot merge at all, their own tickets or anyone's: the same 403 either way.
    assert login(bob).post(third, {"into": other.ref}, content_type="application/json").status_code == 403
    assert login(alice).post(third, {"into": target.ref}, content_type="application/json").status_code == 403
    assert client.post(third, {}, content_type="application/json").status_code == 400
    assert _state() == before


def test_it_keeps_the_queries_of_the_merge_pages_bounded(
    alice: Any, agent_sam: Any, login: Callable[..., Client], django_assert_max_num_queries: Any
) -> None:
    target = _ticket(alice, "Target")
    for i in range(8):
        source = _ticket(alice, f"Duplicate {i}")
        services.add_reply(source, f"More detail {i}", actor=alice)
        services.merge_tickets(source, target.ref, actor=agent_sam)
    candidate = _ticket(alice, "Candidate")
    client = login(agent_sam)
    with django_assert_max_num_queries(12):
        assert client.get(f"/agent/tickets/{candidate.ref}/merge/", {"into": target.ref}).status_code == 200
    with django_assert_max_num_queries(16):
        assert client.get(f"/agent/tickets/{target.ref}/").status_code == 200
    customer = login(alice)
    with django_assert_max_num_queries(12):
        assert customer.get(f"/tickets/{target.ref}/").status_code == 200
