"""The audit log, browsable by staff. Access rules arrive with the accounts roles (issue #2)."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from safedesk.audit.models import AuditEvent


@login_required
def audit_list(request: HttpRequest) -> HttpResponse:
    if not getattr(request.user, "is_staff_role", False):
        raise PermissionDenied
    events = AuditEvent.objects.all()[:100]
    return render(request, "audit/list.html", {"events": events})
