"""Error pages: the same {code, message} shape as the API, never a traceback."""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import RequestDataTooBig, TooManyFilesSent
from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext as _

from safedesk.lib.errors import InvalidInput, NotFound, PermissionDenied, SafedeskError
from safedesk.lib.responses import error_response


def transport_error(exception: Exception | None) -> SafedeskError:
    """What Django refused while reading a request body, as a refusal with a stable code."""
    if isinstance(exception, TooManyFilesSent):
        return InvalidInput(
            _("Too many files in one request: at most %(max)d.") % {"max": settings.DATA_UPLOAD_MAX_NUMBER_FILES},
            code="too_many_files",
        )
    if isinstance(exception, RequestDataTooBig):
        error = SafedeskError(
            getattr(exception, "message", None) or _("The request is too large."),
            code=getattr(exception, "code", "too_large"),
        )
        error.status = 413
        return error
    return InvalidInput(code="bad_request")


def bad_request(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return error_response(request, transport_error(exception))


def permission_denied(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return error_response(request, PermissionDenied())


def page_not_found(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return error_response(request, NotFound())


def server_error(request: HttpRequest) -> HttpResponse:
    err = SafedeskError(code="server_error")
    err.status = 500
    return error_response(request, err)
