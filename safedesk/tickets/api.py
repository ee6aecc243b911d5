"""Tickets API: list, detail, create, reply, status, rating, appeal and attachments.

Attachments are uploaded as multipart/form-data (`POST /tickets/{ref}/attachments`, one new
reply or internal note carrying the files), not as base64 inside JSON: base64 is a third larger,
and a JSON body is read into memory whole (DATA_UPLOAD_MAX_MEMORY_SIZE), while multipart files
stream to disk past FILE_UPLOAD_MAX_MEMORY_SIZE and are cut off by the same upload handler and
checked by the same pipeline (`lib.uploads`) as the web forms. Attachments are nested under
their ticket (`/tickets/{ref}/attachments/{id}`): both the ticket and the file must be visible to
the caller, or the answer is 404 (CASES.md T45).

Authentication is a scoped API token (`Authorization: Bearer sdk_…`; reads need `tickets:read`,
every change `tickets:write`) or the signed-in session (with the CSRF token on unsafe methods;
staff must have passed their second factor, as on staff pages). See accounts.apiauth and
docs/api.md. A customer's token gets exactly what the customer's session gets.

Every ticket is addressed by its public reference (`T-XXXXXXXX`) and resolved through
`selectors.access_ticket`, so a ticket the caller may not see answers 404 `not_found`, exactly
like one that does not exist. Responses carry public references and public ids only, never an
integer key. The services do the value checks: the bodies here accept loosely typed values
where a service cleans them, so a refusal carries the service's stable `code`.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.urls import reverse
from django.utils.translation import gettext as _
from ninja import Field, File, Form, Query, Router, Schema, UploadedFile
from ninja.renderers import JSONRenderer
from ninja.responses import Status as HttpStatus

from safedesk.accounts.apiauth import api_auth, api_user
from safedesk.accounts.models import STAFF_ROLES, Scope, User
from safedesk.lib import uploads
from safedesk.lib.errors import InvalidInput, PermissionDenied
from safedesk.lib.net import client_ip
from safedesk.tickets import selectors, services, views
from safedesk.tickets.models import Appeal, Attachment, Channel, Message, Priority, Status, Ticket

router = Router(tags=["tickets"])
READ: dict[str, Any] = {"auth": api_auth(Scope.TICKETS_READ), "openapi_extra": {"x-scope": Scope.TICKETS_READ.value}}
WRITE: dict[str, Any] = {"auth": api_auth(Scope.TICKETS_WRITE), "openapi_extra": {"x-scope": Scope.TICKETS_WRITE.value}}

# The API's inbox shows every view's tickets unless the caller narrows it (the console's default
# is the agent's own tickets).
DEFAULT_STAFF_VIEW = "all"


# ---- schemas -----------------------------------------------------------------------------------


class ErrorBody(Schema):
    code: str
    message: str


class TicketSummary(Schema):
    ref: str
    subject: str
    status: str
    priority: str = Field(description="low, normal, high or urgent")
    category: str
    language: str
    channel: str
    created_at: datetime
    updated_at: datetime
    assignee: UUID | None = Field(description="public id of the assigned agent")
    requester: UUID = Field(description="public id of the customer")
    requester_email: str | None = Field(description="the customer's address (staff only; null for customers)")


class TicketPage(Schema):
    results: list[TicketSummary]
    next_after: str | None = Field(description="pass as `after` for the next page; null on the last page")


class AttachmentOut(Schema):
    public_id: UUID
    message: UUID = Field(description="public id of the message the file is on")
    name: str = Field(description="the sanitised file name")
    size: int = Field(description="bytes")
    content_type: str = Field(description="detected from the content, not from the name")
    sha256: str
    scan_state: str = Field(description="not_scanned (no scanner configured), pending, clean or blocked")
    created_at: datetime
    download_url: str | None = Field(description="where to fetch the file; null while pending or when blocked")


class MessageOut(Schema):
    public_id: UUID
    kind: str = Field(description="public, internal (staff only) or event")
    body: str
    event: str = Field(description="for events: status_changed, assigned, rated, appealed, ...")
    data: dict[str, Any]
    author: UUID | None
    author_name: str
    from_staff: bool
    created_at: datetime
    attachments: list[AttachmentOut]
    ticket: str = Field(description="reference of the ticket it was written on (another one after a merge)")


class ChainLinkOut(Schema):
    kind: str
    network: str
    value: str


class RatingOut(Schema):
    score: int
    comment: str
    rated_at: datetime | None


class AppealOut(Schema):
    public_id: UUID
    reason: str
    status: str
    created_at: datetime
    decided_at: datetime | None
    decision: str


class TicketDetail(TicketSummary):
    tags: list[str] = Field(description="staff only; empty for customers")
    team: str | None = Field(description="team name (staff only)")
    first_response_at: datetime | None
    solved_at: datetime | None
    closed_at: datetime | None
    messages: list[MessageOut]
    chain_links: list[ChainLinkOut]
    rating: RatingOut | None
    appeals: list[AppealOut]


class TicketFilters(Schema):
    after: str | None = Field(None, description="the `next_after` of the previous page")
    limit: int | str | None = Field(None, description="1 to 100 (default 25)")
    view: str | None = Field(None, description="staff: mine, unassigned, team, all (default) or appeals_open")
    status: list[str] = Field([], description="staff: repeat for several statuses (default: the active ones)")
    priority: int | str | None = Field(None, description="staff: low, normal, high, urgent or 1 to 4")
    category: str | None = Field(None, description="staff")
    tag: str | None = Field(None, description="staff")
    team: str | None = Field(None, description="staff: a team's public id")
    assignee: str | None = Field(None, description="staff: an agent's public id")
    q: str | None = Field(None, description="staff: a reference, words of the subject, or a linked hash/address")


class TicketCreate(Schema):
    subject: str
    body: str
    category: str | None = None
    priority: int | str | None = Field(None, description="staff only (customers' requests start as normal)")
    language: str | None = Field(None, description="zh-hans or en")
    tags: list[str] | str | None = Field(None, description="staff only")
    chain_links: list[str] | str | None = Field(None, description="transaction hashes or wallet addresses")
    requester_email: str | None = Field(None, description="staff: required, the customer the request is for")


class ReplyIn(Schema):
    body: str
    internal: bool = Field(False, description="an internal note (staff only)")
    last_seen: str | None = Field(
        None,
        description="public id of the newest message the writer has seen: if a newer public message (from the "
        "customer or another agent) arrived since, the reply is refused with 409 reply_collision",
    )
    force: bool = Field(False, description="send even though newer messages arrived (after a reply_collision)")


class BulkIn(Schema):
    tickets: list[str] = Field([], description="references, at most 100")
    action: str = Field(description="assign, status, add_tag or remove_tag")
    assignee: str | None = Field(None, description="assign: an agent's public id, `me`, or empty for nobody")
    team: str | None = Field(None, description="assign: a team's public id (empty: keep the team)")
    status: str | None = Field(None, description="status: the status to set")
    tag: str | None = Field(None, description="add_tag / remove_tag: the tag")


class BulkOutcomeOut(Schema):
    ref: str
    outcome: str = Field(description="done, unchanged or refused")
    code: str = Field(description="for refused: the refusal's code (not_found for a ticket you cannot see)")
    message: str


class BulkOut(Schema):
    results: list[BulkOutcomeOut]


class MergeIn(Schema):
    into: str = Field(description="reference of the ticket that continues (same requester)")


class StatusIn(Schema):
    status: str = Field(description="staff: any allowed transition; customers: closed, or open to reopen")


class RatingIn(Schema):
    score: int = Field(strict=True, description="1 to 5")
    comment: str | None = ""


class AppealIn(Schema):
    reason: str


# ---- helpers -----------------------------------------------------------------------------------


def _actor(request: HttpRequest) -> User:
    """The token's or the session's user (anonymous callers were refused with 401); staff on a
    session must also have passed their second factor."""
    return api_user(request)


def _priority_name(value: int) -> str:
    try:
        return Priority(value).name.lower()
    except ValueError:
        return str(value)


def _render(request: HttpRequest, body: dict[str, Any], status: int = 200) -> HttpResponse:
    """JSON as the API renders validated answers (its default renderer and encoder)."""
    content = _JSON.render(request, body, response_status=status)
    return HttpResponse(content, status=status, content_type=f"{_JSON.media_type}; charset={_JSON.charset}")


def _summary(ticket: Ticket, viewer: User, *, staff: bool) -> dict[str, Any]:
    # A customer's own list is not joined to the requester (it is the viewer): use the viewer.
    requester = viewer if ticket.requester_id == viewer.pk else ticket.requester
    return {
        "ref": ticket.ref,
        "subject": ticket.subject,
        "status": ticket.status,
        "priority": _priority_name(ticket.priority),
        "category": ticket.category,
        "language": ticket.language,
        "channel": ticket.channel,
        "created_at": ticket.created_at,
        "updated_at": ticket.updated_at,
        "assignee": ticket.assignee.public_id if ticket.assignee else None,
        "requester": requester.public_id,
        "requester_email": requester.email if staff else None,
    }


def _attachment(attachment: Attachment, ref: str, message: Message) -> dict[str, Any]:
    url = (
        reverse("api:attachment_content", kwargs={"ref": ref, "public_id": attachment.public_id})
        if attachment.servable
        else None
    )
    return {
        "public_id": attachment.public_id,
        "message": message.public_id,
        "name": attachment.original_name,
        "size": attachment.size,
        "content_type": attachment.content_type,
        "sha256": attachment.sha256,
        "scan_state": attachment.scan_state,
        "created_at": attachment.created_at,
        "download_url": url,
    }


def _message(message: Message, ref: str) -> dict[str, Any]:
    # A message merged in from a duplicate keeps its own ticket (and its files' addresses).
    ref = getattr(message, "ticket_ref", None) or ref
    author = message.author
    return {
        "public_id": message.public_id,
        "kind": message.kind,
        "body": message.body,
        "event": message.event,
        "data": message.data if isinstance(message.data, dict) else {},
        "author": author.public_id if author else None,
        "author_name": (author.display_name or "") if author else "",
        "from_staff": bool(author and author.role in STAFF_ROLES),
        "created_at": message.created_at,
        "attachments": [_attachment(a, ref, message) for a in selectors.message_files(message)],
        "ticket": ref,
    }


def _appeal(appeal: Appeal) -> dict[str, Any]:
    return {
        "public_id": appeal.public_id,
        "reason": appeal.reason,
        "status": appeal.status,
        "created_at": appeal.created_at,
        "decided_at": appeal.decided_at,
        "decision": appeal.decision,
    }


def _detail(ticket: Ticket, viewer: User, *, new: bool = False, has_links: bool = True) -> dict[str, Any]:
    """`new`: the ticket was created by this request (and is the row as the service left it):
    nothing can have been merged into it or appealed yet, and its chain links are read only when
    the request gave some (`has_links`)."""
    staff = selectors.is_staff(viewer)
    body = _summary(ticket, viewer, staff=staff)
    body.update(
        tags=list(ticket.tags or []) if staff else [],
        team=(ticket.team.name if ticket.team else None) if staff else None,
        first_response_at=ticket.first_response_at,
        solved_at=ticket.solved_at,
        closed_at=ticket.closed_at,
        messages=[
            _message(m, ticket.ref) for m in selectors.thread(ticket, viewer=viewer, sources=[] if new else None)
        ],
        chain_links=[
            {"kind": c.kind, "network": c.network, "value": c.value}
            for c in (selectors.chain_links(ticket) if has_links else [])
        ],
        rating=(
            {"score": ticket.rating, "comment": ticket.rating_comment, "rated_at": ticket.rated_at}
            if ticket.rating is not None
            else None
        ),
        appeals=[] if new else [_appeal(a) for a in selectors.appeals_of(ticket)],
    )
    return body


def _fresh_detail(user: User, ref: str) -> dict[str, Any]:
    # Services return the locked row without its relations: read it again the way a GET does.
    return _detail(selectors.access_ticket(user, ref), user)


def _filter_params(params: TicketFilters) -> dict[str, Any]:
    priority = params.priority
    if isinstance(priority, str):
        # The API writes priorities by name; the inbox filter takes their numbers.
        names = {p.name.lower(): p.value for p in Priority}
        priority = names.get(priority.strip().lower(), priority)
    return {
        "view": params.view or DEFAULT_STAFF_VIEW,
        "status": list(params.status),
        "priority": priority,
        "category": params.category,
        "tag": params.tag,
        "team": params.team,
        "assignee": params.assignee,
        "q": params.q,
    }


def _requester_only(ticket: Ticket, user: User, message: str) -> None:
    """Staff can see every ticket, but only its requester rates or appeals it."""
    if ticket.requester_id != user.pk:
        raise PermissionDenied(message)


_JSON = JSONRenderer()
_ERRORS: dict[int, Any] = {400: ErrorBody, 401: ErrorBody, 403: ErrorBody, 404: ErrorBody, 429: ErrorBody}
_UPLOAD_ERRORS: dict[int, Any] = {**_ERRORS, 409: ErrorBody, 413: ErrorBody}


# ---- endpoints ---------------------------------------------------------------------------------


@router.get("", response={200: TicketPage, **_ERRORS}, summary="List tickets", **READ)
def list_tickets(request: HttpRequest, params: Query[TicketFilters]) -> HttpResponse:
    """Newest first, `limit` per page. Customers get their own requests (the staff filters are
    ignored); staff get the inbox, by default every active ticket (`view=all`)."""
    user = _actor(request)
    staff = selectors.is_staff(user)
    if staff:
        flt = selectors.clean_filter(_filter_params(params))
        page = selectors.inbox(user, flt, after=params.after, limit=params.limit)
    else:
        page = selectors.customer_tickets(user, after=params.after, limit=params.limit)
    body = {"results": [_summary(t, user, staff=staff) for t in page.tickets], "next_after": page.next_after}
    # Rendered as built, not validated again: `_summary` fills exactly TicketSummary's fields, and
    # re-validating 25 rows through the schema cost a sixth of the request. The answer is still
    # checked against TicketPage in the tests (test_api).
    return _render(request, body)


@router.post("", response={201: TicketDetail, **_ERRORS}, summary="Create a ticket", **WRITE)
def create_ticket(request: HttpRequest, payload: TicketCreate) -> HttpStatus[dict[str, Any]]:
    """A customer's own request (channel `api`), or staff opening one for the customer at
    `requester_email` (channel `agent`). Rate-limited per user."""
    user = _actor(request)
    staff = selectors.is_staff(user)
    data = services.TicketInput(
        subject=payload.subject,
        body=payload.body,
        category=payload.category,
        priority=payload.priority,
        language=payload.language,
        tags=payload.tags,
        chain_links=payload.chain_links,
    )
    ip = client_ip(request)
    if staff:
        if payload.requester_email in (None, ""):
            raise InvalidInput(
                _("Enter the email address of the customer this request is for."),
                code="requester_email_required",
                field="requester_email",
            )
        ticket = services.create_ticket_for_customer(
            payload.requester_email, data, actor=user, channel=Channel.AGENT, ip=ip
        )
    else:
        ticket = services.submit_ticket(user, data, channel=Channel.API, ip=ip)
    # The service returns the row it wrote, with the requester, team and assignee it set: no
    # second read of what this request has just written.
    return HttpStatus(201, _detail(ticket, user, new=True, has_links=bool(payload.chain_links)))


def _staff_only(user: User) -> None:
    if not selectors.is_staff(user):
        raise PermissionDenied()


# Before "/{ref}": the paths are matched in order and "bulk" would pass for a reference.
@router.post("/bulk", response={200: BulkOut, **_ERRORS}, summary="One action on many tickets (staff)", **WRITE)
def bulk(request: HttpRequest, payload: BulkIn) -> dict[str, Any]:
    """Assign, set a status, or add or remove a tag on up to 100 tickets. Every ticket is checked
    and changed on its own, through the same rules as one by one: each gets an outcome (`done`,
    `unchanged`, or `refused` with the code and message). A bad action or too many tickets
    is refused as a whole (400) and changes nothing."""
    user = _actor(request)
    _staff_only(user)
    outcomes = services.bulk_update(
        services.BulkInput(
            tickets=payload.tickets,
            action=payload.action,
            assignee=payload.assignee,
            team=payload.team,
            status=payload.status,
            tag=payload.tag,
        ),
        actor=user,
        ip=client_ip(request),
    )
    return {"results": [vars(o) for o in outcomes]}


@router.get("/{ref}", response={200: TicketDetail, **_ERRORS}, summary="One ticket with its thread", **READ)
def get_ticket(request: HttpRequest, ref: str) -> dict[str, Any]:
    """The ticket, its messages and events in order (customers never see internal notes), the
    linked transaction hashes or addresses, the rating and the appeals."""
    user = _actor(request)
    return _detail(selectors.access_ticket(user, ref), user)


@router.post(
    "/{ref}/replies", response={201: MessageOut, **_ERRORS, 409: ErrorBody}, summary="Reply to a ticket", **WRITE
)
def reply(request: HttpRequest, ref: str, payload: ReplyIn) -> HttpStatus[dict[str, Any]]:
    """A public reply, or (staff only) an internal note the customer never sees. With
    `last_seen`, a reply that would cross a newer public message is refused with 409
    `reply_collision` (read the ticket again, then send with the new `last_seen` or `force`)."""
    user = _actor(request)
    ticket = selectors.access_ticket(user, ref)
    message = services.add_reply(
        ticket,
        payload.body,
        actor=user,
        internal=payload.internal,
        last_seen=payload.last_seen,
        force=payload.force,
        ip=client_ip(request),
    )
    return HttpStatus(201, _message(message, ticket.ref))


@router.post(
    "/{ref}/merge", response={200: TicketDetail, **_ERRORS, 409: ErrorBody}, summary="Merge a duplicate", **WRITE
)
def merge(request: HttpRequest, ref: str, payload: MergeIn) -> dict[str, Any]:
    """Staff merge ticket `ref` into `into` (same requester; docs/tickets.md): `ref` is closed
    for good and its messages show in `into`, which is returned."""
    user = _actor(request)
    _staff_only(user)
    source = selectors.access_ticket(user, ref)
    target = services.merge_tickets(source, payload.into, actor=user, ip=client_ip(request))
    return _fresh_detail(user, target.ref)


@router.post(
    "/{ref}/status", response={200: TicketDetail, **_ERRORS, 409: ErrorBody}, summary="Change the status", **WRITE
)
def set_status(request: HttpRequest, ref: str, payload: StatusIn) -> dict[str, Any]:
    """Staff move a ticket along the state machine. A customer may only close their request
    (`closed`) or reopen a recently solved one (`open`)."""
    user = _actor(request)
    ticket = selectors.access_ticket(user, ref)
    ip = client_ip(request)
    if selectors.is_staff(user):
        services.change_status(ticket, payload.status, actor=user, ip=ip)
    elif payload.status == Status.CLOSED:
        services.close_ticket(ticket, actor=user, ip=ip)
    elif payload.status == Status.OPEN:
        services.reopen_ticket(ticket, actor=user, ip=ip)
    else:
        raise PermissionDenied(_("You can only close your request or reopen a solved one."))
    return _fresh_detail(user, ticket.ref)


@router.post("/{ref}/rating", response={200: TicketDetail, **_ERRORS, 409: ErrorBody}, summary="Rate a ticket", **WRITE)
def rate(request: HttpRequest, ref: str, payload: RatingIn) -> dict[str, Any]:
    """The requester rates a solved or closed request from 1 to 5; a later rating replaces it."""
    user = _actor(request)
    ticket = selectors.access_ticket(user, ref)
    _requester_only(ticket, user, _("Only the customer who made the request can rate it."))
    services.rate_ticket(ticket, payload.score, payload.comment or "", actor=user, ip=client_ip(request))
    return _fresh_detail(user, ticket.ref)


@router.post("/{ref}/appeal", response={201: AppealOut, **_ERRORS, 409: ErrorBody}, summary="Appeal a ticket", **WRITE)
def appeal(request: HttpRequest, ref: str, payload: AppealIn) -> HttpStatus[dict[str, Any]]:
    """The requester appeals how a solved or closed request was handled; a supervisor decides."""
    user = _actor(request)
    ticket = selectors.access_ticket(user, ref)
    _requester_only(ticket, user, _("Only the customer who made the request can appeal it."))
    created = services.appeal_ticket(ticket, payload.reason, actor=user, ip=client_ip(request))
    return HttpStatus(201, _appeal(created))


# ---- attachments -------------------------------------------------------------------------------


@router.get("/{ref}/attachments", response={200: list[AttachmentOut], **_ERRORS}, summary="A ticket's files", **READ)
def list_attachments(request: HttpRequest, ref: str) -> list[dict[str, Any]]:
    """Every file on the ticket the caller may see (customers: not those of internal notes)."""
    user = _actor(request)
    ticket = selectors.access_ticket(user, ref)
    return [_attachment(a, ticket.ref, a.message) for a in selectors.attachments_of(ticket, viewer=user)]


@router.post(
    "/{ref}/attachments",
    response={201: MessageOut, **_UPLOAD_ERRORS},
    summary="Reply with files (multipart/form-data)",
    **WRITE,
)
def upload_attachments(
    request: HttpRequest,
    ref: str,
    files: list[UploadedFile] = File(None, description="one or more files, repeated as `files`"),  # noqa: B008
    body: str = Form("", description="the reply's text (may be empty when files are attached)"),  # noqa: B008
    internal: bool = Form(
        False, description="an internal note (staff only): its files are never shown to the customer"
    ),  # noqa: B008
) -> HttpStatus[dict[str, Any]]:
    """A new public reply or internal note carrying the files. Each file passes the same checks
    as on the web forms: type from the content (images, PDF, UTF-8 text, ZIP), size and count
    limits (413 for sizes), ZIP archives inspected without extracting. A refusal stores nothing."""
    user = _actor(request)
    ticket = selectors.access_ticket(user, ref)
    found = uploads.request_files(request)
    if not found:
        raise InvalidInput(_("Attach at least one file."), code="files_required", field="files")
    message = services.add_reply(ticket, body, actor=user, internal=internal, ip=client_ip(request), files=found)
    return HttpStatus(201, _message(message, ticket.ref))


@router.get(
    "/{ref}/attachments/{public_id}", response={200: AttachmentOut, **_ERRORS}, summary="One file's details", **READ
)
def get_attachment(request: HttpRequest, ref: str, public_id: str) -> dict[str, Any]:
    user = _actor(request)
    attachment = selectors.access_attachment(user, ref, public_id)
    return _attachment(attachment, attachment.ticket.ref, attachment.message)


@router.get(
    "/{ref}/attachments/{public_id}/content",
    response={200: None, 302: None, **_UPLOAD_ERRORS},
    url_name="attachment_content",
    summary="Download a file",
    **READ,
)
def attachment_content(request: HttpRequest, ref: str, public_id: str) -> HttpResponse | StreamingHttpResponse:
    """The file as a download (`Content-Disposition: attachment`, nosniff, a sandbox CSP), or a
    redirect to a short-lived link on the files origin when one is configured. 409 while the
    file waits for its malware scan or when the scanner blocked it."""
    return views.download(request, _actor(request), ref, public_id)
