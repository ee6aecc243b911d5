"""The only writers of tickets. Each verb runs in one transaction, locks the ticket it changes,
records an audit event and enqueues its notifications in the same transaction (they are sent
after commit by the job worker, never inside the request).

Written text is cleaned (`lib.text.clean_text`) and passes the secret shield (`_written`:
recovery phrases and private keys are replaced by a marker) before it is stored; audit events
keep only how many of each kind were removed (`shield_removed`).
"""

from __future__ import annotations

import logging
import secrets
import uuid
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import timedelta
from email.utils import parseaddr
from typing import Any, TypeVar

from django.conf import settings
from django.core import signing
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from safedesk.accounts import selectors as account_selectors
from safedesk.accounts import services as account_services
from safedesk.accounts.models import STAFF_ROLES, Availability, Role, Team, User
from safedesk.audit.models import AuditEvent
from safedesk.audit.services import record, record_all, unsaved
from safedesk.jobs.enqueue import enqueue
from safedesk.lib import chain, ratelimit, uploads
from safedesk.lib.db import insert, inserts_together
from safedesk.lib.errors import Conflict, InvalidInput, NotFound, PermissionDenied, SafedeskError
from safedesk.lib.ids import new_ref
from safedesk.lib.text import clean_text
from safedesk.safety import guard
from safedesk.safety import selectors as safety_selectors
from safedesk.safety import tasks as safety_tasks
from safedesk.safety.shield import collect as shield_collect
from safedesk.safety.shield import shield_text
from safedesk.tickets import macros, routing, selectors, sla, tasks
from safedesk.tickets.models import (
    ACTIVE_STATUSES,
    AUTOMATIC_MODES,
    DONE_STATUSES,
    Appeal,
    AppealStatus,
    Attachment,
    BusinessCalendar,
    Category,
    ChainLink,
    Channel,
    Macro,
    Message,
    MessageKind,
    Priority,
    SavedView,
    ScanState,
    SlaPolicy,
    Status,
    TeamSettings,
    Ticket,
    agent_may_set,
)

logger = logging.getLogger("safedesk.tickets")

MAX_SUBJECT = 200
MAX_BODY = 20_000
MAX_TAGS = 20
MAX_TAG_LENGTH = 40
MAX_CHAIN_LINKS = 10
MAX_RATING_COMMENT = 2000
MAX_APPEAL_REASON = 5000
LANGUAGES = ("zh-hans", "en")
_GUEST_SALT = "safedesk.tickets.guest-confirm"
STORAGE_PREFIX = "tickets"
# Files of one message: (the client's file name, its bytes or a file object), as
# `lib.uploads.inspect_all` takes them.
Files = Sequence[tuple[str, Any]]
_T = TypeVar("_T")


# ---- input checks ------------------------------------------------------------------------------


def _written(value: Any, *, field: str, max_length: int, allow_empty: bool = False, multiline: bool = True) -> str:
    """Free text someone wrote, cleaned and shielded. A marker can be longer than what it
    replaced (twelve Chinese characters): the result is cut to `max_length` again."""
    text = clean_text(
        _as_text(value, field), field=field, max_length=max_length, allow_empty=allow_empty, multiline=multiline
    )
    return shield_text(text)[:max_length]


def clean_subject(value: Any) -> str:
    return _written(value, field="subject", max_length=MAX_SUBJECT, multiline=False)


def clean_body(value: Any, *, field: str = "body") -> str:
    return _written(value, field=field, max_length=MAX_BODY)


def _with_removed(data: dict[str, Any], removed: Counter[str]) -> dict[str, Any]:
    """Audit data, with how many secrets of each kind the shield removed (never what), as
    [kind, count] pairs: the audit log blanks values under keys that sound secret."""
    return {**data, "shield_removed": [[k, n] for k, n in sorted(removed.items())]} if removed else data


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
    removed: Counter[str]  # what the shield took out of the subject and the body, by kind


def _clean(data: TicketInput, *, staff: bool) -> _Clean:
    with shield_collect() as removed:
        subject = clean_subject(data.subject)
        body = clean_body(data.body)
    return _Clean(
        subject=subject,
        body=body,
        category=clean_category(data.category),
        # Customers do not choose how urgent they are; triage (and agents) do.
        priority=clean_priority(data.priority) if staff else int(Priority.NORMAL),
        language=clean_language(data.language),
        tags=clean_tags(data.tags) if staff else [],
        links=clean_chain_links(data.chain_links),
        removed=removed,
    )


# ---- attachments -------------------------------------------------------------------------------


def _check_files(
    files: Files, *, who: Any, where: str, removed: Counter[str] | None = None
) -> list[uploads.CheckedUpload]:
    """Every file through the shared upload pipeline before anything is written; a refusal is
    logged (who, where, why — never the name or the bytes) and changes nothing. The pipeline
    takes recovery phrases and keys out of file names and text files; how many of each kind
    is added to `removed`, the counts of the message's text, for its audit event."""
    if not files:
        return []
    with shield_collect() as found:
        try:
            checked = uploads.inspect_all(files)
        except SafedeskError as exc:
            uploads.log_refusal(exc, who=str(getattr(who, "public_id", who) or "guest"), where=where)
            raise
    if removed is not None:
        removed.update(found)
    return checked


@contextmanager
def _stored(checked: list[uploads.CheckedUpload]) -> Iterator[list[str]]:
    """Writes the checked files to storage before the transaction, and removes them again when
    anything in the block fails (the rows roll back, the files go too): a refused or failed
    request leaves no file behind."""
    names = uploads.store(checked, prefix=STORAGE_PREFIX) if checked else []
    try:
        yield names
    except BaseException:
        uploads.delete_stored(names)
        raise


def _attach(
    ticket: Ticket,
    message: Message,
    checked: Sequence[uploads.CheckedUpload],
    names: Sequence[str],
    *,
    uploader: User | None,
) -> list[Attachment]:
    """The rows of the stored files. With a scanner configured every file waits for it (held,
    not served); the scan runs in the job worker after commit."""
    if not checked:
        return []
    scanning = uploads.scanner() is not None
    rows = Attachment.objects.bulk_create(
        [
            Attachment(
                ticket=ticket,
                message=message,
                uploader=uploader,
                storage_name=name,
                original_name=item.name,
                size=item.size,
                content_type=item.content_type,
                kind=item.kind.key,
                sha256=item.sha256,
                scan_state=ScanState.PENDING if scanning else ScanState.NOT_SCANNED,
            )
            for item, name in zip(checked, names, strict=True)
        ]
    )
    if scanning:
        for row in rows:
            enqueue(tasks.scan_attachment, str(row.public_id))
    return rows


def _with_files(data: dict[str, Any], count: int) -> dict[str, Any]:
    """Audit data, with the number of files when there are any."""
    return {**data, "files": count} if count else data


# ---- creation ----------------------------------------------------------------------------------


def _new_ticket(
    clean: _Clean,
    *,
    requester: User,
    channel: str,
    confirmed: bool,
    author: User | None,
    checked: Sequence[uploads.CheckedUpload] = (),
    names: Sequence[str] = (),
) -> Ticket:
    now = timezone.now()
    ref = new_ref("T")
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
    try:
        insert(ticket)
    except IntegrityError as exc:
        raise _RefTaken(ref, exc) from exc
    first = Message(ticket=ticket, author=author or requester, kind=MessageKind.PUBLIC, body=clean.body)
    insert(first)
    _attach(ticket, first, checked, names, uploader=author or requester)
    if clean.links:
        ChainLink.objects.bulk_create(
            [ChainLink(ticket=ticket, kind=r.kind, network=r.network, value=r.value) for r in clean.links]
        )
    return ticket


class _RefTaken(Exception):
    """The INSERT of a new ticket failed, maybe because another ticket has its reference."""

    def __init__(self, ref: str, error: IntegrityError) -> None:
        super().__init__(ref)
        self.ref = ref
        self.error = error


REF_ATTEMPTS = 5


def _creating(create: Callable[[], _T], *, together: bool = False) -> _T:
    """Runs `create` (which makes one ticket with `_new_ticket`) in one transaction, and again
    with a new reference when the INSERT hit one that is taken. A random reference is taken with
    odds of tickets / 32^8 (one in 100,000 at ten million tickets), so the unique constraint
    checks it instead of a SELECT before every INSERT; a collision rolls the attempt back whole
    (account, audit, jobs), so nothing of it remains. With `together`, the attempt's rows are
    one statement (`lib.db.inserts_together`: on PostgreSQL no transaction round trips); only
    for a `create` whose writes are all `insert()`s."""
    attempt = 1
    while True:
        batch = None
        try:
            if together:
                with inserts_together() as batch:
                    made = create()
                return made
            with transaction.atomic():
                return create()
        except _RefTaken as exc:
            if attempt >= REF_ATTEMPTS or not Ticket.objects.filter(ref=exc.ref).exists():
                raise exc.error from exc
        except IntegrityError:
            # The statement of `inserts_together` (PostgreSQL) broke a constraint: maybe the
            # new ticket's reference is taken.
            refs = [row.ref for row in (batch.rows if batch is not None else []) if isinstance(row, Ticket)]
            if attempt >= REF_ATTEMPTS or not refs or not Ticket.objects.filter(ref=refs[0]).exists():
                raise
        attempt += 1


def _limit_submissions(*idents: str) -> None:
    """At most SAFEDESK_TICKET_RATE_PER_HOUR new requests per client, whatever the path (web
    form, API, guest form): RateLimited (429 with Retry-After) beyond it."""
    ratelimit.hit_all("ticket-submit", list(idents), limit=settings.SAFEDESK_TICKET_RATE_PER_HOUR, window=3600)


def submit_ticket(
    requester: User,
    data: TicketInput,
    *,
    channel: str = Channel.WEB,
    ip: str = "",
    files: Files = (),
    along: Callable[[Ticket], object] | None = None,
) -> Ticket:
    """A signed-in customer's ticket (web form, portal or API), with the files of its first
    message. `along` writes what belongs with the ticket (a scam report) in its transaction."""
    if not requester.is_active:
        raise PermissionDenied()
    _limit_submissions(f"user:{requester.pk}")
    clean = _clean(data, staff=False)
    checked = _check_files(files, who=requester, where="ticket.create", removed=clean.removed)

    def create() -> Ticket:
        ticket = _new_ticket(
            clean, requester=requester, channel=channel, confirmed=True, author=requester, checked=checked, names=names
        )
        record(
            "ticket.created",
            actor=requester,
            target=ticket,
            target_ref=ticket.ref,
            data=_with_files(_with_removed({"channel": channel}, clean.removed), len(checked)),
            ip=ip,
        )
        enqueue(tasks.notify_requester, ticket.ref, "received")
        if along is not None:
            along(ticket)
        return _route_locked(ticket)

    with _stored(checked) as names:
        return _creating(create)


def submit_guest_ticket(
    email: Any,
    data: TicketInput,
    *,
    ip: str = "",
    files: Files = (),
    along: Callable[[Ticket], object] | None = None,
) -> Ticket | None:
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
    checked = _check_files(files, who="guest", where="ticket.guest_create", removed=clean.removed)
    # An address seen before (the usual case) needs no new account, and a ticket without files
    # or chain links is rows that `insert()` writes: then they go in as one statement.
    known = account_selectors.user_by_email(address)
    together = known is not None and not checked and not clean.links and along is None

    def create() -> Ticket | None:
        requester, events = _customer_for(address, language=clean.language, looked_up=True, found=known)
        if requester is None:
            record("ticket.guest_refused", actor=None, target_ref=address.rpartition("@")[2], ip=ip)
            # Nothing is kept for an address that cannot have requests (the files neither).
            uploads.delete_stored(names)
            return None
        ticket = _new_ticket(
            clean,
            requester=requester,
            channel=Channel.GUEST,
            confirmed=False,
            author=requester,
            checked=checked,
            names=names,
        )
        created = unsaved(
            "ticket.created",
            actor=None,
            target=ticket,
            target_ref=ticket.ref,
            data=_with_files(_with_removed({"channel": "guest"}, clean.removed), len(checked)),
            ip=ip,
        )
        record_all([*events, created])
        enqueue(tasks.send_guest_confirmation, ticket.ref)
        if along is not None:
            along(ticket)
        return ticket

    with _stored(checked) as names:
        return _creating(create, together=together)


def clean_email(value: Any) -> str:
    address = account_services.normalize_email(_as_text(value, "email"))
    try:
        validate_email(address)
    except ValidationError:
        raise InvalidInput(_("Enter a valid email address."), code="invalid_email", field="email") from None
    return address


def _customer_for(
    address: str, *, language: str, looked_up: bool = False, found: User | None = None
) -> tuple[User | None, list[AuditEvent]]:
    """The active customer account of this address (created if there is none), or None when the
    address belongs to staff or to a deactivated account: those never become requesters. With
    the audit event of a new account, for the caller to write with its own (`record_all`).
    With `looked_up`, `found` is the address's account (or None) as the caller just read it."""
    user = found if looked_up else account_selectors.user_by_email(address)
    if user is not None:
        return (user if user.is_active and user.role == Role.CUSTOMER else None), []
    try:
        with transaction.atomic():
            user = User.objects.create_user(email=address, password=None, role=Role.CUSTOMER, language=language)
    except IntegrityError:
        return _customer_for(address, language=language)  # a concurrent request created it first
    return user, [unsaved("accounts.created_for_ticket", actor=None, target=user)]


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
        # Held tickets are in no queue: a guest's request is routed once it is confirmed.
        ticket = _route_locked(ticket)
    return ticket


def create_ticket_for_customer(
    email: Any, data: TicketInput, *, actor: User, channel: str = Channel.AGENT, ip: str = "", files: Files = ()
) -> Ticket:
    """An agent opens a ticket on a customer's behalf (during a phone call, say)."""
    _require_staff(actor)
    if channel not in {Channel.AGENT, Channel.PHONE, Channel.EMAIL, Channel.CHAT}:
        raise InvalidInput(_("Choose one of the listed channels."), code="invalid_channel", field="channel")
    address = clean_email(email)
    clean = _clean(data, staff=True)
    checked = _check_files(files, who=actor, where="ticket.agent_create", removed=clean.removed)

    def create() -> Ticket:
        requester, events = _customer_for(address, language=clean.language)
        if requester is None:
            raise InvalidInput(
                _("This address belongs to a staff member or a closed account; it cannot have requests."),
                code="not_a_customer",
                field="email",
            )
        ticket = _new_ticket(
            clean, requester=requester, channel=channel, confirmed=True, author=actor, checked=checked, names=names
        )
        created = unsaved(
            "ticket.created",
            actor=actor,
            target=ticket,
            target_ref=ticket.ref,
            data=_with_files(_with_removed({"channel": channel}, clean.removed), len(checked)),
            ip=ip,
        )
        record_all([*events, created])
        enqueue(tasks.notify_requester, ticket.ref, "received")
        return _route_locked(ticket)

    with _stored(checked) as names:
        return _creating(create)


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


def add_reply(
    ticket: Ticket,
    body: Any,
    *,
    actor: User,
    internal: bool = False,
    last_seen: Any = None,
    force: bool = False,
    ip: str = "",
    files: Files = (),
) -> Message:
    """A public reply (customer or agent) or an internal note (agents only), with files; a
    message with files may have no text. A customer's reply to a ticket pending on them, or to a
    solved one within the reopen window, opens it again. Files of an internal note are never
    shown to the customer.

    `last_seen` (the public id of the newest message the writer had on screen) guards against
    answering past a message that arrived meanwhile: a public reply is then refused with 409
    `reply_collision` unless `force` says the writer saw it and sends anyway."""
    with shield_collect() as removed:
        text = _written(body, field="body", max_length=MAX_BODY, allow_empty=bool(files))
    staff = actor.role in STAFF_ROLES
    if internal and not staff:
        raise PermissionDenied()
    if staff and not internal:
        _guard_agent_text(text, field="body", actor=actor, target_ref=ticket.ref, ip=ip)
    checked = _check_files(files, who=actor, where="ticket.note" if internal else "ticket.reply", removed=removed)
    with _stored(checked) as names, transaction.atomic():
        ticket = _locked(ticket)
        if not staff and not _is_requester(ticket, actor):
            raise NotFound()
        if ticket.is_held:
            raise Conflict(_("This request is waiting for its email confirmation."), code="ticket_held")
        if last_seen not in (None, "") and not internal and not force:
            # Checked under the ticket's lock: of two replies sent at once, the second sees the first.
            _refuse_if_answered_meanwhile(ticket, last_seen, actor)
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
        rows = _attach(ticket, message, checked, names, uploader=actor)
        ticket.message_count = F("message_count") + 1
        ticket.save(update_fields=list(dict.fromkeys(fields)))
        record(
            "ticket.note_added" if internal else "ticket.replied",
            actor=actor,
            target=ticket,
            target_ref=ticket.ref,
            data=_with_removed(
                (
                    {"message": str(message.public_id), "attachments": [str(r.public_id) for r in rows]}
                    if rows
                    else {"message": str(message.public_id)}
                ),
                removed,
            ),
            ip=ip,
        )
        if staff and not internal:
            enqueue(tasks.notify_requester, ticket.ref, "replied")
        elif not staff and ticket.assignee_id is not None:
            enqueue(tasks.notify_assignee, ticket.ref, "customer_replied")
    return message


def _refuse_if_answered_meanwhile(ticket: Ticket, last_seen: Any, actor: User) -> None:
    try:
        key = uuid.UUID(str(last_seen))
    except ValueError:
        key = None
    seen = Message.objects.filter(ticket=ticket, public_id=key).values_list("id", flat=True).first() if key else None
    if seen is None:
        raise InvalidInput(
            _("The reply form is out of date. Reload the ticket and send again."),
            code="invalid_last_seen",
            field="last_seen",
        )
    newer = Message.objects.filter(ticket=ticket, kind=MessageKind.PUBLIC, id__gt=seen).exclude(author=actor)
    if newer.exists():
        raise Conflict(
            _("A new message arrived while you were writing. Read it, then send your reply again or send it anyway."),
            code="reply_collision",
        )


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
    """Sets the assignee (an active agent, or nobody) and, when given, the team. A ticket moved
    to another team with nobody as assignee gets one by that team's assignment mode."""
    _require_staff(actor)
    if assignee is not None and not (assignee.is_active and assignee.role in STAFF_ROLES):
        raise InvalidInput(_("Tickets can only be assigned to active agents."), code="invalid_assignee")
    with transaction.atomic():
        ticket = _locked(ticket)
        now = timezone.now()
        fields = ["updated_at"]
        changes: dict[str, Any] = {}
        team_changed = team is not None and ticket.team_id != team.pk
        if team is not None and team_changed:
            ticket.team = team
            fields.append("team")
            changes["team"] = str(team.public_id)
            fields += sla.start(ticket, now)  # the team's calendar counts from now on
        if ticket.assignee_id != (assignee.pk if assignee else None):
            ticket.assignee = assignee
            fields.append("assignee")
            changes["assignee"] = str(assignee.public_id) if assignee else None
        if team_changed and ticket.assignee_id is None and not ticket.is_held and ticket.status in ACTIVE_STATUSES:
            fields += _take_turn(ticket, changes)
        if not changes:
            return ticket
        if ticket.status == Status.NEW and ticket.assignee_id is not None:
            fields += _set_status(ticket, Status.OPEN, actor=actor, now=now)
        _event(ticket, actor, "assigned", **changes)
        ticket.save(update_fields=list(dict.fromkeys(fields)))
        record("ticket.assigned", actor=actor, target=ticket, target_ref=ticket.ref, data=changes, ip=ip)
        if ticket.assignee_id is not None and (ticket.assignee_id != actor.pk or "mode" in changes):
            enqueue(tasks.notify_assignee, ticket.ref, "assigned")
    return ticket


# ---- routing and automatic assignment ----------------------------------------------------------


def _take_turn(ticket: Ticket, changes: dict[str, Any]) -> list[str]:
    """Gives the locked, unassigned ticket to the member whose turn it is in its team (see
    `routing`); nothing when the team assigns manually or nobody is eligible."""
    if ticket.team_id is None:
        return []
    turn = routing.take_turn(ticket.team_id)
    if turn.assignee is None:
        return []
    ticket.assignee = turn.assignee
    changes["assignee"] = str(turn.assignee.public_id)
    changes["mode"] = turn.mode
    return ["assignee"]


def route_ticket(
    ticket: Ticket, *, team: Team | None = None, source: str = "category", actor: User | None = None, ip: str = ""
) -> Ticket:
    """The one entry point that sends a ticket to a team: to `team` when one is given (the
    answer bot's triage of issue #5 will pass its suggestion here, with its own `source`), else
    to the team that handles the ticket's category, if any. A ticket in a team without an
    assignee then gets one by the team's assignment mode; when nobody is eligible it waits in
    the team's queue and `assign_waiting_tickets` (every minute) tries again. Audited; the
    assignee is emailed. Returns the fresh ticket."""
    with transaction.atomic():
        return _route_locked(_locked(ticket), team=team, source=source, actor=actor, ip=ip)


def _route_locked(
    ticket: Ticket, *, team: Team | None = None, source: str = "category", actor: User | None = None, ip: str = ""
) -> Ticket:
    """`route_ticket` for a ticket this transaction already holds: one it has just inserted
    (nobody else can see the row before commit, so it is the row as stored) or one it has
    locked. Saves reading and locking the row a second time."""
    if ticket.is_held or ticket.status not in ACTIVE_STATUSES:
        return ticket
    target = team or selectors.team_for_category(ticket.category)
    now = timezone.now()
    fields: list[str] = []
    changes: dict[str, Any] = {}
    if target is not None and ticket.team_id != target.pk:
        ticket.team = target
        fields += ["team", *sla.start(ticket, now)]
        changes["team"] = str(target.public_id)
    if ticket.assignee_id is None:
        fields += _take_turn(ticket, changes)
    if not changes:
        return ticket
    if ticket.status == Status.NEW and ticket.assignee_id is not None:
        fields += _set_status(ticket, Status.OPEN, actor=actor, now=now)
    changes["source"] = source
    _event(ticket, actor, "assigned", **changes)
    ticket.save(update_fields=list(dict.fromkeys([*fields, "updated_at"])))
    record("ticket.routed", actor=actor, target=ticket, target_ref=ticket.ref, data=changes, ip=ip)
    if ticket.assignee_id is not None:
        enqueue(tasks.notify_assignee, ticket.ref, "assigned")
    return ticket


WAITING_BATCH = 100


def assign_waiting_tickets(*, batch: int = WAITING_BATCH) -> int:
    """Periodic (every minute, and when someone becomes available): the unassigned active
    tickets of teams that assign automatically get an assignee as members become available or
    drop under their cap; earliest SLA deadline first, then oldest. A team's queue is left as
    soon as nobody in it is eligible. Returns how many tickets were assigned."""
    team_ids = list(
        TeamSettings.objects.filter(assignment_mode__in=list(AUTOMATIC_MODES))
        .order_by("team_id")
        .values_list("team_id", flat=True)
    )
    assigned = 0
    for team_id in team_ids:
        waiting = list(
            Ticket.objects.filter(
                team_id=team_id,
                assignee__isnull=True,
                confirmed_at__isnull=False,
                status__in=list(ACTIVE_STATUSES),
            )
            .order_by(F("sla_due_at").asc(nulls_last=True), "id")
            .values_list("id", flat=True)[:batch]
        )
        for ticket_id in waiting:
            with transaction.atomic():
                ticket = Ticket.objects.select_for_update().filter(pk=ticket_id).first()
                if (
                    ticket is None
                    or ticket.assignee_id is not None
                    or ticket.team_id != team_id
                    or ticket.status not in ACTIVE_STATUSES
                ):
                    continue
                now = timezone.now()
                changes: dict[str, Any] = {}
                fields = _take_turn(ticket, changes)
                if not changes:
                    break  # nobody in this team can take one now
                if ticket.status == Status.NEW:
                    fields += _set_status(ticket, Status.OPEN, actor=None, now=now)
                changes["source"] = "queue"
                _event(ticket, None, "assigned", **changes)
                ticket.save(update_fields=list(dict.fromkeys([*fields, "updated_at"])))
                record("ticket.routed", actor=None, target=ticket, target_ref=ticket.ref, data=changes)
                enqueue(tasks.notify_assignee, ticket.ref, "assigned")
                assigned += 1
    return assigned


def set_availability(user: User, availability: Any, *, actor: User, ip: str = "") -> User:
    """A staff member's availability (accounts owns it); becoming available also asks the
    waiting team queues for their tickets at once instead of at the next minute."""
    with transaction.atomic():
        before = User.objects.filter(pk=user.pk).values_list("availability", flat=True).first()
        updated = account_services.set_availability(user, availability=availability, actor=actor, ip=ip)
        if updated.availability == Availability.AVAILABLE and before != Availability.AVAILABLE:
            enqueue(tasks.assign_waiting)
    return updated


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
    text = _written(comment or "", field="comment", max_length=MAX_RATING_COMMENT, allow_empty=True)
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
    text = _written(reason, field="reason", max_length=MAX_APPEAL_REASON)
    with transaction.atomic():
        ticket = _locked(ticket)
        if not _is_requester(ticket, actor):
            raise NotFound()
        if ticket.merged_into_id is not None:
            # Its conversation goes on in the request it was merged into.
            raise Conflict(
                _("This request was merged into another one; appeal that one instead."), code="ticket_merged"
            )
        if ticket.status not in DONE_STATUSES:
            raise Conflict(_("A request can be appealed once it is solved."), code="not_solved")
        if Appeal.objects.filter(ticket=ticket, status=AppealStatus.OPEN).exists():
            raise Conflict(_("This request already has an open appeal."), code="appeal_open")
        due, warn = sla.appeal_due(sla.policy_for(ticket), timezone.now())
        appeal = Appeal.objects.create(ticket=ticket, reason=text, due_at=due, warn_at=warn)
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
    text = _written(decision, field="decision", max_length=MAX_APPEAL_REASON)
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
    marked = 0
    for ticket in _due_tickets("sla_due_at", now, batch):
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


def _due_tickets(field: str, now: Any, batch: int) -> Iterator[Ticket]:
    """The active confirmed tickets whose `field` time has come, earliest first, each yielded
    locked inside its own transaction (which commits when the caller moves on), so a long sweep
    never holds many locks and a second worker sweeping at once waits for the row, then sees
    what the first one wrote."""
    ids = list(
        Ticket.objects.filter(**{f"{field}__lte": now}, confirmed_at__isnull=False, status__in=list(ACTIVE_STATUSES))
        .order_by(field)
        .values_list("id", flat=True)[:batch]
    )
    for ticket_id in ids:
        with transaction.atomic():
            ticket = Ticket.objects.select_for_update().filter(pk=ticket_id).first()
            if ticket is not None and ticket.status in ACTIVE_STATUSES:
                yield ticket


def record_appeal_breaches(*, now: Any = None, batch: int = SWEEP_BATCH) -> int:
    """Every open appeal past its decision due time is marked overdue once: an event in the
    ticket's thread (agents only), the audit log, and an email to supervisors."""
    now = now or timezone.now()
    ids = list(
        Appeal.objects.filter(status=AppealStatus.OPEN, due_at__lte=now, breached_at__isnull=True)
        .order_by("due_at")
        .values_list("id", flat=True)[:batch]
    )
    marked = 0
    for appeal_id in ids:
        with transaction.atomic():
            # The conditions again under the lock: a second sweep waiting here finds it done.
            appeal = (
                Appeal.objects.select_for_update()
                .filter(pk=appeal_id, status=AppealStatus.OPEN, breached_at__isnull=True)
                .first()
            )
            if appeal is None:
                continue
            appeal.breached_at = now
            appeal.save(update_fields=["breached_at"])
            ticket = Ticket.objects.get(pk=appeal.ticket_id)
            _event(ticket, None, "appeal_overdue", appeal=str(appeal.public_id))
            record(
                "ticket.appeal_overdue",
                actor=None,
                target=ticket,
                target_ref=ticket.ref,
                data={"appeal": str(appeal.public_id)},
            )
            enqueue(tasks.notify_supervisors_of_appeal, str(appeal.public_id), "overdue")
            marked += 1
    return marked


def send_sla_warnings(*, now: Any = None, batch: int = SWEEP_BATCH) -> int:
    """Warnings before a breach: for every ticket whose next warning time has come, each target
    due within its policy's lead time is warned about once per clock cycle (`sla_warned`,
    written under the ticket's row lock, so a second worker running the same sweep finds it
    done and sends nothing). Returns how many warnings were enqueued."""
    now = now or timezone.now()
    sent = 0
    for ticket in _due_tickets("sla_warn_at", now, batch):
        targets = sla.targets_to_warn(ticket, now)
        if not targets:
            continue
        # Bookkeeping only: the ticket's "updated" time stays as the people working it left it.
        ticket.save(update_fields=sla.mark_warned(ticket, targets))
        record("ticket.sla_warning_sent", actor=None, target=ticket, target_ref=ticket.ref, data={"targets": targets})
        enqueue(tasks.notify_sla_warning, ticket.ref, ",".join(targets))
        sent += 1
    return sent


def send_appeal_warnings(*, now: Any = None, batch: int = SWEEP_BATCH) -> int:
    """Supervisors are warned once about each open appeal whose decision is due soon."""
    now = now or timezone.now()
    due_soon = {
        "status": AppealStatus.OPEN,
        "warn_at__lte": now,
        "due_at__gt": now,
        "warned_at__isnull": True,
        "breached_at__isnull": True,
    }
    ids = list(Appeal.objects.filter(**due_soon).order_by("warn_at").values_list("id", flat=True)[:batch])
    sent = 0
    for appeal_id in ids:
        with transaction.atomic():
            appeal = Appeal.objects.select_for_update().filter(pk=appeal_id, **due_soon).first()
            if appeal is None:
                continue
            appeal.warned_at = now
            appeal.save(update_fields=["warned_at"])
            record(
                "ticket.appeal_warning_sent",
                actor=None,
                target=appeal,
                data={"appeal": str(appeal.public_id)},
            )
            enqueue(tasks.notify_supervisors_of_appeal, str(appeal.public_id), "due_soon")
            sent += 1
    return sent


def refresh_warning_times(policy_id: str) -> int:
    """After a policy's warning lead time changed: its running clocks get warning times from the
    new lead (their due times stay as they were counted). Each ticket in its own short
    transaction; returns how many changed."""
    ids = list(
        Ticket.objects.filter(
            sla_policy__public_id=policy_id, status__in=list(ACTIVE_STATUSES), sla_due_at__isnull=False
        ).values_list("id", flat=True)
    )
    changed = 0
    for ticket_id in ids:
        with transaction.atomic():
            # Lock the ticket row only: PostgreSQL cannot lock the nullable side of the outer join.
            ticket = (
                Ticket.objects.select_for_update(of=("self",)).select_related("sla_policy").filter(pk=ticket_id).first()
            )
            if ticket is None:
                continue
            before = ticket.sla_warn_at
            sla.refresh(ticket)
            if ticket.sla_warn_at != before:
                ticket.save(update_fields=["sla_warn_at"])
                changed += 1
    return changed


# ---- SLA set-up --------------------------------------------------------------------------------

# Targets (first response, next response, resolution) in business minutes, by priority: what the
# demo starts with; admins change them in the console (/agent/sla/).
DEFAULT_TARGETS = {
    Priority.URGENT: (30, 60, 8 * 60),
    Priority.HIGH: (60, 4 * 60, 24 * 60),
    Priority.NORMAL: (4 * 60, 8 * 60, 48 * 60),
    Priority.LOW: (8 * 60, 24 * 60, 72 * 60),
}
# Appeal decision targets (business minutes) and warning lead times (clock minutes), by priority.
DEFAULT_APPEAL_AND_WARNING = {
    Priority.URGENT: (4 * 60, 10),
    Priority.HIGH: (8 * 60, 15),
    Priority.NORMAL: (16 * 60, 30),
    Priority.LOW: (24 * 60, 60),
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
            appeal, warning = DEFAULT_APPEAL_AND_WARNING[priority]
            SlaPolicy.objects.create(
                name=f"{Priority(priority).label}",
                priority=priority,
                first_response_minutes=first,
                next_response_minutes=following,
                resolution_minutes=resolution,
                appeal_minutes=appeal,
                warning_minutes=warning,
            )
        record("tickets.sla_defaults_created", actor=actor, target=calendar)
    return True


# ---- malware scanning (the job worker runs these) ---------------------------------------------

RESCAN_BATCH = 100


def scan_attachment(public_id: str) -> str | None:
    """Asks the configured scanner about one attachment that waits for it. Clean: it is served
    from now on. Infected: it is blocked for good — its bytes are deleted after commit and the
    thread shows a "blocked by scanner" placeholder. The scanner failed or is down: it stays
    pending (not served) and the periodic rescan tries again. Returns the new state, or None when
    there was nothing to do."""
    row = Attachment.objects.filter(public_id=public_id, scan_state=ScanState.PENDING).first()
    if row is None:
        return None
    if uploads.scanner() is None:
        verdict: str = ScanState.NOT_SCANNED  # scanning was turned off meanwhile
        signature = ""
    else:
        # Outside any transaction: a scan may take a while and must not hold a lock.
        result = uploads.scan_stored(row.storage_name, name=row.original_name)
        if result.verdict == uploads.Verdict.ERROR:
            logger.warning("attachment %s stays pending: the scanner could not decide", public_id)
            return ScanState.PENDING
        verdict = ScanState.BLOCKED if result.verdict == uploads.Verdict.INFECTED else ScanState.CLEAN
        signature = result.signature[:200]
    with transaction.atomic():
        row = (
            Attachment.objects.select_for_update()
            .select_related("ticket")
            .filter(pk=row.pk, scan_state=ScanState.PENDING)
            .first()
        )
        if row is None:
            return None  # another worker decided first
        row.scan_state, row.scan_signature, row.scanned_at = verdict, signature, timezone.now()
        row.save(update_fields=["scan_state", "scan_signature", "scanned_at"])
        record(
            "ticket.attachment_blocked" if verdict == ScanState.BLOCKED else "ticket.attachment_scanned",
            actor=None,
            target=row.ticket,
            target_ref=row.ticket.ref,
            data={"attachment": str(row.public_id), "state": verdict, "signature": signature, "sha256": row.sha256},
        )
        if verdict == ScanState.BLOCKED:
            name = row.storage_name
            transaction.on_commit(lambda: uploads.delete_stored([name]))
    return verdict


def rescan_pending(*, batch: int = RESCAN_BATCH) -> int:
    """Periodic: every attachment still pending (the scanner was down) is scanned again.
    Returns how many got a verdict."""
    decided = 0
    for public_id in selectors.pending_scans(limit=batch):
        state = scan_attachment(public_id)
        if state not in (None, ScanState.PENDING):
            decided += 1
    return decided


# ---- the agent guard seam ----------------------------------------------------------------------


AUDITED_HOSTS = 20
ALERT_QUIET_SECONDS = 600


def _link_allowed(host: str) -> bool:
    """Where staff may send a customer: the hosts of `safety.selectors.link_host_allowed`, and
    the domain of the desk's own sending address (agents give it as the address to write to)."""
    own = parseaddr(settings.DEFAULT_FROM_EMAIL)[1].rpartition("@")[2].lower().rstrip(".")
    return safety_selectors.link_host_allowed(host) or (bool(own) and host == own)


def _guard_agent_text(text: str, *, field: str, actor: User, target_ref: str = "", ip: str = "") -> None:
    """The agent guard (`safety.guard`): staff text for a customer — a public reply, a macro body
    — that asks for a recovery phrase, private key, password, 2FA code or remote access is
    refused (400 `agent_guard`, with the reason), and so is one that links outside the desk and
    the official domains (400 `agent_guard_link`, naming the hosts). The attempt is audited
    (`safety.agent_guard` with what was asked for, `safety.agent_guard_link` with the hosts;
    never the text) and every supervisor and administrator is emailed (a task enqueued with the
    audit event, in its transaction). Called before the caller's transaction opens, so that the
    event and the alert stay when the refusal undoes the rest."""
    hit = guard.asks_for_secret(text)
    hosts = guard.links_outside(text, _link_allowed) if hit is None else []
    if hit is None and not hosts:
        return
    error: SafedeskError
    data: dict[str, Any]
    if hit is not None:
        verb, kind, data = "safety.agent_guard", hit.kind, {"asked_for": hit.kind, "field": field}
        error = guard.refusal(hit, field=field)
    else:
        # Hosts are not secret, and supervisors need them to judge the attempt (the first few:
        # a text of 20,000 characters may name a thousand).
        data = {"hosts": hosts[:AUDITED_HOSTS], "field": field}
        if len(hosts) > AUDITED_HOSTS:
            data["more_hosts"] = len(hosts) - AUDITED_HOSTS
        verb, kind = "safety.agent_guard_link", safety_tasks.LINK_KIND
        error = guard.link_refusal(hosts, field=field)
    with transaction.atomic():
        event = record(
            verb,
            actor=actor,
            target_ref=target_ref,
            target_type="tickets.ticket" if target_ref else "tickets.macro",
            data=data,
            ip=ip,
        )
        at = event.created_at or timezone.now()
        # One email per agent, kind and ticket in ALERT_QUIET_SECONDS: an agent (or a script with
        # a stolen session) retrying the same text must not flood every supervisor's mailbox.
        # Every attempt is still an audit event, listed on the guard events page.
        quiet = f"guard-alert:{actor.public_id}:{kind}:{target_ref}"
        if cache.add(quiet, 1, timeout=ALERT_QUIET_SECONDS):
            enqueue(
                safety_tasks.alert_supervisors_of_guard, str(actor.public_id), target_ref, kind, at.isoformat(), verb
            )
    raise error


# ---- tags --------------------------------------------------------------------------------------


def change_tags(ticket: Ticket, *, add: Any = None, remove: Any = None, actor: User, ip: str = "") -> Ticket:
    """Adds and removes tags under the ticket's lock (a bulk action and a macro do not replace
    tags another agent set meanwhile)."""
    _require_staff(actor)
    to_add, to_remove = clean_tags(add), clean_tags(remove)
    with transaction.atomic():
        ticket = _locked(ticket)
        current = list(ticket.tags or [])
        tags = [t for t in current if t not in to_remove] + [t for t in to_add if t not in current]
        if tags == current:
            return ticket
        if len(tags) > MAX_TAGS:
            raise InvalidInput(_("At most %(max)d tags.") % {"max": MAX_TAGS}, code="too_many_tags", field="tags")
        ticket.tags = tags
        ticket.save(update_fields=["tags", "updated_at"])
        record("ticket.updated", actor=actor, target=ticket, target_ref=ticket.ref, data={"tags": tags}, ip=ip)
    return ticket


# ---- macros ------------------------------------------------------------------------------------

MAX_MACRO_NAME = 100
MAX_MACRO_BODY = 10_000


@dataclass(frozen=True)
class MacroInput:
    name: Any
    body_zh: Any = ""
    body_en: Any = ""
    set_status: Any = ""
    add_tags: Any = None


def _clean_macro(data: MacroInput, *, actor: User) -> dict[str, Any]:
    name = clean_text(_as_text(data.name, "name"), field="name", max_length=MAX_MACRO_NAME, multiline=False)
    bodies: dict[str, str] = {}
    for field in ("body_zh", "body_en"):
        body = clean_text(
            _as_text(getattr(data, field) or "", field), field=field, max_length=MAX_MACRO_BODY, allow_empty=True
        )
        unknown = macros.unknown_variables(body)
        if unknown:
            raise InvalidInput(
                _("Unknown variable %(name)s. You can use: %(known)s.")
                % {"name": "{{ " + unknown[0] + " }}", "known": ", ".join("{{ " + v + " }}" for v in macros.VARIABLES)},
                code="unknown_variable",
                field=field,
            )
        # Its placeholders are not text yet ("{{ customer.name }}" reads as a domain): the guard
        # reads the body without them, and the reply it becomes is guarded again when sent.
        _guard_agent_text(macros.fill(body, dict.fromkeys(macros.VARIABLES, " ")), field=field, actor=actor)
        bodies[field] = body
    if not bodies["body_zh"] and not bodies["body_en"]:
        raise InvalidInput(_("Write the reply in at least one language."), code="macro_body_required", field="body_zh")
    status = data.set_status or ""
    if status and status not in Status.values:
        raise InvalidInput(_("Choose one of the listed statuses."), code="invalid_status", field="set_status")
    return {"name": name, **bodies, "set_status": status, "add_tags": clean_tags(data.add_tags)}


def _require_macro_manager(macro: Macro, actor: User) -> None:
    if not selectors.may_manage_macro(actor, macro):
        # Someone else's personal macro is not even visible; a shared one is visible to agents.
        raise NotFound() if macro.owner_id not in (None, actor.pk) else PermissionDenied()


def _macro_name_taken() -> InvalidInput:
    return InvalidInput(_("A macro with this name exists already."), code="macro_name_taken", field="name")


def create_macro(data: MacroInput, *, shared: bool, actor: User, ip: str = "") -> Macro:
    """A shared macro (supervisors and admins) or a personal one (any agent, for themselves)."""
    _require_staff(actor)
    if shared and not actor.has_role(Role.SUPERVISOR):
        raise PermissionDenied(_("Only supervisors and administrators keep shared macros."))
    values = _clean_macro(data, actor=actor)
    try:
        with transaction.atomic():
            macro = Macro.objects.create(**values, owner=None if shared else actor, created_by=actor)
            record("macro.created", actor=actor, target=macro, data={"name": macro.name, "shared": shared}, ip=ip)
    except IntegrityError:
        raise _macro_name_taken() from None
    return macro


def update_macro(macro: Macro, data: MacroInput, *, actor: User, ip: str = "") -> Macro:
    _require_staff(actor)
    _require_macro_manager(macro, actor)
    values = _clean_macro(data, actor=actor)
    try:
        with transaction.atomic():
            locked = Macro.objects.select_for_update().get(pk=macro.pk)
            changed = [key for key, value in values.items() if getattr(locked, key) != value]
            if not changed:
                return locked
            for key in changed:
                setattr(locked, key, values[key])
            locked.save(update_fields=[*changed, "updated_at"])
            record("macro.updated", actor=actor, target=locked, data={"fields": changed}, ip=ip)
    except IntegrityError:
        raise _macro_name_taken() from None
    return locked


def set_macro_active(macro: Macro, active: bool, *, actor: User, ip: str = "") -> Macro:
    """Deactivated macros leave every reply box; they stay listed for their managers and can be
    activated again (their usage count stays)."""
    _require_staff(actor)
    _require_macro_manager(macro, actor)
    try:
        with transaction.atomic():
            locked = Macro.objects.select_for_update().get(pk=macro.pk)
            if locked.active == active:
                return locked
            locked.active = active
            locked.save(update_fields=["active", "updated_at"])
            record("macro.activated" if active else "macro.deactivated", actor=actor, target=locked, ip=ip)
    except IntegrityError:
        raise _macro_name_taken() from None
    return locked


def macro_text(macro: Macro, ticket: Ticket, *, actor: User) -> str:
    """The macro's reply in the ticket's language with its variables filled in (what the reply
    box receives; nothing is stored until the agent sends)."""
    return macros.fill(macro.body_for(ticket.language), macros.values_for(ticket, actor))


@dataclass(frozen=True)
class AgentReply:
    body: Any
    internal: bool = False
    status: Any = None  # set after the reply is stored ("" or None: unchanged)
    add_tags: Any = None
    macro: Macro | None = None  # the macro the reply started from (counted as used)
    last_seen: Any = None
    force: bool = False
    files: Files = ()


def reply_as_agent(ticket: Ticket, reply: AgentReply, *, actor: User, ip: str = "") -> Message:
    """An agent's reply or internal note from the console, with what a macro (or the agent)
    asked to do with it: a status to set and tags to add. All of it or nothing: a refused
    status change keeps the reply unsent."""
    _require_staff(actor)
    macro = reply.macro
    if macro is not None and not (macro.active and macro.owner_id in (None, actor.pk)):
        raise NotFound()
    if not reply.internal and isinstance(reply.body, str):
        _guard_agent_text(reply.body, field="body", actor=actor, target_ref=ticket.ref, ip=ip)
    with transaction.atomic():
        message = add_reply(
            ticket,
            reply.body,
            actor=actor,
            internal=reply.internal,
            last_seen=reply.last_seen,
            force=reply.force,
            ip=ip,
            files=reply.files,
        )
        if macro is not None:
            Macro.objects.filter(pk=macro.pk).update(usage_count=F("usage_count") + 1)
            record(
                "ticket.macro_applied",
                actor=actor,
                target=ticket,
                target_ref=ticket.ref,
                data={"macro": str(macro.public_id), "message": str(message.public_id)},
                ip=ip,
            )
        if reply.status not in (None, ""):
            change_status(ticket, reply.status, actor=actor, ip=ip)
        if reply.add_tags not in (None, "", []):
            change_tags(ticket, add=reply.add_tags, actor=actor, ip=ip)
    return message


# ---- saved views -------------------------------------------------------------------------------

MAX_VIEW_NAME = 60


def _clean_view(name: Any, params: Any, team: Team | None, *, actor: User) -> tuple[str, dict[str, Any]]:
    text = clean_text(_as_text(name, "name"), field="name", max_length=MAX_VIEW_NAME, multiline=False)
    if not isinstance(params, dict):
        raise InvalidInput(_("The filter is not valid."), code="invalid_filter")
    flt = selectors.clean_filter({k: params[k] for k in selectors.FILTER_KEYS if k in params})
    for field, value in (("team", flt.team), ("assignee", flt.assignee)):
        if value is not None:
            selectors.inbox_filter_value(field, value)
    if team is not None and not actor.has_role(Role.SUPERVISOR):
        raise PermissionDenied(_("Only supervisors and administrators share views with a team."))
    return text, selectors.filter_params(flt)


def _view_name_taken() -> InvalidInput:
    return InvalidInput(_("You already have a view with this name."), code="view_name_taken", field="name")


def save_view(name: Any, params: Any, *, team: Team | None = None, actor: User, ip: str = "") -> SavedView:
    """Saves an inbox filter under a name: personal, or (supervisors) shared with a team."""
    _require_staff(actor)
    text, clean = _clean_view(name, params, team, actor=actor)
    try:
        with transaction.atomic():
            if SavedView.objects.filter(owner=actor).count() >= selectors.MAX_SAVED_VIEWS:
                raise InvalidInput(
                    _("You have %(max)d saved views, the most there can be. Delete one first.")
                    % {"max": selectors.MAX_SAVED_VIEWS},
                    code="too_many_views",
                )
            view = SavedView.objects.create(name=text, params=clean, team=team, owner=actor)
            record(
                "saved_view.created",
                actor=actor,
                target=view,
                data={"name": text, "team": str(team.public_id) if team else None},
                ip=ip,
            )
    except IntegrityError:
        raise _view_name_taken() from None
    return view


def update_view(
    view: SavedView, name: Any, params: Any, *, team: Team | None = None, actor: User, ip: str = ""
) -> SavedView:
    """Renames, refilters or (supervisors) shares or unshares a view."""
    _require_staff(actor)
    if not selectors.may_edit_view(actor, view):
        raise NotFound()
    text, clean = _clean_view(name, params, team, actor=actor)
    try:
        with transaction.atomic():
            locked = SavedView.objects.select_for_update().get(pk=view.pk)
            locked.name, locked.params, locked.team = text, clean, team
            locked.save(update_fields=["name", "params", "team", "updated_at"])
            record(
                "saved_view.updated",
                actor=actor,
                target=locked,
                data={"name": text, "team": str(team.public_id) if team else None},
                ip=ip,
            )
    except IntegrityError:
        raise _view_name_taken() from None
    return locked


def delete_view(view: SavedView, *, actor: User, ip: str = "") -> None:
    _require_staff(actor)
    if not selectors.may_edit_view(actor, view):
        raise NotFound()
    with transaction.atomic():
        locked = SavedView.objects.select_for_update().filter(pk=view.pk).first()
        if locked is None:
            return
        record("saved_view.deleted", actor=actor, target=locked, data={"name": locked.name}, ip=ip)
        locked.delete()


# ---- bulk actions ------------------------------------------------------------------------------

MAX_BULK = 100
BULK_ACTIONS = ("assign", "status", "add_tag", "remove_tag")


@dataclass(frozen=True)
class BulkInput:
    tickets: Any  # references
    action: Any
    assignee: Any = None  # assign: "me", "" (nobody) or an agent's public id
    team: Any = None  # assign: a team's public id ("" or None: leave the team)
    status: Any = None
    tag: Any = None


@dataclass(frozen=True)
class BulkOutcome:
    ref: str
    outcome: str  # done, unchanged or refused
    code: str = ""
    message: str = ""


def _bulk_refs(values: Any) -> list[str]:
    if isinstance(values, str):
        values = [values]
    if not isinstance(values, list | tuple) or not all(isinstance(v, str) for v in values):
        raise InvalidInput(_("A list of ticket references was expected."), code="invalid_list", field="tickets")
    refs = list(dict.fromkeys(v.strip().upper() for v in values if v.strip()))
    if not refs:
        raise InvalidInput(_("Select at least one ticket."), code="no_tickets", field="tickets")
    if len(refs) > MAX_BULK:
        raise InvalidInput(
            _("At most %(max)d tickets at once. Select fewer and repeat.") % {"max": MAX_BULK},
            code="too_many_tickets",
            field="tickets",
        )
    return refs


def bulk_update(data: BulkInput, *, actor: User, ip: str = "") -> list[BulkOutcome]:
    """One action on many tickets. The action is checked first (a bad one changes nothing);
    then every ticket goes through `access_ticket` and the action's own service verb, each in
    its own transaction with its own checks and audit event, and gets its own outcome: one
    ticket's refusal does not undo the others."""
    _require_staff(actor)
    refs = _bulk_refs(data.tickets)
    if data.action not in BULK_ACTIONS:
        raise InvalidInput(_("Choose one of the listed actions."), code="invalid_action", field="action")
    assignee: User | None = None
    team: Team | None = None
    tag = ""
    if data.action == "assign":
        if data.assignee == "me":
            assignee = actor
        elif data.assignee not in (None, ""):
            assignee = selectors.inbox_filter_value("assignee", data.assignee)
        if data.team not in (None, ""):
            team = selectors.inbox_filter_value("team", data.team)
    elif data.action == "status":
        if data.status not in Status.values:
            raise InvalidInput(_("Choose one of the listed statuses."), code="invalid_status", field="status")
    else:
        tags = clean_tags([data.tag] if isinstance(data.tag, str) else data.tag)
        if len(tags) != 1:
            raise InvalidInput(_("Enter one tag."), code="invalid_tag", field="tag")
        tag = tags[0]

    def apply(ticket: Ticket) -> Ticket:
        if data.action == "assign":
            return assign_ticket(ticket, assignee=assignee, team=team, actor=actor, ip=ip)
        if data.action == "status":
            return change_status(ticket, data.status, actor=actor, ip=ip)
        if data.action == "add_tag":
            return change_tags(ticket, add=[tag], actor=actor, ip=ip)
        return change_tags(ticket, remove=[tag], actor=actor, ip=ip)

    def state(ticket: Ticket) -> tuple[Any, ...]:
        return (ticket.assignee_id, ticket.team_id, ticket.status, tuple(ticket.tags or []))

    outcomes: list[BulkOutcome] = []
    for ref in refs:
        try:
            ticket = selectors.access_ticket(actor, ref)
            before = state(ticket)
            after = state(apply(ticket))
        except SafedeskError as exc:
            outcomes.append(BulkOutcome(ref, "refused", exc.code, str(exc.message)))
            continue
        outcomes.append(BulkOutcome(ticket.ref, "done" if after != before else "unchanged"))
    return outcomes


# ---- merge -------------------------------------------------------------------------------------


def merge_target(source: Ticket, into: Any, *, actor: User) -> Ticket:
    """The ticket `into` names, as the merge of `source` would use it; a reference the actor
    cannot see is refused like one that does not exist."""
    _require_staff(actor)
    ref = into.strip().upper() if isinstance(into, str) else ""
    if not ref:
        raise InvalidInput(_("Enter the reference of the ticket to merge into."), code="required", field="into")
    try:
        return selectors.access_ticket(actor, ref)
    except NotFound:
        raise InvalidInput(
            _("There is no ticket %(ref)s you can merge into.") % {"ref": ref[:20]},
            code="merge_target_not_found",
            field="into",
        ) from None


def merge_refusal(source: Ticket, target: Ticket) -> SafedeskError | None:
    """Why `source` cannot be merged into `target` now, or None (docs/tickets.md, Merge). The
    merge checks it again on the locked rows; the confirmation page shows it beforehand."""
    if target.pk == source.pk:
        return Conflict(_("A ticket cannot be merged into itself."), code="merge_into_self")
    if source.merged_into_id is not None:
        return Conflict(_("This ticket was merged already."), code="already_merged")
    if source.status == Status.CLOSED:
        return Conflict(_("A closed ticket cannot be merged."), code="merge_source_closed")
    if target.merged_into_id is not None:
        return Conflict(
            _("Ticket %(ref)s was itself merged into another ticket.") % {"ref": target.ref},
            code="merge_target_merged",
        )
    if target.status == Status.CLOSED:
        return Conflict(
            _("Ticket %(ref)s is closed; it cannot take in another ticket.") % {"ref": target.ref},
            code="merge_target_closed",
        )
    if source.requester_id != target.requester_id:
        return Conflict(
            _("Only tickets of the same customer can be merged: the other customer would see this conversation."),
            code="requesters_differ",
        )
    if Appeal.objects.filter(ticket=source, status=AppealStatus.OPEN).exists():
        return Conflict(_("This ticket has an open appeal; a supervisor decides it first."), code="appeal_open")
    return None


def merge_tickets(source: Ticket, into: Any, *, actor: User, ip: str = "") -> Ticket:
    """Merges a duplicate (`source`) into the ticket `into` names (docs/tickets.md, Merge): same
    requester only; the source is closed with `merged_into` set and an event in both threads;
    the source's replies show in the target's thread from then on; its linked hashes and
    addresses are added to the target; the customer is emailed. Both rows are locked in id
    order, so two merges of the same pair cannot deadlock. Returns the target."""
    target = merge_target(source, into, actor=actor)
    if target.pk == source.pk:
        raise Conflict(_("A ticket cannot be merged into itself."), code="merge_into_self")
    with transaction.atomic():
        first, second = sorted((source, target), key=lambda t: t.pk)
        locked = {first.pk: _locked(first), second.pk: _locked(second)}
        source, target = locked[source.pk], locked[target.pk]
        problem = merge_refusal(source, target)
        if problem is not None:
            raise problem
        _event(source, actor, "merged_into", target=target.ref)
        _event(target, actor, "merged_from", source=source.ref)
        fields = _set_status(source, Status.CLOSED, actor=actor, now=timezone.now())
        source.merged_into = target
        source.save(update_fields=list(dict.fromkeys([*fields, "merged_into", "updated_at"])))
        known = set(ChainLink.objects.filter(ticket=target).values_list("value", flat=True))
        ChainLink.objects.bulk_create(
            [
                ChainLink(ticket=target, kind=link.kind, network=link.network, value=link.value)
                for link in ChainLink.objects.filter(ticket=source).order_by("id")
                if link.value not in known
            ]
        )
        target.save(update_fields=["updated_at"])
        record("ticket.merged", actor=actor, target=source, target_ref=source.ref, data={"into": target.ref}, ip=ip)
        record("ticket.merged_in", actor=actor, target=target, target_ref=target.ref, data={"from": source.ref}, ip=ip)
        enqueue(tasks.notify_requester_of_merge, source.ref, target.ref)
    return target


# ---- demo macros ---------------------------------------------------------------------------------


def set_up_default_macros(macros_in: list[MacroInput], *, actor: User) -> int:
    """Shared macros to start with (`safedesk demo`), unless shared macros exist already.
    Idempotent; returns how many it made."""
    with transaction.atomic():
        if Macro.objects.filter(owner__isnull=True).exists():
            return 0
        for data in macros_in:
            create_macro(data, shared=True, actor=actor)
    return len(macros_in)
