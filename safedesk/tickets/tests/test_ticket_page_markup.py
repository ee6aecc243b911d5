"""The ticket pages' rows written by template tags (safedesk.tickets.templatetags.ticket_page):
every person's, customer's and agent's text in them stays inert markup."""

from __future__ import annotations

from typing import Any

from django.utils.html import escape

from safedesk.accounts.models import Team, User
from safedesk.tickets import services
from safedesk.tickets.models import Message, MessageKind

PAYLOAD = '<script>alert(1)</script><img src=x onerror="alert(2)">'
ESCAPED = "&lt;script&gt;alert(1)&lt;/script&gt;&lt;img src=x onerror=&quot;alert(2)&quot;&gt;"


def test_it_escapes_every_row_the_tags_write(alice: Any, agent_sam: Any, supervisor_ada: Any, login: Any) -> None:
    User.objects.filter(pk__in=[alice.pk, agent_sam.pk]).update(display_name=PAYLOAD[:120])
    ticket = services.submit_ticket(alice, services.TicketInput(subject="Deposit missing", body=PAYLOAD))
    services.submit_ticket(alice, services.TicketInput(subject=PAYLOAD[:40], body="Other one"))
    services.add_reply(ticket, PAYLOAD, actor=agent_sam)
    Team.objects.create(name=PAYLOAD[:100])
    services.create_macro(services.MacroInput(name=PAYLOAD[:80], body_en="Hi"), shared=True, actor=supervisor_ada)
    # Event data is written by services from known values; odd data must still come out inert.
    Message.objects.create(ticket=ticket, kind=MessageKind.EVENT, event="status_changed", data={"to": PAYLOAD})
    Message.objects.create(ticket=ticket, kind=MessageKind.EVENT, event="merged_from", data={"source": PAYLOAD})
    Message.objects.create(ticket=ticket, kind=MessageKind.EVENT, event=PAYLOAD[:32], data={})

    for client, url in (
        (login(agent_sam), f"/agent/tickets/{ticket.ref}/"),
        (login(alice), f"/tickets/{ticket.ref}/"),
    ):
        page = client.get(url).content.decode()
        assert "<script>" not in page and "<img src=x" not in page, url
        assert ESCAPED[:40] in page, url

    agent_page = login(agent_sam).get(f"/agent/tickets/{ticket.ref}/").content.decode()
    assert f"Support · {ESCAPED[:40]}" in agent_page  # the agent's name in the thread
    assert f"Status changed to {ESCAPED}" in agent_page
    assert f"{ESCAPED} was merged into this ticket" in agent_page
    assert agent_page.count(f">{ESCAPED}</option>") == 2  # the team and the macro
    assert f'{escape(PAYLOAD[:40])} <span class="badge">' in agent_page  # the other ticket's subject
