"""Forms validate shape only; the services decide and write."""

from __future__ import annotations

from typing import Any

from django import forms
from django.conf import settings
from django.contrib.auth import password_validation
from django.contrib.auth.forms import AuthenticationForm, SetPasswordForm
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from safedesk.accounts.models import Scope, User


class LoginForm(AuthenticationForm):
    """Django's form: one message for an unknown address and a wrong password alike."""

    username = forms.EmailField(label=_("Email address"), max_length=254)


class SignUpForm(forms.Form):
    email = forms.EmailField(label=_("Email address"), max_length=254)
    display_name = forms.CharField(label=_("Display name"), max_length=120)
    password1 = forms.CharField(label=_("Password"), strip=False, widget=forms.PasswordInput)
    password2 = forms.CharField(label=_("Password again"), strip=False, widget=forms.PasswordInput)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        p1, p2 = data.get("password1"), data.get("password2")
        if p1 and p2 and p1 != p2:
            self.add_error("password2", _("The two passwords do not match."))
        elif p1:
            probe = User(email=data.get("email", ""), display_name=data.get("display_name", ""))
            try:
                password_validation.validate_password(p1, user=probe)
            except forms.ValidationError as exc:
                self.add_error("password1", exc)
        return data


class ResetRequestForm(forms.Form):
    email = forms.EmailField(label=_("Email address"), max_length=254)


class ProfileForm(forms.Form):
    display_name = forms.CharField(label=_("Display name"), max_length=120)
    language = forms.ChoiceField(label=_("Language"), choices=settings.LANGUAGES)
    anti_phishing_code = forms.CharField(
        label=_("Anti-phishing code"),
        max_length=32,
        required=False,
        help_text=_(
            "A word or phrase only you and we know. Every email we send you shows it at the top: an email "
            "that claims to be from us without it is a fake."
        ),
    )


class PasswordChangeForm(SetPasswordForm):
    """Current password, then the new one twice; saving is done by the view through services."""

    old_password = forms.CharField(label=_("Current password"), strip=False, widget=forms.PasswordInput)
    revoke_tokens = forms.BooleanField(
        label=_("Also revoke all my API tokens (scripts that use them stop working)"), required=False
    )

    field_order = ["old_password", "new_password1", "new_password2", "revoke_tokens"]

    def clean_old_password(self) -> str:
        value: str = self.cleaned_data["old_password"]
        if not self.user.check_password(value):
            raise forms.ValidationError(_("Your current password is not correct."), code="password_incorrect")
        return value

    def save(self, commit: bool = True) -> Any:
        raise NotImplementedError("use safedesk.accounts.services.set_password")


class ResetPasswordForm(SetPasswordForm):
    def save(self, commit: bool = True) -> Any:
        raise NotImplementedError("use safedesk.accounts.services.set_password")


class CodeForm(forms.Form):
    code = forms.RegexField(
        label=_("Six-digit code"),
        regex=r"^\s*\d{6}\s*$",
        max_length=12,
        error_messages={"invalid": _("Enter the six digits shown in your authenticator app.")},
    )


EXPIRY_STEPS = (7, 30, 90, 180, 365)


def expiry_choices() -> list[tuple[str, str]]:
    """Lifetimes offered for a new API token, within SAFEDESK_API_TOKEN_MAX_DAYS (0: no limit,
    and "never" is offered too)."""
    longest = int(settings.SAFEDESK_API_TOKEN_MAX_DAYS)
    days = {d for d in EXPIRY_STEPS if longest <= 0 or d <= longest}
    days.add(int(settings.SAFEDESK_API_TOKEN_DAYS))
    if longest > 0:
        days.add(longest)
    choices = [(str(d), ngettext("%(days)d day", "%(days)d days", d) % {"days": d}) for d in sorted(days) if d > 0]
    if longest <= 0:
        choices.append(("0", str(_("Never (not recommended)"))))
    return choices


class ApiTokenForm(forms.Form):
    name = forms.CharField(
        label=_("Name"), max_length=100, help_text=_("What the token is for, e.g. the script or service using it.")
    )
    scopes = forms.MultipleChoiceField(
        label=_("Permissions"), choices=Scope.choices, widget=forms.CheckboxSelectMultiple
    )
    expires_in_days = forms.ChoiceField(label=_("Expires after"))

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["expires_in_days"]
        assert isinstance(field, forms.ChoiceField)
        field.choices = expiry_choices()
        field.initial = str(settings.SAFEDESK_API_TOKEN_DAYS)
