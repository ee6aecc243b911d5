"""The emails that follow every submission (the guest's confirmation, the requester's receipt,
the assignee's notice) read the ticket and the person in one query of the few columns they
use, and arrive through a real SMTP server as before: addressed, greeted by name, in the
person's language, with the link."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from safedesk.accounts.models import Role, User
from safedesk.accounts.services import add_team_member, create_team
from safedesk.tickets import services, setup_services, tasks
from safedesk.tickets.models import AssignmentMode

pytestmark = pytest.mark.django_db


def _one_read(run: Callable[[], None]) -> None:
    with CaptureQueriesContext(connection) as ctx:
        run()
    assert len(ctx.captured_queries) == 1, [q["sql"] for q in ctx.captured_queries]


def test_it_sends_the_submission_emails_in_one_read(
    alice: Any, admin_root: Any, make_user: Callable[..., Any], smtp_server: Any, settings: Any
) -> None:
    settings.SITE_URL = "https://desk.example.com"
    guest = services.submit_guest_ticket(
        "visitor@example.com", services.TicketInput(subject="Hi", body="Help.", language="zh-hans")
    )
    assert guest is not None
    User.objects.filter(email="visitor@example.com").update(display_name="Vera")
    _one_read(lambda: tasks.send_guest_confirmation.call(guest.ref))
    [mail] = smtp_server.to("visitor@example.com")
    assert guest.ref in mail.subject and "Vera" in mail.text and "Vera" in mail.html
    assert any("https://desk.example.com/tickets/confirm/" in link for link in mail.links())
    assert "确认" in mail.subject  # the guest's language

    agent = make_user("amy", Role.AGENT)
    User.objects.filter(pk=agent.pk).update(display_name="Amy", language="en")
    team = create_team(name="Withdrawals", actor=admin_root)
    add_team_member(team, agent, actor=admin_root)
    setup_services.save_team_settings(
        team, calendar=None, assignment_mode=AssignmentMode.ROUND_ROBIN, categories=["withdrawal"], actor=admin_root
    )
    ticket = services.submit_ticket(alice, services.TicketInput(subject="Stuck", body="Help.", category="withdrawal"))
    assert ticket.assignee_id == agent.pk
    _one_read(lambda: tasks.notify_requester.call(ticket.ref, "received"))
    _one_read(lambda: tasks.notify_assignee.call(ticket.ref, "assigned"))
    [receipt] = smtp_server.to(alice.email)
    assert ticket.ref in receipt.subject and alice.display_name in receipt.text
    assert f"https://desk.example.com/tickets/{ticket.ref}/" in receipt.links()
    [notice] = smtp_server.to(agent.email)
    assert notice.subject == f"[{ticket.ref}] Ticket {ticket.ref} was assigned to you." and "Amy" in notice.text
    assert f"https://desk.example.com/agent/tickets/{ticket.ref}/" in notice.links()


def test_it_sends_nothing_for_a_ticket_that_is_gone_or_no_longer_waits(alice: Any, smtp_server: Any) -> None:
    tasks.send_guest_confirmation.call("T-NOTHERE")
    tasks.notify_requester.call("T-NOTHERE", "received")
    tasks.notify_assignee.call("T-NOTHERE", "assigned")
    ticket = services.submit_ticket(alice, services.TicketInput(subject="Stuck", body="Help."))
    tasks.send_guest_confirmation.call(ticket.ref)  # not held: no confirmation
    tasks.notify_assignee.call(ticket.ref, "assigned")  # nobody assigned
    assert smtp_server.messages == []
