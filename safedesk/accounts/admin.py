"""Django admin for administrators: people are read-only here (roles and passwords change
through services), teams are created and staffed through services, and the whole admin site
asks for the second factor (django-otp's OTPAdminSite)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _
from django_otp.admin import OTPAdminSite

from safedesk.accounts import services
from safedesk.accounts.models import Role, Team, User

# The documented way to protect the default admin site without changing the URLconf.
admin.site.__class__ = OTPAdminSite


def _is_admin(request: HttpRequest) -> bool:
    user = request.user
    return isinstance(user, User) and user.has_role(Role.ADMIN) and bool(getattr(user, "is_verified", bool)())


class ReadOnlyAdmin(admin.ModelAdmin[Any]):
    """Administrators past their second factor may look; nobody adds, changes or deletes here
    (changes go through services, which check and audit them)."""

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


@admin.register(User)
class UserAdmin(ReadOnlyAdmin):
    list_display = ("email", "display_name", "role", "language", "email_verified_at", "is_active")
    list_filter = ("role", "is_active")
    search_fields = ("email", "display_name")
    fields = ("public_id", "email", "display_name", "role", "language", "is_active", "email_verified_at", "date_joined")
    readonly_fields = fields


class TeamForm(forms.ModelForm[Team]):
    staff = forms.ModelMultipleChoiceField(
        label=_("Members"),
        queryset=User.objects.active_staff(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )

    class Meta:
        model = Team
        fields = ["name"]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            self.fields["staff"].initial = list(self.instance.members.values_list("pk", flat=True))


@admin.register(Team)
class TeamAdmin(admin.ModelAdmin[Team]):
    form = TeamForm
    list_display = ("name",)

    def has_module_permission(self, request: HttpRequest) -> bool:
        return _is_admin(request)

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return _is_admin(request)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return _is_admin(request)

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return _is_admin(request)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def save_model(self, request: HttpRequest, obj: Team, form: Any, change: bool) -> None:
        actor = request.user
        assert isinstance(actor, User)
        if change:
            services.rename_team(obj, name=form.cleaned_data["name"], actor=actor)
        else:
            created = services.create_team(name=form.cleaned_data["name"], actor=actor)
            obj.pk, obj.public_id = created.pk, created.public_id

    def save_related(self, request: HttpRequest, form: Any, formsets: Any, change: bool) -> None:
        actor = request.user
        assert isinstance(actor, User)
        team = form.instance
        wanted: QuerySet[User] = form.cleaned_data["staff"]
        current = set(team.members.values_list("pk", flat=True))
        for user in wanted:
            if user.pk not in current:
                services.add_team_member(team, user, actor=actor)
        for user in User.objects.filter(pk__in=current - {u.pk for u in wanted}):
            services.remove_team_member(team, user, actor=actor)
