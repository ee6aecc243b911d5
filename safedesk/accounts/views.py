"""Thin glue for sign-up, sign-in (with the staff second factor), sign-out, password change and
reset, email verification, the profile and the language switch. Decisions live in services.

Anti-enumeration: sign-up and password reset answer with the same redirect whether or not the
address is registered; sign-in shows one message for an unknown address and a wrong password.
"""

from __future__ import annotations

import uuid
from typing import Any
from urllib.parse import urlencode

import django_otp
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login as auth_login
from django.contrib.auth import update_session_auth_hash
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.contrib.auth.views import INTERNAL_RESET_SESSION_TOKEN
from django.forms import Form
from django.http import HttpRequest, HttpResponse, HttpResponseBase, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.urls import reverse, reverse_lazy
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from safedesk.accounts import forms, selectors, services
from safedesk.accounts.decorators import role_required
from safedesk.accounts.models import Role, Scope, User
from safedesk.lib.errors import InvalidInput, RateLimited, SafedeskError
from safedesk.lib.net import client_ip
from safedesk.lib.responses import error_response


def safe_next(request: HttpRequest, candidate: str | None, fallback: str = "/") -> str:
    """An in-site path to go to next; anything off-site falls back.

    Only absolute paths are accepted: `//host`, `/\\host` (browsers read `\\` as `/`),
    `https:host` and any scheme or host fall back, whatever Django's check thinks of them.
    """
    if not candidate or not candidate.startswith("/") or candidate[1:2] in {"/", "\\"}:
        return fallback
    if any(ord(ch) < 0x21 or ch == "\\" for ch in candidate):
        return fallback
    if url_has_allowed_host_and_scheme(
        candidate, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return candidate
    return fallback


def _with_next(url_name: str, next_url: str) -> str:
    url = reverse(url_name)
    return f"{url}?{urlencode({'next': next_url})}" if next_url else url


def _current_user(request: HttpRequest) -> User:
    user = request.user
    assert isinstance(user, User)
    return user


def _needs_second_factor(user: User) -> bool:
    return user.is_staff_role


class LoginView(auth_views.LoginView):
    template_name = "accounts/login.html"
    form_class = forms.LoginForm
    redirect_authenticated_user = True

    def get_redirect_url(self, request: HttpRequest | None = None) -> str:
        candidate = self.request.POST.get("next", self.request.GET.get("next", ""))
        return safe_next(self.request, candidate, "")

    def form_valid(self, form: Any) -> HttpResponse:
        user = form.get_user()
        auth_login(self.request, user)
        services.note_signed_in(user, ip=client_ip(self.request))
        next_url = self.get_redirect_url()
        if _needs_second_factor(user):
            # Signed in, but every staff page stays closed until the code is checked.
            return redirect(_with_next("accounts:otp_verify", next_url))
        return HttpResponseRedirect(next_url or self.get_default_redirect_url())


class LogoutView(auth_views.LogoutView):
    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if isinstance(request.user, User):
            services.note_signed_out(request.user, ip=client_ip(request))
        return super().post(request, *args, **kwargs)


def axes_username(request: HttpRequest, credentials: dict[str, Any] | None) -> str:
    """For AXES_USERNAME_CALLABLE: count `Alice@Example.com` and `alice@example.com` as one
    account, so changing the case of the address does not reset the per-account limit."""
    raw = (credentials or {}).get("username") or request.POST.get("username", "")
    return str(raw).strip().lower()


def lockout_response(request: HttpRequest, credentials: Any = None, *args: Any, **kwargs: Any) -> HttpResponse:
    minutes = int(float(settings.AXES_COOLOFF_TIME) * 60)
    exc = RateLimited(
        retry_after=minutes * 60,
        message=_("Too many failed sign-in attempts. Try again in %(minutes)d minutes.") % {"minutes": minutes},
    )
    exc.code = "login_throttled"
    return error_response(request, exc)


def _form_error(form: Form, exc: InvalidInput) -> None:
    field = exc.params.get("field")
    form.add_error(field if isinstance(field, str) and field in form.fields else None, str(exc.message))


@require_http_methods(["GET", "POST"])
def signup(request: HttpRequest) -> HttpResponse:
    if request.user.is_authenticated:
        return redirect(settings.LOGIN_REDIRECT_URL)
    form = forms.SignUpForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.sign_up(
                email=form.cleaned_data["email"],
                password=form.cleaned_data["password1"],
                display_name=form.cleaned_data["display_name"],
                language=getattr(request, "LANGUAGE_CODE", settings.LANGUAGE_CODE),
                ip=client_ip(request),
            )
        except InvalidInput as exc:
            _form_error(form, exc)
        else:
            # The same answer for a new and an already registered address (no enumeration).
            return redirect("accounts:signup_done")
    return render(request, "accounts/signup.html", {"form": form})


@require_GET
def signup_done(request: HttpRequest) -> HttpResponse:
    return render(request, "accounts/signup_done.html")


@require_http_methods(["GET", "POST"])
def verify_email(request: HttpRequest, token: str) -> HttpResponse:
    # Opening the link only shows a button: mail scanners that prefetch links change nothing.
    if request.method == "POST":
        services.verify_email(token, ip=client_ip(request))
        messages.success(request, _("Thank you, your email address is confirmed."))
        return redirect("accounts:profile" if request.user.is_authenticated else "accounts:login")
    return render(request, "accounts/verify_email.html", {"token": token})


@require_POST
@login_required
def resend_verification(request: HttpRequest) -> HttpResponse:
    services.resend_verification(_current_user(request), ip=client_ip(request))
    messages.success(request, _("If your address is not confirmed yet, a new link is on its way."))
    return redirect("accounts:profile")


@require_http_methods(["GET", "POST"])
@login_required
def profile(request: HttpRequest) -> HttpResponse:
    user = _current_user(request)
    initial = {
        "display_name": user.display_name,
        "language": user.language or settings.LANGUAGE_CODE,
        "anti_phishing_code": user.anti_phishing_code,
    }
    form = forms.ProfileForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            services.update_profile(
                user,
                display_name=form.cleaned_data["display_name"],
                language=form.cleaned_data["language"],
                anti_phishing_code=form.cleaned_data["anti_phishing_code"],
                actor=user,
                ip=client_ip(request),
            )
        except InvalidInput as exc:
            _form_error(form, exc)
        else:
            messages.success(request, _("Your profile was saved."))
            response = redirect("accounts:profile")
            _set_language_cookie(request, response, user.language)
            return response
    context = {
        "form": form,
        "has_totp": services.has_confirmed_device(user),
        "verified": user.email_verified_at is not None,
        "active_tokens": selectors.active_token_count(user),
    }
    return render(request, "accounts/profile.html", context)


@require_POST
@login_required
def sign_out_other_sessions(request: HttpRequest) -> HttpResponse:
    """Every other device signed in to this account is signed out at its next request; this
    one stays signed in. API tokens are not touched (they are revoked on the tokens page)."""
    user = _current_user(request)
    services.sign_out_other_sessions(user, actor=user, ip=client_ip(request))
    update_session_auth_hash(request, user)
    messages.success(request, _("Every other device was signed out."))
    return redirect("accounts:profile")


@require_http_methods(["GET", "POST"])
@login_required
def password_change(request: HttpRequest) -> HttpResponse:
    user = _current_user(request)
    form = forms.PasswordChangeForm(user, request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.set_password(
                user,
                password=form.cleaned_data["new_password1"],
                actor=user,
                via="change",
                revoke_tokens=form.cleaned_data["revoke_tokens"],
                ip=client_ip(request),
            )
        except InvalidInput as exc:
            _form_error(form, exc)
        else:
            # This session stays signed in; every other one is signed out at its next request.
            update_session_auth_hash(request, user)
            if form.cleaned_data["revoke_tokens"]:
                messages.success(
                    request, _("Your password was changed. Other devices were signed out and your API tokens revoked.")
                )
            else:
                messages.success(request, _("Your password was changed. Other devices were signed out."))
            return redirect("accounts:profile")
    return render(request, "accounts/password_change.html", {"form": form})


@require_http_methods(["GET", "POST"])
def password_reset(request: HttpRequest) -> HttpResponse:
    form = forms.ResetRequestForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        services.request_password_reset(form.cleaned_data["email"], ip=client_ip(request))
        # The same answer whether or not the address has an account.
        return redirect("accounts:password_reset_done")
    return render(request, "accounts/password_reset_form.html", {"form": form})


class PasswordResetDoneView(auth_views.PasswordResetDoneView):
    template_name = "accounts/password_reset_done.html"


class PasswordResetConfirmView(auth_views.PasswordResetConfirmView):
    """Django's view (token check, token moved out of the URL into the session), with our
    public ids in the link instead of integer keys, and the change made through services."""

    template_name = "accounts/password_reset_confirm.html"
    form_class = forms.ResetPasswordForm
    success_url = reverse_lazy("accounts:password_reset_complete")
    post_reset_login = False

    def get_user(self, uidb64: str) -> Any:
        try:
            public_id = uuid.UUID(hex=uidb64)
        except ValueError:
            return None
        return User.objects.filter(public_id=public_id, is_active=True).first()

    def form_valid(self, form: Any) -> HttpResponse:
        services.set_password(
            form.user, password=form.cleaned_data["new_password1"], actor=None, via="reset", ip=client_ip(self.request)
        )
        del self.request.session[INTERNAL_RESET_SESSION_TOKEN]
        return HttpResponseRedirect(self.get_success_url())


class PasswordResetCompleteView(auth_views.PasswordResetCompleteView):
    template_name = "accounts/password_reset_complete.html"


# Second factor --------------------------------------------------------------------------


def _verified(request: HttpRequest) -> bool:
    return bool(getattr(request.user, "is_verified", lambda: False)())


def _elevate(request: HttpRequest, device: Any) -> None:
    # A new session key once the second factor is passed, like at sign-in.
    request.session.cycle_key()
    django_otp.login(request, device)


@require_http_methods(["GET", "POST"])
@login_required
def otp_verify(request: HttpRequest) -> HttpResponseBase:
    user = _current_user(request)
    next_url = safe_next(request, request.POST.get("next", request.GET.get("next")), "")
    done = next_url or reverse(settings.LOGIN_REDIRECT_URL)
    if _verified(request):
        return HttpResponseRedirect(done)
    if not services.has_confirmed_device(user):
        if not _needs_second_factor(user):
            return HttpResponseRedirect(done)
        return redirect(_with_next("accounts:otp_setup", next_url))
    form = forms.CodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            device = services.check_second_factor(user, token=form.cleaned_data["code"], ip=client_ip(request))
        except InvalidInput as exc:
            _form_error(form, exc)
        else:
            _elevate(request, device)
            return HttpResponseRedirect(done)
    return render(request, "accounts/otp_verify.html", {"form": form, "next": next_url})


@require_http_methods(["GET", "POST"])
@login_required
def otp_setup(request: HttpRequest) -> HttpResponseBase:
    """Staff without an authenticator: make a key (POST), show its otpauth URI and secret,
    confirm it with one code. No external QR service: the URI and secret are shown as text."""
    user = _current_user(request)
    next_url = safe_next(request, request.POST.get("next", request.GET.get("next")), "")
    if services.has_confirmed_device(user):
        if _verified(request):
            messages.info(request, _("Two-factor authentication is already set up."))
            return redirect("accounts:profile")
        return redirect(_with_next("accounts:otp_verify", next_url))
    form = forms.CodeForm(request.POST if request.POST.get("action") == "confirm" else None)
    if request.method == "POST":
        if request.POST.get("action") == "start":
            services.start_totp_setup(user, ip=client_ip(request))
            return redirect(_with_next("accounts:otp_setup", next_url))
        if form.is_valid():
            try:
                device = services.confirm_totp_device(user, token=form.cleaned_data["code"], ip=client_ip(request))
            except InvalidInput as exc:
                _form_error(form, exc)
            else:
                _elevate(request, device)
                messages.success(request, _("Two-factor authentication is on."))
                return HttpResponseRedirect(next_url or reverse(settings.LOGIN_REDIRECT_URL))
    device = services.pending_device(user)
    context: dict[str, Any] = {"form": form, "next": next_url, "device": device}
    if device is not None:
        context["secret"] = services.totp_secret(device)
        context["uri"] = device.config_url
    return render(request, "accounts/otp_setup.html", context)


# Language -------------------------------------------------------------------------------


def _set_language_cookie(request: HttpRequest, response: HttpResponse, language: str) -> None:
    response.set_cookie(
        settings.LANGUAGE_COOKIE_NAME,
        language,
        max_age=365 * 24 * 3600,
        samesite="Lax",
        secure=request.is_secure(),
    )


@require_POST
def set_language(request: HttpRequest) -> HttpResponse:
    language = request.POST.get("language", "")
    target = safe_next(request, request.POST.get("next"))
    response = HttpResponseRedirect(target)
    if language not in {code for code, _name in settings.LANGUAGES}:
        return response
    if isinstance(request.user, User):
        services.set_language(request.user, language=language, actor=request.user)
    _set_language_cookie(request, response, language)
    return response


# API tokens ----------------------------------------------------------------------------------


def _tokens_page(request: HttpRequest, form: forms.ApiTokenForm, *, status: int = 200) -> HttpResponse:
    user = _current_user(request)
    context = {
        "form": form,
        "tokens": selectors.own_tokens(user),
        "now": timezone.now(),
        "is_admin": user.has_role(Role.ADMIN),
        "scope_labels": dict(Scope.choices),
    }
    return render(request, "accounts/api_tokens.html", context, status=status)


@require_http_methods(["GET", "POST"])
@role_required(Role.CUSTOMER)  # any signed-in person; staff past their second factor
def api_tokens(request: HttpRequest) -> HttpResponse:
    """One's own tokens, and the form for a new one. The new token is shown on the answer to
    the POST itself, once: it is never stored, so there is nothing to redirect to."""
    form = forms.ApiTokenForm(request.POST or None)
    if request.method == "GET" or not form.is_valid():
        return _tokens_page(request, form, status=200 if request.method == "GET" else 400)
    user = _current_user(request)
    try:
        created = services.create_api_token(
            user,
            name=form.cleaned_data["name"],
            scopes=form.cleaned_data["scopes"],
            expires_in_days=form.cleaned_data["expires_in_days"],
            second_factor=_verified(request),
            ip=client_ip(request),
        )
    except RateLimited:
        raise
    except InvalidInput as exc:
        _form_error(form, exc)
        return _tokens_page(request, form, status=exc.status)
    except SafedeskError as exc:
        form.add_error(None, str(exc.message))
        return _tokens_page(request, form, status=exc.status)
    response = render(
        request,
        "accounts/api_token_created.html",
        {"token": created.token, "secret": created.secret, "scope_labels": dict(Scope.choices)},
    )
    # The page holds the token: no cache may keep it.
    response["Cache-Control"] = "no-store"
    return response


@require_POST
@role_required(Role.CUSTOMER)
def api_token_revoke(request: HttpRequest, public_id: str) -> HttpResponse:
    """The owner revokes their token; an administrator revokes anyone's (from the list of all)."""
    user = _current_user(request)
    token = selectors.access_api_token(user, public_id)
    services.revoke_api_token(token, actor=user, ip=client_ip(request))
    messages.success(request, _("The token %(label)s was revoked.") % {"label": token.label})
    if request.POST.get("from") == "all" and user.has_role(Role.ADMIN):
        return redirect("accounts:api_tokens_all")
    return redirect("accounts:api_tokens")


@require_GET
@role_required(Role.ADMIN)
def api_tokens_all(request: HttpRequest) -> HttpResponse:
    owner = request.GET.get("owner", "")[:254]
    active_only = request.GET.get("active") == "1"
    page = selectors.all_tokens(owner=owner, active_only=active_only, after=request.GET.get("after"))
    next_query = ""
    if page.next_after:
        kept = {k: v for k, v in {"owner": owner, "active": "1" if active_only else ""}.items() if v}
        next_query = urlencode({**kept, "after": page.next_after})
    context = {
        "page": page,
        "owner": owner,
        "active_only": active_only,
        "next_query": next_query,
        "now": timezone.now(),
    }
    return render(request, "accounts/api_tokens_all.html", context)
