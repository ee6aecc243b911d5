"""Ticket pages: the customer portal (submit, follow, reply, close, reopen, rate, appeal) and the
agent console (inbox views, ticket page, reply / internal note, status, assignment, appeals).
Thin glue over selectors and services; a refused action re-renders its page with the error and
the refusal's 4xx status, and nothing changes."""

from __future__ import annotations

import uuid
from typing import Any, cast

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import get_language, gettext_lazy
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from safedesk.accounts.decorators import role_required
from safedesk.accounts.models import Role, Team, User
from safedesk.helpcenter import selectors as hc_selectors
from safedesk.helpcenter import services as hc_services
from safedesk.lib import uploads
from safedesk.lib.choices import translated
from safedesk.lib.errors import Conflict, InvalidInput, NotFound, RateLimited, SafedeskError
from safedesk.lib.net import client_ip
from safedesk.lib.ratelimit import hit
from safedesk.tickets import presence, selectors, services
from safedesk.tickets.models import AGENT_TRANSITIONS, Category, Channel, Priority, Status, Ticket


def _me(request: HttpRequest) -> User:
    """The signed-in person (every view that calls this requires sign-in)."""
    return cast(User, request.user)


def _see_other(url: str) -> HttpResponseRedirect:
    response = HttpResponseRedirect(url)
    response.status_code = 303
    return response


def _lang() -> str:
    lang = (get_language() or settings.LANGUAGE_CODE).lower()
    return "en" if lang.startswith("en") else "zh-hans"


def _ticket_input(request: HttpRequest, *, staff: bool) -> services.TicketInput:
    post = request.POST
    return services.TicketInput(
        subject=post.get("subject", ""),
        body=post.get("body", ""),
        category=post.get("category") or None,
        priority=post.get("priority") or None if staff else None,
        language=post.get("language") or _lang(),
        tags=post.get("tags", "") if staff else None,
        chain_links=post.get("chain_links", ""),
    )


def _upload_context() -> dict[str, Any]:
    """What the file inputs tell the person before they choose files."""
    limits = uploads.Limits.from_settings()
    return {
        "upload_accept": ",".join(f".{ext}" for kind in uploads.KINDS.values() for ext in kind.extensions),
        "upload_max_files": limits.max_files,
        "upload_max_file_mb": limits.max_file_bytes // (1024 * 1024),
        "upload_max_message_mb": limits.max_message_bytes // (1024 * 1024),
    }


def _form_context(**extra: Any) -> dict[str, Any]:
    return {
        "categories": translated(Category),
        "priorities": translated(Priority),
        "languages": [("zh-hans", "简体中文"), ("en", "English")],
        "current_lang": _lang(),
        **_upload_context(),
        **extra,
    }


# ---- customers ---------------------------------------------------------------------------------

DEFLECTION_SUGGESTIONS = 5


@require_GET
def deflect(request: HttpRequest) -> HttpResponse:
    """While a customer types the subject: help-center articles that may already answer it
    (htmx partial of the new-request form); each can be marked "this answered my question"."""
    subject = hc_selectors.clean_query(request.GET.get("subject", ""))
    results: list[Any] = []
    if subject:
        hit("search-suggest", client_ip(request), limit=settings.SAFEDESK_SEARCH_RATE_PER_MINUTE)
        lang = hc_selectors.search_lang(subject, hc_selectors.current_lang())
        results = hc_selectors.suggest_articles(subject, lang=lang, limit=DEFLECTION_SUGGESTIONS)
    return render(request, "tickets/_deflect.html", {"results": results})


@require_POST
def deflected(request: HttpRequest) -> HttpResponse:
    """ "This answered my question" on a suggested article: recorded as a deflection."""
    ip = client_ip(request)
    hit("ticket-deflected", ip, limit=30)
    user = request.user if request.user.is_authenticated else None
    if user is None and not request.session.session_key:
        request.session.save()
    hc_services.record_deflection(
        request.POST.get("article", ""),
        lang=request.POST.get("lang", ""),
        source="ticket_form",
        user=user,
        session_key=request.session.session_key or "",
        ip=ip,
    )
    template = "tickets/_deflected.html" if getattr(request, "htmx", False) else "tickets/deflected.html"
    return render(request, template, {})


@require_http_methods(["GET", "POST"])
def new_ticket(request: HttpRequest) -> HttpResponse:
    """The web form, for signed-in customers and for guests (who confirm by email)."""
    user = request.user
    if user.is_authenticated and user.is_staff_role:
        return redirect("tickets:agent_new")
    if request.method == "GET":
        context = _form_context(values=request.POST, error=None, guest=not user.is_authenticated)
        return render(request, "tickets/new.html", context)
    ip = client_ip(request)
    data = _ticket_input(request, staff=False)
    try:
        files = uploads.request_files(request)
        if user.is_authenticated:
            ticket = services.submit_ticket(user, data, ip=ip, files=files)
            messages.success(request, _("Your request %(ref)s was received.") % {"ref": ticket.ref})
            return _see_other(reverse("tickets:detail", kwargs={"ref": ticket.ref}))
        services.submit_guest_ticket(request.POST.get("email", ""), data, ip=ip, files=files)
    except RateLimited:
        raise  # the error page with Retry-After
    except SafedeskError as exc:
        # The form (built only now: a submission that succeeds does not show it).
        context = _form_context(values=request.POST, error=exc, guest=not user.is_authenticated)
        return render(request, "tickets/new.html", context, status=exc.status)
    # The same page whatever the address: it does not tell whether an account exists. Sent as a
    # redirect (post/redirect/get): reloading the page that follows sends nothing again.
    return _see_other(reverse("tickets:guest_sent"))


@require_GET
def guest_sent(request: HttpRequest) -> HttpResponse:
    """Where a guest lands after submitting: check your email (it says nothing about the address)."""
    return render(request, "tickets/guest_sent.html", {})


@require_http_methods(["GET", "POST"])
def guest_confirm(request: HttpRequest, token: str) -> HttpResponse:
    """GET shows a button; only the POST confirms (mail scanners that open links change nothing)."""
    if request.method == "GET":
        return render(request, "tickets/guest_confirm.html", {"token": token})
    try:
        ticket = services.confirm_guest_ticket(token, ip=client_ip(request))
    except SafedeskError as exc:
        return render(request, "tickets/guest_confirm.html", {"token": token, "error": exc}, status=exc.status)
    if request.user.is_authenticated and request.user.pk == ticket.requester_id:
        return _see_other(reverse("tickets:detail", kwargs={"ref": ticket.ref}))
    return render(request, "tickets/guest_confirmed.html", {"ticket": ticket})


@require_GET
@login_required
def my_tickets(request: HttpRequest) -> HttpResponse:
    if _me(request).is_staff_role:
        return redirect("tickets:inbox")
    page = selectors.customer_tickets(_me(request), after=request.GET.get("after"), limit=request.GET.get("limit"))
    return render(request, "tickets/my_tickets.html", {"page": page})


def _customer_page(request: HttpRequest, ticket: Ticket, *, error: SafedeskError | None = None) -> HttpResponse:
    context = {
        "ticket": ticket,
        "thread": selectors.thread(ticket, viewer=_me(request)),
        "links": selectors.chain_links(ticket),
        "appeals": selectors.appeals_of(ticket),
        "may_reopen": selectors.may_reopen(ticket),
        "done": ticket.status in {Status.SOLVED, Status.CLOSED},
        "error": error,
        "values": request.POST if error else {},
        "reopen_days": settings.SAFEDESK_TICKET_REOPEN_DAYS,
        **_upload_context(),
    }
    return render(request, "tickets/detail.html", context, status=error.status if error else 200)


@require_GET
@login_required
def ticket_detail(request: HttpRequest, ref: str) -> HttpResponse:
    if _me(request).is_staff_role:
        return redirect("tickets:agent_detail", ref=ref)
    return _customer_page(request, selectors.access_ticket(request.user, ref))


def _act(request: HttpRequest, ref: str, action: Any, done: str, *, staff: bool = False) -> HttpResponse:
    """Runs one service verb on the ticket: on success back to the ticket page (303) with a
    notice; on refusal the page again with the error and its 4xx status (nothing changed)."""
    ticket = selectors.access_ticket(request.user, ref)
    try:
        action(ticket)
    except SafedeskError as exc:
        fresh = selectors.access_ticket(request.user, ref)
        return _agent_page(request, fresh, error=exc) if staff else _customer_page(request, fresh, error=exc)
    messages.success(request, done)
    return _see_other(reverse("tickets:agent_detail" if staff else "tickets:detail", kwargs={"ref": ticket.ref}))


@require_POST
@login_required
def customer_reply(request: HttpRequest, ref: str) -> HttpResponse:
    ip = client_ip(request)
    return _act(
        request,
        ref,
        lambda t: services.add_reply(
            t, request.POST.get("body", ""), actor=_me(request), ip=ip, files=uploads.request_files(request)
        ),
        _("Your reply was sent."),
    )


@require_POST
@login_required
def customer_close(request: HttpRequest, ref: str) -> HttpResponse:
    ip = client_ip(request)
    return _act(
        request, ref, lambda t: services.close_ticket(t, actor=_me(request), ip=ip), _("Your request was closed.")
    )


@require_POST
@login_required
def customer_reopen(request: HttpRequest, ref: str) -> HttpResponse:
    ip = client_ip(request)
    return _act(
        request, ref, lambda t: services.reopen_ticket(t, actor=_me(request), ip=ip), _("Your request was reopened.")
    )


@require_POST
@login_required
def customer_rate(request: HttpRequest, ref: str) -> HttpResponse:
    ip = client_ip(request)
    return _act(
        request,
        ref,
        lambda t: services.rate_ticket(
            t, request.POST.get("score", ""), request.POST.get("comment", ""), actor=_me(request), ip=ip
        ),
        _("Thank you for your rating."),
    )


@require_POST
@login_required
def customer_appeal(request: HttpRequest, ref: str) -> HttpResponse:
    ip = client_ip(request)
    return _act(
        request,
        ref,
        lambda t: services.appeal_ticket(t, request.POST.get("reason", ""), actor=_me(request), ip=ip),
        _("Your appeal was sent to a supervisor."),
    )


# ---- agents ------------------------------------------------------------------------------------

VIEW_LABELS = {
    "mine": gettext_lazy("Mine"),
    "unassigned": gettext_lazy("Unassigned"),
    "team": gettext_lazy("My teams"),
    "all": gettext_lazy("All"),
    "breaching": gettext_lazy("Breaching soon"),
    "appeals_open": gettext_lazy("Open appeals"),
}


FILTER_NAMES = {
    "view": gettext_lazy("view"),
    "status": gettext_lazy("status"),
    "priority": gettext_lazy("priority"),
    "category": gettext_lazy("category"),
    "team": gettext_lazy("team"),
    "assignee": gettext_lazy("assignee"),
    "tag": gettext_lazy("tag"),
    "q": gettext_lazy("search text"),
}


@require_GET
@role_required(Role.AGENT)
def inbox(request: HttpRequest) -> HttpResponse:
    """An inbox view with filters, or a saved view (`saved`); keyset pages (`after`); each row
    has a checkbox for the bulk form."""
    user = _me(request)
    opened = None
    if request.GET.get("saved"):
        opened = selectors.open_saved_view(selectors.access_saved_view(user, request.GET["saved"]))
        flt = opened.filter
        query = f"saved={opened.view.public_id}"
    else:
        flt = selectors.clean_filter(request.GET)
        params = request.GET.copy()
        params.pop("after", None)
        query = params.urlencode()
    page = selectors.inbox(user, flt, after=request.GET.get("after"), limit=request.GET.get("limit"))
    context = {
        "page": page,
        "flt": flt,
        "opened": opened,
        "dropped": [str(FILTER_NAMES.get(key, key)) for key in opened.dropped] if opened else [],
        "saved_views": selectors.saved_views_for(user),
        "filter_params": selectors.filter_params(flt),
        "views": [(key, str(label)) for key, label in VIEW_LABELS.items()],
        "statuses": translated(Status),
        "categories": translated(Category),
        "priorities": translated(Priority),
        "agent_options": selectors.staff_options(),
        "team_options": selectors.team_options(),
        "may_share": user.has_role(Role.SUPERVISOR),
        "max_bulk": services.MAX_BULK,
        "query": query,
        "now": timezone.now(),
    }
    return render(request, "tickets/inbox.html", context)


def _agents() -> list[User]:
    return list(User.objects.active_staff())


def _agent_page(
    request: HttpRequest,
    ticket: Ticket,
    *,
    error: SafedeskError | None = None,
    values: Any = None,
    seen: str = "",
) -> HttpResponse:
    """The ticket page. `values` pre-fills the reply form (a refused reply, or a macro picked
    without JavaScript); `seen` is the newest message the agent had when a reply was refused
    because another arrived: what came after it is marked new."""
    me = _me(request)
    thread = selectors.thread(ticket, viewer=me)
    own = [m for m in thread if m.ticket_id == ticket.pk]
    seen_id = next((m.pk for m in own if str(m.public_id) == seen), None) if seen else None
    new_ids = (
        {m.pk for m in own if m.pk > seen_id and m.kind == "public" and m.author_id != me.pk} if seen_id else set()
    )
    context = {
        "ticket": ticket,
        "thread": thread,
        "last_seen": own[-1].public_id if own else "",
        "new_ids": new_ids,
        "collision": bool(error is not None and error.code == "reply_collision"),
        "links": selectors.chain_links(ticket),
        "appeals": selectors.appeals_of(ticket),
        "others": selectors.other_tickets_of(ticket),
        "merged_into": ticket.merged_into if ticket.merged_into_id else None,
        "next_statuses": [(s, text) for s, text in translated(Status) if s in AGENT_TRANSITIONS[ticket.status]],
        "agents": selectors.assignee_choices(),
        "teams": selectors.all_teams(),
        "categories": translated(Category),
        "priorities": translated(Priority),
        "macros": selectors.macros_for(me, fields=selectors.MACRO_PICKER_FIELDS),
        "present": presence.others(ticket.ref, me),
        "heartbeat": presence.HEARTBEAT_SECONDS,
        "error": error,
        "values": values if values is not None else (request.POST if error else {}),
        **_upload_context(),
    }
    return render(request, "tickets/agent_detail.html", context, status=error.status if error else 200)


@require_GET
@role_required(Role.AGENT)
def agent_detail(request: HttpRequest, ref: str) -> HttpResponse:
    ticket = selectors.access_ticket(request.user, ref, related=selectors.AGENT_PAGE_RELATED)
    if request.GET.get("macro"):
        # The macro picker without JavaScript: the page again with the macro in the reply box.
        macro = selectors.access_macro(request.user, request.GET["macro"], for_use=True)
        values = {
            "body": services.macro_text(macro, ticket, actor=_me(request)),
            "macro": str(macro.public_id),
            "status": macro.set_status,
            "add_tags": ", ".join(macro.add_tags or []),
        }
        return _agent_page(request, ticket, values=values)
    return _agent_page(request, ticket)


@require_POST
@role_required(Role.AGENT)
def agent_reply(request: HttpRequest, ref: str) -> HttpResponse:
    """A reply or internal note, with an optional status to set and tags to add, and the macro
    it started from. `last_seen` (the newest message on the agent's screen) makes a reply that
    would cross a newer customer or colleague message come back with 409 and that message
    marked; sending it again is the explicit "send anyway"."""
    post = request.POST
    internal = post.get("internal") == "1"
    ticket = selectors.access_ticket(request.user, ref)
    try:
        macro = selectors.access_macro(request.user, post["macro"], for_use=True) if post.get("macro") else None
        services.reply_as_agent(
            ticket,
            services.AgentReply(
                body=post.get("body", ""),
                internal=internal,
                status=post.get("status") or None,
                add_tags=post.get("add_tags", ""),
                macro=macro,
                last_seen=post.get("last_seen") or None,
                force=post.get("force") == "1",
                files=uploads.request_files(request),
            ),
            actor=_me(request),
            ip=client_ip(request),
        )
    except SafedeskError as exc:
        fresh = selectors.access_ticket(request.user, ref)
        return _agent_page(request, fresh, error=exc, seen=str(post.get("last_seen", "")))
    messages.success(request, _("Internal note added.") if internal else _("Reply sent."))
    return _see_other(reverse("tickets:agent_detail", kwargs={"ref": ticket.ref}))


@require_POST
@role_required(Role.AGENT)
def agent_status(request: HttpRequest, ref: str) -> HttpResponse:
    ip = client_ip(request)
    return _act(
        request,
        ref,
        lambda t: services.change_status(t, request.POST.get("status", ""), actor=_me(request), ip=ip),
        _("Status changed."),
        staff=True,
    )


def _by_public_id(model: Any, value: str, field: str) -> Any:
    try:
        key = uuid.UUID(value)
    except ValueError:
        raise InvalidInput(_("Choose one of the listed values."), code="invalid_choice", field=field) from None
    found = model.objects.filter(public_id=key).first()
    if found is None:
        raise InvalidInput(_("Choose one of the listed values."), code="invalid_choice", field=field)
    return found


@require_POST
@role_required(Role.AGENT)
def agent_assign(request: HttpRequest, ref: str) -> HttpResponse:
    ip = client_ip(request)

    def assign(ticket: Ticket) -> None:
        raw_assignee = request.POST.get("assignee", "")
        raw_team = request.POST.get("team", "")
        if raw_assignee == "me":
            assignee: User | None = _me(request)
        elif raw_assignee:
            assignee = _by_public_id(User, raw_assignee, "assignee")
        else:
            assignee = None
        team = _by_public_id(Team, raw_team, "team") if raw_team else None
        services.assign_ticket(ticket, assignee=assignee, team=team, actor=_me(request), ip=ip)

    return _act(request, ref, assign, _("Assignment saved."), staff=True)


@require_POST
@role_required(Role.AGENT)
def agent_fields(request: HttpRequest, ref: str) -> HttpResponse:
    ip = client_ip(request)
    return _act(
        request,
        ref,
        lambda t: services.update_fields(
            t,
            actor=_me(request),
            category=request.POST.get("category") or None,
            priority=request.POST.get("priority") or None,
            tags=request.POST.get("tags", ""),
            ip=ip,
        ),
        _("Ticket updated."),
        staff=True,
    )


@require_http_methods(["GET", "POST"])
@role_required(Role.AGENT)
def agent_new(request: HttpRequest) -> HttpResponse:
    """An agent opens a ticket for a customer (e.g. during a phone call)."""
    context = _form_context(
        values=request.POST,
        error=None,
        channels=[(Channel.AGENT, Channel.AGENT.label), (Channel.PHONE, Channel.PHONE.label)],
    )
    if request.method == "GET":
        return render(request, "tickets/agent_new.html", context)
    try:
        ticket = services.create_ticket_for_customer(
            request.POST.get("email", ""),
            _ticket_input(request, staff=True),
            actor=_me(request),
            channel=request.POST.get("channel") or Channel.AGENT,
            ip=client_ip(request),
            files=uploads.request_files(request),
        )
    except SafedeskError as exc:
        context["error"] = exc
        return render(request, "tickets/agent_new.html", context, status=exc.status)
    messages.success(request, _("Ticket %(ref)s created.") % {"ref": ticket.ref})
    return _see_other(reverse("tickets:agent_detail", kwargs={"ref": ticket.ref}))


def _appeals_context(request: HttpRequest) -> dict[str, Any]:
    sort = request.GET.get("sort") or "due"
    return {"appeals": selectors.open_appeals(sort=sort), "sort": sort, "now": timezone.now()}


@require_GET
@role_required(Role.SUPERVISOR)
def appeals(request: HttpRequest) -> HttpResponse:
    return render(request, "tickets/appeals.html", _appeals_context(request))


@require_POST
@role_required(Role.SUPERVISOR)
def appeal_decide(request: HttpRequest, public_id: str) -> HttpResponse:
    appeal = selectors.access_appeal(request.user, public_id)
    try:
        services.decide_appeal(
            appeal,
            upheld=request.POST.get("upheld") == "1",
            decision=request.POST.get("decision", ""),
            actor=_me(request),
            ip=client_ip(request),
        )
    except SafedeskError as exc:
        return render(request, "tickets/appeals.html", {**_appeals_context(request), "error": exc}, status=exc.status)
    messages.success(request, _("The appeal was decided."))
    return _see_other(reverse("tickets:appeals"))


# ---- attachments -------------------------------------------------------------------------------


def _serve(attachment: Any) -> HttpResponse | StreamingHttpResponse:
    if not attachment.servable:
        if attachment.scan_state == "pending":
            raise Conflict(
                _("This file is waiting for its malware scan. Try again in a few minutes."), code="scan_pending"
            )
        raise Conflict(_("This file was blocked by the malware scanner."), code="blocked_by_scanner")
    return uploads.download_response(
        attachment.storage_name, filename=attachment.original_name, content_type=attachment.content_type
    )


def download(request: HttpRequest, user: User, ref: str, public_id: str) -> HttpResponse | StreamingHttpResponse:
    """One attachment for a user who may see its ticket and message (404 for everyone else: the
    same answer as a file that does not exist). With a files origin configured, the answer is a
    redirect there with a short-lived link bound to this user and this file; otherwise the file
    itself, as a download the browser may neither run nor render. The web page and the API both
    answer with this."""
    attachment = selectors.access_attachment(user, ref, public_id)
    origin = uploads.files_origin()
    if not origin or not attachment.servable:
        return _serve(attachment)
    token = uploads.files_token({"t": attachment.ticket.ref, "a": str(attachment.public_id), "u": str(user.public_id)})
    response = HttpResponseRedirect(origin + reverse("tickets:files_download", kwargs={"token": token}))
    response["Cache-Control"] = "private, no-store"
    response["Referrer-Policy"] = "no-referrer"
    return response


@require_GET
def attachment_download(request: HttpRequest, ref: str, public_id: str) -> HttpResponse | StreamingHttpResponse:
    """Signed out (no redirect to sign in: a file address tells nothing), another customer, a
    held guest ticket, an internal note's file for a customer: 404. Staff must have passed their
    second factor."""
    user = request.user
    if not user.is_authenticated:
        raise NotFound()
    if user.is_staff_role and not user.is_verified():  # type: ignore[attr-defined]
        raise NotFound()
    return download(request, _me(request), ref, public_id)


@require_GET
def files_download(request: HttpRequest, token: str) -> HttpResponse | StreamingHttpResponse:
    """On the files origin only (lib.middleware.FilesHostMiddleware): the signed link names the
    user and the file; both are checked again, so a link stops working when the user loses
    access or is deactivated, and after SAFEDESK_FILES_URL_SECONDS."""
    payload = uploads.read_files_token(token)
    if payload is None or not {"t", "a", "u"} <= payload.keys():
        raise NotFound()
    try:
        user = User.objects.filter(public_id=uuid.UUID(payload["u"]), is_active=True).first()
    except ValueError:
        user = None
    if user is None:
        raise NotFound()
    return _serve(selectors.access_attachment(user, payload["t"], payload["a"]))
