"""Response hardening and the one place where refusals become responses."""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse, HttpResponseNotAllowed

from safedesk.lib.errors import MethodNotAllowed, SafedeskError
from safedesk.lib.responses import error_response

# Scripts and styles come only from our own static files; no inline script anywhere.
CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "font-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'none'; "
    "frame-ancestors 'none'; form-action 'self'"
)
# The API docs page (Swagger UI shipped by django-ninja) sets inline styles; its scripts are files.
CSP_API_DOCS = CSP.replace("style-src 'self'", "style-src 'self' 'unsafe-inline'")


class SecurityHeadersMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        policy = CSP_API_DOCS if request.path == "/api/docs" else CSP
        response.headers.setdefault("Content-Security-Policy", policy)
        response.headers.setdefault("Permissions-Policy", "camera=(), microphone=(), geolocation=()")
        return response


class SafedeskErrorMiddleware:
    """Turns a SafedeskError raised anywhere in a view into a clear 4xx, and gives the bare 405
    that Django (`require_POST`) and django-ninja answer for a wrong method the usual shape."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if isinstance(response, HttpResponseNotAllowed):
            shaped = error_response(request, MethodNotAllowed())
            if response.has_header("Allow"):
                shaped["Allow"] = response["Allow"]
            return shaped
        return response

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if isinstance(exception, SafedeskError):
            return error_response(request, exception)
        return None
