import pytest
from django.test import Client

from safedesk.accounts import services
from safedesk.accounts.models import Team, TeamMembership
from safedesk.accounts.tests.helpers import verbs
from safedesk.lib.errors import Conflict, PermissionDenied


def test_it_lets_admins_build_teams(admin_root, agent_sam) -> None:
    team = services.create_team(name="Wallet support", actor=admin_root)
    services.add_team_member(team, agent_sam, actor=admin_root)
    services.add_team_member(team, agent_sam, actor=admin_root)  # idempotent
    assert list(team.members.all()) == [agent_sam]
    services.remove_team_member(team, agent_sam, actor=admin_root)
    assert not TeamMembership.objects.exists()
    assert verbs(actor=admin_root) == [
        "accounts.team_created",
        "accounts.team_member_added",
        "accounts.team_member_removed",
    ]
    with pytest.raises(Conflict):
        services.create_team(name="Wallet support", actor=admin_root)


def test_it_refuses_team_changes_by_non_admins(supervisor_ada, agent_sam) -> None:
    with pytest.raises(PermissionDenied):
        services.create_team(name="Exchange", actor=supervisor_ada)
    assert not Team.objects.exists()


def test_it_asks_admins_for_the_second_factor_in_the_django_admin(admin_root, login, agent_sam) -> None:
    unverified = Client()
    unverified.force_login(admin_root)
    assert unverified.get("/admin/").status_code == 302
    client = login(admin_root)
    assert client.get("/admin/").status_code == 200
    response = client.post("/admin/accounts/team/add/", {"name": "Escalations", "staff": [agent_sam.pk]})
    assert response.status_code == 302
    team = Team.objects.get(name="Escalations")
    assert list(team.members.all()) == [agent_sam]
    assert {"accounts.team_created", "accounts.team_member_added"} <= set(verbs(actor=admin_root))
    # People are read-only in the admin.
    assert client.get(f"/admin/accounts/user/{agent_sam.pk}/change/").status_code == 200
    assert client.post(f"/admin/accounts/user/{agent_sam.pk}/change/", {"role": "admin"}).status_code == 403
