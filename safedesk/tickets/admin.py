"""Admin pages that show the SLA and routing set-up (calendars, team settings, policies). They
are read-only: changes go through the console's editor (/agent/sla/, /agent/teams/), whose
services check, audit and apply them. Tickets themselves are worked in the agent console."""

from __future__ import annotations

from django.contrib import admin

from safedesk.accounts.admin import ReadOnlyAdmin
from safedesk.tickets.models import BusinessCalendar, SlaPolicy, TeamSettings


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
