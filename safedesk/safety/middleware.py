"""Tells whoever sent a secret that it was removed, in their language: the shield counts what it
removes while the request runs (`shield.collect`); a page request gets a warning message (shown
on the page the form leads to); every such response, API answers included, carries a
`Safedesk-Notice: secret_removed` header."""

from __future__ import annotations

from collections.abc import Callable

from django.contrib import messages
from django.http import HttpRequest, HttpResponse

from safedesk.safety import shield

NOTICE_HEADER = "Safedesk-Notice"


class SecretNoticeMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        with shield.collect() as removed:
            response = self.get_response(request)
        if removed:
            response[NOTICE_HEADER] = "secret_removed"
            if hasattr(request, "_messages") and not request.path.startswith("/api/"):
                messages.warning(request, shield.WARNING)
        return response
