"""Pages of the safety app. Public: the verifier (with the official channels, the known scams and
what an anti-phishing code is). Staff: the official channel registry (administrators change it,
supervisors read it), the known-scam list, the scam-report queue and the agent-guard events.
Thin glue: a refusal re-renders the page with the error and its 4xx status."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any, cast

from django.contrib import messages
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from safedesk.accounts.decorators import role_required
from safedesk.accounts.models import Role, User
from safedesk.lib.errors import InvalidInput, NotFound, RateLimited, SafedeskError
from safedesk.lib.net import client_ip
from safedesk.safety import answers, selectors, services, verifier
from safedesk.safety.models import ChannelKind, KnownScam, ReportStatus


def _me(request: HttpRequest) -> User:
    return cast(User, request.user)


def _see_other(url: str) -> HttpResponseRedirect:
    response = HttpResponseRedirect(url)
    response.status_code = 303
    return response


# ---- public ------------------------------------------------------------------------------------


@require_http_methods(["GET", "POST"])
def verify(request: HttpRequest) -> HttpResponse:
    """POST, not GET: what people paste here stays out of addresses, histories and access logs."""
    context: dict[str, Any] = {
        "officials": selectors.official_now(),
        "scams": selectors.known_scams()[:20],
        "query": "",
        "result": None,
        "error": None,
    }
    status = 200
    if request.method == "POST":
        raw = request.POST.get("q", "")
        context["query"] = raw if isinstance(raw, str) else ""
        try:
            verifier.limit_lookups(client_ip(request))
            verdict = verifier.verify(context["query"])
            context["result"] = {
                "status": verdict.status,
                "answers": answers.answers(verdict, first=translation.get_language() or "en"),
            }
            # A look-up is never stored, so what was pasted is shown back only as parsed.
            context["query"] = verdict.channel.display
        except RateLimited:
            raise
        except SafedeskError as exc:
            context["error"] = exc
            status = exc.status
    return render(request, "safety/verify.html", context, status=status)


@require_GET
def known_scams(request: HttpRequest) -> HttpResponse:
    return render(request, "safety/scams.html", {"scams": selectors.known_scams()})


# ---- staff: registry ---------------------------------------------------------------------------


def _when(raw: Any, field: str) -> datetime | None:
    """A datetime-local field, read in the desk's time zone."""
    if not isinstance(raw, str) or not raw.strip():
        return None
    try:
        naive = datetime.fromisoformat(raw.strip())
    except ValueError:
        raise InvalidInput(_("Give a date and time like 2026-12-31 18:00."), code="invalid_date", field=field) from None
    return naive if timezone.is_aware(naive) else timezone.make_aware(naive)


def _registry_context(request: HttpRequest, **extra: Any) -> dict[str, Any]:
    return {
        "entries": selectors.registry(),
        "kinds": ChannelKind.choices,
        "may_edit": _me(request).has_role(Role.ADMIN),
        "now": timezone.now(),
        "values": {},
        "error": None,
        **extra,
    }


@require_http_methods(["GET", "POST"])
@role_required(Role.SUPERVISOR)
def registry(request: HttpRequest) -> HttpResponse:
    if request.method == "GET":
        return render(request, "safety/registry.html", _registry_context(request))
    post = request.POST
    try:
        entry = services.add_official_channel(
            services.ChannelInput(
                kind=post.get("kind", ""),
                value=post.get("value", ""),
                platform=post.get("platform", ""),
                label_en=post.get("label_en", ""),
                label_zh=post.get("label_zh", ""),
                include_subdomains=post.get("include_subdomains") == "1",
                valid_from=_when(post.get("valid_from"), "valid_from"),
                valid_until=_when(post.get("valid_until"), "valid_until"),
            ),
            actor=_me(request),
            ip=client_ip(request),
        )
    except SafedeskError as exc:
        context = _registry_context(request, values=post, error=exc)
        return render(request, "safety/registry.html", context, status=exc.status)
    messages.success(request, _("%(channel)s is in the registry now.") % {"channel": entry.display})
    return _see_other(reverse("safety:registry_entry", kwargs={"public_id": entry.public_id}))


@require_http_methods(["GET", "POST"])
@role_required(Role.SUPERVISOR)
def registry_entry(request: HttpRequest, public_id: str) -> HttpResponse:
    entry = selectors.official_entry(str(public_id))
    context = {
        "entry": entry,
        "changes": list(entry.changes.select_related("actor")[:100]),
        "may_edit": _me(request).has_role(Role.ADMIN),
        "now": timezone.now(),
        "error": None,
    }
    if request.method == "GET":
        return render(request, "safety/registry_entry.html", context)
    post = request.POST
    try:
        if post.get("action") == "end":
            services.end_official_channel(entry, actor=_me(request), ip=client_ip(request))
            messages.success(request, _("%(channel)s is no longer official.") % {"channel": entry.display})
        else:
            services.update_official_channel(
                entry,
                label_en=post.get("label_en", ""),
                label_zh=post.get("label_zh", ""),
                include_subdomains=post.get("include_subdomains") == "1",
                valid_until=_when(post.get("valid_until"), "valid_until"),
                actor=_me(request),
                ip=client_ip(request),
            )
            messages.success(request, _("The entry was saved."))
    except SafedeskError as exc:
        context["error"] = exc
        return render(request, "safety/registry_entry.html", context, status=exc.status)
    return _see_other(reverse("safety:registry_entry", kwargs={"public_id": entry.public_id}))


# ---- staff: known scams, reports, guard events -------------------------------------------------


@require_http_methods(["GET", "POST"])
@role_required(Role.AGENT)
def scams_admin(request: HttpRequest) -> HttpResponse:
    context: dict[str, Any] = {
        "scams": selectors.known_scams(),
        "reports": selectors.scam_reports(ReportStatus.NEW),
        "kinds": ChannelKind.choices,
        "values": {},
        "error": None,
    }
    if request.method == "GET":
        return render(request, "safety/scams_admin.html", context)
    post = request.POST
    try:
        scam = services.list_known_scam(
            post.get("kind", ""),
            post.get("value", ""),
            platform=post.get("platform", ""),
            note=post.get("note", ""),
            actor=_me(request),
            ip=client_ip(request),
        )
    except SafedeskError as exc:
        context.update(values=post, error=exc)
        return render(request, "safety/scams_admin.html", context, status=exc.status)
    messages.success(request, _("%(channel)s is on the known-scam list now.") % {"channel": scam.display})
    return _see_other(reverse("safety:scams_admin"))


@require_POST
@role_required(Role.AGENT)
def scam_withdraw(request: HttpRequest, public_id: str) -> HttpResponse:
    try:
        scam = KnownScam.objects.filter(public_id=uuid.UUID(str(public_id))).first()
    except ValueError:
        scam = None
    if scam is None:
        raise NotFound.probing("safety.known_scam", public_id)
    services.withdraw_known_scam(scam, actor=_me(request), ip=client_ip(request))
    messages.success(request, _("%(channel)s was taken off the known-scam list.") % {"channel": scam.display})
    return _see_other(reverse("safety:scams_admin"))


@require_GET
@role_required(Role.SUPERVISOR)
def guard_events(request: HttpRequest) -> HttpResponse:
    return render(request, "safety/guard_events.html", {"events": selectors.guard_events()})
