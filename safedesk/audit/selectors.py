"""Reads of the audit log: who may see what, filters and keyset pagination."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.db.models import QuerySet
from django.utils import timezone

from safedesk.audit.models import AuditEvent

PAGE_SIZE = 50


@dataclass(frozen=True)
class Filters:
    verb: str = ""
    actor: str = ""
    target: str = ""
    since: dt.date | None = None
    until: dt.date | None = None


@dataclass(frozen=True)
class Page:
    events: list[AuditEvent]
    next_before: int | None


def can_see_everything(user: Any) -> bool:
    """Supervisors and administrators browse every event; agents only what they did
    themselves (enough to check their own work, without watching colleagues)."""
    has_role = getattr(user, "has_role", None)
    return bool(has_role and has_role("supervisor"))


def visible_events(user: Any) -> QuerySet[AuditEvent]:
    events = AuditEvent.objects.all()
    if not can_see_everything(user):
        events = events.filter(actor_id=user.pk)
    return events


def _day_start(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day, dt.time.min, tzinfo=timezone.get_current_timezone())


def page_of_events(user: Any, filters: Filters, *, before: int | None = None) -> Page:
    events = visible_events(user)
    if filters.verb:
        # "accounts." lists every accounts action; a full verb lists just that one.
        events = events.filter(verb__startswith=filters.verb)
    if filters.actor:
        events = events.filter(actor_label__iexact=filters.actor)
    if filters.target:
        events = events.filter(target_ref=filters.target)
    if filters.since:
        events = events.filter(created_at__gte=_day_start(filters.since))
    if filters.until:
        events = events.filter(created_at__lt=_day_start(filters.until + dt.timedelta(days=1)))
    if before is not None:
        events = events.filter(id__lt=before)
    rows = list(events.order_by("-id")[: PAGE_SIZE + 1])
    more = len(rows) > PAGE_SIZE
    rows = rows[:PAGE_SIZE]
    return Page(events=rows, next_before=rows[-1].pk if more and rows else None)
