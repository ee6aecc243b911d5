"""Access rules for views: a role at least as high as asked, and for staff a verified second
factor (TOTP). Customers and guests get a 404-free redirect to sign in; a signed-in person
without the role gets 403."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar

from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect

from safedesk.accounts.models import Role

View = TypeVar("View", bound=Callable[..., HttpResponse])


def role_required(role: str = Role.AGENT) -> Callable[[View], View]:
    def decorator(view: View) -> View:
        @wraps(view)
        def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            user = request.user
            if not user.is_authenticated:
                return redirect_to_login(request.get_full_path())
            if not user.has_role(role):
                raise PermissionDenied
            # django-otp's middleware adds is_verified() to the signed-in user.
            if user.is_staff_role and not user.is_verified():  # type: ignore[attr-defined]
                # Staff must pass their second factor before any staff page.
                return redirect("accounts:otp_verify")
            return view(request, *args, **kwargs)

        return wrapped  # type: ignore[return-value]

    return decorator


staff_required = role_required(Role.AGENT)
