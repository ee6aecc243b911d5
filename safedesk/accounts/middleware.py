"""A signed-in person's saved language wins over browser negotiation."""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.utils import translation

_SUPPORTED = {code for code, _name in settings.LANGUAGES}


class UserLanguageMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = getattr(request, "user", None)
        chosen = request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME)
        preferred = getattr(user, "language", "") if user is not None and user.is_authenticated else ""
        if preferred in _SUPPORTED and not chosen:
            translation.activate(preferred)
            request.LANGUAGE_CODE = preferred
        return self.get_response(request)
