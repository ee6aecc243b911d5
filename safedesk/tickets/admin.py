"""Admin pages that show the SLA and routing set-up (calendars, team settings, policies). They
are read-only: changes go through the console's editor (/agent/sla/, /agent/teams/), whose
services check, audit and apply them. Tickets themselves are worked in the agent console."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from safedesk.accounts.models import Role, User
from safedesk.tickets.models import BusinessCalendar, SlaPolicy, TeamSettings


def _is_admin(request: HttpRequest) -> bool:
    user = request.user
    return isinstance(user, User) and user.has_role(Role.ADMIN) and bool(getattr(user, "is_verified", bool)())


class ReadOnlyAdmin(admin.ModelAdmin[Any]):
    def has_module_permission(self, request: HttpRequest) -> bool:
        return _is_admin(request)

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return _is_admin(request)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(BusinessCalendar)
class BusinessCalendarAdmin(ReadOnlyAdmin):
    list_display = ["name", "tz", "is_default"]


@admin.register(TeamSettings)
class TeamSettingsAdmin(ReadOnlyAdmin):
    list_display = ["team", "calendar", "assignment_mode"]


@admin.register(SlaPolicy)
class SlaPolicyAdmin(ReadOnlyAdmin):
    list_display = [
        "name",
        "priority",
        "category",
        "first_response_minutes",
        "next_response_minutes",
        "resolution_minutes",
        "appeal_minutes",
        "warning_minutes",
        "active",
    ]
    list_filter = ["active", "priority"]
