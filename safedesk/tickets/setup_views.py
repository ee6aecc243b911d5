"""Console pages for staffing and the SLA set-up: the availability switch in the header, the
teams overview (who is available, how loaded), and the editor of team settings, business
calendars and SLA policies. Supervisors read them; administrators change them (the services
refuse everyone else). Thin glue: a refusal re-renders the page with the error and its 4xx
status, and nothing changes."""

from __future__ import annotations

import uuid
from typing import Any, cast

from django.contrib import messages
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from safedesk.accounts.decorators import role_required
from safedesk.accounts.models import Availability, Role, TeamMembership, User
from safedesk.accounts.views import safe_next
from safedesk.lib.errors import InvalidInput, NotFound, PermissionDenied, SafedeskError
from safedesk.lib.net import client_ip
from safedesk.tickets import services, setup_selectors, setup_services
from safedesk.tickets.models import AssignmentMode, BusinessCalendar, Category, Priority, SlaPolicy

DEFAULT_WEEKDAY_HOURS = "09:00-18:00"


def _me(request: HttpRequest) -> User:
    return cast(User, request.user)


def _see_other(url: str) -> HttpResponseRedirect:
    response = HttpResponseRedirect(url)
    response.status_code = 303
    return response


# ---- availability ------------------------------------------------------------------------------


@require_POST
@role_required(Role.AGENT)
def availability(request: HttpRequest) -> HttpResponse:
    """The header switch (one's own), or a supervisor switching a member on the team page."""
    me = _me(request)
    raw = request.POST.get("agent", "")
    target = me
    if raw:
        if not me.has_role(Role.SUPERVISOR):
            # Before any lookup: whether an id exists is none of an agent's business.
            raise PermissionDenied()
        try:
            found = User.objects.filter(public_id=uuid.UUID(raw)).first()
        except ValueError:
            found = None
        if found is None:
            raise NotFound()
        target = found
    updated = services.set_availability(target, request.POST.get("availability", ""), actor=me, ip=client_ip(request))
    label = Availability(updated.availability).label
    if target.pk == me.pk:
        messages.success(request, _("You are now: %(state)s.") % {"state": label})
    else:
        messages.success(request, _("%(name)s is now: %(state)s.") % {"name": str(updated), "state": label})
    return _see_other(safe_next(request, request.POST.get("next"), reverse("tickets:inbox")))


# ---- teams ------------------------------------------------------------------------------------


@require_GET
@role_required(Role.SUPERVISOR)
def teams(request: HttpRequest) -> HttpResponse:
    context = {
        "rows": setup_selectors.teams(),
        "may_edit": setup_selectors.may_edit(request.user),
        "availabilities": Availability.choices,
    }
    return render(request, "tickets/setup/teams.html", context)


def _team_page(request: HttpRequest, team: Any, *, error: SafedeskError | None = None) -> HttpResponse:
    rows = setup_selectors.teams(only=team)
    owners = setup_selectors.category_owners()
    row = rows[0]
    # After a refused settings form, show what was sent; otherwise what is stored.
    sent = error is not None and "assignment_mode" in request.POST
    chosen = set(request.POST.getlist("categories")) if sent else set(row.categories)
    mode = request.POST.get("assignment_mode", "") if sent else row.mode
    calendar = request.POST.get("calendar", "") if sent else (str(row.calendar.public_id) if row.calendar else "")
    context = {
        "row": row,
        "team": team,
        "may_edit": setup_selectors.may_edit(request.user),
        "calendars": setup_selectors.calendars(),
        "modes": AssignmentMode.choices,
        "categories": [
            (value, label, value in chosen, owners[value] if value in owners and owners[value].pk != team.pk else None)
            for value, label in Category.choices
        ],
        "availabilities": Availability.choices,
        "mode": mode,
        "calendar_choice": calendar,
        "error": error,
    }
    return render(request, "tickets/setup/team.html", context, status=error.status if error else 200)


def _calendar_choice(raw: str) -> BusinessCalendar | None:
    if not raw:
        return None
    invalid = InvalidInput(_("Choose one of the listed values."), code="invalid_choice", field="calendar")
    try:
        key = uuid.UUID(raw)
    except ValueError:
        raise invalid from None
    found = BusinessCalendar.objects.filter(public_id=key).first()
    if found is None:
        raise invalid
    return found


@require_http_methods(["GET", "POST"])
@role_required(Role.SUPERVISOR)
def team(request: HttpRequest, public_id: str) -> HttpResponse:
    found = setup_selectors.access_team(request.user, public_id)
    if request.method == "GET":
        return _team_page(request, found)
    try:
        setup_services.save_team_settings(
            found,
            calendar=_calendar_choice(request.POST.get("calendar", "")),
            assignment_mode=request.POST.get("assignment_mode", ""),
            categories=request.POST.getlist("categories"),
            actor=_me(request),
            ip=client_ip(request),
        )
    except SafedeskError as exc:
        return _team_page(request, found, error=exc)
    messages.success(request, _("The team settings were saved."))
    return _see_other(reverse("tickets:team", kwargs={"public_id": found.public_id}))


@require_POST
@role_required(Role.SUPERVISOR)
def team_cap(request: HttpRequest, public_id: str) -> HttpResponse:
    found = setup_selectors.access_team(request.user, public_id)
    try:
        try:
            key = uuid.UUID(request.POST.get("agent", ""))
        except ValueError:
            key = None
        membership = (
            TeamMembership.objects.select_related("user").filter(team=found, user__public_id=key).first()
            if key is not None
            else None
        )
        if membership is None:
            raise InvalidInput(_("Choose a member of this team."), code="invalid_choice", field="agent")
        setup_services.set_agent_cap(
            membership.user, request.POST.get("cap", ""), actor=_me(request), ip=client_ip(request)
        )
    except SafedeskError as exc:
        return _team_page(request, found, error=exc)
    messages.success(request, _("The cap was saved."))
    return _see_other(reverse("tickets:team", kwargs={"public_id": found.public_id}))


# ---- SLA: calendars and policies ---------------------------------------------------------------


@require_GET
@role_required(Role.SUPERVISOR)
def sla_index(request: HttpRequest) -> HttpResponse:
    context = {
        "calendars": setup_selectors.calendars(),
        "policies": setup_selectors.policies(),
        "may_edit": setup_selectors.may_edit(request.user),
    }
    return render(request, "tickets/setup/index.html", context)


def _calendar_values(calendar: BusinessCalendar | None) -> dict[str, Any]:
    if calendar is None:
        weekly = {d: (DEFAULT_WEEKDAY_HOURS if d not in ("sat", "sun") else "") for d in setup_services.DAYS}
        return {"name": "", "tz": "Asia/Shanghai", "holidays": "", "is_default": False, **_days(weekly)}
    spec = calendar.weekly if isinstance(calendar.weekly, dict) else {}
    weekly = {d: ", ".join(spec.get(d) or []) for d in setup_services.DAYS}
    holidays = calendar.holidays if isinstance(calendar.holidays, list) else []
    return {
        "name": calendar.name,
        "tz": calendar.tz,
        "holidays": "\n".join(str(h) for h in holidays),
        "is_default": calendar.is_default,
        **_days(weekly),
    }


def _days(weekly: dict[str, str]) -> dict[str, Any]:
    return {f"weekly_{d}": weekly.get(d, "") for d in setup_services.DAYS}


def _calendar_page(
    request: HttpRequest, calendar: BusinessCalendar | None, *, error: SafedeskError | None = None
) -> HttpResponse:
    source: Any = request.POST if error else _calendar_values(calendar)
    values = {key: source.get(key, "") for key in ("name", "tz", "holidays")}
    values["is_default"] = (source.get("is_default") == "1") if error else bool(source.get("is_default"))
    days = [(d, setup_services.DAY_LABELS[d], source.get(f"weekly_{d}", "")) for d in setup_services.DAYS]
    context = {
        "calendar": calendar,
        "values": values,
        "days": days,
        "time_zones": sorted(setup_services.time_zones()),
        "may_edit": setup_selectors.may_edit(request.user),
        "error": error,
    }
    return render(request, "tickets/setup/calendar.html", context, status=error.status if error else 200)


def _calendar_input(request: HttpRequest) -> setup_services.CalendarInput:
    post = request.POST
    return setup_services.CalendarInput(
        name=post.get("name", ""),
        tz=post.get("tz", ""),
        weekly={d: post.get(f"weekly_{d}", "") for d in setup_services.DAYS},
        holidays=post.get("holidays", ""),
        is_default=post.get("is_default") == "1",
    )


def _save_calendar(request: HttpRequest, calendar: BusinessCalendar | None) -> HttpResponse:
    try:
        saved = setup_services.save_calendar(
            calendar, _calendar_input(request), actor=_me(request), ip=client_ip(request)
        )
    except SafedeskError as exc:
        return _calendar_page(request, calendar, error=exc)
    messages.success(request, _("The calendar was saved."))
    return _see_other(reverse("tickets:sla_calendar", kwargs={"public_id": saved.public_id}))


@require_http_methods(["GET", "POST"])
@role_required(Role.ADMIN)
def calendar_new(request: HttpRequest) -> HttpResponse:
    if request.method == "GET":
        return _calendar_page(request, None)
    return _save_calendar(request, None)


@require_http_methods(["GET", "POST"])
@role_required(Role.SUPERVISOR)
def calendar_edit(request: HttpRequest, public_id: str) -> HttpResponse:
    calendar = setup_selectors.access_calendar(request.user, public_id)
    if request.method == "GET":
        return _calendar_page(request, calendar)
    return _save_calendar(request, calendar)


POLICY_FIELDS = ("name", "priority", "category", *setup_services.MINUTE_FIELDS)


def _policy_page(request: HttpRequest, policy: SlaPolicy | None, *, error: SafedeskError | None = None) -> HttpResponse:
    if error is not None:
        values: dict[str, Any] = {key: request.POST.get(key, "") for key in POLICY_FIELDS}
        values["active"] = request.POST.get("active") == "1"
    elif policy is None:
        values = {key: "" for key in POLICY_FIELDS}
        values["active"] = True
    else:
        values = {key: getattr(policy, key) for key in POLICY_FIELDS}
        values = {k: ("" if v is None else str(v)) for k, v in values.items()}
        values["active"] = policy.active
    context = {
        "policy": policy,
        "values": values,
        "priorities": [(str(value), label) for value, label in Priority.choices],
        "categories": Category.choices,
        "may_edit": setup_selectors.may_edit(request.user),
        "error": error,
    }
    return render(request, "tickets/setup/policy.html", context, status=error.status if error else 200)


def _save_policy(request: HttpRequest, policy: SlaPolicy | None) -> HttpResponse:
    post = request.POST
    data = setup_services.PolicyInput(
        name=post.get("name", ""),
        priority=post.get("priority", ""),
        category=post.get("category", ""),
        active=post.get("active") == "1",
        **{key: post.get(key, "") for key in setup_services.MINUTE_FIELDS},
    )
    try:
        saved = setup_services.save_policy(policy, data, actor=_me(request), ip=client_ip(request))
    except SafedeskError as exc:
        return _policy_page(request, policy, error=exc)
    messages.success(request, _("The SLA policy was saved."))
    return _see_other(reverse("tickets:sla_policy", kwargs={"public_id": saved.public_id}))


@require_http_methods(["GET", "POST"])
@role_required(Role.ADMIN)
def policy_new(request: HttpRequest) -> HttpResponse:
    if request.method == "GET":
        return _policy_page(request, None)
    return _save_policy(request, None)


@require_http_methods(["GET", "POST"])
@role_required(Role.SUPERVISOR)
def policy_edit(request: HttpRequest, public_id: str) -> HttpResponse:
    policy = setup_selectors.access_policy(request.user, public_id)
    if request.method == "GET":
        return _policy_page(request, policy)
    return _save_policy(request, policy)
