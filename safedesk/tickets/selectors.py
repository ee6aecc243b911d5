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
from django.db.models import F, Prefetch, Q, QuerySet, prefetch_related_objects
from django.utils import timezone
from django.utils.translation import gettext as _

from safedesk.accounts.models import STAFF_ROLES, Role, Team, User
from safedesk.lib.db import Frozen
from safedesk.lib.errors import InvalidInput, NotFound
from safedesk.search import selectors as search_selectors
from safedesk.tickets.models import (
    ACTIVE_STATUSES,
    Appeal,
    AppealStatus,
    Attachment,
    Category,
    ChainLink,
    Macro,
    Message,
    MessageKind,
    Priority,
    SavedView,
    Status,
    TeamCategory,
    Ticket,
)
from safedesk.tickets.sla import BREACHING_SOON

STAFF_EVENTS = ("assigned", "sla_breached", "appeal_overdue")
MAX_PAGE = 100
DEFAULT_PAGE = 25
REF_LENGTH = 10


def is_staff(user: Any) -> bool:
    return bool(getattr(user, "is_authenticated", False) and user.is_active and user.role in STAFF_ROLES)


def _valid_ref(ref: Any) -> bool:
    return isinstance(ref, str) and len(ref) == REF_LENGTH and ref.startswith("T-") and ref[2:].isalnum()


PROBE_TICKET = "tickets.ticket"
PROBE_APPEAL = "tickets.appeal"


def _probe_ref(ref: Any) -> str:
    # Only reference-shaped text goes into the security log, never arbitrary text from a URL.
    return str(ref).upper() if _valid_ref(ref) else "(malformed)"


# The rows a ticket is read with by default; a page that shows less names its own (`related`).
TICKET_RELATED = ("requester", "assignee", "team", "sla_policy")
# The agent ticket page shows the requester and the SLA policy; of the assignee and the team
# only their ids (the selected options of its menus).
AGENT_PAGE_RELATED = ("requester", "sla_policy")


def _access_query(related: tuple[str, ...], staff: bool, ref: str, requester_id: int) -> QuerySet[Ticket]:
    query = Ticket.objects.select_related(*related).filter(ref=ref, confirmed_at__isnull=False)
    if not staff:
        query = query.filter(requester_id=requester_id)
    # Not .first(): the reference is unique, and the ORDER BY id that .first() adds costs a
    # tenth of this query's Python time (Django hashes every selected column to match it).
    return query[:1]


# Reading a ticket to show it, one shape per (related rows, staff or not): compiled once.
_access: Frozen[Ticket] = Frozen(_access_query, str, int)


def access_ticket(user: Any, ref: Any, *, for_write: bool = False, related: Sequence[str] = TICKET_RELATED) -> Ticket:
    # Every refusal is marked as a probe (counted per person, one security event per burst);
    # malformed, unknown and someone else's references are refused alike.
    if not _valid_ref(ref) or not getattr(user, "is_authenticated", False) or not user.is_active:
        raise NotFound.probing(PROBE_TICKET, _probe_ref(ref))
    related = tuple(related)
    staff = is_staff(user)
    if for_write:
        query = _access_query(related, staff, ref.upper(), user.pk)
        # Lock the ticket row only: PostgreSQL cannot lock the nullable side of the outer joins.
        ticket = next(iter(query.select_for_update(of=("self",))), None)
    else:
        found = _access(ref.upper(), user.pk, key=(related, staff), build_args=(related, staff))
        ticket = found[0] if found else None
    if ticket is None:
        raise NotFound.probing(PROBE_TICKET, _probe_ref(ref))
    return ticket


MAX_MERGE_DEPTH = 10


def merged_source_ids(ticket: Ticket) -> list[int]:
    """The tickets merged into this one, directly or through earlier merges (A into B, then B
    into C: C shows both), one query per level."""
    found: list[int] = []
    frontier = [ticket.pk]
    for _level in range(MAX_MERGE_DEPTH):
        frontier = list(Ticket.objects.filter(merged_into_id__in=frontier).values_list("id", flat=True))
        if not frontier:
            break
        found += frontier
    return found


# What a thread shows of a message and its author (the ticket pages, the API detail): every
# message column, and of the author only what names them and tells staff from customers.
THREAD_FIELDS = (
    "public_id",
    "ticket",
    "author",
    "kind",
    "body",
    "event",
    "data",
    "created_at",
    "author__public_id",
    "author__email",
    "author__display_name",
    "author__role",
)


def thread(ticket: Ticket, *, viewer: User, sources: list[int] | None = None) -> list[Message]:
    """The messages and events in order, each with its attachments (one query for all of them);
    customers never see internal notes, nor so their files. The replies (and, for staff, the
    internal notes) of tickets merged into this one are part of it; their events stay in their
    own thread. `sources`: the ids of those merged tickets when the caller knows them (none for
    a ticket it has just created)."""
    staff = is_staff(viewer)
    rows = _thread_rows(ticket.pk, key=staff, build_args=(staff,))
    for row in rows:
        row.ticket_ref = ticket.ref  # type: ignore[attr-defined]  # (the ticket each message was written on)
    # merge_tickets writes a "merged_from" event into this thread, in the transaction that sets
    # the source's merged_into, for every ticket merged in (sources merged into those sources
    # come with theirs): a thread without one has nothing merged in, and skips that lookup.
    if sources is None and any(row.kind == MessageKind.EVENT and row.event == "merged_from" for row in rows):
        sources = merged_source_ids(ticket)
    if sources:
        kinds = [MessageKind.PUBLIC, MessageKind.INTERNAL] if staff else [MessageKind.PUBLIC]
        # ticket_ref: a merged message shows the ticket it came from.
        merged = _thread_query(staff).filter(ticket_id__in=sources, kind__in=kinds)
        rows += merged.annotate(ticket_ref=F("ticket__ref"))
    # Sorted here, not by ORDER BY: a thread is a few dozen rows, and Django matches an ORDER BY
    # against every selected column when it builds the query (a fifth of this call's time).
    rows.sort(key=_pk)
    if sources:
        prefetch_related_objects(
            rows, Prefetch("attachments", queryset=Attachment.objects.order_by("id"), to_attr="files")
        )
    else:
        # Every file of this thread is on this ticket: one frozen query by ticket, shared out
        # (files of messages the viewer does not see, internal notes for a customer, stay out).
        by_message: dict[int, list[Attachment]] = {}
        for file in _ticket_files(ticket.pk):
            by_message.setdefault(file.message_id, []).append(file)
        for row in rows:
            row.files = by_message.get(row.pk, [])  # type: ignore[attr-defined]
    return rows


def _thread_query(staff: bool) -> QuerySet[Message]:
    query = Message.objects.select_related("author").only(*THREAD_FIELDS)
    if not staff:
        # Customers see replies and their request's progress, not our internal bookkeeping.
        query = query.exclude(kind=MessageKind.INTERNAL).exclude(kind=MessageKind.EVENT, event__in=STAFF_EVENTS)
    return query


_thread_rows: Frozen[Message] = Frozen(lambda staff, ticket_id: _thread_query(staff).filter(ticket_id=ticket_id), int)
_ticket_files: Frozen[Attachment] = Frozen(
    lambda ticket_id: Attachment.objects.filter(ticket_id=ticket_id).order_by("id"), int
)


def message_files(message: Message) -> list[Attachment]:
    """A message's files: those `thread` attached to it, or read now (a message just written)."""
    files = getattr(message, "files", None)
    return list(message.attachments.order_by("id")) if files is None else list(files)


def _pk(row: Any) -> int:
    return int(row.pk)


def _visible_attachments(ticket: Ticket, viewer: Any) -> QuerySet[Attachment]:
    query = Attachment.objects.filter(ticket=ticket).select_related("message")
    if not is_staff(viewer):
        query = query.exclude(message__kind=MessageKind.INTERNAL)
    return query


def attachments_of(ticket: Ticket, *, viewer: User) -> list[Attachment]:
    """The files of a ticket the viewer may see (customers: not those of internal notes)."""
    return list(_visible_attachments(ticket, viewer).order_by("id"))


def access_attachment(user: Any, ref: Any, public_id: Any) -> Attachment:
    """One attachment, addressed by its ticket's reference and its own public id: both must
    match and the user must see the ticket (`access_ticket`) and the message it is on. Anything
    else — signed out, another customer's ticket, a held guest ticket, an internal note's file
    for a customer, a file of another ticket, a made-up id — is the same NotFound."""
    ticket = access_ticket(user, ref)
    try:
        key = uuid.UUID(str(public_id))
    except ValueError:
        raise NotFound() from None
    found = _visible_attachments(ticket, user).filter(public_id=key).first()
    if found is None:
        raise NotFound()
    found.ticket = ticket
    return found


def pending_scans(*, limit: int = 100) -> list[str]:
    """Public ids of the attachments still waiting for the malware scanner, oldest first."""
    return [
        str(pid)
        for pid in Attachment.objects.filter(scan_state="pending")
        .order_by("id")
        .values_list("public_id", flat=True)[:limit]
    ]


_chain_links: Frozen[ChainLink] = Frozen(
    lambda ticket_id: ChainLink.objects.filter(ticket_id=ticket_id).order_by("id"), int
)
_appeals_of: Frozen[Appeal] = Frozen(lambda ticket_id: Appeal.objects.filter(ticket_id=ticket_id).order_by("id"), int)


def chain_links(ticket: Ticket) -> list[ChainLink]:
    return _chain_links(ticket.pk)


def appeals_of(ticket: Ticket) -> list[Appeal]:
    return _appeals_of(ticket.pk)


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


def _page_size(limit: Any) -> int:
    try:
        size = int(limit) if limit not in (None, "") else DEFAULT_PAGE
    except (TypeError, ValueError, OverflowError):
        size = 0
    if not 1 <= size <= MAX_PAGE:
        raise InvalidInput(
            _("A page holds from 1 to %(max)d items.") % {"max": MAX_PAGE}, code="invalid_limit", field="limit"
        )
    return size


def _paged(rows: list[Ticket], size: int) -> Page:
    """`rows` holds up to one more than the page: whether it does says if a next page exists."""
    more = len(rows) > size
    rows = rows[:size]
    return Page(tickets=rows, next_after=rows[-1].ref if more and rows else None)


def _page(query: QuerySet[Ticket], after: Any, limit: Any) -> Page:
    size = _page_size(limit)
    after_id = _after_id(query, after)
    if after_id is not None:
        query = query.filter(id__lt=after_id)
    return _paged(list(query.order_by("-id")[: size + 1]), size)


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


# The views whose list query depends on nothing but the viewer, the statuses and the page
# position: run as frozen queries (the SQL compiled once per shape).
_FROZEN_VIEWS = ("mine", "unassigned", "team", "all")


def _inbox_base(view: str, statuses: Sequence[str], user_id: int) -> QuerySet[Ticket]:
    query = (
        Ticket.objects.filter(confirmed_at__isnull=False)
        .select_related("requester", "assignee", "team")
        .only(*LIST_FIELDS)
    )
    if view == "mine":
        query = query.filter(assignee_id=user_id)
    elif view == "unassigned":
        query = query.filter(assignee__isnull=True)
    elif view == "team":
        query = query.filter(team__in=Team.objects.filter(members=user_id))
    elif view == "breaching":
        # Past due or due within the hour (sla.BREACHING_SOON), not paused.
        query = query.filter(sla_due_at__lte=timezone.now() + BREACHING_SOON)
    elif view == "appeals_open":
        query = query.filter(appeals__status=AppealStatus.OPEN)
    if statuses:
        query = query.filter(status__in=statuses)
    return query


def _inbox_page_query(
    view: str, statuses: tuple[str, ...], paged: bool, size: int, user_id: int, after_id: int
) -> QuerySet[Ticket]:
    query = _inbox_base(view, statuses, user_id)
    if paged:
        query = query.filter(id__lt=after_id)
    return query.order_by("-id")[: size + 1]


_inbox_pages: Frozen[Ticket] = Frozen(_inbox_page_query, int, int)


def inbox(user: User, flt: InboxFilter, *, after: Any = None, limit: Any = None) -> Page:
    """An agent's inbox view, newest first, paged by reference (keyset: fast at any depth)."""
    statuses = tuple(flt.statuses) or tuple(str(s) for s in ACTIVE_STATUSES)
    if flt.view == "appeals_open":
        statuses = tuple(flt.statuses)
    plain = not (flt.priority is not None or flt.category or flt.team or flt.assignee or flt.tag or flt.text)
    if plain and flt.view in _FROZEN_VIEWS:
        size = _page_size(limit)
        # The page position is looked up among what the view shows (the ORM query, built only then).
        after_id = _after_id(_inbox_base(flt.view, statuses, user.pk), after) if after not in (None, "") else None
        # One shape per set of statuses, however the request orders or repeats them.
        shape = (flt.view, tuple(sorted(set(statuses))), after_id is not None, size)
        return _paged(_inbox_pages(user.pk, after_id or 0, key=shape, build_args=shape), size)
    query = _inbox_base(flt.view, statuses, user.pk)
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


def _other_tickets_query(limit: int, requester_id: int, ticket_id: int) -> QuerySet[Ticket]:
    return (
        Ticket.objects.filter(requester_id=requester_id, confirmed_at__isnull=False)
        .exclude(pk=ticket_id)
        .only("ref", "subject", "status")
        .order_by("-id")[:limit]
    )


_other_tickets: Frozen[Ticket] = Frozen(_other_tickets_query, int, int)


def other_tickets_of(ticket: Ticket, *, limit: int = 10) -> list[Ticket]:
    """The requester's other tickets, shown beside a ticket in the agent console (the reference,
    the subject and the status: the agent page and the merge page read only those)."""
    return _other_tickets(ticket.requester_id, ticket.pk, key=limit, build_args=(limit,))


APPEAL_SORTS = ("due", "created")


def open_appeals(*, sort: Any = "due", limit: int = 100) -> list[Appeal]:
    """The supervisors' queue: by decision due time (appeals without one last), or oldest first."""
    if sort in (None, ""):
        sort = "due"
    if sort not in APPEAL_SORTS:
        raise InvalidInput(_("Choose one of the listed orders."), code="invalid_sort", field="sort")
    order = [F("due_at").asc(nulls_last=True), "id"] if sort == "due" else ["id"]
    return list(
        Appeal.objects.filter(status=AppealStatus.OPEN)
        .select_related("ticket", "ticket__requester")
        .order_by(*order)[:limit]
    )


def team_for_category(category: str) -> Team | None:
    """The team that handles new tickets of this category (TeamCategory), if any."""
    route = TeamCategory.objects.select_related("team").filter(category=category).first()
    return route.team if route is not None else None


def access_appeal(user: Any, public_id: Any) -> Appeal:
    try:
        key = uuid.UUID(str(public_id))
    except ValueError:
        raise NotFound.probing(PROBE_APPEAL, "(malformed)") from None
    if not is_staff(user):
        raise NotFound.probing(PROBE_APPEAL, str(key))
    appeal = Appeal.objects.select_related("ticket").filter(public_id=key).first()
    if appeal is None:
        raise NotFound.probing(PROBE_APPEAL, str(key))
    return appeal


def may_reopen(ticket: Ticket, *, now: Any = None) -> bool:
    """Whether the customer may still reopen this solved ticket (SAFEDESK_TICKET_REOPEN_DAYS)."""
    return (
        ticket.status == Status.SOLVED
        and ticket.solved_at is not None
        and (now or timezone.now()) - ticket.solved_at <= timedelta(days=settings.SAFEDESK_TICKET_REOPEN_DAYS)
    )


# ---- macros ------------------------------------------------------------------------------------


def _uuid_or_none(value: Any) -> uuid.UUID | None:
    try:
        return uuid.UUID(str(value))
    except ValueError:
        return None


def may_manage_macro(user: User, macro: Macro) -> bool:
    """Shared macros are kept by supervisors and admins; a personal one by its owner alone."""
    if macro.owner_id is None:
        return is_staff(user) and user.has_role(Role.SUPERVISOR)
    return is_staff(user) and macro.owner_id == user.pk


# What the macro picker of the ticket page shows of a macro (its bodies are fetched on use).
MACRO_PICKER_FIELDS = ("public_id", "name", "owner", "active")


def macros_for(user: User, *, include_inactive: bool = False, fields: Sequence[str] = ()) -> list[Macro]:
    """The shared macros and the user's own personal ones, by name (shared first); `fields`
    reads only those columns (e.g. MACRO_PICKER_FIELDS)."""
    if not is_staff(user):
        return []
    shape = (include_inactive, tuple(fields))
    found = _macros(user.pk, key=shape, build_args=shape)
    return sorted(found, key=lambda m: (m.owner_id is not None, not m.active, m.name.lower()))


def _macros_query(include_inactive: bool, fields: tuple[str, ...], user_id: int) -> QuerySet[Macro]:
    query = Macro.objects.filter(Q(owner__isnull=True) | Q(owner_id=user_id))
    if fields:
        query = query.only(*fields)
    if not include_inactive:
        query = query.filter(active=True)
    return query


_macros: Frozen[Macro] = Frozen(_macros_query, int)


def access_macro(user: Any, public_id: Any, *, for_use: bool = False) -> Macro:
    """A macro the user may see (shared, or their own); for use also active. Someone else's
    personal macro answers like one that does not exist."""
    key = _uuid_or_none(public_id)
    if key is None or not is_staff(user):
        raise NotFound()
    macro = Macro.objects.filter(Q(owner__isnull=True) | Q(owner=user), public_id=key).first()
    if macro is None or (for_use and not macro.active):
        raise NotFound()
    return macro


# ---- the console's menus (the same SQL on every page: frozen, compiled once) -------------------

_staff_options: Frozen[Any] = Frozen(lambda: User.objects.active_staff().values_list("public_id", "email"))
_team_options: Frozen[Any] = Frozen(lambda: Team.objects.order_by("name").values_list("public_id", "name"))
_assignee_choices: Frozen[User] = Frozen(lambda: User.objects.active_staff().only("public_id", "email", "availability"))
_all_teams: Frozen[Team] = Frozen(lambda: Team.objects.order_by("name"))


def staff_options() -> list[tuple[uuid.UUID, str]]:
    """(public id, email) of the active staff, by email: the assignee filter and bulk menus."""
    return _staff_options()


def team_options() -> list[tuple[uuid.UUID, str]]:
    """(public id, name) of every team, by name."""
    return _team_options()


def assignee_choices() -> list[User]:
    """The ticket page's assignee menu: the active staff, with only what an option shows."""
    return _assignee_choices()


def all_teams() -> list[Team]:
    return _all_teams()


# ---- saved views -------------------------------------------------------------------------------

MAX_SAVED_VIEWS = 50


def _saved_views_query(user_id: int) -> QuerySet[SavedView]:
    query = SavedView.objects.filter(Q(owner_id=user_id) | Q(team__in=Team.objects.filter(members=user_id)))
    return query.select_related("team").order_by("name", "id")[: MAX_SAVED_VIEWS * 2]


_saved_views: Frozen[SavedView] = Frozen(_saved_views_query, int)


def saved_views_for(user: User) -> list[SavedView]:
    """The inbox sidebar: the user's own views and those shared with one of their teams."""
    if not is_staff(user):
        return []
    return _saved_views(user.pk)


def shared_views(user: User) -> list[SavedView]:
    """Every view shared with a team (what supervisors manage)."""
    if not (is_staff(user) and user.has_role(Role.SUPERVISOR)):
        return []
    return list(SavedView.objects.filter(team__isnull=False).select_related("team", "owner").order_by("name", "id"))


def may_edit_view(user: User, view: SavedView) -> bool:
    """The owner; and for a view shared with a team, any supervisor or admin."""
    if not is_staff(user):
        return False
    return view.owner_id == user.pk or (view.team_id is not None and user.has_role(Role.SUPERVISOR))


def access_saved_view(user: Any, public_id: Any, *, for_write: bool = False) -> SavedView:
    """A saved view the user may open (their own, or shared with one of their teams; supervisors
    also every shared one); for writing, one they may edit. Others answer like none."""
    key = _uuid_or_none(public_id)
    if key is None or not is_staff(user):
        raise NotFound()
    view = SavedView.objects.select_related("team").filter(public_id=key).first()
    if view is None:
        raise NotFound()
    visible = (
        view.owner_id == user.pk
        or (view.team_id is not None and user.has_role(Role.SUPERVISOR))
        or (view.team_id is not None and user.teams.filter(pk=view.team_id).exists())
    )
    if not visible or (for_write and not may_edit_view(user, view)):
        raise NotFound()
    return view


def inbox_filter_value(field: str, value: Any) -> Any:
    """The team (`team`) or active agent (`assignee`) a public id names, for a filter or a bulk
    assignment; InvalidInput when there is none."""
    key = _uuid_or_none(value)
    found: Any = None
    if key is not None and field == "team":
        found = Team.objects.filter(public_id=key).first()
    elif key is not None and field == "assignee":
        found = User.objects.filter(public_id=key, role__in=list(STAFF_ROLES), is_active=True).first()
    if found is None:
        raise InvalidInput(_("Choose one of the listed values."), code="invalid_choice", field=field)
    return found


FILTER_KEYS = ("view", "status", "priority", "category", "team", "assignee", "tag", "q")


def filter_params(flt: InboxFilter) -> dict[str, Any]:
    """An InboxFilter as the query parameters that make it (what a saved view stores)."""
    params: dict[str, Any] = {"view": flt.view}
    if flt.statuses:
        params["status"] = list(flt.statuses)
    for key, value in (
        ("priority", flt.priority),
        ("category", flt.category),
        ("team", flt.team),
        ("assignee", flt.assignee),
        ("tag", flt.tag),
        ("q", flt.text),
    ):
        if value not in (None, ""):
            params[key] = value
    return params


@dataclass(frozen=True)
class OpenedView:
    view: SavedView
    filter: InboxFilter
    dropped: list[str]  # the conditions left out because what they named is gone


def open_saved_view(view: SavedView) -> OpenedView:
    """The filter of a saved view as it can run today. A condition whose team or agent was
    removed (or that no longer passes the filter checks) is left out and named in `dropped`,
    so an old view opens with a notice instead of failing."""
    raw = view.params if isinstance(view.params, dict) else {}
    params = {key: raw[key] for key in FILTER_KEYS if key in raw}
    dropped: list[str] = []
    for name in ("team", "assignee"):
        if params.get(name):
            try:
                inbox_filter_value(name, params[name])
            except InvalidInput:
                params.pop(name)
                dropped.append(name)
    while True:
        try:
            flt = clean_filter(params)
            break
        except InvalidInput as exc:
            bad = str(exc.params.get("field") or "")
            if bad not in params:
                # Nothing left to drop: open the default view.
                flt, dropped = InboxFilter(), [*dropped, *[k for k in params if k != "view"]]
                break
            params.pop(bad)
            dropped.append(bad)
    return OpenedView(view=view, filter=flt, dropped=dropped)
