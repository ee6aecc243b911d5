import datetime as dt

import pytest
import time_machine
from django.test import Client
from django.utils import timezone

from safedesk.audit.models import AuditEvent
from safedesk.audit.selectors import PAGE_SIZE
from safedesk.audit.services import record

URL = "/agent/audit/"


def _verbs(response) -> list[str]:
    return [e.verb for e in response.context["events"]]


@pytest.fixture
def events(alice, agent_sam, supervisor_ada):
    record("ticket.replied", actor=agent_sam, target=alice, data={"token": "s3cret"})
    record("article.published", actor=supervisor_ada, target_ref="kb-1")
    record("accounts.language_changed", actor=alice, target=alice)


def test_it_shows_supervisors_everything(login, supervisor_ada, events) -> None:
    response = login(supervisor_ada).get(URL)
    assert response.status_code == 200
    assert _verbs(response) == ["accounts.language_changed", "article.published", "ticket.replied"]
    assert "s3cret" not in response.content.decode()


def test_it_shows_agents_only_their_own_actions(login, agent_sam, events) -> None:
    response = login(agent_sam).get(URL)
    assert _verbs(response) == ["ticket.replied"]
    assert login(agent_sam).get(URL, {"actor": "ada@example.com"}).context["events"] == []


def test_it_forbids_customers_and_sends_guests_to_sign_in(login, alice, events) -> None:
    assert login(alice).get(URL).status_code == 403
    assert Client().get(URL)["Location"].startswith("/accounts/login/")


def test_it_asks_staff_for_the_second_factor(supervisor_ada) -> None:
    client = Client()
    client.force_login(supervisor_ada)
    assert client.get(URL)["Location"] == "/accounts/2fa/"


def test_it_filters_by_verb_actor_target_and_date(login, supervisor_ada, alice, agent_sam) -> None:
    client = login(supervisor_ada)
    with time_machine.travel(dt.datetime(2025, 3, 1, 12, tzinfo=dt.UTC), tick=False):
        record("ticket.replied", actor=agent_sam, target_ref="T-1")
    with time_machine.travel(dt.datetime(2025, 3, 5, 12, tzinfo=dt.UTC), tick=False):
        record("ticket.closed", actor=agent_sam, target_ref="T-2")
        record("accounts.signed_in", actor=alice, target=alice)
    assert _verbs(client.get(URL, {"verb": "ticket."})) == ["ticket.closed", "ticket.replied"]
    assert _verbs(client.get(URL, {"verb": "ticket.closed"})) == ["ticket.closed"]
    assert _verbs(client.get(URL, {"actor": "ALICE@example.com"})) == ["accounts.signed_in"]
    assert _verbs(client.get(URL, {"target": "T-1"})) == ["ticket.replied"]
    assert _verbs(client.get(URL, {"since": "2025-03-02"})) == ["accounts.signed_in", "ticket.closed"]
    assert _verbs(client.get(URL, {"until": "2025-03-01"})) == ["ticket.replied"]
    assert _verbs(client.get(URL, {"since": "2025-03-05", "until": "2025-03-05", "verb": "ticket"})) == [
        "ticket.closed"
    ]
    # A malformed filter shows the unfiltered list with the error, never a 500.
    bad = client.get(URL, {"since": "yesterday", "before": "-3"})
    assert bad.status_code == 200


def test_it_pages_by_id_without_gaps_or_repeats(login, supervisor_ada, django_assert_max_num_queries) -> None:
    client = login(supervisor_ada)
    for n in range(PAGE_SIZE * 2 + 7):
        record("bulk.event", actor=supervisor_ada, target_ref=f"R-{n}")
    seen: list[int] = []
    query = {"verb": "bulk."}
    pages = 0
    while True:
        with django_assert_max_num_queries(8):
            response = client.get(URL, query)
        pages += 1
        seen += [e.pk for e in response.context["events"]]
        if not response.context["next_query"]:
            break
        assert "verb=bulk." in response.context["next_query"]
        query = dict(pair.split("=") for pair in response.context["next_query"].split("&"))
    assert pages == 3
    assert seen == sorted(seen, reverse=True)
    assert len(seen) == len(set(seen)) == AuditEvent.objects.filter(verb="bulk.event").count()


def test_it_offers_no_way_to_change_events(login, admin_root, supervisor_ada) -> None:
    client = login(admin_root)
    event = record("x.changed", actor=supervisor_ada)
    assert client.post(URL).status_code == 405
    assert client.get(f"/admin/audit/auditevent/{event.pk}/change/").status_code == 200
    assert client.post(f"/admin/audit/auditevent/{event.pk}/change/", {"verb": "y"}).status_code == 403
    assert client.post(f"/admin/audit/auditevent/{event.pk}/delete/", {"post": "yes"}).status_code == 403
    assert client.get("/admin/audit/auditevent/add/").status_code == 403
    assert AuditEvent.objects.get(pk=event.pk).verb == "x.changed"
    assert timezone.now() >= event.created_at
