"""Guest tickets through a real SMTP server: held until the emailed single-use link is opened,
and emails that never relay what the sender wrote (CASES.md B10). Also the requester's emails
on agent replies, in the requester's language."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from typing import Any
from urllib.parse import unquote, urlsplit

import pytest
import time_machine
from django.conf import settings
from django.utils import timezone

from safedesk.accounts.models import User
from safedesk.audit.models import AuditEvent
from safedesk.lib.errors import InvalidInput, NotFound
from safedesk.tickets import selectors, services
from safedesk.tickets.models import Status, Ticket
from safedesk.tickets.selectors import InboxFilter

GUEST = "visitor@example.com"
PHISH_SUBJECT = "URGENT verify your wallet at evil.example"
PHISH_BODY = "Your account is frozen. Log in at https://evil.example/login and enter your seed phrase."
CJK = re.compile(r"[\u4e00-\u9fff]")


def _guest_ticket(address: str = GUEST) -> Ticket:
    ticket = services.submit_guest_ticket(
        address, services.TicketInput(subject=PHISH_SUBJECT, body=PHISH_BODY), ip="198.51.100.7"
    )
    assert ticket is not None
    return ticket


def _token(link: str) -> str:
    path = urlsplit(link).path
    assert path.startswith("/tickets/confirm/")
    return unquote(path.split("/")[3])


def _confirmation_link(smtp_server: Any, ref: str, address: str = GUEST) -> str:
    [mail] = [m for m in smtp_server.to(address) if ref in m.subject]
    [link] = [link for link in mail.links() if "/tickets/confirm/" in link]
    return str(link)


@pytest.fixture
def site(settings: Any) -> str:
    settings.SITE_URL = "https://desk.example.com"
    return "https://desk.example.com"


def test_it_holds_a_guest_ticket_until_confirmed(db: Any, agent_sam: Any, smtp_server: Any, run_tasks: Any) -> None:
    ticket = _guest_ticket()
    assert ticket.is_held and ticket.channel == "guest"
    requester = User.objects.get(email=GUEST)
    assert requester.role == "customer" and not requester.has_usable_password()
    assert requester.email_verified_at is None
    everything = InboxFilter(view="all", statuses=tuple(Status.values))
    assert selectors.inbox(agent_sam, everything).tickets == []
    assert selectors.inbox(agent_sam, InboxFilter(view="unassigned")).tickets == []
    assert selectors.customer_tickets(requester).tickets == []
    for user in (agent_sam, requester):
        with pytest.raises(NotFound):
            selectors.access_ticket(user, ticket.ref)
    [created] = AuditEvent.objects.filter(verb="ticket.created", target_ref=ticket.ref)
    assert created.actor is None and created.data == {"channel": "guest"} and created.ip == "198.51.100.7"
    assert run_tasks() >= 1
    assert [m.rcpt_tos for m in smtp_server.messages] == [[GUEST]]


def test_it_sends_one_confirmation_that_relays_nothing_the_guest_wrote(
    db: Any, site: str, smtp_server: Any, run_tasks: Any
) -> None:
    ticket = _guest_ticket()
    assert smtp_server.messages == []  # sent by the worker, after commit
    run_tasks()
    [mail] = smtp_server.messages
    assert mail.rcpt_tos == [GUEST]
    assert ticket.ref in mail.subject
    assert "verify your wallet" not in mail.subject.lower() and "evil.example" not in mail.subject
    for part in (mail.text, mail.html):
        assert "Your account is frozen" not in part
        assert "seed phrase" not in part
        assert "evil.example" not in part
    [link] = [link for link in mail.links() if "/tickets/confirm/" in link]
    assert link.startswith(site + "/tickets/confirm/")
    assert ticket.ref.lower() in str(mail.message["Reply-To"])
    # The token is made at sending time and never stored.
    assert _token(link) not in str(Ticket.objects.filter(pk=ticket.pk).values().get())


def test_it_confirms_once_through_the_emailed_link(db: Any, site: str, smtp_server: Any, run_tasks: Any) -> None:
    ticket = _guest_ticket()
    run_tasks()
    token = _token(_confirmation_link(smtp_server, ticket.ref))
    smtp_server.clear()

    confirmed = services.confirm_guest_ticket(token, ip="198.51.100.7")
    assert confirmed.pk == ticket.pk and not confirmed.is_held
    stored = Ticket.objects.get(pk=ticket.pk)
    assert stored.confirmed_at is not None and stored.confirm_nonce == ""
    requester = User.objects.get(email=GUEST)
    assert requester.email_verified_at is not None
    assert selectors.access_ticket(requester, ticket.ref) == stored
    assert [t.ref for t in selectors.customer_tickets(requester).tickets] == [ticket.ref]
    [event] = AuditEvent.objects.filter(verb="ticket.confirmed", target_ref=ticket.ref)
    assert event.ip == "198.51.100.7"

    with pytest.raises(InvalidInput) as refused:
        services.confirm_guest_ticket(token)
    assert refused.value.code == "invalid_confirmation"
    assert AuditEvent.objects.filter(verb="ticket.confirmed", target_ref=ticket.ref).count() == 1

    run_tasks()
    [received] = smtp_server.to(GUEST)
    assert received.subject == f"[{ticket.ref}] We received your request"
    for part in (received.subject, received.text, received.html):
        assert "evil.example" not in part and "seed phrase" not in part


def test_it_shows_a_confirmed_guest_ticket_in_the_inbox(
    db: Any, agent_sam: Any, smtp_server: Any, run_tasks: Any
) -> None:
    ticket = _guest_ticket()
    run_tasks()
    services.confirm_guest_ticket(_token(_confirmation_link(smtp_server, ticket.ref)))
    page = selectors.inbox(agent_sam, InboxFilter(view="unassigned"))
    assert [t.ref for t in page.tickets] == [ticket.ref]
    assert selectors.access_ticket(agent_sam, ticket.ref).pk == ticket.pk


def _tampered(token: str) -> list[str]:
    payload, timestamp, signature = token.rsplit(":", 2)
    flipped = signature[:-1] + ("A" if signature[-1] != "A" else "B")
    return [
        f"{payload}:{timestamp}:{flipped}",  # signature changed
        f"{payload[:-1]}x:{timestamp}:{signature}",  # payload changed
        f"{payload}:{timestamp}",  # signature dropped
        "x" + token,
        token + "x",
        "",
        "not-a-token",
        "a" * 501,
    ]


def test_it_refuses_a_tampered_link(db: Any, smtp_server: Any, run_tasks: Any) -> None:
    ticket = _guest_ticket()
    run_tasks()
    token = _token(_confirmation_link(smtp_server, ticket.ref))
    for bad in [*_tampered(token), None, 42, ["x"]]:
        with pytest.raises(InvalidInput) as refused:
            services.confirm_guest_ticket(bad)
        assert refused.value.code == "invalid_confirmation"
    assert Ticket.objects.get(pk=ticket.pk).is_held
    # The genuine link still works afterwards.
    assert not services.confirm_guest_ticket(token).is_held


def test_it_refuses_a_link_for_another_ticket(db: Any, smtp_server: Any, run_tasks: Any) -> None:
    first = _guest_ticket()
    second = _guest_ticket()
    run_tasks()
    token = _token(_confirmation_link(smtp_server, first.ref))
    assert services.confirm_guest_ticket(token).pk == first.pk
    assert Ticket.objects.get(pk=second.pk).is_held


def test_it_refuses_an_expired_link(db: Any, smtp_server: Any, run_tasks: Any) -> None:
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        ticket = _guest_ticket()
        run_tasks()
    token = _token(_confirmation_link(smtp_server, ticket.ref))
    hours = settings.SAFEDESK_GUEST_LINK_HOURS
    with (
        time_machine.travel(start + dt.timedelta(hours=hours, minutes=1), tick=False),
        pytest.raises(InvalidInput) as refused,
    ):
        services.confirm_guest_ticket(token)
    assert refused.value.code == "invalid_confirmation"
    assert Ticket.objects.get(pk=ticket.pk).is_held
    with time_machine.travel(start + dt.timedelta(hours=hours, minutes=-1), tick=False):
        assert not services.confirm_guest_ticket(token).is_held


def test_it_gives_staff_and_closed_accounts_no_guest_ticket_and_no_email(
    make_user: Callable[..., Any], agent_sam: Any, smtp_server: Any, run_tasks: Any
) -> None:
    closed = make_user("gone")
    closed.is_active = False
    closed.save()
    for address in ("sam@example.com", "GONE@example.com"):
        before = Ticket.objects.count()
        assert (
            services.submit_guest_ticket(address, services.TicketInput(subject=PHISH_SUBJECT, body=PHISH_BODY)) is None
        )
        assert Ticket.objects.count() == before
    assert AuditEvent.objects.filter(verb="ticket.guest_refused", target_ref="example.com").count() == 2
    run_tasks()
    assert smtp_server.messages == []


def test_it_quotes_the_agents_reply_to_the_requester(
    alice: Any, agent_sam: Any, site: str, smtp_server: Any, run_tasks: Any
) -> None:
    ticket = services.submit_ticket(alice, services.TicketInput(subject=PHISH_SUBJECT, body=PHISH_BODY))
    run_tasks()
    smtp_server.clear()
    services.add_reply(ticket, "Internal: check the withdrawal logs.", actor=agent_sam, internal=True)
    assert run_tasks() == 0
    services.add_reply(ticket, "Your deposit was credited at 14:02. Thank you for waiting.", actor=agent_sam)
    run_tasks()
    [mail] = smtp_server.to("alice@example.com")
    assert mail.subject == f"[{ticket.ref}] New reply to your request"
    assert "Your deposit was credited at 14:02. Thank you for waiting." in mail.text
    assert "Your deposit was credited at 14:02." in mail.html
    assert "check the withdrawal logs" not in mail.text + mail.html
    assert "seed phrase" not in mail.text + mail.html
    assert f"{site}/tickets/{ticket.ref}/" in mail.links()


def test_it_never_quotes_the_customer_to_the_assignee(
    alice: Any, agent_sam: Any, supervisor_ada: Any, smtp_server: Any, run_tasks: Any
) -> None:
    ticket = services.submit_ticket(alice, services.TicketInput(subject="Withdrawal", body="Stuck."))
    services.assign_ticket(ticket, assignee=agent_sam, actor=supervisor_ada)
    run_tasks()
    smtp_server.clear()
    services.add_reply(ticket, PHISH_BODY, actor=alice)
    run_tasks()
    [mail] = smtp_server.to("sam@example.com")
    assert ticket.ref in mail.subject
    assert "evil.example" not in mail.subject + mail.text + mail.html
    assert smtp_server.to("alice@example.com") == []


def test_it_writes_to_each_requester_in_their_language(
    make_user: Callable[..., Any], agent_sam: Any, smtp_server: Any, run_tasks: Any
) -> None:
    english = make_user("lena", language="en")
    chinese = make_user("li", language="zh-hans")
    subjects: dict[str, str] = {}
    for user in (english, chinese):
        ticket = services.submit_ticket(user, services.TicketInput(subject="Question", body="Hello"))
        run_tasks()
        smtp_server.clear()
        services.add_reply(ticket, "We are on it.", actor=agent_sam)
        run_tasks()
        [mail] = smtp_server.to(user.email)
        assert "We are on it." in mail.text
        subjects[user.language] = mail.subject.replace(ticket.ref, "REF")
    assert subjects["en"] == "[REF] New reply to your request"
    assert subjects["zh-hans"] != subjects["en"]
    assert CJK.search(subjects["zh-hans"])
