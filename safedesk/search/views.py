"""Staff pages of the search seam: the content-gaps report and the synonym list (issue #2).

search sits below accounts in the layering, so the staff rule of accounts.decorators is
restated here with the user's own attributes instead of importing it.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from safedesk.lib.errors import NotFound, SafedeskError
from safedesk.search import services
from safedesk.search.models import SynonymGroup, ZeroResultQuery

View = Callable[..., HttpResponse]


def staff_only(view: View) -> View:
    @wraps(view)
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        user = request.user
        if not user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        if not getattr(user, "is_staff_role", False):
            raise PermissionDenied
        verified = getattr(user, "is_verified", None)
        if not callable(verified) or not verified():
            return redirect("accounts:otp_verify")
        return view(request, *args, **kwargs)

    return wrapped


@staff_only
def gaps(request: HttpRequest) -> HttpResponse:
    lang = request.GET.get("lang", "")
    rows = ZeroResultQuery.objects.all()
    if lang in services.LANGS:
        rows = rows.filter(lang=lang)
    return render(request, "search/gaps.html", {"rows": rows[:200], "lang": lang, "langs": services.LANGS})


@staff_only
def synonyms(request: HttpRequest) -> HttpResponse:
    groups = SynonymGroup.objects.all()
    return render(request, "search/synonyms.html", {"groups": groups, "form_terms": "", "form_note": ""})


def _error(request: HttpRequest, error: SafedeskError) -> HttpResponse:
    messages.error(request, str(error.message))
    return redirect("search:synonyms")


@staff_only
@require_POST
def synonym_create(request: HttpRequest) -> HttpResponse:
    try:
        services.create_synonym_group(
            terms=request.POST.get("terms", ""), note=request.POST.get("note", ""), actor=request.user
        )
    except SafedeskError as error:
        return _error(request, error)
    messages.success(request, _("The synonym group was added."))
    return redirect("search:synonyms")


@staff_only
@require_POST
def synonym_update(request: HttpRequest, group_id: int) -> HttpResponse:
    try:
        services.update_synonym_group(
            group_id, terms=request.POST.get("terms", ""), note=request.POST.get("note", ""), actor=request.user
        )
    except NotFound as error:
        raise Http404 from error
    except SafedeskError as error:
        return _error(request, error)
    messages.success(request, _("The synonym group was saved."))
    return redirect("search:synonyms")


@staff_only
@require_POST
def synonym_delete(request: HttpRequest, group_id: int) -> HttpResponse:
    try:
        services.delete_synonym_group(group_id, actor=request.user)
    except NotFound as error:
        raise Http404 from error
    messages.success(request, _("The synonym group was deleted."))
    return redirect("search:synonyms")
