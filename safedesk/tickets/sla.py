"""SLA clocks of a ticket, counted in business time (lib.businesstime) of the ticket team's
calendar (else the default calendar, else around the clock in UTC).

These helpers change a ticket *in memory* and return the fields they changed; only
`tickets.services` calls them, inside its transaction, and saves. The periodic sweep
(`tasks.sla_sweep`) records breaches.

Rules (docs/tickets.md):
- on creation, the most specific active policy sets the first-response and resolution due times;
- an agent's public reply meets the first (or next) response target;
- a customer's reply after the first response starts the next-response clock;
- "pending customer" pauses every clock; leaving it resumes them with the business time that was
  left when the pause began;
- solved and closed stop every clock; reopening starts next-response and resolution afresh.

A clock *cycle* starts when a target's clock is started: on creation (or confirmation), when a
customer's reply starts the next-response clock, and on reopening. A recount (priority,
category or team changed) and a pause keep the cycle. Each target is warned about (policy
`warning_minutes` of clock time before its due time) and recorded as breached at most once per
cycle: `sla_warned` and `sla_breached` name the targets already done in their current cycle.
"""

from __future__ import annotations

import threading
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.core.cache import cache

from safedesk.lib import businesstime
from safedesk.tickets.models import SLA_SETUP_CACHE_KEY, BusinessCalendar, SlaPolicy, Status, TeamSettings, Ticket

SLA_FIELDS = [
    "sla_policy",
    "first_response_due",
    "next_response_due",
    "resolution_due",
    "sla_due_at",
    "sla_paused_at",
    "sla_breached",
    "sla_warned",
    "sla_warn_at",
]
TARGETS = ("first_response", "next_response", "resolution")


@dataclass
class _Setup:
    """The policies and calendars every new ticket reads (a handful of rows), kept per process
    under a token from the shared cache; saving or deleting one of these rows drops the token
    (models.SlaSetupRow), so every process reads them again on its next ticket."""

    token: str
    policies: list[SlaPolicy]
    default_calendar: BusinessCalendar | None
    team_calendars: dict[int, BusinessCalendar | None] = field(default_factory=dict)
    parsed: dict[int, businesstime.Calendar] = field(default_factory=dict)


_local = threading.local()


def _setup() -> _Setup:
    token = cache.get(SLA_SETUP_CACHE_KEY)
    current: _Setup | None = getattr(_local, "setup", None)
    if token is not None and current is not None and current.token == token:
        return current
    if token is None:
        cache.add(SLA_SETUP_CACHE_KEY, uuid.uuid4().hex, timeout=None)
        token = cache.get(SLA_SETUP_CACHE_KEY) or ""
    calendars = {c.pk: c for c in BusinessCalendar.objects.all()}
    setup = _Setup(
        token=token,
        policies=list(SlaPolicy.objects.filter(active=True)),
        default_calendar=next((c for c in calendars.values() if c.is_default), None),
        team_calendars={
            team_id: calendars.get(calendar_id) if calendar_id is not None else None
            for team_id, calendar_id in TeamSettings.objects.values_list("team_id", "calendar_id")
        },
    )
    _local.setup = setup
    return setup


def calendar_row_for(ticket: Ticket, setup: _Setup | None = None) -> BusinessCalendar | None:
    """The calendar row that counts this ticket's time: its team's, else the default one."""
    setup = setup or _setup()
    found: BusinessCalendar | None = None
    if ticket.team_id is not None:
        found = setup.team_calendars.get(ticket.team_id)
    return found if found is not None else setup.default_calendar


def calendar_for(ticket: Ticket, setup: _Setup | None = None) -> businesstime.Calendar:
    setup = setup or _setup()
    return _usable(calendar_row_for(ticket, setup), setup)


def default_calendar() -> businesstime.Calendar:
    """The default calendar (appeals are counted on it: the supervisors' queue is not a team's)."""
    setup = _setup()
    return _usable(setup.default_calendar, setup)


def _usable(found: BusinessCalendar | None, setup: _Setup) -> businesstime.Calendar:
    if found is None:
        return businesstime.Calendar.always()
    if found.pk in setup.parsed:
        return setup.parsed[found.pk]
    try:
        cal = found.calendar()
    except ValueError:
        cal = None
    if cal is None or not cal.has_hours:
        # A calendar saved with bad or no hours must not stop tickets: count around the clock.
        cal = businesstime.Calendar.always(found.tz if _valid_tz(found.tz) else "UTC")
    setup.parsed[found.pk] = cal
    return cal


def _valid_tz(name: str) -> bool:
    try:
        businesstime.Calendar.always(name)
    except ValueError:
        return False
    return True


def policy_for(ticket: Ticket, setup: _Setup | None = None) -> SlaPolicy | None:
    candidates = [
        p
        for p in (setup or _setup()).policies
        if p.priority in (ticket.priority, None) and p.category in (ticket.category, "")
    ]
    ranked = sorted(candidates, key=lambda p: (p.priority is None, p.category == "", p.pk))
    return ranked[0] if ranked else None


def _add(cal: businesstime.Calendar, start: datetime, minutes: int | None) -> datetime | None:
    if minutes is None:
        return None
    return businesstime.add_business_time(cal, start, timedelta(minutes=minutes))


def due_times(ticket: Ticket) -> list[tuple[str, datetime | None]]:
    return [
        ("first_response", ticket.first_response_due),
        ("next_response", ticket.next_response_due),
        ("resolution", ticket.resolution_due),
    ]


def _warning_lead(ticket: Ticket) -> timedelta | None:
    policy = ticket.sla_policy
    if policy is None or not policy.warning_minutes:
        return None
    return timedelta(minutes=policy.warning_minutes)


def _refresh_due_at(ticket: Ticket) -> None:
    """The earliest due time not yet breached (what the sweep and "breaching soon" look at) and
    the earliest warning not yet sent (what the warning pass of the sweep looks at)."""
    pending = [(name, due) for name, due in due_times(ticket) if due is not None and name not in ticket.sla_breached]
    paused = ticket.sla_paused_at is not None
    ticket.sla_due_at = None if paused or not pending else min(due for _name, due in pending)
    lead = _warning_lead(ticket)
    warnings = [due - lead for name, due in pending if name not in ticket.sla_warned] if lead is not None else []
    ticket.sla_warn_at = None if paused or not warnings else min(warnings)


def refresh(ticket: Ticket) -> list[str]:
    """Recomputes the next deadline and the next warning time (after a policy's lead changed)."""
    _refresh_due_at(ticket)
    return SLA_FIELDS


def _new_cycle(ticket: Ticket, *targets: str) -> None:
    """The clocks of `targets` start afresh: they may be warned about and breached again."""
    ticket.sla_breached = [name for name in ticket.sla_breached if name not in targets]
    ticket.sla_warned = [name for name in ticket.sla_warned if name not in targets]


def start(ticket: Ticket, now: datetime) -> list[str]:
    """On creation or confirmation (and when priority, category or team change): pick the
    policy, set the clocks of the targets not yet met, counted from the ticket's confirmation."""
    # One look at the set-up's version for the whole start (in scale-out each is a cache read).
    setup = _setup()
    policy = policy_for(ticket, setup)
    ticket.sla_policy = policy
    cal = calendar_for(ticket, setup)
    # A guest's ticket counts from its confirmation: until then nobody may work it.
    created = ticket.confirmed_at or ticket.created_at or now
    if policy is None:
        ticket.first_response_due = ticket.resolution_due = ticket.next_response_due = None
    else:
        if ticket.first_response_at is None:
            ticket.first_response_due = _add(cal, created, policy.first_response_minutes)
        if ticket.status not in {Status.SOLVED, Status.CLOSED}:
            ticket.resolution_due = _add(cal, created, policy.resolution_minutes)
    _refresh_due_at(ticket)
    return SLA_FIELDS


def agent_replied(ticket: Ticket, now: datetime) -> list[str]:
    ticket.first_response_due = None
    ticket.next_response_due = None
    _refresh_due_at(ticket)
    return SLA_FIELDS


def customer_replied(ticket: Ticket, now: datetime) -> list[str]:
    policy = ticket.sla_policy
    if policy is not None and ticket.first_response_at is not None and ticket.next_response_due is None:
        ticket.next_response_due = _add(calendar_for(ticket), now, policy.next_response_minutes)
        _new_cycle(ticket, "next_response")
    _refresh_due_at(ticket)
    return SLA_FIELDS


def status_changed(ticket: Ticket, previous: str, now: datetime) -> list[str]:
    """Pause on "pending customer", resume on leaving it, stop on solved/closed, restart on reopen."""
    status = ticket.status
    cal = calendar_for(ticket)
    if status in {Status.SOLVED, Status.CLOSED}:
        ticket.first_response_due = ticket.next_response_due = ticket.resolution_due = None
        ticket.sla_paused_at = None
    elif status == Status.PENDING:
        if ticket.sla_paused_at is None:
            ticket.sla_paused_at = now
    elif previous == Status.PENDING and ticket.sla_paused_at is not None:
        paused = ticket.sla_paused_at
        for name in ("first_response_due", "next_response_due", "resolution_due"):
            due = getattr(ticket, name)
            if due is not None:
                left = businesstime.business_time_between(cal, paused, due) if due > paused else timedelta(0)
                setattr(ticket, name, businesstime.add_business_time(cal, now, left))
        ticket.sla_paused_at = None
    elif previous in {Status.SOLVED, Status.CLOSED} and ticket.sla_policy is not None:
        policy = ticket.sla_policy
        ticket.resolution_due = _add(cal, now, policy.resolution_minutes)
        ticket.next_response_due = _add(cal, now, policy.next_response_minutes)
        ticket.sla_breached = []
        ticket.sla_warned = []
    _refresh_due_at(ticket)
    return SLA_FIELDS


def overdue_targets(ticket: Ticket, now: datetime) -> list[str]:
    """The targets past due and not yet recorded as breached."""
    return [
        name for name, due in due_times(ticket) if due is not None and due <= now and name not in ticket.sla_breached
    ]


def mark_breached(ticket: Ticket, targets: list[str]) -> list[str]:
    ticket.sla_breached = [*ticket.sla_breached, *targets]
    _refresh_due_at(ticket)
    return SLA_FIELDS


def targets_to_warn(ticket: Ticket, now: datetime) -> list[str]:
    """The targets whose warning time has come: not yet due (a missed one gets the breach email
    instead), not breached, not warned in this cycle, and not paused."""
    lead = _warning_lead(ticket)
    if lead is None or ticket.sla_paused_at is not None:
        return []
    return [
        name
        for name, due in due_times(ticket)
        if due is not None
        and due - lead <= now < due
        and name not in ticket.sla_breached
        and name not in ticket.sla_warned
    ]


def mark_warned(ticket: Ticket, targets: list[str]) -> list[str]:
    ticket.sla_warned = [*ticket.sla_warned, *targets]
    _refresh_due_at(ticket)
    return SLA_FIELDS


def appeal_due(policy: SlaPolicy | None, start: datetime) -> tuple[datetime | None, datetime | None]:
    """When a decision on an appeal made at `start` is due (business minutes of the default
    calendar, from the ticket's policy), and when supervisors are warned."""
    if policy is None or not policy.appeal_minutes:
        return None, None
    due = businesstime.add_business_time(default_calendar(), start, timedelta(minutes=policy.appeal_minutes))
    warn = due - timedelta(minutes=policy.warning_minutes) if policy.warning_minutes else None
    return due, warn


BREACHING_SOON = timedelta(hours=1)
