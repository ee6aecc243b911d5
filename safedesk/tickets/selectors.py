"""Reads of tickets. `access_ticket` is the one way a view or the API gets a ticket from an
address: it raises NotFound for what the user may not see (customers see only their own
confirmed tickets; staff see every confirmed ticket)."""

from __future__ import annotations

import json
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.db import connection
from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from safedesk.accounts.models import STAFF_ROLES, User
from safedesk.lib.errors import InvalidInput, NotFound
from safedesk.search import selectors as search_selectors
from safedesk.tickets.models import (
    ACTIVE_STATUSES,
    Appeal,
    AppealStatus,
    Category,
    ChainLink,
    Message,
    MessageKind,
    Priority,
    Status,
    Ticket,
)
from safedesk.tickets.sla import BREACHING_SOON

STAFF_EVENTS = ("assigned", "sla_breached")
MAX_PAGE = 100
DEFAULT_PAGE = 25
REF_LENGTH = 10


def is_staff(user: Any) -> bool:
    return bool(getattr(user, "is_authenticated", False) and user.is_active and user.role in STAFF_ROLES)


def _valid_ref(ref: Any) -> bool:
    return isinstance(ref, str) and len(ref) == REF_LENGTH and ref.startswith("T-") and ref[2:].isalnum()


def access_ticket(user: Any, ref: Any, *, for_write: bool = False) -> Ticket:
    if not _valid_ref(ref) or not getattr(user, "is_authenticated", False) or not user.is_active:
        raise NotFound()
    query = Ticket.objects.select_related("requester", "assignee", "team", "sla_policy").filter(
        ref=ref.upper(), confirmed_at__isnull=False
    )
    if not is_staff(user):
        query = query.filter(requester=user)
    if for_write:
        # Lock the ticket row only: PostgreSQL cannot lock the nullable side of the outer joins.
        query = query.select_for_update(of=("self",))
    ticket = query.first()
    if ticket is None:
        raise NotFound()
    return ticket


def thread(ticket: Ticket, *, viewer: User) -> list[Message]:
    """The messages and events in order; customers never see internal notes."""
    query = Message.objects.filter(ticket=ticket).select_related("author").order_by("id")
    if not is_staff(viewer):
        # Customers see replies and their request's progress, not our internal bookkeeping.
        query = query.exclude(kind=MessageKind.INTERNAL).exclude(kind=MessageKind.EVENT, event__in=STAFF_EVENTS)
    return list(query)


def chain_links(ticket: Ticket) -> list[ChainLink]:
    return list(ChainLink.objects.filter(ticket=ticket).order_by("id"))


def appeals_of(ticket: Ticket) -> list[Appeal]:
    return list(Appeal.objects.filter(ticket=ticket).select_related("decided_by").order_by("id"))


# ---- lists with keyset pagination ------------------------------------------------------------


# What a list row shows (the inbox page, the customer's list, the API summaries): list
# queries read only these columns, so 25 rows do not decode a dozen timestamps and two full
# user rows each. A row template or summary that needs another field adds it here (the query
# budget tests fail on the per-row query a deferred field would cost).
LIST_FIELDS = (
    "ref",
    "subject",
    "status",
    "priority",
    "category",
    "language",
    "channel",
    "created_at",
    "updated_at",
    "confirmed_at",
    "sla_due_at",
    "sla_breached",
    "requester_id",
    "assignee_id",
    "team_id",
    "requester__public_id",
    "requester__email",
    "requester__display_name",
    "requester__role",
    "assignee__public_id",
    "assignee__email",
    "assignee__display_name",
    "assignee__role",
    "team__public_id",
    "team__name",
)


@dataclass
class Page:
    tickets: list[Ticket]
    next_after: str | None  # the reference to pass as `after` for the next page


def _after_id(query: QuerySet[Ticket], after: Any) -> int | None:
    """The id of the ticket named by `after`, looked up among what this list shows: a reference
    the caller may not see is refused like a made-up one (it tells nothing)."""
    if after in (None, ""):
        return None
    invalid = InvalidInput(_("The page position is not valid. Start again from the first page."), code="invalid_cursor")
    if not _valid_ref(after):
        raise invalid
    found = query.filter(ref=str(after).upper()).values_list("id", flat=True).first()
    if found is None:
        raise invalid
    return int(found)


def _page(query: QuerySet[Ticket], after: Any, limit: Any) -> Page:
    try:
        size = int(limit) if limit not in (None, "") else DEFAULT_PAGE
    except (TypeError, ValueError, OverflowError):
        size = 0
    if not 1 <= size <= MAX_PAGE:
        raise InvalidInput(
            _("A page holds from 1 to %(max)d items.") % {"max": MAX_PAGE}, code="invalid_limit", field="limit"
        )
    after_id = _after_id(query, after)
    if after_id is not None:
        query = query.filter(id__lt=after_id)
    rows = list(query.order_by("-id")[: size + 1])
    more = len(rows) > size
    rows = rows[:size]
    return Page(tickets=rows, next_after=rows[-1].ref if more and rows else None)


def customer_tickets(user: User, *, after: Any = None, limit: Any = None) -> Page:
    query = Ticket.objects.filter(requester=user, confirmed_at__isnull=False).select_related("assignee")
    return _page(query.only(*(f for f in LIST_FIELDS if not f.startswith(("requester__", "team__")))), after, limit)


VIEWS = ("mine", "unassigned", "team", "all", "breaching", "appeals_open")


@dataclass(frozen=True)
class InboxFilter:
    view: str = "mine"
    statuses: Sequence[str] = field(default_factory=tuple)
    priority: int | None = None
    category: str | None = None
    team: str | None = None  # team public id
    assignee: str | None = None  # user public id
    tag: str | None = None
    text: str = ""


def clean_filter(params: Any) -> InboxFilter:
    """An InboxFilter from query parameters (a QueryDict or a dict); InvalidInput on bad values."""
    get = params.get
    view = get("view") or "mine"
    if view not in VIEWS:
        raise InvalidInput(_("Choose one of the listed views."), code="invalid_view", field="view")
    raw_status = params.getlist("status") if hasattr(params, "getlist") else (get("status") or [])
    if isinstance(raw_status, str):
        raw_status = [raw_status]
    statuses = [s for s in raw_status if s]
    if any(s not in Status.values for s in statuses):
        raise InvalidInput(_("Choose one of the listed statuses."), code="invalid_status", field="status")
    priority = get("priority") or None
    if priority is not None:
        try:
            priority = int(priority)
        except (TypeError, ValueError, OverflowError):
            priority = 0
        if priority not in Priority.values:
            raise InvalidInput(_("Choose one of the listed priorities."), code="invalid_priority", field="priority")
    category = get("category") or None
    if category is not None and category not in Category.values:
        raise InvalidInput(_("Choose one of the listed categories."), code="invalid_category", field="category")
    text = get("q") or ""
    if not isinstance(text, str) or len(text) > search_selectors.MAX_QUERY_LENGTH:
        raise InvalidInput(_("The search query is too long."), code="query_too_long", field="q")
    tag = get("tag") or None
    if tag is not None and (not isinstance(tag, str) or len(tag) > 40):
        raise InvalidInput(_("The tag is not valid."), code="invalid_tag", field="tag")
    return InboxFilter(
        view=view,
        statuses=tuple(statuses),
        priority=priority,
        category=category,
        team=get("team") or None,
        assignee=get("assignee") or None,
        tag=tag,
        text=text.strip(),
    )


def inbox(user: User, flt: InboxFilter, *, after: Any = None, limit: Any = None) -> Page:
    """An agent's inbox view, newest first, paged by reference (keyset: fast at any depth)."""
    query = (
        Ticket.objects.filter(confirmed_at__isnull=False)
        .select_related("requester", "assignee", "team")
        .only(*LIST_FIELDS)
    )
    statuses = list(flt.statuses) or [str(s) for s in ACTIVE_STATUSES]
    if flt.view == "mine":
        query = query.filter(assignee=user)
    elif flt.view == "unassigned":
        query = query.filter(assignee__isnull=True)
    elif flt.view == "team":
        query = query.filter(team__in=user.teams.all())
    elif flt.view == "breaching":
        # Past due or due within the hour (sla.BREACHING_SOON), not paused.
        query = query.filter(sla_due_at__lte=timezone.now() + BREACHING_SOON)
    elif flt.view == "appeals_open":
        query = query.filter(appeals__status=AppealStatus.OPEN)
        statuses = list(flt.statuses)
    if statuses:
        query = query.filter(status__in=statuses)
    if flt.priority is not None:
        query = query.filter(priority=flt.priority)
    if flt.category is not None:
        query = query.filter(category=flt.category)
    if flt.team:
        query = query.filter(team__public_id=_uuid(flt.team, "team"))
    if flt.assignee:
        query = query.filter(assignee__public_id=_uuid(flt.assignee, "assignee"))
    if flt.tag:
        tag = "-".join(flt.tag.lower().split())  # as services.clean_tags stores it
        if connection.features.supports_json_field_contains:
            query = query.filter(tags__contains=[tag])
        else:
            # SQLite keeps the list as JSON text with non-ASCII escaped, as json.dumps writes it.
            query = query.filter(tags__icontains=json.dumps(tag))
    if flt.text:
        text = flt.text
        if _valid_ref(text.upper()):
            query = query.filter(ref=text.upper())
        else:
            linked = ChainLink.objects.filter(value__in={text, text.lower()}).values("ticket_id")
            query = query.filter(Q(subject__icontains=text) | Q(id__in=linked))
    return _page(query, after, limit)


def _uuid(value: str, name: str) -> str:
    try:
        return str(uuid.UUID(str(value)))
    except ValueError:
        raise InvalidInput(_("The filter value is not valid."), code="invalid_filter", field=name) from None


def other_tickets_of(ticket: Ticket, *, limit: int = 10) -> list[Ticket]:
    """The requester's other tickets, shown beside a ticket in the agent console."""
    return list(
        Ticket.objects.filter(requester_id=ticket.requester_id, confirmed_at__isnull=False)
        .exclude(pk=ticket.pk)
        .order_by("-id")[:limit]
    )


def open_appeals(*, limit: int = 100) -> list[Appeal]:
    return list(
        Appeal.objects.filter(status=AppealStatus.OPEN)
        .select_related("ticket", "ticket__requester")
        .order_by("id")[:limit]
    )


def access_appeal(user: Any, public_id: Any) -> Appeal:
    if not is_staff(user):
        raise NotFound()
    try:
        key = uuid.UUID(str(public_id))
    except ValueError:
        raise NotFound() from None
    appeal = Appeal.objects.select_related("ticket").filter(public_id=key).first()
    if appeal is None:
        raise NotFound()
    return appeal


def may_reopen(ticket: Ticket, *, now: Any = None) -> bool:
    """Whether the customer may still reopen this solved ticket (SAFEDESK_TICKET_REOPEN_DAYS)."""
    return (
        ticket.status == Status.SOLVED
        and ticket.solved_at is not None
        and (now or timezone.now()) - ticket.solved_at <= timedelta(days=settings.SAFEDESK_TICKET_REOPEN_DAYS)
    )
