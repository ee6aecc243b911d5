"""Error pages: the same {code, message} shape as the API, never a traceback."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse

from safedesk.lib.errors import InvalidInput, NotFound, PermissionDenied, SafedeskError
from safedesk.lib.responses import error_response


def bad_request(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return error_response(request, InvalidInput(code="bad_request"))


def permission_denied(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return error_response(request, PermissionDenied())


def page_not_found(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return error_response(request, NotFound())


def server_error(request: HttpRequest) -> HttpResponse:
    err = SafedeskError(code="server_error")
    err.status = 500
    return error_response(request, err)
