"""Response hardening and the one place where refusals become responses."""

from __future__ import annotations

from collections.abc import Callable
from urllib.parse import urlsplit

from django.conf import settings
from django.core.exceptions import DisallowedHost
from django.http import HttpRequest, HttpResponse, HttpResponseNotAllowed, HttpResponseNotFound

from safedesk.lib.errors import MethodNotAllowed, NotFound, SafedeskError
from safedesk.lib.responses import error_response

# Scripts only from our own static files (path-restricted, so that nothing else on our origin,
# such as a downloaded attachment, can ever be loaded as a script: CASES.md T16 and row 34);
# styles only from our own files; no inline script anywhere.
CSP = (
    "default-src 'self'; script-src {scripts}; style-src 'self'; img-src 'self' data:; "
    "font-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'none'; "
    "frame-ancestors 'none'; form-action 'self'"
)
# The API docs page (Swagger UI shipped by django-ninja) sets inline styles; its scripts are files.
CSP_API_DOCS = CSP.replace("style-src 'self'", "style-src 'self' 'unsafe-inline'")
FILES_PATH = "/files/"


def _script_source(request: HttpRequest) -> str:
    try:
        return request.build_absolute_uri(settings.STATIC_URL)
    except DisallowedHost:
        return "'none'"


class SecurityHeadersMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        policy = CSP_API_DOCS if request.path == "/api/docs" else CSP
        response.headers.setdefault("Content-Security-Policy", policy.format(scripts=_script_source(request)))
        response.headers.setdefault("Permissions-Policy", "camera=(), microphone=(), geolocation=()")
        return response


class FilesHostMiddleware:
    """With SAFEDESK_FILES_ORIGIN set, its host answers only the signed attachment links under
    /files/ (nothing of the desk itself runs on that origin), and the desk's own host never
    answers /files/. Without it, /files/ answers nothing anywhere."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        origin = str(getattr(settings, "SAFEDESK_FILES_ORIGIN", "") or "")
        wants_files = request.path.startswith(FILES_PATH)
        if not origin:
            return error_response(request, NotFound()) if wants_files else self.get_response(request)
        on_files_host = request.get_host().lower() == (urlsplit(origin).netloc or "").lower()
        if on_files_host and not wants_files:
            return HttpResponseNotFound(b"", content_type="text/plain")
        if wants_files and not on_files_host:
            return error_response(request, NotFound())
        return self.get_response(request)


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
