"""Scam reports as tickets: anyone reports a suspicious channel (what, where it was seen, a
screenshot), which becomes a ticket in the scam-report category with its `safety.ScamReport`;
staff confirm it (the channel goes on the public known-scam list the verifier answers from) or
reject it, from the ticket page. The ticket's subject is fixed text: what a scammer reports must
not end up in an email subject (CASES.md B10)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from safedesk.accounts.models import User
from safedesk.lib.errors import NotFound, PermissionDenied
from safedesk.safety import selectors as safety_selectors
from safedesk.safety import services as safety_services
from safedesk.safety.models import ScamReport
from safedesk.tickets import services
from safedesk.tickets.models import Category, Ticket
from safedesk.tickets.services import Files, TicketInput


@dataclass(frozen=True)
class ScamReportInput:
    reported: Any  # the number, link, account or address
    where_seen: Any = ""
    details: Any = ""
    language: Any = None


def _ticket_input(data: ScamReportInput) -> tuple[TicketInput, str, str]:
    reported = safety_services.clean_reported(data.reported)
    where = safety_services.clean_where_seen(data.where_seen)
    details = data.details if isinstance(data.details, str) else ""
    body = "\n\n".join(
        part
        for part in (
            _("Reported channel: %(channel)s") % {"channel": reported},
            _("Seen where: %(where)s") % {"where": where} if where else "",
            details.strip(),
        )
        if part
    )
    subject = _("Report of a suspicious channel")
    return (
        TicketInput(subject=subject, body=body, category=Category.SCAM_REPORT, language=data.language),
        reported,
        where,
    )


def submit_scam_report(
    data: ScamReportInput,
    *,
    requester: User | None = None,
    email: Any = "",
    ip: str = "",
    files: Files = (),
) -> Ticket | None:
    """A signed-in customer's report, or a guest's (held until the guest confirms the emailed
    link, like any guest ticket; None when the address may not have requests)."""
    ticket_input, reported, where = _ticket_input(data)

    def along(ticket: Ticket) -> None:
        safety_services.record_scam_report(ticket_ref=ticket.ref, reported=reported, where_seen=where)

    if requester is not None:
        return services.submit_ticket(requester, ticket_input, ip=ip, files=files, along=along)
    return services.submit_guest_ticket(email, ticket_input, ip=ip, files=files, along=along)


def report_of(ticket: Ticket) -> ScamReport | None:
    return safety_selectors.scam_report_for(ticket.ref) if ticket.category == Category.SCAM_REPORT else None


def decide_scam_report(ticket: Ticket, *, confirmed: bool, note: Any = "", actor: User, ip: str = "") -> ScamReport:
    """Confirm or reject the report of this ticket, with an internal note that says so."""
    if not actor.is_staff_role:
        raise PermissionDenied()
    report = report_of(ticket)
    if report is None:
        raise NotFound()
    with transaction.atomic():
        decided = safety_services.decide_scam_report(report, confirmed=confirmed, note=note, actor=actor, ip=ip)
        text = (
            _("Confirmed as a scam: %(channel)s is on the known-scam list now.")
            if confirmed
            else _("Checked: %(channel)s was not found to be a scam.")
        ) % {"channel": decided.display or decided.reported}
        services.add_reply(ticket, text, actor=actor, internal=True, ip=ip)
    return decided
