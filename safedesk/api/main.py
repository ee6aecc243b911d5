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

from safedesk.audit.middleware import observe
from safedesk.lib.errors import RateLimited, SafedeskError
from safedesk.lib.views import transport_error

logger = logging.getLogger("safedesk.api")

DESCRIPTION = """REST API of the safedesk customer service center. Errors are always `{code, message}`.

**Authentication.** Send an API token as `Authorization: Bearer sdk_…` (make one on your account's
*API tokens* page, `/accounts/tokens/`; it is shown once), or use the signed-in browser session
(unsafe methods then need the CSRF token). Tokens in the query string are refused with 401
`token_in_query`. A wrong scheme or a malformed, unknown, revoked or expired token: 401
`invalid_token`, always the same body. A token acts as its owner with the owner's current role,
and only within its scopes:

| scope | operations |
| --- | --- |
| `tickets:read` | list tickets, read one with its thread |
| `tickets:write` | create, reply (or an internal note, staff), change the status, rate, appeal |
| `articles:read` | list, read, search and suggest published articles (also public without a token) |
| `safety:read` | verify a channel, list the official channels and the known scams (also public without a token) |
| `safety:write` | add, change and end official channels (administrators); list and withdraw known scams (staff) |

A token without the operation's scope: 403 `insufficient_scope`. Each token may make
`SAFEDESK_API_TOKEN_RATE` requests a minute (then 429 `rate_limited` with `Retry-After`).
"""


class SafedeskAPI(NinjaAPI):
    def get_openapi_schema(self, *args: Any, **kwargs: Any) -> Any:
        # ninja lists security schemes without scopes; each operation states its scope
        # (`x-scope`) and public ones (`x-public`) may also be called without credentials.
        schema = super().get_openapi_schema(*args, **kwargs)
        for item in schema.get("paths", {}).values():
            for operation in item.values():
                if not isinstance(operation, dict) or "x-scope" not in operation:
                    continue
                requirements: list[dict[str, list[str]]] = [
                    {name: [operation["x-scope"]] if name == "BearerToken" else []}
                    for entry in operation.get("security", [])
                    for name in entry
                ]
                if operation.get("x-public"):
                    requirements.append({})
                operation["security"] = requirements
        return schema


api = SafedeskAPI(
    title="safedesk API",
    version="1",
    urls_namespace="api",
    docs_url=None,
    description=DESCRIPTION,
)


def _error(request: HttpRequest, status: int, code: str, message: str, **extra: Any) -> HttpResponse:
    body: dict[str, Any] = {"code": code, "message": message}
    body.update(extra)
    return api.create_response(request, body, status=status)


@api.exception_handler(SafedeskError)
def on_safedesk_error(request: HttpRequest, exc: SafedeskError) -> HttpResponse:
    # Repeated "not found" for tickets becomes one security event per burst (CASES.md T06).
    observe(request, exc, channel="api")
    response = api.create_response(request, exc.as_dict(), status=exc.status)
    if isinstance(exc, RateLimited):
        response["Retry-After"] = str(exc.retry_after)
    # Token refusals carry WWW-Authenticate (RFC 6750).
    for name, value in getattr(exc, "headers", {}).items():
        response[name] = value
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
    from safedesk.safety.api import router as safety_router
    from safedesk.tickets.api import router as tickets_router

    api.add_router("/articles", helpcenter_router)
    api.add_router("/safety", safety_router)
    api.add_router("/tickets", tickets_router)


_register_routers()
