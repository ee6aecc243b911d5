"""The one API object. Each app contributes a router from its own api.py."""

from __future__ import annotations

import logging
from typing import Any

from django.core.exceptions import RequestDataTooBig, SuspiciousOperation, TooManyFilesSent
from django.http import Http404, HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError, ValidationError
from ninja.openapi.views import openapi_view

from safedesk.lib.errors import RateLimited, SafedeskError
from safedesk.lib.views import transport_error

logger = logging.getLogger("safedesk.api")

api = NinjaAPI(
    title="safedesk API",
    version="1",
    urls_namespace="api",
    docs_url=None,
    description="REST API of the safedesk customer service center. Errors are always {code, message}.",
)


def _error(request: HttpRequest, status: int, code: str, message: str, **extra: Any) -> HttpResponse:
    body: dict[str, Any] = {"code": code, "message": message}
    body.update(extra)
    return api.create_response(request, body, status=status)


@api.exception_handler(SafedeskError)
def on_safedesk_error(request: HttpRequest, exc: SafedeskError) -> HttpResponse:
    response = api.create_response(request, exc.as_dict(), status=exc.status)
    if isinstance(exc, RateLimited):
        response["Retry-After"] = str(exc.retry_after)
    return response


@api.exception_handler(ValidationError)
def on_validation_error(request: HttpRequest, exc: ValidationError) -> HttpResponse:
    fields = []
    for err in exc.errors:
        loc = err.get("loc") or ()
        fields.append({"field": ".".join(str(p) for p in loc[1:] or loc), "problem": str(err.get("type", ""))})
    return _error(request, 400, "invalid_input", _("The input is not valid."), fields=fields)


@api.exception_handler(Http404)
def on_not_found(request: HttpRequest, exc: Http404) -> HttpResponse:
    return _error(request, 404, "not_found", _("Nothing was found at this address."))


@api.exception_handler(AuthenticationError)
def on_unauthenticated(request: HttpRequest, exc: AuthenticationError) -> HttpResponse:
    return _error(request, 401, "unauthenticated", _("Sign in or send a valid API token."))


@api.exception_handler(HttpError)
def on_http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
    # django-ninja raises these itself; give the common ones a stable code and our own words.
    text = str(exc)
    if exc.status_code == 403 and "CSRF" in text:
        return _error(
            request,
            403,
            "csrf_failed",
            _("The security token of this request is missing or wrong. Reload the page and try again."),
        )
    if exc.status_code == 400 and "parse" in text.lower():
        return _error(request, 400, "invalid_json", _("The request body is not valid JSON."))
    return _error(request, exc.status_code, "http_error", text)


@api.exception_handler(RequestDataTooBig)
def on_too_big(request: HttpRequest, exc: RequestDataTooBig) -> HttpResponse:
    # The upload handler's refusals carry their own code and message (lib.uploads.RequestTooLarge).
    return on_safedesk_error(request, transport_error(exc))


@api.exception_handler(SuspiciousOperation)
def on_suspicious(request: HttpRequest, exc: SuspiciousOperation) -> HttpResponse:
    if isinstance(exc, TooManyFilesSent):
        return on_safedesk_error(request, transport_error(exc))
    return _error(request, 400, "bad_request", _("The request could not be processed."))


@api.exception_handler(Exception)
def on_unexpected(request: HttpRequest, exc: Exception) -> HttpResponse:
    logger.exception("unexpected API error on %s", request.path)
    return _error(request, 500, "server_error", _("Something went wrong on our side. Please try again."))


def docs(request: HttpRequest) -> HttpResponse:
    return openapi_view(request, api=api)


def _register_routers() -> None:
    # Imported here so that every app's router is attached exactly once.
    from safedesk.helpcenter.api import router as helpcenter_router
    from safedesk.tickets.api import router as tickets_router

    api.add_router("/articles", helpcenter_router)
    api.add_router("/tickets", tickets_router)


_register_routers()
