"""The audit log in the Django admin: view only, for every role (append-only, T43)."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from safedesk.audit.models import AuditEvent


@admin.register(AuditEvent)
class AuditEventAdmin(admin.ModelAdmin[AuditEvent]):
    list_display = ("id", "created_at", "actor_label", "verb", "target_type", "target_ref", "ip")
    list_filter = ("verb",)
    search_fields = ("verb", "actor_label", "target_ref")
    readonly_fields = ("created_at", "actor_label", "verb", "target_type", "target_ref", "data", "ip")
    fields = readonly_fields
    show_full_result_count = False

    def has_module_permission(self, request: HttpRequest) -> bool:
        return bool(getattr(request.user, "is_staff", False))

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return bool(getattr(request.user, "is_staff", False))

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def get_actions(self, request: HttpRequest) -> dict[str, Any]:
        return {}
