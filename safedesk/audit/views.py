"""The audit log, browsable by staff (read-only: there is no edit or delete view).

The role check is done here with the user's own `has_role` and django-otp's `is_verified`
rather than by importing accounts (audit sits below accounts in the layering)."""

from __future__ import annotations

from urllib.parse import urlencode

from django import forms
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_GET

from safedesk.audit import selectors


class FilterForm(forms.Form):
    verb = forms.CharField(label=_("Action"), required=False, max_length=80)
    actor = forms.CharField(label=_("Who (email)"), required=False, max_length=200)
    target = forms.CharField(label=_("Target"), required=False, max_length=200)
    since = forms.DateField(label=_("From"), required=False, widget=forms.DateInput(attrs={"type": "date"}))
    until = forms.DateField(label=_("Until"), required=False, widget=forms.DateInput(attrs={"type": "date"}))
    before = forms.IntegerField(required=False, min_value=1, widget=forms.HiddenInput)


@require_GET
def audit_list(request: HttpRequest) -> HttpResponse:
    user = request.user
    if not user.is_authenticated:
        return redirect_to_login(request.get_full_path())
    has_role = getattr(user, "has_role", None)
    if not (has_role and has_role("agent")):
        raise PermissionDenied
    if not getattr(user, "is_verified", lambda: False)():
        return redirect("accounts:otp_verify")
    form = FilterForm(request.GET)
    if form.is_valid():
        data = form.cleaned_data
        filters = selectors.Filters(
            verb=data["verb"].strip(),
            actor=data["actor"].strip(),
            target=data["target"].strip(),
            since=data["since"],
            until=data["until"],
        )
        before = data["before"]
    else:
        filters, before = selectors.Filters(), None
    page = selectors.page_of_events(user, filters, before=before)
    next_query = ""
    if page.next_before is not None:
        kept = {k: v for k, v in request.GET.items() if k != "before" and v}
        next_query = urlencode({**kept, "before": page.next_before})
    context = {
        "form": form,
        "events": page.events,
        "next_query": next_query,
        "everything": selectors.can_see_everything(user),
    }
    return render(request, "audit/list.html", context)
