"""Ticket emails, sent by the job worker after the change that asked for them was committed.

Arguments are public references only. Subjects carry the ticket reference and a fixed
translated sentence, never customer-written text, and bodies never quote what a customer (or
someone posing as one with another person's address) wrote: our mail must not relay phishing
(CASES.md B10). Agent replies, written by staff, are quoted to the requester.
"""

from __future__ import annotations

import hashlib
import hmac
from typing import Any

from django.conf import settings
from django.db.models import Q
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext_lazy as _
from django_tasks import task

from safedesk.accounts.models import STAFF_ROLES, Role, User
from safedesk.jobs.mail import send_templated_email
from safedesk.lib.db import Frozen


def _site_url(path: str) -> str:
    return settings.SITE_URL.rstrip("/") + path


def reply_address(ref: str) -> str:
    """A per-ticket Reply-To (`support+t-7kq3m9xa.<mac>@domain`) that inbound email (a later
    issue) maps back to the ticket; the MAC keeps others from forging one."""
    local, _at, domain = settings.DEFAULT_FROM_EMAIL.rpartition("@")
    mac = hmac.new(settings.SECRET_KEY.encode(), f"reply:{ref}".encode(), hashlib.sha256).hexdigest()[:12]
    return f"{local}+{ref.lower()}.{mac}@{domain}"


def _send(user: User, ref: str, *, subject: Any, headline: Any, link: str, quote: str = "") -> None:
    send_templated_email(
        to=user.email,
        subject=subject,
        template="tickets/emails/notice",
        context={"user": user, "site_url": settings.SITE_URL, "headline": headline, "link": link, "quote": quote},
        language=user.language or settings.LANGUAGE_CODE,
        reply_to=reply_address(ref),
    )


def _language(user: User) -> str:
    supported = {code for code, _name in settings.LANGUAGES}
    return user.language if user.language in supported else settings.LANGUAGE_CODE


def _ticket(ref: str) -> Any:
    from safedesk.tickets.models import Ticket

    return Ticket.objects.select_related("requester", "assignee").filter(ref=ref).first()


# What the requester's and the assignee's notices read of the ticket and of the person (`_send`
# and the notice templates: `user.display_name`, `user.anti_phishing_code`). Each of these
# emails follows a submission, so their loader reads only these columns of the ticket's 30-odd
# and the person's 16: a notice that reads another field must add it here
# (test_it_sends_the_submission_emails_in_one_read counts the reads).
_NOTICE_TICKET_FIELDS = ("ref", "confirmed_at", "confirm_nonce")
_NOTICE_PERSON_FIELDS = ("email", "language", "is_active", "display_name", "anti_phishing_code")


def _notice_query(person: str, ref: str) -> Any:
    from safedesk.tickets.models import Ticket

    fields = [*_NOTICE_TICKET_FIELDS, person, *(f"{person}__{name}" for name in _NOTICE_PERSON_FIELDS)]
    # `ref` is unique: no ORDER BY needed.
    return Ticket.objects.select_related(person).only(*fields).filter(ref=ref)


_notice_rows: Frozen[Any] = Frozen(_notice_query, str)


def _ticket_for_notice(ref: str, person: str) -> Any:
    """The ticket with its `person` ("requester" or "assignee"), or None."""
    if person not in {"requester", "assignee"}:
        raise ValueError(person)
    found = _notice_rows(ref, key=person, build_args=(person,))
    return found[0] if found else None


@task(queue_name="email")
def notify_requester(ref: str, what: str) -> None:
    ticket = _ticket_for_notice(ref, "requester")
    if ticket is None or ticket.is_held or not ticket.requester.is_active:
        return
    with translation.override(_language(ticket.requester)):
        _notify_requester(ticket, what)


def _notify_requester(ticket: Any, what: str) -> None:
    from safedesk.tickets.models import Message, MessageKind, Status

    link = _site_url(reverse("tickets:detail", kwargs={"ref": ticket.ref}))
    quote = ""
    if what == "received":
        subject = _("[%(ref)s] We received your request") % {"ref": ticket.ref}
        headline = _("We received your request %(ref)s. We will answer you here and by email.") % {"ref": ticket.ref}
    elif what == "replied":
        subject = _("[%(ref)s] New reply to your request") % {"ref": ticket.ref}
        headline = _("Our support team replied to your request %(ref)s.") % {"ref": ticket.ref}
        last = (
            Message.objects.filter(ticket=ticket, kind=MessageKind.PUBLIC, author__role__in=list(STAFF_ROLES))
            .order_by("-id")
            .first()
        )
        quote = last.body if last is not None else ""
    elif what == "appeal_decided":
        subject = _("[%(ref)s] Your appeal was decided") % {"ref": ticket.ref}
        headline = _("A supervisor decided on your appeal about request %(ref)s.") % {"ref": ticket.ref}
    elif what.startswith("status:"):
        status = what.split(":", 1)[1]
        if status not in Status.values:
            return
        subject = _("[%(ref)s] Your request is now: %(status)s") % {"ref": ticket.ref, "status": Status(status).label}
        headline = _("The status of your request %(ref)s changed to: %(status)s.") % {
            "ref": ticket.ref,
            "status": Status(status).label,
        }
    else:
        return
    _send(ticket.requester, ticket.ref, subject=subject, headline=headline, link=link, quote=quote)


@task(queue_name="email")
def send_guest_confirmation(ref: str) -> None:
    from safedesk.tickets import services

    ticket = _ticket_for_notice(ref, "requester")
    if ticket is None or not ticket.is_held or not ticket.confirm_nonce:
        return
    token = services.guest_confirmation_token(ticket)
    link = _site_url(reverse("tickets:guest_confirm", kwargs={"token": token}))
    with translation.override(_language(ticket.requester)):
        _send(
            ticket.requester,
            ticket.ref,
            subject=_("[%(ref)s] Confirm your request") % {"ref": ticket.ref},
            headline=_(
                "Someone (we hope you) sent a support request with this email address. Open the link to confirm "
                "it; it works once and for %(hours)d hours. If it was not you, ignore this email: nothing happens."
            )
            % {"hours": settings.SAFEDESK_GUEST_LINK_HOURS},
            link=link,
        )


@task(queue_name="email")
def notify_assignee(ref: str, what: str) -> None:
    ticket = _ticket_for_notice(ref, "assignee")
    if ticket is None or ticket.assignee is None or not ticket.assignee.is_active:
        return
    headlines = {
        "assigned": _("Ticket %(ref)s was assigned to you."),
        "customer_replied": _("The customer replied on ticket %(ref)s."),
        "reopened": _("The customer reopened ticket %(ref)s."),
    }
    if what not in headlines:
        return
    link = _site_url(reverse("tickets:agent_detail", kwargs={"ref": ticket.ref}))
    with translation.override(_language(ticket.assignee)):
        headline = headlines[what] % {"ref": ticket.ref}
        _send(ticket.assignee, ticket.ref, subject=f"[{ticket.ref}] {headline}", headline=headline, link=link)


APPEAL_HEADLINES = {
    "new": _("A customer appealed ticket %(ref)s. It waits in the appeal queue."),
    "due_soon": _("The appeal on ticket %(ref)s must be decided by %(due)s."),
    "overdue": _("The appeal on ticket %(ref)s was not decided in time (it was due %(due)s)."),
}


@task(queue_name="email")
def notify_supervisors_of_appeal(appeal_id: str, what: str = "new") -> None:
    """To supervisors and admins: a new appeal, one whose decision is due soon, or one overdue.
    An appeal decided in the meantime gets no reminder."""
    from safedesk.tickets import sla
    from safedesk.tickets.models import Appeal, AppealStatus

    appeal = Appeal.objects.select_related("ticket").filter(public_id=appeal_id).first()
    if appeal is None or what not in APPEAL_HEADLINES:
        return
    if what != "new" and (appeal.status != AppealStatus.OPEN or appeal.due_at is None):
        return
    zone = sla.default_calendar().zone
    due = appeal.due_at.astimezone(zone).strftime("%Y-%m-%d %H:%M ") + zone.key if appeal.due_at else ""
    link = _site_url(reverse("tickets:appeals"))
    supervisors = User.objects.filter(Q(role=Role.SUPERVISOR) | Q(role=Role.ADMIN), is_active=True)
    for user in supervisors:
        with translation.override(_language(user)):
            headline = APPEAL_HEADLINES[what] % {"ref": appeal.ticket.ref, "due": due}
            _send(user, appeal.ticket.ref, subject=f"[{appeal.ticket.ref}] {headline}", headline=headline, link=link)


TARGET_LABELS = {
    "first_response": _("First response"),
    "next_response": _("Next response"),
    "resolution": _("Resolution"),
}


def _warning_recipients(ticket: Any) -> list[User]:
    """The assignee; for an unassigned ticket the members of its team; for a ticket in no team
    (or a team with no active staff) the supervisors and admins."""
    if ticket.assignee is not None and ticket.assignee.is_active:
        return [ticket.assignee]
    staff = User.objects.filter(is_active=True, role__in=list(STAFF_ROLES)).order_by("pk")
    if ticket.team_id is not None:
        members = list(staff.filter(teams__id=ticket.team_id))
        if members:
            return members
    return list(staff.filter(role__in=[Role.SUPERVISOR, Role.ADMIN]))


@task(queue_name="email")
def notify_sla_warning(ref: str, targets: str) -> None:
    """Before a breach: which targets of the ticket are due when, in the time zone of the
    calendar that counts them. A target met or moved in the meantime is left out (and with
    nothing left, nothing is sent)."""
    from django.utils import timezone

    from safedesk.tickets import sla

    ticket = _ticket(ref)
    if ticket is None:
        return
    now = timezone.now()
    due_by_name = dict(sla.due_times(ticket))
    names = [name for name in targets.split(",") if name in TARGET_LABELS]
    due_soon = [(name, due) for name in names if (due := due_by_name.get(name)) is not None and due > now]
    if not due_soon or ticket.sla_paused_at is not None:
        return
    zone = sla.calendar_for(ticket).zone
    link = _site_url(reverse("tickets:agent_detail", kwargs={"ref": ticket.ref}))
    for user in _warning_recipients(ticket):
        with translation.override(_language(user)):
            rows = [
                {
                    "label": TARGET_LABELS[name],
                    "due": due.astimezone(zone).strftime("%Y-%m-%d %H:%M"),
                    "minutes": max(1, int((due - now).total_seconds() // 60)),
                }
                for name, due in due_soon
            ]
            subject = _("[%(ref)s] SLA warning: a target is due soon") % {"ref": ticket.ref}
            send_templated_email(
                to=user.email,
                subject=subject,
                template="tickets/emails/sla_warning",
                context={
                    "user": user,
                    "site_url": settings.SITE_URL,
                    "ref": ticket.ref,
                    "rows": rows,
                    "zone": zone.key,
                    "link": link,
                    "assigned_to_you": ticket.assignee_id == user.pk,
                },
                language=user.language or settings.LANGUAGE_CODE,
                reply_to=reply_address(ticket.ref),
            )


@task(queue_name="email")
def notify_supervisors_of_breach(ref: str, targets: str) -> None:
    ticket = _ticket(ref)
    if ticket is None:
        return
    link = _site_url(reverse("tickets:agent_detail", kwargs={"ref": ticket.ref}))
    recipients = list(User.objects.filter(Q(role=Role.SUPERVISOR) | Q(role=Role.ADMIN), is_active=True))
    if ticket.assignee is not None and ticket.assignee not in recipients and ticket.assignee.is_active:
        recipients.append(ticket.assignee)
    for user in recipients:
        with translation.override(_language(user)):
            headline = _("Ticket %(ref)s missed its SLA target and was escalated.") % {"ref": ticket.ref}
            _send(user, ticket.ref, subject=f"[{ticket.ref}] {headline}", headline=headline, link=link)


@task(queue_name="default")
def sla_sweep() -> int:
    """Periodic (every minute): record ticket and appeal SLA breaches (and escalate), then send
    the warnings whose time has come. Breaches first: a target already missed gets the breach
    email, never a late warning. Each step is idempotent under row locks."""
    from safedesk.tickets import services

    return (
        services.record_sla_breaches()
        + services.record_appeal_breaches()
        + services.send_sla_warnings()
        + services.send_appeal_warnings()
    )


@task(queue_name="default")
def assign_waiting() -> int:
    """Periodic (every minute) and when someone becomes available: tickets waiting in the queue
    of a team that assigns automatically get an assignee (services.assign_waiting_tickets)."""
    from safedesk.tickets import services

    return services.assign_waiting_tickets()


@task(queue_name="default")
def refresh_warning_times(policy_id: str) -> int:
    """After an SLA policy's warning lead time changed (services.refresh_warning_times)."""
    from safedesk.tickets import services

    return services.refresh_warning_times(policy_id)


@task(queue_name="default")
def scan_attachment(public_id: str) -> str | None:
    """After an upload is committed: the configured malware scanner decides (services)."""
    from safedesk.tickets import services

    return services.scan_attachment(public_id)


@task(queue_name="default")
def rescan_attachments() -> int:
    """Periodic (every 5 minutes): attachments left pending by a scanner outage are tried again."""
    from safedesk.tickets import services

    return services.rescan_pending()


@task(queue_name="email")
def notify_requester_of_merge(source_ref: str, target_ref: str) -> None:
    """Tells the requester that their request goes on in another of their requests (merges
    join tickets of the same requester only, so both references are theirs)."""
    source, target = _ticket(source_ref), _ticket(target_ref)
    if source is None or target is None or source.requester_id != target.requester_id:
        return
    if not source.requester.is_active:
        return
    link = _site_url(reverse("tickets:detail", kwargs={"ref": target.ref}))
    with translation.override(_language(source.requester)):
        _send(
            source.requester,
            target.ref,
            subject=_("[%(ref)s] Your request was merged") % {"ref": source.ref},
            headline=_(
                "Your request %(source)s was about the same matter as your request %(target)s, so we merged "
                "them: we continue in %(target)s, where you also find your earlier messages."
            )
            % {"source": source.ref, "target": target.ref},
            link=link,
        )
