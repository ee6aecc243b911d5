"""Reads for the SLA and routing set-up pages: calendars, policies, teams with their members'
availability and load. `access_*` raise NotFound for a made-up or malformed id, and for
anyone below supervisor (who may read these pages; only administrators change them)."""

from __future__ import annotations

import uuid
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Model

from safedesk.accounts.models import STAFF_ROLES, Role, Team, TeamMembership, User
from safedesk.lib.errors import NotFound
from safedesk.tickets import routing
from safedesk.tickets.models import (
    AssignmentMode,
    BusinessCalendar,
    Category,
    SlaPolicy,
    TeamCategory,
    TeamSettings,
)


def may_read(user: Any) -> bool:
    return bool(getattr(user, "is_authenticated", False) and user.is_active and user.has_role(Role.SUPERVISOR))


def may_edit(user: Any) -> bool:
    return bool(getattr(user, "is_authenticated", False) and user.is_active and user.has_role(Role.ADMIN))


def _by_public_id(user: Any, model: type[Model], public_id: Any) -> Any:
    if not may_read(user):
        raise NotFound()
    try:
        key = uuid.UUID(str(public_id))
    except ValueError:
        raise NotFound() from None
    found = model._default_manager.filter(public_id=key).first()
    if found is None:
        raise NotFound()
    return found


def access_calendar(user: Any, public_id: Any) -> BusinessCalendar:
    calendar: BusinessCalendar = _by_public_id(user, BusinessCalendar, public_id)
    return calendar


def access_policy(user: Any, public_id: Any) -> SlaPolicy:
    policy: SlaPolicy = _by_public_id(user, SlaPolicy, public_id)
    return policy


def access_team(user: Any, public_id: Any) -> Team:
    team: Team = _by_public_id(user, Team, public_id)
    return team


def calendars() -> list[BusinessCalendar]:
    return list(BusinessCalendar.objects.order_by("-is_default", "name"))


def policies() -> list[SlaPolicy]:
    # Active first, then by scope: the order in which they read as a table.
    return list(SlaPolicy.objects.order_by("-active", "priority", "category", "name"))


@dataclass
class MemberRow:
    user: User
    active_tickets: int
    cap: int | None


@dataclass
class TeamRow:
    team: Team
    mode: str = AssignmentMode.MANUAL
    calendar: BusinessCalendar | None = None
    categories: list[str] = field(default_factory=list)
    members: list[MemberRow] = field(default_factory=list)

    @property
    def mode_label(self) -> str:
        return str(AssignmentMode(self.mode).label)

    @property
    def category_labels(self) -> list[str]:
        return [str(Category(c).label) for c in self.categories]

    @property
    def available(self) -> int:
        return sum(1 for m in self.members if m.user.availability == "available")


def teams(*, only: Team | None = None) -> list[TeamRow]:
    """Every team (or one) with its settings, categories and staff members (availability,
    active tickets, cap), in a fixed number of queries whatever the size."""
    team_query = Team.objects.order_by("name")
    if only is not None:
        team_query = team_query.filter(pk=only.pk)
    rows = {t.pk: TeamRow(team=t) for t in team_query}
    ids = list(rows)
    for s in TeamSettings.objects.filter(team_id__in=ids).select_related("calendar"):
        rows[s.team_id].mode, rows[s.team_id].calendar = s.assignment_mode, s.calendar
    for route in TeamCategory.objects.filter(team_id__in=ids).order_by("category"):
        rows[route.team_id].categories.append(route.category)
    memberships = (
        TeamMembership.objects.filter(team_id__in=ids, user__role__in=list(STAFF_ROLES))
        .select_related("user")
        .order_by("user_id")
    )
    by_team: dict[int, list[User]] = defaultdict(list)
    for m in memberships:
        by_team[m.team_id].append(m.user)
    user_ids = sorted({u.pk for users in by_team.values() for u in users})
    loads = routing.active_loads(user_ids)
    limits = routing.caps(user_ids)
    for team_id, users in by_team.items():
        rows[team_id].members = [MemberRow(u, loads.get(u.pk, 0), limits.get(u.pk)) for u in users]
    return list(rows.values())


def category_owners() -> dict[str, Team]:
    """Which team handles each routed category."""
    return {r.category: r.team for r in TeamCategory.objects.select_related("team")}
