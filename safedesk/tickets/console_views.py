"""Agent console pages beside the ticket page: macros, saved views, bulk actions, merge and
presence. Thin glue over selectors and services, like views.py: a refused action re-renders its
page with the error and the refusal's 4xx status, and nothing changes."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from safedesk.accounts.decorators import role_required
from safedesk.accounts.models import Role, Team, User
from safedesk.lib import markdown
from safedesk.lib.choices import translated
from safedesk.lib.errors import PermissionDenied, SafedeskError
from safedesk.lib.net import client_ip
from safedesk.tickets import macros, presence, selectors, services
from safedesk.tickets.models import Category, Macro, Priority, SavedView, Status
from safedesk.tickets.views import VIEW_LABELS, _me, _see_other

# ---- macros ------------------------------------------------------------------------------------


def _macro_input(request: HttpRequest) -> services.MacroInput:
    post = request.POST
    return services.MacroInput(
        name=post.get("name", ""),
        body_zh=post.get("body_zh", ""),
        body_en=post.get("body_en", ""),
        set_status=post.get("set_status", ""),
        add_tags=post.get("add_tags", ""),
    )


def _macro_form(
    request: HttpRequest, macro: Macro | None, *, error: SafedeskError | None = None, values: Any = None
) -> HttpResponse:
    if values is None:
        values = (
            {
                "name": macro.name,
                "body_zh": macro.body_zh,
                "body_en": macro.body_en,
                "set_status": macro.set_status,
                "add_tags": ", ".join(macro.add_tags or []),
                "scope": "shared" if macro.is_shared else "personal",
            }
            if macro is not None
            else {"scope": "personal"}
        )
    context = {
        "macro": macro,
        "values": values,
        "error": error,
        "statuses": translated(Status),
        "may_share": _me(request).has_role(Role.SUPERVISOR),
        "variables": macros.VARIABLES,
    }
    return render(request, "tickets/macro_form.html", context, status=error.status if error else 200)


@require_GET
@role_required(Role.AGENT)
def macro_list(request: HttpRequest) -> HttpResponse:
    user = _me(request)
    rows = [
        {
            "macro": m,
            "manage": selectors.may_manage_macro(user, m),
            "zh": markdown.render(m.body_zh),
            "en": markdown.render(m.body_en),
        }
        for m in selectors.macros_for(user, include_inactive=True)
        if m.active or selectors.may_manage_macro(user, m)
    ]
    return render(request, "tickets/macros.html", {"rows": rows, "may_share": user.has_role(Role.SUPERVISOR)})


@require_http_methods(["GET", "POST"])
@role_required(Role.AGENT)
def macro_new(request: HttpRequest) -> HttpResponse:
    if request.method == "GET":
        return _macro_form(request, None)
    try:
        macro = services.create_macro(
            _macro_input(request),
            shared=request.POST.get("scope") == "shared",
            actor=_me(request),
            ip=client_ip(request),
        )
    except SafedeskError as exc:
        return _macro_form(request, None, error=exc, values=request.POST)
    messages.success(request, _("Macro “%(name)s” saved.") % {"name": macro.name})
    return _see_other(reverse("tickets:macros"))


@require_http_methods(["GET", "POST"])
@role_required(Role.AGENT)
def macro_edit(request: HttpRequest, public_id: str) -> HttpResponse:
    macro = selectors.access_macro(request.user, public_id)
    if not selectors.may_manage_macro(_me(request), macro):
        raise PermissionDenied(_("Only supervisors and administrators change shared macros."))
    if request.method == "GET":
        return _macro_form(request, macro)
    try:
        macro = services.update_macro(macro, _macro_input(request), actor=_me(request), ip=client_ip(request))
    except SafedeskError as exc:
        return _macro_form(request, macro, error=exc, values=request.POST)
    messages.success(request, _("Macro “%(name)s” saved.") % {"name": macro.name})
    return _see_other(reverse("tickets:macros"))


@require_POST
@role_required(Role.AGENT)
def macro_active(request: HttpRequest, public_id: str) -> HttpResponse:
    macro = selectors.access_macro(request.user, public_id)
    active = request.POST.get("active") == "1"
    macro = services.set_macro_active(macro, active, actor=_me(request), ip=client_ip(request))
    if active:
        messages.success(request, _("Macro “%(name)s” is active again.") % {"name": macro.name})
    else:
        messages.success(request, _("Macro “%(name)s” was deactivated.") % {"name": macro.name})
    return _see_other(reverse("tickets:macros"))


@require_POST
@role_required(Role.AGENT)
def macro_preview(request: HttpRequest) -> HttpResponse:
    """The Markdown of a macro body as it will look (htmx partial of the macro form)."""
    text = request.POST.get("body_zh", "") + "\n\n" + request.POST.get("body_en", "")
    return render(
        request, "tickets/_macro_preview.html", {"html": markdown.render(text[: services.MAX_MACRO_BODY * 2])}
    )


@require_GET
@role_required(Role.AGENT)
def macro_for_ticket(request: HttpRequest, ref: str, public_id: str) -> JsonResponse:
    """A macro's reply for one ticket (its language, variables filled in), for the reply box
    to insert. Reading it changes nothing; it counts as used when the reply is sent."""
    ticket = selectors.access_ticket(request.user, ref)
    macro = selectors.access_macro(request.user, public_id, for_use=True)
    return JsonResponse(
        {
            "macro": str(macro.public_id),
            "name": macro.name,
            "body": services.macro_text(macro, ticket, actor=_me(request)),
            "status": macro.set_status,
            "tags": list(macro.add_tags or []),
        },
        json_dumps_params={"ensure_ascii": False},
    )


# ---- saved views -------------------------------------------------------------------------------


def _team_choice(request: HttpRequest) -> Team | None:
    raw = request.POST.get("share_team", "")
    return selectors.inbox_filter_value("team", raw) if raw else None


def _posted_filter(request: HttpRequest) -> dict[str, Any]:
    post = request.POST
    params: dict[str, Any] = {key: post.get(key, "") for key in selectors.FILTER_KEYS if key != "status"}
    params["status"] = [s for s in post.getlist("status") if s]
    return {key: value for key, value in params.items() if value not in ("", [])}


def _views_page(request: HttpRequest, *, error: SafedeskError | None = None) -> HttpResponse:
    user = _me(request)
    own = [v for v in selectors.saved_views_for(user) if v.owner_id == user.pk]
    context = {
        "own": own,
        "shared": [v for v in selectors.shared_views(user) if v.owner_id != user.pk],
        "error": error,
    }
    return render(request, "tickets/views.html", context, status=error.status if error else 200)


@require_GET
@role_required(Role.AGENT)
def view_list(request: HttpRequest) -> HttpResponse:
    return _views_page(request)


@require_POST
@role_required(Role.AGENT)
def view_new(request: HttpRequest) -> HttpResponse:
    """Saves the inbox's current filter (posted as hidden fields) under a name."""
    try:
        view = services.save_view(
            request.POST.get("name", ""),
            _posted_filter(request),
            team=_team_choice(request),
            actor=_me(request),
            ip=client_ip(request),
        )
    except SafedeskError as exc:
        return _views_page(request, error=exc)
    messages.success(request, _("View “%(name)s” saved.") % {"name": view.name})
    return _see_other(reverse("tickets:inbox") + f"?saved={view.public_id}")


def _view_form(request: HttpRequest, view: SavedView, *, error: SafedeskError | None = None) -> HttpResponse:
    opened = selectors.open_saved_view(view)
    context = {
        "view": view,
        "flt": opened.filter,
        "dropped": opened.dropped,
        "error": error,
        "views": [(key, str(label)) for key, label in VIEW_LABELS.items()],
        "statuses": translated(Status),
        "categories": translated(Category),
        "priorities": translated(Priority),
        "teams": selectors.all_teams(),
        "agents": list(User.objects.active_staff()),
        "may_share": _me(request).has_role(Role.SUPERVISOR),
        "values": request.POST if error else {},
    }
    return render(request, "tickets/view_form.html", context, status=error.status if error else 200)


@require_http_methods(["GET", "POST"])
@role_required(Role.AGENT)
def view_edit(request: HttpRequest, public_id: str) -> HttpResponse:
    view = selectors.access_saved_view(request.user, public_id, for_write=True)
    if request.method == "GET":
        return _view_form(request, view)
    try:
        view = services.update_view(
            view,
            request.POST.get("name", ""),
            _posted_filter(request),
            team=_team_choice(request),
            actor=_me(request),
            ip=client_ip(request),
        )
    except SafedeskError as exc:
        return _view_form(request, view, error=exc)
    messages.success(request, _("View “%(name)s” saved.") % {"name": view.name})
    return _see_other(reverse("tickets:saved_views"))


@require_POST
@role_required(Role.AGENT)
def view_delete(request: HttpRequest, public_id: str) -> HttpResponse:
    view = selectors.access_saved_view(request.user, public_id, for_write=True)
    services.delete_view(view, actor=_me(request), ip=client_ip(request))
    messages.success(request, _("View “%(name)s” deleted.") % {"name": view.name})
    return _see_other(reverse("tickets:saved_views"))


# ---- bulk actions ------------------------------------------------------------------------------


@require_POST
@role_required(Role.AGENT)
def bulk(request: HttpRequest) -> HttpResponse:
    """The inbox's bulk form: the checked tickets (or the whole page), one action, and a page
    with each ticket's outcome."""
    post = request.POST
    refs = post.getlist("page") if post.get("scope") == "page" else post.getlist("tickets")
    back = post.get("back", "")
    context: dict[str, Any] = {
        "back": reverse("tickets:inbox") + (back if back.startswith("?") and len(back) < 2000 else ""),
    }
    try:
        outcomes = services.bulk_update(
            services.BulkInput(
                tickets=refs,
                action=post.get("action", ""),
                assignee=post.get("assignee", ""),
                team=post.get("team", ""),
                status=post.get("status", ""),
                tag=post.get("tag", ""),
            ),
            actor=_me(request),
            ip=client_ip(request),
        )
    except SafedeskError as exc:
        return render(request, "tickets/bulk_result.html", {**context, "error": exc}, status=exc.status)
    context.update(
        outcomes=outcomes,
        done=sum(1 for o in outcomes if o.outcome == "done"),
        refused=sum(1 for o in outcomes if o.outcome == "refused"),
    )
    return render(request, "tickets/bulk_result.html", context)


# ---- merge -------------------------------------------------------------------------------------


def _merge_page(request: HttpRequest, source: Any, into: str, *, error: SafedeskError | None = None) -> HttpResponse:
    target = None
    problem = error
    if into and error is None:
        try:
            target = services.merge_target(source, into, actor=_me(request))
            problem = services.merge_refusal(source, target)
        except SafedeskError as exc:
            problem = exc
    context = {
        "ticket": source,
        "target": target,
        "into": into,
        "error": problem,
        "candidates": [t for t in selectors.other_tickets_of(source) if t.status != Status.CLOSED],
    }
    status = error.status if error else (problem.status if problem and into else 200)
    return render(request, "tickets/merge.html", context, status=status)


@require_http_methods(["GET", "POST"])
@role_required(Role.AGENT)
def merge(request: HttpRequest, ref: str) -> HttpResponse:
    """GET: what merging this ticket into the one named by `into` will do, with a button;
    POST: merge."""
    source = selectors.access_ticket(request.user, ref)
    if request.method == "GET":
        return _merge_page(request, source, request.GET.get("into", "").strip()[:20])
    into = request.POST.get("into", "")
    try:
        target = services.merge_tickets(source, into, actor=_me(request), ip=client_ip(request))
    except SafedeskError as exc:
        fresh = selectors.access_ticket(request.user, ref)
        return _merge_page(request, fresh, str(into).strip()[:20], error=exc)
    messages.success(
        request, _("%(source)s was merged into %(target)s.") % {"source": source.ref, "target": target.ref}
    )
    return _see_other(reverse("tickets:agent_detail", kwargs={"ref": target.ref}))


# ---- presence ----------------------------------------------------------------------------------


@require_POST
@role_required(Role.AGENT)
def presence_beat(request: HttpRequest, ref: str) -> JsonResponse:
    """The ticket page's heartbeat (static/safedesk/console.js): `state` is viewing, replying
    (the agent is typing in the reply box) or left (the page was closed). Answers who else has
    the ticket open."""
    ticket = selectors.access_ticket(request.user, ref)
    state = request.POST.get("state", presence.VIEWING)
    if state == "left":
        presence.leave(ticket.ref, _me(request))
        return JsonResponse({"others": []})
    others = presence.beat(ticket.ref, _me(request), state)
    return JsonResponse(
        {
            "others": [{"name": p.name, "state": p.state, "text": p.text} for p in others],
            "heartbeat": presence.HEARTBEAT_SECONDS,
        },
        json_dumps_params={"ensure_ascii": False},
    )
