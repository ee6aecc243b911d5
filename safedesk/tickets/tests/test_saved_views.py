"""Saved views: an agent saves the inbox filter under a name; supervisors may share one with a
team; they open from the inbox sidebar; edit and delete; a view whose team or agent is gone
opens with a notice, never a 500."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client

from safedesk.accounts.models import Team, TeamMembership
from safedesk.audit.models import AuditEvent
from safedesk.lib.errors import InvalidInput, NotFound, PermissionDenied
from safedesk.tickets import selectors, services
from safedesk.tickets.models import SavedView, Ticket

pytestmark = pytest.mark.django_db


def _ticket(user: Any, subject: str, **extra: Any) -> Ticket:
    return services.submit_ticket(user, services.TicketInput(subject=subject, body="Please look.", **extra))


def _team(name: str, *members: Any) -> Team:
    team = Team.objects.create(name=name)
    for member in members:
        TeamMembership.objects.create(team=team, user=member)
    return team


def _state() -> tuple[int, int]:
    return SavedView.objects.count(), AuditEvent.objects.count()


def test_it_saves_the_inbox_filter_and_opens_it_from_the_sidebar(
    alice: Any, bob: Any, agent_sam: Any, login: Callable[..., Client]
) -> None:
    _ticket(alice, "Withdrawal fee too high", category="fees")
    _ticket(bob, "Account locked", category="account")
    client = login(agent_sam)
    inbox = client.get("/agent/tickets/?view=all&category=fees&status=new").content.decode()
    # The save form carries the filter that is on screen.
    assert '<input type="hidden" name="category" value="fees">' in inbox
    response = client.post(
        "/agent/views/new/", {"name": "Fee complaints", "view": "all", "category": "fees", "status": ["new"]}
    )
    assert response.status_code == 303
    view = SavedView.objects.get(name="Fee complaints")
    assert view.owner == agent_sam and view.team is None
    assert view.params == {"view": "all", "status": ["new"], "category": "fees"}
    assert response["Location"] == f"/agent/tickets/?saved={view.public_id}"
    page = client.get(response["Location"]).content.decode()
    assert "Withdrawal fee too high" in page and "Account locked" not in page
    assert f'href="?saved={view.public_id}" aria-current="page"' in page
    # Another page of the saved view keeps the saved view.
    assert f"saved={view.public_id}" in page
    assert AuditEvent.objects.filter(verb="saved_view.created", target_ref=str(view.public_id)).exists()


def test_it_keeps_personal_views_personal_and_shares_a_supervisors_view_with_a_team(
    agent_sam: Any, supervisor_ada: Any, make_user: Callable[..., Any], login: Callable[..., Client]
) -> None:
    kim, lee = make_user("kim", "agent"), make_user("lee", "agent")
    desk = _team("Withdrawals desk", kim)
    mine = services.save_view("Mine only", {"view": "mine"}, actor=agent_sam)
    shared = services.save_view("Desk urgent", {"view": "team", "priority": 4}, team=desk, actor=supervisor_ada)
    assert [v.name for v in selectors.saved_views_for(agent_sam)] == ["Mine only"]
    assert [v.name for v in selectors.saved_views_for(kim)] == ["Desk urgent"]
    assert selectors.saved_views_for(lee) == []
    # Opening someone else's view answers like a view that does not exist.
    for user, view in ((lee, shared), (kim, mine), (supervisor_ada, mine)):
        with pytest.raises(NotFound):
            selectors.access_saved_view(user, view.public_id)
    assert login(lee).get(f"/agent/tickets/?saved={shared.public_id}").status_code == 404
    assert login(kim).get(f"/agent/tickets/?saved={shared.public_id}").status_code == 200
    # Team members use a shared view; they do not change it.
    with pytest.raises(NotFound):
        services.update_view(shared, "Taken over", {"view": "all"}, actor=kim)
    with pytest.raises(NotFound):
        services.delete_view(shared, actor=kim)
    assert login(kim).post(f"/agent/views/{shared.public_id}/delete/").status_code == 404
    assert SavedView.objects.filter(pk=shared.pk).exists()


def test_it_lets_only_supervisors_share_views(agent_sam: Any, login: Callable[..., Client]) -> None:
    desk = _team("Desk", agent_sam)
    before = _state()
    with pytest.raises(PermissionDenied):
        services.save_view("Sneaky", {"view": "all"}, team=desk, actor=agent_sam)
    client = login(agent_sam)
    response = client.post("/agent/views/new/", {"name": "Sneaky", "view": "all", "share_team": str(desk.public_id)})
    assert response.status_code == 403
    assert _state() == before


def test_it_refuses_bad_views_and_changes_nothing(agent_sam: Any, login: Callable[..., Client]) -> None:
    services.save_view("Taken", {"view": "all"}, actor=agent_sam)
    client = login(agent_sam)
    before = _state()
    for data, code in (
        ({"name": "", "view": "all"}, "required"),
        ({"name": "Bad view", "view": "everything"}, "invalid_view"),
        ({"name": "Bad status", "status": ["archived"]}, "invalid_status"),
        ({"name": "Bad team", "team": "not-a-uuid"}, "invalid_choice"),
        ({"name": "Gone team", "team": "00000000-0000-0000-0000-000000000000"}, "invalid_choice"),
        ({"name": "Taken", "view": "all"}, "view_name_taken"),
        ({"name": "x" * 61, "view": "all"}, "too_long"),
    ):
        response = client.post("/agent/views/new/", data)
        assert response.status_code == 400, data
        assert f'data-code="{code}"' in response.content.decode(), data
    with pytest.raises(InvalidInput):
        services.save_view("Not a dict", ["view", "all"], actor=agent_sam)
    assert _state() == before


def test_it_caps_the_number_of_saved_views(agent_sam: Any, settings: Any) -> None:
    for i in range(selectors.MAX_SAVED_VIEWS):
        SavedView.objects.create(name=f"View {i}", owner=agent_sam, params={"view": "all"})
    with pytest.raises(InvalidInput) as refused:
        services.save_view("One more", {"view": "all"}, actor=agent_sam)
    assert refused.value.code == "too_many_views"


def test_it_edits_and_deletes_a_view(
    alice: Any, agent_sam: Any, supervisor_ada: Any, login: Callable[..., Client]
) -> None:
    desk = _team("Desk", agent_sam)
    _ticket(alice, "Urgent one", category="security")
    view = services.save_view("Security", {"view": "all", "category": "security"}, actor=supervisor_ada)
    client = login(supervisor_ada)
    edit = f"/agent/views/{view.public_id}/"
    form = client.get(edit).content.decode()
    assert '<option value="security" selected>' in form
    response = client.post(
        edit, {"name": "Security (desk)", "view": "all", "category": "security", "share_team": str(desk.public_id)}
    )
    assert response.status_code == 303
    view.refresh_from_db()
    assert view.name == "Security (desk)" and view.team == desk
    # Now the team member sees it in their sidebar.
    assert "Security (desk)" in login(agent_sam).get("/agent/tickets/").content.decode()
    assert client.get("/agent/views/").status_code == 200
    assert client.post(edit + "delete/").status_code == 303
    assert not SavedView.objects.filter(pk=view.pk).exists()
    verbs = list(
        AuditEvent.objects.filter(target_type="tickets.savedview").order_by("id").values_list("verb", flat=True)
    )
    assert verbs == ["saved_view.created", "saved_view.updated", "saved_view.deleted"]


def test_it_opens_a_view_whose_team_or_agent_is_gone_with_a_notice(
    alice: Any, agent_sam: Any, make_user: Callable[..., Any], login: Callable[..., Client]
) -> None:
    kim = make_user("kim", "agent")
    gone = _team("Old desk")
    _ticket(alice, "Still here", category="fees")
    view = services.save_view(
        "Old desk fees",
        {"view": "all", "category": "fees", "team": str(gone.public_id), "assignee": str(kim.public_id)},
        actor=agent_sam,
    )
    shared_desk = _team("Shared desk", agent_sam)
    shared = SavedView.objects.create(name="Shared", owner=agent_sam, team=shared_desk, params={"view": "all"})
    gone.delete()
    shared_desk.delete()
    kim.is_active = False
    kim.save(update_fields=["is_active"])
    # A view saved by an older version with a value the checks refuse today.
    broken = SavedView.objects.create(
        name="Broken", owner=agent_sam, params={"view": "archive", "priority": "9", "status": "x"}
    )
    client = login(agent_sam)
    page = client.get(f"/agent/tickets/?saved={view.public_id}")
    assert page.status_code == 200
    body = page.content.decode()
    assert 'data-code="saved_view_stale"' in body and "team, assignee" in body
    assert "Still here" in body  # what still applies (category) still filters
    assert client.get(f"/agent/views/{view.public_id}/").status_code == 200
    # The shared view whose team was removed stays with its owner, unshared.
    shared.refresh_from_db()
    assert shared.team is None and client.get(f"/agent/tickets/?saved={shared.public_id}").status_code == 200
    page = client.get(f"/agent/tickets/?saved={broken.public_id}")
    assert page.status_code == 200 and 'data-code="saved_view_stale"' in page.content.decode()
    assert client.get("/agent/tickets/?saved=not-a-uuid").status_code == 404


def test_it_keeps_the_queries_of_the_inbox_and_views_pages_bounded(
    alice: Any, agent_sam: Any, supervisor_ada: Any, login: Callable[..., Client], django_assert_max_num_queries: Any
) -> None:
    desk = _team("Desk", agent_sam)
    for i in range(20):
        _ticket(alice, f"Request {i}")
        services.save_view(f"Mine {i}", {"view": "all", "tag": f"t{i}"}, actor=agent_sam)
        services.save_view(f"Desk {i}", {"view": "team"}, team=desk, actor=supervisor_ada)
    view = SavedView.objects.filter(owner=agent_sam).first()
    assert view is not None
    client = login(agent_sam)
    # Session, user, OTP device and the page's own reads: the same for 40 saved views as for 2.
    with django_assert_max_num_queries(12):
        assert client.get("/agent/tickets/?view=all").status_code == 200
    with django_assert_max_num_queries(12):
        assert client.get(f"/agent/tickets/?saved={view.public_id}").status_code == 200
    with django_assert_max_num_queries(6):
        assert client.get("/agent/views/").status_code == 200
    with django_assert_max_num_queries(10):
        assert client.get(f"/agent/views/{view.public_id}/").status_code == 200
    supervisor = login(supervisor_ada)
    with django_assert_max_num_queries(6):
        assert supervisor.get("/agent/views/").status_code == 200
