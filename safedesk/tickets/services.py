"""The only writers of tickets. Each verb runs in one transaction, locks the ticket it changes,
records an audit event and enqueues its notifications in the same transaction (they are sent
after commit by the job worker, never inside the request).

Customer-written text is cleaned (`lib.text.clean_text`) before it is stored. The secret shield
(issue #4) is not built yet; when it lands it runs here, at this boundary, before storage.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.core import signing
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from safedesk.accounts import services as account_services
from safedesk.accounts.models import STAFF_ROLES, Role, Team, User
from safedesk.audit.services import record
from safedesk.jobs.enqueue import enqueue
from safedesk.lib import chain, ratelimit
from safedesk.lib.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from safedesk.lib.ids import new_ref
from safedesk.lib.text import clean_text
from safedesk.tickets import selectors, sla, tasks
from safedesk.tickets.models import (
    ACTIVE_STATUSES,
    DONE_STATUSES,
    Appeal,
    AppealStatus,
    BusinessCalendar,
    Category,
    ChainLink,
    Channel,
    Message,
    MessageKind,
    Priority,
    SlaPolicy,
    Status,
    Ticket,
    agent_may_set,
)

MAX_SUBJECT = 200
MAX_BODY = 20_000
MAX_TAGS = 20
MAX_TAG_LENGTH = 40
MAX_CHAIN_LINKS = 10
MAX_RATING_COMMENT = 2000
MAX_APPEAL_REASON = 5000
LANGUAGES = ("zh-hans", "en")
_GUEST_SALT = "safedesk.tickets.guest-confirm"


# ---- input checks ------------------------------------------------------------------------------


def clean_subject(value: Any) -> str:
    return clean_text(_as_text(value, "subject"), field="subject", max_length=MAX_SUBJECT, multiline=False)


def clean_body(value: Any, *, field: str = "body") -> str:
    return clean_text(_as_text(value, field), field=field, max_length=MAX_BODY)


def _as_text(value: Any, field: str) -> str:
    if not isinstance(value, str):
        raise InvalidInput(_("A text value was expected."), code="invalid_input", field=field)
    return value


def clean_category(value: Any) -> str:
    if value in (None, ""):
        return Category.OTHER
    if value not in Category.values:
        raise InvalidInput(_("Choose one of the listed categories."), code="invalid_category", field="category")
    return str(value)


def clean_priority(value: Any) -> int:
    if value in (None, ""):
        return int(Priority.NORMAL)
    names = {p.label.lower(): p.value for p in Priority} | {p.name.lower(): p.value for p in Priority}
    if isinstance(value, str) and value.lower() in names:
        return int(names[value.lower()])
    try:
        number = int(value)
    except (TypeError, ValueError, OverflowError):
        number = 0
    if isinstance(value, bool) or (isinstance(value, float) and not value.is_integer()):
        number = 0
    if number not in Priority.values:
        raise InvalidInput(_("Choose one of the listed priorities."), code="invalid_priority", field="priority")
    return number


def clean_language(value: Any) -> str:
    if value in (None, ""):
        return settings.LANGUAGE_CODE
    if value not in LANGUAGES:
        raise InvalidInput(_("The language must be zh-hans or en."), code="invalid_lang", field="language")
    return str(value)


def clean_tags(values: Any) -> list[str]:
    if values in (None, ""):
        return []
    if isinstance(values, str):
        values = values.replace("，", ",").split(",")
    if not isinstance(values, list | tuple):
        raise InvalidInput(_("A list was expected."), code="invalid_list", field="tags")
    tags: list[str] = []
    for raw in values:
        tag = clean_text(_as_text(raw, "tags"), field="tags", max_length=MAX_TAG_LENGTH, allow_empty=True).lower()
        tag = "-".join(tag.split())
        if tag and tag not in tags:
            tags.append(tag)
    if len(tags) > MAX_TAGS:
        raise InvalidInput(_("At most %(max)d tags.") % {"max": MAX_TAGS}, code="too_many_tags", field="tags")
    return tags


def clean_chain_links(values: Any) -> list[chain.ChainRef]:
    """Transaction hashes and addresses, one per item (or per line); each must have a known form."""
    if values in (None, ""):
        return []
    if isinstance(values, str):
        values = values.split()
    if not isinstance(values, list | tuple):
        raise InvalidInput(_("A list was expected."), code="invalid_list", field="chain_links")
    refs: list[chain.ChainRef] = []
    for raw in values:
        text = _as_text(raw, "chain_links").strip()
        if not text:
            continue
        ref = chain.classify(text) if len(text) <= 128 else None
        if ref is None:
            raise InvalidInput(
                _("This is not a transaction hash or wallet address we recognise: check it and try again."),
                code="invalid_chain_link",
                field="chain_links",
            )
        if ref.value not in {r.value for r in refs}:
            refs.append(ref)
    if len(refs) > MAX_CHAIN_LINKS:
        raise InvalidInput(
            _("At most %(max)d transaction hashes or addresses.") % {"max": MAX_CHAIN_LINKS},
            code="too_many_chain_links",
            field="chain_links",
        )
    return refs


@dataclass(frozen=True)
class TicketInput:
    subject: Any
    body: Any
    category: Any = None
    priority: Any = None
    language: Any = None
    tags: Any = None
    chain_links: Any = None


@dataclass(frozen=True)
class _Clean:
    subject: str
    body: str
    category: str
    priority: int
    language: str
    tags: list[str]
    links: list[chain.ChainRef]


def _clean(data: TicketInput, *, staff: bool) -> _Clean:
    return _Clean(
        subject=clean_subject(data.subject),
        body=clean_body(data.body),
        category=clean_category(data.category),
        # Customers do not choose how urgent they are; triage (and agents) do.
        priority=clean_priority(data.priority) if staff else int(Priority.NORMAL),
        language=clean_language(data.language),
        tags=clean_tags(data.tags) if staff else [],
        links=clean_chain_links(data.chain_links),
    )


# ---- creation ----------------------------------------------------------------------------------


def _new_ticket(clean: _Clean, *, requester: User, channel: str, confirmed: bool, author: User | None) -> Ticket:
    now = timezone.now()
    for _attempt in range(5):
        ref = new_ref("T")
        if not Ticket.objects.filter(ref=ref).exists():
            break
    ticket = Ticket(
        ref=ref,
        requester=requester,
        subject=clean.subject,
        category=clean.category,
        priority=clean.priority,
        language=clean.language,
        tags=clean.tags,
        channel=channel,
        confirmed_at=now if confirmed else None,
        confirm_nonce="" if confirmed else secrets.token_hex(16),
        message_count=1,
    )
    sla.start(ticket, now)  # the clocks go into the INSERT: no second write of the new row
    ticket.save(force_insert=True)
    Message.objects.create(ticket=ticket, author=author or requester, kind=MessageKind.PUBLIC, body=clean.body)
    ChainLink.objects.bulk_create(
        [ChainLink(ticket=ticket, kind=r.kind, network=r.network, value=r.value) for r in clean.links]
    )
    return ticket


def _limit_submissions(*idents: str) -> None:
    """At most SAFEDESK_TICKET_RATE_PER_HOUR new requests per client, whatever the path (web
    form, API, guest form): RateLimited (429 with Retry-After) beyond it."""
    ratelimit.hit_all("ticket-submit", list(idents), limit=settings.SAFEDESK_TICKET_RATE_PER_HOUR, window=3600)


def submit_ticket(requester: User, data: TicketInput, *, channel: str = Channel.WEB, ip: str = "") -> Ticket:
    """A signed-in customer's ticket (web form, portal or API)."""
    if not requester.is_active:
        raise PermissionDenied()
    _limit_submissions(f"user:{requester.pk}")
    clean = _clean(data, staff=False)
    with transaction.atomic():
        ticket = _new_ticket(clean, requester=requester, channel=channel, confirmed=True, author=requester)
        record(
            "ticket.created", actor=requester, target=ticket, target_ref=ticket.ref, data={"channel": channel}, ip=ip
        )
        enqueue(tasks.notify_requester, ticket.ref, "received")
    return ticket


def submit_guest_ticket(email: Any, data: TicketInput, *, ip: str = "") -> Ticket | None:
    """A guest's ticket: held until the guest opens the single-use link emailed to the address.
    An address with no account gets a customer account without a password (the guest may set
    one later with a password reset). An address of a staff member or of a closed account gets
    no ticket and no email, and the caller is told nothing different (None here; the page is the
    same), so the form cannot be used to find out which addresses have accounts."""
    address = clean_email(email)
    # Per network address and per email address: the form must not become a way to flood
    # someone's mailbox with confirmation emails.
    _limit_submissions(f"ip:{ip or 'unknown'}", f"email:{address}")
    clean = _clean(data, staff=False)
    with transaction.atomic():
        requester = _customer_for(address, language=clean.language)
        if requester is None:
            record("ticket.guest_refused", actor=None, target_ref=address.rpartition("@")[2], ip=ip)
            return None
        ticket = _new_ticket(clean, requester=requester, channel=Channel.GUEST, confirmed=False, author=requester)
        record("ticket.created", actor=None, target=ticket, target_ref=ticket.ref, data={"channel": "guest"}, ip=ip)
        enqueue(tasks.send_guest_confirmation, ticket.ref)
    return ticket


def clean_email(value: Any) -> str:
    address = account_services.normalize_email(_as_text(value, "email"))
    try:
        validate_email(address)
    except ValidationError:
        raise InvalidInput(_("Enter a valid email address."), code="invalid_email", field="email") from None
    return address


def _customer_for(address: str, *, language: str) -> User | None:
    """The active customer account of this address (created if there is none), or None when the
    address belongs to staff or to a deactivated account: those never become requesters."""
    user = User.objects.filter(email=address).first()
    if user is not None:
        return user if user.is_active and user.role == Role.CUSTOMER else None
    try:
        with transaction.atomic():
            user = User.objects.create_user(email=address, password=None, role=Role.CUSTOMER, language=language)
    except IntegrityError:
        return _customer_for(address, language=language)  # a concurrent request created it first
    record("accounts.created_for_ticket", actor=None, target=user)
    return user


def guest_confirmation_token(ticket: Ticket) -> str:
    """Made by the email task at sending time, never stored: signed (ticket ref, nonce)."""
    return signing.TimestampSigner(salt=_GUEST_SALT).sign_object({"t": ticket.ref, "n": ticket.confirm_nonce})


def confirm_guest_ticket(token: Any, *, ip: str = "") -> Ticket:
    """Opens a held guest ticket. The link works once and for SAFEDESK_GUEST_LINK_HOURS."""
    invalid = InvalidInput(
        _("This confirmation link is not valid or has expired. Submit your request again."),
        code="invalid_confirmation",
    )
    if not isinstance(token, str) or len(token) > 500:
        raise invalid
    try:
        payload = signing.TimestampSigner(salt=_GUEST_SALT).unsign_object(
            token, max_age=timedelta(hours=settings.SAFEDESK_GUEST_LINK_HOURS)
        )
    except signing.BadSignature:
        raise invalid from None
    if not isinstance(payload, dict) or not isinstance(payload.get("t"), str) or not payload.get("n"):
        raise invalid
    with transaction.atomic():
        ticket = Ticket.objects.select_for_update().filter(ref=payload["t"]).first()
        if (
            ticket is None
            or not ticket.confirm_nonce
            or not secrets.compare_digest(ticket.confirm_nonce, str(payload["n"]))
        ):
            raise invalid
        ticket.confirmed_at = timezone.now()
        ticket.confirm_nonce = ""
        ticket.save(
            update_fields=["confirmed_at", "confirm_nonce", "updated_at", *sla.start(ticket, ticket.confirmed_at)]
        )
        requester = ticket.requester
        if requester.email_verified_at is None:
            # Opening the link proves the guest controls the address.
            User.objects.filter(pk=requester.pk).update(email_verified_at=ticket.confirmed_at)
        record("ticket.confirmed", actor=None, target=ticket, target_ref=ticket.ref, ip=ip)
        enqueue(tasks.notify_requester, ticket.ref, "received")
    return ticket


def create_ticket_for_customer(
    email: Any, data: TicketInput, *, actor: User, channel: str = Channel.AGENT, ip: str = ""
) -> Ticket:
    """An agent opens a ticket on a customer's behalf (during a phone call, say)."""
    _require_staff(actor)
    if channel not in {Channel.AGENT, Channel.PHONE, Channel.EMAIL, Channel.CHAT}:
        raise InvalidInput(_("Choose one of the listed channels."), code="invalid_channel", field="channel")
    address = clean_email(email)
    clean = _clean(data, staff=True)
    with transaction.atomic():
        requester = _customer_for(address, language=clean.language)
        if requester is None:
            raise InvalidInput(
                _("This address belongs to a staff member or a closed account; it cannot have requests."),
                code="not_a_customer",
                field="email",
            )
        ticket = _new_ticket(clean, requester=requester, channel=channel, confirmed=True, author=actor)
        record("ticket.created", actor=actor, target=ticket, target_ref=ticket.ref, data={"channel": channel}, ip=ip)
        enqueue(tasks.notify_requester, ticket.ref, "received")
    return ticket


# ---- helpers -----------------------------------------------------------------------------------


def _require_staff(actor: User) -> None:
    if not (actor.is_active and actor.role in STAFF_ROLES):
        raise PermissionDenied()


def _locked(ticket: Ticket) -> Ticket:
    locked = Ticket.objects.select_for_update().filter(pk=ticket.pk).first()
    if locked is None:
        raise NotFound()
    return locked


def _event(ticket: Ticket, actor: User | None, event: str, **data: Any) -> None:
    Message.objects.create(ticket=ticket, author=actor, kind=MessageKind.EVENT, body="", event=event, data=data)


def _set_status(ticket: Ticket, status: str, *, actor: User | None, now: Any) -> list[str]:
    """Moves the (locked) ticket and returns the fields to save. Every status change is also an
    event in the thread (the customer's progress timeline)."""
    previous = ticket.status
    ticket.status = status
    fields = ["status"]
    if status == Status.SOLVED:
        ticket.solved_at = now
        fields.append("solved_at")
    elif status == Status.CLOSED:
        ticket.closed_at = now
        fields.append("closed_at")
    elif previous in DONE_STATUSES:
        ticket.solved_at = None
        ticket.closed_at = None
        fields += ["solved_at", "closed_at"]
    fields += sla.status_changed(ticket, previous, now)
    _event(ticket, actor, "status_changed", **{"from": previous, "to": status})
    return fields


def _is_requester(ticket: Ticket, actor: User) -> bool:
    return ticket.requester_id == actor.pk


# ---- conversation ------------------------------------------------------------------------------


def add_reply(ticket: Ticket, body: Any, *, actor: User, internal: bool = False, ip: str = "") -> Message:
    """A public reply (customer or agent) or an internal note (agents only). A customer's reply
    to a ticket pending on them, or to a solved one within the reopen window, opens it again."""
    text = clean_body(body)
    staff = actor.role in STAFF_ROLES
    if internal and not staff:
        raise PermissionDenied()
    with transaction.atomic():
        ticket = _locked(ticket)
        if not staff and not _is_requester(ticket, actor):
            raise NotFound()
        if ticket.is_held:
            raise Conflict(_("This request is waiting for its email confirmation."), code="ticket_held")
        now = timezone.now()
        fields = ["message_count", "updated_at"]
        if ticket.status == Status.CLOSED:
            raise Conflict(
                _("This request is closed. Please submit a new request."),
                code="ticket_closed",
            )
        if not staff and ticket.status == Status.SOLVED:
            if not selectors.may_reopen(ticket, now=now):
                raise Conflict(
                    _("This request was solved too long ago to reopen. Please submit a new request."),
                    code="reopen_window_passed",
                )
            fields += _set_status(ticket, Status.OPEN, actor=actor, now=now)
        elif (not staff and ticket.status == Status.PENDING) or (
            staff and not internal and ticket.status == Status.NEW
        ):
            # The customer answered what we waited for; or an agent's first answer opens the ticket.
            fields += _set_status(ticket, Status.OPEN, actor=actor, now=now)
        if staff and not internal and ticket.first_response_at is None:
            ticket.first_response_at = now
            fields.append("first_response_at")
        if staff and not internal:
            fields += sla.agent_replied(ticket, now)
        elif not staff:
            fields += sla.customer_replied(ticket, now)
        message = Message.objects.create(
            ticket=ticket,
            author=actor,
            kind=MessageKind.INTERNAL if internal else MessageKind.PUBLIC,
            body=text,
        )
        ticket.message_count = F("message_count") + 1
        ticket.save(update_fields=list(dict.fromkeys(fields)))
        record(
            "ticket.note_added" if internal else "ticket.replied",
            actor=actor,
            target=ticket,
            target_ref=ticket.ref,
            data={"message": str(message.public_id)},
            ip=ip,
        )
        if staff and not internal:
            enqueue(tasks.notify_requester, ticket.ref, "replied")
        elif not staff and ticket.assignee_id is not None:
            enqueue(tasks.notify_assignee, ticket.ref, "customer_replied")
    return message


def change_status(ticket: Ticket, status: Any, *, actor: User, ip: str = "") -> Ticket:
    """An agent moves a ticket along the state machine (models.AGENT_TRANSITIONS)."""
    _require_staff(actor)
    if status not in Status.values:
        raise InvalidInput(_("Choose one of the listed statuses."), code="invalid_status", field="status")
    with transaction.atomic():
        ticket = _locked(ticket)
        if ticket.is_held:
            raise Conflict(_("This request is waiting for its email confirmation."), code="ticket_held")
        if ticket.status == status:
            return ticket
        if not agent_may_set(ticket.status, status):
            raise Conflict(
                _("A ticket cannot go from %(from)s to %(to)s.")
                % {"from": Status(ticket.status).label, "to": Status(status).label},
                code="invalid_transition",
            )
        previous = ticket.status
        fields = _set_status(ticket, status, actor=actor, now=timezone.now())
        ticket.save(update_fields=[*fields, "updated_at"])
        record(
            "ticket.status_changed",
            actor=actor,
            target=ticket,
            target_ref=ticket.ref,
            data={"from": previous, "to": status},
            ip=ip,
        )
        enqueue(tasks.notify_requester, ticket.ref, f"status:{status}")
    return ticket


def close_ticket(ticket: Ticket, *, actor: User, ip: str = "") -> Ticket:
    """The customer closes their own request (it needs no more work)."""
    with transaction.atomic():
        ticket = _locked(ticket)
        if not _is_requester(ticket, actor):
            raise NotFound()
        if ticket.status == Status.CLOSED:
            return ticket
        previous = ticket.status
        fields = _set_status(ticket, Status.CLOSED, actor=actor, now=timezone.now())
        ticket.save(update_fields=[*fields, "updated_at"])
        record("ticket.closed", actor=actor, target=ticket, target_ref=ticket.ref, data={"from": previous}, ip=ip)
    return ticket


def reopen_ticket(ticket: Ticket, *, actor: User, ip: str = "") -> Ticket:
    """The customer reopens a solved request within SAFEDESK_TICKET_REOPEN_DAYS."""
    with transaction.atomic():
        ticket = _locked(ticket)
        if not _is_requester(ticket, actor):
            raise NotFound()
        if not selectors.may_reopen(ticket):
            raise Conflict(
                _("Only a request solved in the last %(days)d days can be reopened.")
                % {"days": settings.SAFEDESK_TICKET_REOPEN_DAYS},
                code="reopen_window_passed",
            )
        fields = _set_status(ticket, Status.OPEN, actor=actor, now=timezone.now())
        ticket.save(update_fields=[*fields, "updated_at"])
        record("ticket.reopened", actor=actor, target=ticket, target_ref=ticket.ref, ip=ip)
        if ticket.assignee_id is not None:
            enqueue(tasks.notify_assignee, ticket.ref, "reopened")
    return ticket


def assign_ticket(
    ticket: Ticket, *, assignee: User | None, team: Team | None = None, actor: User, ip: str = ""
) -> Ticket:
    """Sets the assignee (an active agent, or nobody) and, when given, the team."""
    _require_staff(actor)
    if assignee is not None and not (assignee.is_active and assignee.role in STAFF_ROLES):
        raise InvalidInput(_("Tickets can only be assigned to active agents."), code="invalid_assignee")
    with transaction.atomic():
        ticket = _locked(ticket)
        fields = ["updated_at"]
        changes: dict[str, Any] = {}
        if team is not None and ticket.team_id != team.pk:
            ticket.team = team
            fields.append("team")
            changes["team"] = str(team.public_id)
            fields += sla.start(ticket, timezone.now())  # the team's calendar counts from now on
        if ticket.assignee_id != (assignee.pk if assignee else None):
            ticket.assignee = assignee
            fields.append("assignee")
            changes["assignee"] = str(assignee.public_id) if assignee else None
        if not changes:
            return ticket
        if ticket.status == Status.NEW and assignee is not None:
            fields += _set_status(ticket, Status.OPEN, actor=actor, now=timezone.now())
        _event(ticket, actor, "assigned", **changes)
        ticket.save(update_fields=list(dict.fromkeys(fields)))
        record("ticket.assigned", actor=actor, target=ticket, target_ref=ticket.ref, data=changes, ip=ip)
        if assignee is not None and assignee.pk != actor.pk:
            enqueue(tasks.notify_assignee, ticket.ref, "assigned")
    return ticket


def update_fields(
    ticket: Ticket,
    *,
    actor: User,
    category: Any = None,
    priority: Any = None,
    tags: Any = None,
    ip: str = "",
) -> Ticket:
    """Agents correct the category, priority or tags (None leaves a field as it is)."""
    _require_staff(actor)
    new: dict[str, Any] = {}
    if category is not None:
        new["category"] = clean_category(category)
    if priority is not None:
        new["priority"] = clean_priority(priority)
    if tags is not None:
        new["tags"] = clean_tags(tags)
    with transaction.atomic():
        ticket = _locked(ticket)
        changed = {k: v for k, v in new.items() if getattr(ticket, k) != v}
        if not changed:
            return ticket
        for key, value in changed.items():
            setattr(ticket, key, value)
        fields = [*changed, "updated_at"]
        if "priority" in changed or "category" in changed:
            fields += sla.start(ticket, timezone.now())  # another policy may apply now
        ticket.save(update_fields=list(dict.fromkeys(fields)))
        record("ticket.updated", actor=actor, target=ticket, target_ref=ticket.ref, data=changed, ip=ip)
    return ticket


# ---- satisfaction and appeals ------------------------------------------------------------------


def rate_ticket(ticket: Ticket, score: Any, comment: Any = "", *, actor: User, ip: str = "") -> Ticket:
    """The requester rates a solved or closed request, 1 to 5, with an optional comment; a later
    rating replaces the earlier one."""
    try:
        value = int(score)
    except (TypeError, ValueError, OverflowError):
        value = 0
    if isinstance(score, bool) or (isinstance(score, float) and not score.is_integer()) or not 1 <= value <= 5:
        raise InvalidInput(_("A rating is a whole number from 1 to 5."), code="invalid_rating", field="score")
    text = clean_text(
        _as_text(comment or "", "comment"), field="comment", max_length=MAX_RATING_COMMENT, allow_empty=True
    )
    with transaction.atomic():
        ticket = _locked(ticket)
        if not _is_requester(ticket, actor):
            raise NotFound()
        if ticket.status not in DONE_STATUSES:
            raise Conflict(_("A request can be rated once it is solved."), code="not_solved")
        ticket.rating, ticket.rating_comment, ticket.rated_at = value, text, timezone.now()
        ticket.save(update_fields=["rating", "rating_comment", "rated_at", "updated_at"])
        _event(ticket, actor, "rated", score=value)
        record("ticket.rated", actor=actor, target=ticket, target_ref=ticket.ref, data={"score": value}, ip=ip)
    return ticket


def appeal_ticket(ticket: Ticket, reason: Any, *, actor: User, ip: str = "") -> Appeal:
    """The requester appeals (上诉) a solved or closed request; a supervisor decides."""
    text = clean_text(_as_text(reason, "reason"), field="reason", max_length=MAX_APPEAL_REASON)
    with transaction.atomic():
        ticket = _locked(ticket)
        if not _is_requester(ticket, actor):
            raise NotFound()
        if ticket.status not in DONE_STATUSES:
            raise Conflict(_("A request can be appealed once it is solved."), code="not_solved")
        if Appeal.objects.filter(ticket=ticket, status=AppealStatus.OPEN).exists():
            raise Conflict(_("This request already has an open appeal."), code="appeal_open")
        appeal = Appeal.objects.create(ticket=ticket, reason=text)
        _event(ticket, actor, "appealed", appeal=str(appeal.public_id))
        ticket.save(update_fields=["updated_at"])
        record(
            "ticket.appealed",
            actor=actor,
            target=ticket,
            target_ref=ticket.ref,
            data={"appeal": str(appeal.public_id)},
            ip=ip,
        )
        enqueue(tasks.notify_supervisors_of_appeal, str(appeal.public_id))
    return appeal


def decide_appeal(appeal: Appeal, *, upheld: bool, decision: Any, actor: User, ip: str = "") -> Appeal:
    """A supervisor upholds an appeal (the ticket reopens) or rejects it, with an explanation the
    customer sees."""
    if not (actor.is_active and actor.has_role(Role.SUPERVISOR)):
        raise PermissionDenied()
    text = clean_text(_as_text(decision, "decision"), field="decision", max_length=MAX_APPEAL_REASON)
    with transaction.atomic():
        appeal = Appeal.objects.select_for_update().get(pk=appeal.pk)
        if appeal.status != AppealStatus.OPEN:
            raise Conflict(_("This appeal was already decided."), code="appeal_decided")
        ticket = _locked(appeal.ticket)
        appeal.status = AppealStatus.UPHELD if upheld else AppealStatus.REJECTED
        appeal.decided_by, appeal.decided_at, appeal.decision = actor, timezone.now(), text
        appeal.save(update_fields=["status", "decided_by", "decided_at", "decision"])
        fields = ["updated_at"]
        if upheld and ticket.status in DONE_STATUSES:
            fields += _set_status(ticket, Status.OPEN, actor=actor, now=timezone.now())
        Message.objects.create(ticket=ticket, author=actor, kind=MessageKind.PUBLIC, body=text)
        ticket.message_count = F("message_count") + 1
        ticket.save(update_fields=[*fields, "message_count"])
        record(
            "ticket.appeal_decided",
            actor=actor,
            target=ticket,
            target_ref=ticket.ref,
            data={"appeal": str(appeal.public_id), "status": appeal.status},
            ip=ip,
        )
        enqueue(tasks.notify_requester, ticket.ref, "appeal_decided")
    return appeal


# ---- SLA breaches (run by the periodic sweep) --------------------------------------------------

SWEEP_BATCH = 200


def record_sla_breaches(*, now: Any = None, batch: int = SWEEP_BATCH) -> int:
    """Every ticket whose next SLA deadline has passed: the breached targets are recorded (once
    each), the ticket is escalated one priority step, the thread and the audit log say so, and
    supervisors are emailed. Returns how many tickets were marked. Each ticket is its own
    transaction, so a long sweep never holds many locks."""
    now = now or timezone.now()
    ids = list(
        Ticket.objects.filter(sla_due_at__lte=now, confirmed_at__isnull=False, status__in=list(ACTIVE_STATUSES))
        .order_by("sla_due_at")
        .values_list("id", flat=True)[:batch]
    )
    marked = 0
    for ticket_id in ids:
        with transaction.atomic():
            ticket = Ticket.objects.select_for_update().filter(pk=ticket_id).first()
            if ticket is None or ticket.status not in ACTIVE_STATUSES:
                continue
            targets = sla.overdue_targets(ticket, now)
            if not targets:
                continue
            fields = sla.mark_breached(ticket, targets)
            data: dict[str, Any] = {"targets": targets}
            if ticket.priority < Priority.URGENT:
                data["priority"] = {"from": ticket.priority, "to": ticket.priority + 1}
                ticket.priority = ticket.priority + 1
                fields.append("priority")
            ticket.save(update_fields=[*fields, "updated_at"])
            _event(ticket, None, "sla_breached", **data)
            record("ticket.sla_breached", actor=None, target=ticket, target_ref=ticket.ref, data=data)
            enqueue(tasks.notify_supervisors_of_breach, ticket.ref, ",".join(targets))
            marked += 1
    return marked


# ---- SLA set-up --------------------------------------------------------------------------------

# Targets (first response, next response, resolution) in business minutes, by priority: what the
# demo starts with; admins change them under /admin/tickets/.
DEFAULT_TARGETS = {
    Priority.URGENT: (30, 60, 8 * 60),
    Priority.HIGH: (60, 4 * 60, 24 * 60),
    Priority.NORMAL: (4 * 60, 8 * 60, 48 * 60),
    Priority.LOW: (8 * 60, 24 * 60, 72 * 60),
}


def set_up_default_sla(*, actor: Any) -> bool:
    """A default calendar (Asia/Shanghai, every day 08:00–24:00: exchanges answer on weekends)
    and one policy per priority, unless an SLA set-up exists. Idempotent; True when it created."""
    with transaction.atomic():
        if BusinessCalendar.objects.exists() or SlaPolicy.objects.exists():
            return False
        days = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
        calendar = BusinessCalendar.objects.create(
            name="Support hours", tz="Asia/Shanghai", weekly={d: ["08:00-24:00"] for d in days}, is_default=True
        )
        for priority, (first, following, resolution) in DEFAULT_TARGETS.items():
            SlaPolicy.objects.create(
                name=f"{Priority(priority).label}",
                priority=priority,
                first_response_minutes=first,
                next_response_minutes=following,
                resolution_minutes=resolution,
            )
        record("tickets.sla_defaults_created", actor=actor, target=calendar)
    return True
