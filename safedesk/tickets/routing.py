"""Who gets a ticket that enters a team without an assignee (docs/tickets.md, "Assignment").

Only `tickets.services` calls `take_turn`, inside its transaction and with the ticket already
locked. It locks the team's settings row before it reads anything, so two tickets entering the
same team at once are picked one after the other: the second sees the first one's turn (the
round-robin pointer) and its load (least loaded). The lock order is always ticket, then team
settings, which keeps concurrent routing free of deadlocks.

Eligible: members of the team who are active, hold a staff role, are *available* and are under
their cap of active tickets (`AgentSettings.max_active_tickets`, none = no cap). Their order is
stable (user id). Round-robin takes the first eligible member after the last one served,
wrapping around; least loaded takes the eligible member with the fewest active tickets (every
team counted), ties going to the lower user id.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Count

from safedesk.accounts.models import STAFF_ROLES, Availability, User
from safedesk.tickets.models import (
    ACTIVE_STATUSES,
    AUTOMATIC_MODES,
    AgentSettings,
    AssignmentMode,
    TeamSettings,
    Ticket,
)


@dataclass(frozen=True)
class Turn:
    assignee: User | None
    mode: str  # the team's assignment mode (manual: nobody is picked)


def active_loads(user_ids: list[int]) -> dict[int, int]:
    """Active tickets (new, open, pending, on hold) assigned to each of these people."""
    if not user_ids:
        return {}
    rows = (
        Ticket.objects.filter(assignee_id__in=user_ids, status__in=list(ACTIVE_STATUSES), confirmed_at__isnull=False)
        .values("assignee_id")
        .annotate(n=Count("id"))
        .values_list("assignee_id", "n")
    )
    return {int(user_id): int(n) for user_id, n in rows}


def caps(user_ids: list[int]) -> dict[int, int]:
    rows = AgentSettings.objects.filter(user_id__in=user_ids, max_active_tickets__isnull=False).values_list(
        "user_id", "max_active_tickets"
    )
    return {int(user_id): int(cap) for user_id, cap in rows if cap is not None}


def _eligible(team_id: int) -> tuple[list[User], dict[int, int]]:
    members = list(
        User.objects.filter(
            teams__id=team_id,
            is_active=True,
            role__in=list(STAFF_ROLES),
            availability=Availability.AVAILABLE,
        ).order_by("pk")
    )
    ids = [m.pk for m in members]
    loads = active_loads(ids)
    limits = caps(ids)
    return [m for m in members if m.pk not in limits or loads.get(m.pk, 0) < limits[m.pk]], loads


def take_turn(team_id: int) -> Turn:
    """The member who gets the next ticket of the team (None when the team assigns manually or
    nobody is eligible). Moves the round-robin pointer; the caller saves the ticket."""
    row = TeamSettings.objects.select_for_update().filter(team_id=team_id).first()
    if row is None or row.assignment_mode not in AUTOMATIC_MODES:
        return Turn(None, AssignmentMode.MANUAL)
    members, loads = _eligible(team_id)
    if not members:
        return Turn(None, row.assignment_mode)
    if row.assignment_mode == AssignmentMode.ROUND_ROBIN:
        last = row.round_robin_last_id
        chosen = next((m for m in members if last is None or m.pk > last), members[0])
        row.round_robin_last = chosen
        row.save(update_fields=["round_robin_last"])
    else:
        chosen = min(members, key=lambda m: (loads.get(m.pk, 0), m.pk))
    return Turn(chosen, row.assignment_mode)
