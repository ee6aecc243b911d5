"""The staff pages of the safety app: the known-scam list and report queue (agents), the
agent-guard events (supervisors), and bounded queries on every list page, public and staff."""

from __future__ import annotations

from typing import Any

import pytest

from safedesk.safety import services
from safedesk.safety.models import KnownScam
from safedesk.tickets import services as ticket_services

pytestmark = pytest.mark.django_db


def _registry(admin: Any, n: int, *, start: int = 0) -> None:
    for i in range(start, start + n):
        services.add_official_channel(
            services.ChannelInput(kind="domain", value=f"brand{i}.com", label_en=f"site {i}", label_zh=f"网站 {i}"),
            actor=admin,
        )
        services.list_known_scam("domain", f"brand{i}-support.net", note="fake help desk", actor=admin)


def test_agents_list_and_withdraw_scams_in_the_console(agent_sam: Any, login: Any) -> None:
    agent = login(agent_sam)
    response = agent.post(
        "/agent/safety/scams/", {"kind": "domain", "value": "https://bitpie-gift.io/x", "note": "fake airdrop"}
    )
    assert response.status_code == 303
    scam = KnownScam.objects.get()
    assert scam.value == "bitpie-gift.io"
    assert "fake airdrop" in agent.get("/agent/safety/scams/").content.decode()
    response = agent.post(f"/agent/safety/scams/{scam.public_id}/withdraw")
    assert response.status_code == 303
    scam.refresh_from_db()
    assert scam.withdrawn_at is not None
    assert agent.post(f"/agent/safety/scams/{scam.public_id}/withdraw").status_code == 409
    assert agent.post("/agent/safety/scams/not-an-id/withdraw").status_code == 404
    response = agent.post("/agent/safety/scams/", {"kind": "domain", "value": "!!"})
    assert response.status_code == 400
    assert KnownScam.objects.count() == 1


def test_customers_reach_no_staff_safety_page(alice: Any, login: Any) -> None:
    customer = login(alice)
    for path in ("/agent/safety/registry/", "/agent/safety/scams/", "/agent/safety/guard/"):
        assert customer.get(path).status_code == 403, path
    assert customer.post("/agent/safety/scams/", {"kind": "domain", "value": "x.io"}).status_code == 403
    assert not KnownScam.objects.exists()


def test_supervisors_see_guard_events_and_agents_do_not(
    alice: Any, agent_sam: Any, supervisor_ada: Any, login: Any
) -> None:
    ticket = ticket_services.submit_ticket(alice, ticket_services.TicketInput(subject="Help", body="Locked out"))
    with pytest.raises(Exception):  # noqa: B017 (the guard's refusal; its type is tested elsewhere)
        ticket_services.reply_as_agent(
            ticket, ticket_services.AgentReply(body="Please send me your recovery phrase."), actor=agent_sam
        )
    page = login(supervisor_ada).get("/agent/safety/guard/").content.decode()
    assert ticket.ref in page and "recovery_phrase" in page
    assert "send me your recovery phrase" not in page
    assert login(agent_sam).get("/agent/safety/guard/").status_code == 403


def test_list_pages_take_a_bounded_number_of_queries(
    admin_root: Any, agent_sam: Any, login: Any, client: Any, django_assert_max_num_queries: Any
) -> None:
    admin, agent = login(admin_root), login(agent_sam)
    pages = (
        (client, "/verify/"),
        (client, "/verify/scams/"),
        (admin, "/agent/safety/registry/"),
        (agent, "/agent/safety/scams/"),
    )
    counts: dict[int, list[int]] = {}
    for rows, more in ((3, 3), (30, 27)):
        _registry(admin_root, more, start=rows - more)
        counts[rows] = []
        for who, path in pages:
            with django_assert_max_num_queries(12) as captured:
                assert who.get(path).status_code == 200, path
            counts[rows].append(len(captured))
    assert counts[3] == counts[30]  # no query per row
