"""The only writers of the SLA and routing set-up: business calendars, SLA policies, team
settings (calendar, assignment mode, categories) and agents' caps. The console's editor
(`setup_views`) is thin glue over these; the Django admin only shows them.

Administrators change them; everyone else is refused (supervisors read the pages). Every value
is checked before the transaction opens, so a refusal changes nothing; each change is one
transaction with its audit event.

Changes apply from then on: clocks already running keep the due times they were given; new
tickets, recounts (a ticket's priority, category or team changed) and clocks started later
(the next-response clock after a customer's reply, a reopened ticket) use the new values.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date
from functools import cache
from typing import Any
from zoneinfo import available_timezones

from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from safedesk.accounts.models import STAFF_ROLES, Role, Team, User
from safedesk.audit.services import record
from safedesk.jobs.enqueue import enqueue
from safedesk.lib import businesstime
from safedesk.lib.errors import Conflict, InvalidInput, PermissionDenied
from safedesk.lib.text import clean_text
from safedesk.tickets import tasks
from safedesk.tickets.models import (
    AUTOMATIC_MODES,
    AgentSettings,
    AssignmentMode,
    BusinessCalendar,
    Category,
    Priority,
    SlaPolicy,
    TeamCategory,
    TeamSettings,
)

DAYS = businesstime.DAY_NAMES
DAY_LABELS = {
    "mon": gettext_lazy("Monday"),
    "tue": gettext_lazy("Tuesday"),
    "wed": gettext_lazy("Wednesday"),
    "thu": gettext_lazy("Thursday"),
    "fri": gettext_lazy("Friday"),
    "sat": gettext_lazy("Saturday"),
    "sun": gettext_lazy("Sunday"),
}
MAX_HOLIDAYS = 500
# A year of minutes: longer targets are typing mistakes, and they keep the business-time
# arithmetic far from the end of the calendar.
MAX_TARGET_MINUTES = 365 * 24 * 60
MAX_CAP = 1000
_RANGE = re.compile(r"^(\d{1,2}):(\d{2})-(\d{1,2}):(\d{2})$")
_SEPARATORS = re.compile(r"[,，;；\s]+")


def _require_admin(actor: User) -> None:
    if not (actor.is_active and actor.has_role(Role.ADMIN)):
        raise PermissionDenied(_("Only administrators change the SLA and routing set-up."))


def _text(value: Any, field: str) -> str:
    if value is None:
        return ""
    if not isinstance(value, str):
        raise InvalidInput(_("A text value was expected."), code="invalid_input", field=field)
    return value


@cache
def time_zones() -> frozenset[str]:
    """IANA names zoneinfo knows here (what the calendar's time zone must be one of)."""
    return frozenset(available_timezones())


# ---- calendars ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class CalendarInput:
    name: Any
    tz: Any
    weekly: Mapping[str, Any]  # day (mon..sun) -> "09:00-12:00, 13:00-18:00" (or a list of ranges)
    holidays: Any  # "YYYY-MM-DD" one per line (or a list)
    is_default: bool = False


@dataclass(frozen=True)
class _CleanCalendar:
    name: str
    tz: str
    weekly: dict[str, list[str]]
    holidays: list[str]
    is_default: bool


def _clean_day(day: str, raw: Any) -> list[str]:
    if isinstance(raw, list | tuple):
        parts = [_text(p, f"weekly_{day}").strip() for p in raw]
    else:
        parts = [p for p in _SEPARATORS.split(_text(raw, f"weekly_{day}").strip()) if p]
    bad = InvalidInput(
        _("The hours for %(day)s must look like 09:00-18:00 (several ranges separated by commas).")
        % {"day": DAY_LABELS[day]},
        code="invalid_hours",
        field=f"weekly_{day}",
    )
    ranges: list[str] = []
    for part in parts:
        match = _RANGE.match(part.replace("：", ":").replace("–", "-"))
        if match is None:
            raise bad
        sh, sm, eh, em = (int(x) for x in match.groups())
        if sh > 23 or sm > 59 or em > 59 or eh > 24 or (eh == 24 and em != 0):
            raise bad
        ranges.append(f"{sh:02d}:{sm:02d}-{eh:02d}:{em:02d}")
    try:
        businesstime.Calendar.from_spec("UTC", {day: ranges})
    except ValueError:
        raise InvalidInput(
            _("The hours for %(day)s overlap or end before they start.") % {"day": DAY_LABELS[day]},
            code="invalid_hours",
            field=f"weekly_{day}",
        ) from None
    return sorted(ranges)


def _clean_holidays(raw: Any) -> list[str]:
    if isinstance(raw, list | tuple):
        parts = [_text(p, "holidays").strip() for p in raw]
    else:
        parts = [p for p in _SEPARATORS.split(_text(raw, "holidays").strip()) if p]
    found: set[str] = set()
    for part in parts:
        try:
            if not re.fullmatch(r"\d{4}-\d{2}-\d{2}", part):
                raise ValueError(part)
            found.add(date.fromisoformat(part).isoformat())
        except ValueError:
            raise InvalidInput(
                _("“%(value)s” is not a date: write holidays as YYYY-MM-DD, one per line.") % {"value": part[:20]},
                code="invalid_holiday",
                field="holidays",
            ) from None
    if len(found) > MAX_HOLIDAYS:
        raise InvalidInput(
            _("At most %(max)d holidays.") % {"max": MAX_HOLIDAYS}, code="too_many_holidays", field="holidays"
        )
    return sorted(found)


def clean_calendar(data: CalendarInput) -> _CleanCalendar:
    name = clean_text(_text(data.name, "name"), field="name", max_length=100, multiline=False)
    tz = _text(data.tz, "tz").strip()
    if tz not in time_zones():
        raise InvalidInput(
            _("“%(value)s” is not a time zone we know: use an IANA name such as Asia/Shanghai or Europe/London.")
            % {"value": tz[:64]},
            code="invalid_time_zone",
            field="tz",
        )
    if not isinstance(data.weekly, Mapping) or any(key not in DAYS for key in data.weekly):
        raise InvalidInput(_("Weekly hours are given per weekday."), code="invalid_hours", field="weekly")
    weekly = {day: _clean_day(day, data.weekly.get(day, "")) for day in DAYS}
    if not any(weekly.values()):
        raise InvalidInput(
            _("A calendar needs business hours on at least one day."), code="no_business_hours", field="weekly"
        )
    return _CleanCalendar(name, tz, weekly, _clean_holidays(data.holidays), bool(data.is_default))


def save_calendar(
    calendar: BusinessCalendar | None, data: CalendarInput, *, actor: User, ip: str = ""
) -> BusinessCalendar:
    """Creates (calendar None) or changes a business calendar. Making one the default takes the
    mark from the previous default."""
    _require_admin(actor)
    clean = clean_calendar(data)
    taken = Conflict(_("A calendar with this name already exists."), code="calendar_exists", field="name")
    raced = Conflict()  # a concurrent change won (the name, or the default mark): reload and retry
    with transaction.atomic():
        if calendar is None:
            row = BusinessCalendar()
        else:
            row = BusinessCalendar.objects.select_for_update().get(pk=calendar.pk)
        if BusinessCalendar.objects.filter(name=clean.name).exclude(pk=row.pk).exists():
            raise taken
        new = {
            "name": clean.name,
            "tz": clean.tz,
            "weekly": clean.weekly,
            "holidays": clean.holidays,
            "is_default": clean.is_default,
        }
        pk = row.pk

        def drop_other_default() -> None:
            if clean.is_default:
                BusinessCalendar.objects.filter(is_default=True).exclude(pk=pk).update(is_default=False)

        changes, created = _write_changes(row, new, refusal=raced, before=drop_other_default)
        if not changes:
            return row
        record(
            "tickets.calendar_created" if created else "tickets.calendar_changed",
            actor=actor,
            target=row,
            data=changes,
            ip=ip,
        )
    return row


# ---- SLA policies ------------------------------------------------------------------------------


@dataclass(frozen=True)
class PolicyInput:
    name: Any
    priority: Any = None  # "" / None = any priority
    category: Any = None  # "" / None = any category
    first_response_minutes: Any = None
    next_response_minutes: Any = None
    resolution_minutes: Any = None
    appeal_minutes: Any = None
    warning_minutes: Any = None
    active: bool = True


MINUTE_FIELDS = (
    "first_response_minutes",
    "next_response_minutes",
    "resolution_minutes",
    "appeal_minutes",
    "warning_minutes",
)


def _whole(value: Any, field: str, *, low: int, high: int) -> int | None:
    """A whole number from low to high, None for an empty value; ValueError otherwise."""
    if value in (None, ""):
        return None
    if isinstance(value, bool):
        raise ValueError(field)
    number = int(str(value).strip())
    if not low <= number <= high:
        raise ValueError(field)
    return number


def _minutes(value: Any, field: str) -> int | None:
    try:
        return _whole(value, field, low=1, high=MAX_TARGET_MINUTES)
    except (TypeError, ValueError, OverflowError):
        raise InvalidInput(
            _("Enter whole minutes from %(low)d to %(high)d, or leave it empty.")
            % {"low": 1, "high": MAX_TARGET_MINUTES},
            code="invalid_minutes",
            field=field,
        ) from None


def clean_policy(data: PolicyInput) -> dict[str, Any]:
    name = clean_text(_text(data.name, "name"), field="name", max_length=100, multiline=False)
    priority: int | None = None
    if data.priority not in (None, ""):
        try:
            priority = int(str(data.priority))
        except (TypeError, ValueError, OverflowError):
            priority = 0
        if priority not in Priority.values:
            raise InvalidInput(_("Choose one of the listed priorities."), code="invalid_priority", field="priority")
    category = _text(data.category, "category")
    if category and category not in Category.values:
        raise InvalidInput(_("Choose one of the listed categories."), code="invalid_category", field="category")
    minutes = {field: _minutes(getattr(data, field), field) for field in MINUTE_FIELDS}
    targets = [v for k, v in minutes.items() if k != "warning_minutes" and v is not None]
    if not targets:
        raise InvalidInput(
            _("Give at least one target (first response, next response, resolution or appeal)."),
            code="no_targets",
            field="first_response_minutes",
        )
    warning = minutes["warning_minutes"]
    if warning is not None and warning >= min(targets):
        raise InvalidInput(
            _("The warning must come before the shortest target: make it less than %(minutes)d minutes.")
            % {"minutes": min(targets)},
            code="warning_too_long",
            field="warning_minutes",
        )
    return {"name": name, "priority": priority, "category": category, **minutes, "active": bool(data.active)}


def save_policy(policy: SlaPolicy | None, data: PolicyInput, *, actor: User, ip: str = "") -> SlaPolicy:
    """Creates (policy None) or changes an SLA policy. At most one active policy per priority
    and category; deactivating one keeps it for the tickets it already counts."""
    _require_admin(actor)
    new = clean_policy(data)
    taken = Conflict(
        _("Another active policy already covers this priority and category. Deactivate it first."),
        code="policy_scope_taken",
        field="priority",
    )
    with transaction.atomic():
        row = SlaPolicy() if policy is None else SlaPolicy.objects.select_for_update().get(pk=policy.pk)
        if (
            new["active"]
            and SlaPolicy.objects.filter(active=True, priority=new["priority"], category=new["category"])
            .exclude(pk=row.pk)
            .exists()
        ):
            raise taken
        changes, created = _write_changes(row, new, refusal=taken)
        if not changes:
            return row
        record(
            "tickets.sla_policy_created" if created else "tickets.sla_policy_changed",
            actor=actor,
            target=row,
            data=changes,
            ip=ip,
        )
        if not created and "warning_minutes" in changes:
            # Due times of running clocks stay; when to warn about them follows the new lead.
            enqueue(tasks.refresh_warning_times, str(row.public_id))
    return row


# ---- team settings and agents' caps ------------------------------------------------------------


def _settings_of(team: Team) -> TeamSettings:
    """The team's settings row, created on first use, locked."""
    if not TeamSettings.objects.filter(team=team).exists():
        try:
            with transaction.atomic():
                TeamSettings.objects.create(team=team)
        except IntegrityError:
            pass  # a concurrent change created it first
    return TeamSettings.objects.select_for_update().get(team=team)


def save_team_settings(
    team: Team,
    *,
    calendar: BusinessCalendar | None,
    assignment_mode: Any,
    categories: Any,
    actor: User,
    ip: str = "",
) -> TeamSettings:
    """A team's calendar (None = the default calendar), assignment mode and the categories whose
    new tickets it receives (each category belongs to at most one team). Tickets already in
    the team keep their due times; switching to an automatic mode lets the team's waiting
    queue be assigned at once."""
    _require_admin(actor)
    if assignment_mode not in AssignmentMode.values:
        raise InvalidInput(
            _("Choose one of the listed assignment modes."), code="invalid_assignment_mode", field="assignment_mode"
        )
    if isinstance(categories, str) or not isinstance(categories, list | tuple):
        raise InvalidInput(_("A list was expected."), code="invalid_list", field="categories")
    wanted: list[str] = []
    for category in categories:
        if category not in Category.values:
            raise InvalidInput(_("Choose one of the listed categories."), code="invalid_category", field="categories")
        if category not in wanted:
            wanted.append(str(category))
    with transaction.atomic():
        row = _settings_of(team)
        clash = TeamCategory.objects.filter(category__in=wanted).exclude(team=team).select_related("team").first()
        if clash is not None:
            raise Conflict(
                _("%(category)s is already handled by the team %(team)s.")
                % {"category": Category(clash.category).label, "team": clash.team.name},
                code="category_taken",
                field="categories",
            )
        current = set(TeamCategory.objects.filter(team=team).values_list("category", flat=True))
        changes: dict[str, Any] = {}
        if row.calendar_id != (calendar.pk if calendar else None):
            changes["calendar"] = str(calendar.public_id) if calendar else None
            row.calendar = calendar
        if row.assignment_mode != assignment_mode:
            changes["assignment_mode"] = {"from": row.assignment_mode, "to": assignment_mode}
            row.assignment_mode = assignment_mode
        if current != set(wanted):
            changes["categories"] = sorted(wanted)
        if not changes:
            return row
        row.save(update_fields=["calendar", "assignment_mode"])
        TeamCategory.objects.filter(team=team).exclude(category__in=wanted).delete()
        try:
            with transaction.atomic():
                TeamCategory.objects.bulk_create(
                    [TeamCategory(team=team, category=c) for c in wanted if c not in current]
                )
        except IntegrityError:
            raise Conflict(
                _("Another team took one of these categories just now. Reload and try again."),
                code="category_taken",
                field="categories",
            ) from None
        record("tickets.team_settings_changed", actor=actor, target=team, data=changes, ip=ip)
        if "assignment_mode" in changes and assignment_mode in AUTOMATIC_MODES:
            enqueue(tasks.assign_waiting)
    return row


def set_agent_cap(agent: User, cap: Any, *, actor: User, ip: str = "") -> AgentSettings:
    """The most active tickets automatic assignment may give this staff member (empty = no cap,
    0 = none at all). Manual assignment is not capped."""
    _require_admin(actor)
    if agent.role not in STAFF_ROLES:
        raise InvalidInput(_("Only staff members have a cap."), code="not_staff", field="cap")
    try:
        value = _whole(cap, "cap", low=0, high=MAX_CAP)
    except (TypeError, ValueError, OverflowError):
        raise InvalidInput(
            _("Enter a whole number of tickets from 0 to %(max)d, or leave it empty for no cap.") % {"max": MAX_CAP},
            code="invalid_cap",
            field="cap",
        ) from None
    with transaction.atomic():
        if not AgentSettings.objects.filter(user=agent).exists():
            try:
                with transaction.atomic():
                    AgentSettings.objects.create(user=agent)
            except IntegrityError:
                pass  # a concurrent change created it first
        row = AgentSettings.objects.select_for_update().get(user=agent)
        if row.max_active_tickets == value:
            return row
        previous = row.max_active_tickets
        row.max_active_tickets = value
        row.save(update_fields=["max_active_tickets"])
        record(
            "tickets.agent_cap_changed",
            actor=actor,
            target=agent,
            data={"from": previous, "to": value},
            ip=ip,
        )
        if value is None or (previous is not None and value > previous):
            enqueue(tasks.assign_waiting)  # room for more: the waiting queues may move now
    return row


def _write_changes(
    row: Any, new: dict[str, Any], *, refusal: Exception, before: Callable[[], None] | None = None
) -> tuple[dict[str, Any], bool]:
    """Sets and saves the values of `new` that differ from `row` (all of them on a new row), and
    returns them with whether the row is new; nothing is written when nothing differs. `before`
    runs first when something will be written. A unique constraint hit by a concurrent writer
    raises `refusal`."""
    created = row.pk is None
    changes = {k: v for k, v in new.items() if created or getattr(row, k) != v}
    if not changes:
        return changes, created
    if before is not None:
        before()
    for key, value in new.items():
        setattr(row, key, value)
    try:
        with transaction.atomic():
            if created:
                row.save()
            else:
                row.save(update_fields=list(changes))
    except IntegrityError:
        raise refusal from None
    return changes, created
