"""Every ticket list and detail view, HTML and API, answers in a fixed number of SQL queries:
the same budget for a page of 3 tickets as for a full page of 25 with replies, assignees,
teams, linked hashes, ratings and appeals (a per-row query would break it). The budgets are
exact counts with no slack: a change that adds a query must say so here."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from safedesk.accounts.models import Team
from safedesk.tickets import services
from safedesk.tickets.models import Ticket

TX = "0x" + "cd" * 32

# The user is the first query of every signed-in request, for staff read together with their OTP
# device (the session comes from the cache: SESSION_ENGINE cached_db, read from the database only
# on a miss). The inbox adds its page, the saved views, the agents and the teams of the bulk-assign form; a
# ticket's thread is the messages (and, after a merge, the merged-in tickets and their
# messages), their files, the links and appeals; the agent page adds the other tickets, the
# agents, the teams and the macros.
STAFF_PAGES = {
    "/agent/tickets/?view=all": 5,
    "/agent/tickets/?view=mine": 5,
    "/agent/tickets/?view=unassigned": 5,
    "/agent/tickets/?view=team": 5,
    "/agent/tickets/?view=breaching": 5,
    "/agent/tickets/?view=appeals_open": 5,
    "/agent/tickets/?view=all&status=solved&priority=2&category=withdrawal&tag=vip&q=withdraw": 5,
    "/api/v1/tickets?view=all": 2,
    "/api/v1/tickets?view=mine&limit=100": 2,
}
STAFF_DETAIL = {"/agent/tickets/{ref}/": 10, "/api/v1/tickets/{ref}": 6}
SUPERVISOR_PAGES = {"/agent/appeals/": 2}
CUSTOMER_PAGES = {"/tickets/": 2, "/api/v1/tickets": 2}
CUSTOMER_DETAIL = {"/tickets/{ref}/": 6, "/api/v1/tickets/{ref}": 6}


def _busy_desk(count: int, customers: list[Any], agent: Any) -> list[Ticket]:
    """`count` tickets with what list rows and ticket pages show: replies, an assignee and a team,
    tags, linked hashes, and on every third ticket a rating and an open appeal."""
    team = Team.objects.create(name="Payments")
    team.members.add(agent)
    made = []
    for i in range(count):
        ticket = services.submit_ticket(
            customers[i % len(customers)],
            services.TicketInput(subject=f"Withdrawal {i} stuck", body="Still pending.", chain_links=[TX]),
        )
        services.assign_ticket(ticket, assignee=agent, team=team, actor=agent)
        services.update_fields(ticket, tags=["vip"], actor=agent)
        services.add_reply(ticket, "We are checking.", actor=agent)
        services.add_reply(ticket, "Thanks.", actor=ticket.requester)
        services.add_reply(ticket, "Internal: chain congested.", actor=agent, internal=True)
        if i % 3 == 0:
            services.change_status(ticket, "solved", actor=agent)
            services.rate_ticket(ticket, 4, "ok", actor=ticket.requester)
            services.appeal_ticket(ticket, "Please look again.", actor=ticket.requester)
        made.append(ticket)
    return made


def _queries(client: Client, url: str) -> int:
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
    assert response.status_code == 200, (url, response.status_code)
    return len(ctx.captured_queries)


@pytest.mark.parametrize("count", [3, 30])
def test_it_reads_every_ticket_page_in_a_fixed_number_of_queries(
    count: int,
    alice: Any,
    bob: Any,
    agent_sam: Any,
    supervisor_ada: Any,
    login: Callable[..., Client],
    settings: Any,
) -> None:
    settings.SAFEDESK_TICKET_RATE_PER_HOUR = 1000
    tickets = _busy_desk(count, [alice, bob], agent_sam)
    ref = next(t.ref for t in tickets if t.requester_id == alice.pk)
    measured: dict[str, int] = {}
    expected: dict[str, int] = {}
    for client, pages, details in (
        (login(agent_sam), STAFF_PAGES, STAFF_DETAIL),
        (login(supervisor_ada), SUPERVISOR_PAGES, {}),
        (login(alice), CUSTOMER_PAGES, CUSTOMER_DETAIL),
    ):
        for url, budget in [*pages.items(), *((u.format(ref=ref), b) for u, b in details.items())]:
            measured[url] = _queries(client, url)
            expected[url] = budget
    assert measured == expected


def test_it_shows_a_full_inbox_page_without_a_query_per_row(
    alice: Any, agent_sam: Any, login: Callable[..., Client], settings: Any, django_assert_max_num_queries: Any
) -> None:
    settings.SAFEDESK_TICKET_RATE_PER_HOUR = 1000
    _busy_desk(40, [alice], agent_sam)  # 26 of them stay active (view=all)
    agent = login(agent_sam)
    with django_assert_max_num_queries(7):
        page = agent.get("/agent/tickets/?view=all").content.decode()
    assert page.count('href="/agent/tickets/T-') == 25 and "alice@example.com" in page and "sam@example.com" in page
    with django_assert_max_num_queries(4):
        body = agent.get("/api/v1/tickets?view=all").json()
    assert len(body["results"]) == 25 and body["next_after"]
    assert {r["requester_email"] for r in body["results"]} == {"alice@example.com"}
