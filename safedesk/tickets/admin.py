"""Admin pages for the SLA set-up (calendars, team calendars, policies). Tickets themselves are
worked in the agent console, never here: services are the only writers of tickets."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin

from safedesk.lib import businesstime
from safedesk.tickets.models import BusinessCalendar, SlaPolicy, TeamSettings


class BusinessCalendarForm(forms.ModelForm[BusinessCalendar]):
    class Meta:
        model = BusinessCalendar
        fields = ["name", "tz", "weekly", "holidays", "is_default"]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        try:
            businesstime.Calendar.from_spec(data.get("tz") or "", data.get("weekly") or {}, data.get("holidays") or [])
        except (ValueError, TypeError, AttributeError) as exc:
            raise forms.ValidationError(str(exc)) from None
        return data


@admin.register(BusinessCalendar)
class BusinessCalendarAdmin(admin.ModelAdmin[BusinessCalendar]):
    form = BusinessCalendarForm
    list_display = ["name", "tz", "is_default"]


@admin.register(TeamSettings)
class TeamSettingsAdmin(admin.ModelAdmin[TeamSettings]):
    list_display = ["team", "calendar"]


@admin.register(SlaPolicy)
class SlaPolicyAdmin(admin.ModelAdmin[SlaPolicy]):
    list_display = [
        "name",
        "priority",
        "category",
        "first_response_minutes",
        "next_response_minutes",
        "resolution_minutes",
        "active",
    ]
    list_filter = ["active", "priority"]
