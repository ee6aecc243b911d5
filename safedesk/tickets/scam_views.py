"""The public "report a suspicious channel" form and the staff decision on a scam-report
ticket. Thin glue over `tickets.scam_services`."""

from __future__ import annotations

from typing import Any, cast

from django.contrib import messages
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from safedesk.accounts.decorators import role_required
from safedesk.accounts.models import Role, User
from safedesk.lib import uploads
from safedesk.lib.errors import NotFound, RateLimited, SafedeskError
from safedesk.lib.net import client_ip
from safedesk.tickets import scam_services, selectors
from safedesk.tickets.views import _lang, _upload_context


def _see_other(url: str) -> HttpResponseRedirect:
    response = HttpResponseRedirect(url)
    response.status_code = 303
    return response


def _context(request: HttpRequest, **extra: Any) -> dict[str, Any]:
    return {"guest": not request.user.is_authenticated, "values": {}, "error": None, **_upload_context(), **extra}


@require_http_methods(["GET", "POST"])
def report_scam(request: HttpRequest) -> HttpResponse:
    user = request.user
    if request.method == "GET":
        initial = {"reported": request.GET.get("channel", "")[:500]}
        return render(request, "tickets/report_scam.html", _context(request, values=initial))
    post = request.POST
    data = scam_services.ScamReportInput(
        reported=post.get("reported", ""),
        where_seen=post.get("where_seen", ""),
        details=post.get("details", ""),
        language=_lang(),
    )
    try:
        files = uploads.request_files(request)
        if user.is_authenticated:
            ticket = scam_services.submit_scam_report(data, requester=user, ip=client_ip(request), files=files)
            if ticket is None:  # only guests' reports can be turned away
                raise NotFound()
            messages.success(request, _("Thank you. Your report %(ref)s was received.") % {"ref": ticket.ref})
            return _see_other(reverse("tickets:detail", kwargs={"ref": ticket.ref}))
        scam_services.submit_scam_report(data, email=post.get("email", ""), ip=client_ip(request), files=files)
    except RateLimited:
        raise
    except SafedeskError as exc:
        return render(request, "tickets/report_scam.html", _context(request, values=post, error=exc), status=exc.status)
    return _see_other(reverse("tickets:guest_sent"))


@require_POST
@role_required(Role.AGENT)
def decide_report(request: HttpRequest, ref: str) -> HttpResponse:
    me = cast(User, request.user)
    ticket = selectors.access_ticket(me, ref, for_write=True)
    confirmed = request.POST.get("decision") == "confirm"
    scam_services.decide_scam_report(
        ticket, confirmed=confirmed, note=request.POST.get("note", ""), actor=me, ip=client_ip(request)
    )
    messages.success(request, _("The report was confirmed.") if confirmed else _("The report was rejected."))
    return _see_other(reverse("tickets:agent_detail", kwargs={"ref": ticket.ref}))
