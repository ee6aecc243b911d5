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


@task(queue_name="email")
def notify_requester(ref: str, what: str) -> None:
    ticket = _ticket(ref)
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

    ticket = _ticket(ref)
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
    ticket = _ticket(ref)
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


@task(queue_name="email")
def notify_supervisors_of_appeal(appeal_id: str) -> None:
    from safedesk.tickets.models import Appeal

    appeal = Appeal.objects.select_related("ticket").filter(public_id=appeal_id).first()
    if appeal is None:
        return
    link = _site_url(reverse("tickets:appeals"))
    supervisors = User.objects.filter(Q(role=Role.SUPERVISOR) | Q(role=Role.ADMIN), is_active=True)
    for user in supervisors:
        with translation.override(_language(user)):
            headline = _("A customer appealed ticket %(ref)s. It waits in the appeal queue.") % {
                "ref": appeal.ticket.ref
            }
            _send(user, appeal.ticket.ref, subject=f"[{appeal.ticket.ref}] {headline}", headline=headline, link=link)


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
    """Periodic (every minute): record SLA breaches and escalate (services.record_sla_breaches)."""
    from safedesk.tickets import services

    return services.record_sla_breaches()


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
