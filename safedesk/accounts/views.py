"""Thin glue for sign-in, sign-out and the language switch. Sign-up, password reset and 2FA
land with the rest of the accounts work in issue #2."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib.auth import views as auth_views
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from safedesk.accounts import services
from safedesk.lib.errors import RateLimited
from safedesk.lib.responses import error_response


def safe_next(request: HttpRequest, candidate: str | None, fallback: str = "/") -> str:
    """An in-site path to go to next; anything off-site falls back."""
    if candidate and url_has_allowed_host_and_scheme(
        candidate, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return candidate
    return fallback


class LoginView(auth_views.LoginView):
    template_name = "accounts/login.html"
    redirect_authenticated_user = True


def lockout_response(request: HttpRequest, credentials: Any = None, *args: Any, **kwargs: Any) -> HttpResponse:
    minutes = int(float(settings.AXES_COOLOFF_TIME) * 60)
    exc = RateLimited(
        retry_after=minutes * 60,
        message=_("Too many failed sign-in attempts. Try again in %(minutes)d minutes.") % {"minutes": minutes},
    )
    exc.code = "login_throttled"
    return error_response(request, exc)


@require_POST
def set_language(request: HttpRequest) -> HttpResponse:
    language = request.POST.get("language", "")
    target = safe_next(request, request.POST.get("next"))
    response = HttpResponseRedirect(target)
    if language not in {code for code, _name in settings.LANGUAGES}:
        return response
    if request.user.is_authenticated:
        services.set_language(request.user, language=language, actor=request.user)
    response.set_cookie(
        settings.LANGUAGE_COOKIE_NAME,
        language,
        max_age=365 * 24 * 3600,
        samesite="Lax",
        secure=request.is_secure(),
    )
    return response
