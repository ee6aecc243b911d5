"""Who is calling the API: a scoped token (`Authorization: Bearer sdk_…`) or the browser session.

Every API operation declares the one scope it needs (`api_auth(Scope.TICKETS_READ)`):

- A request with an `Authorization` header is a token request, whatever cookies it carries:
  the session is not consulted and no CSRF token is needed (a cross-site page cannot set that
  header). A wrong scheme, a malformed, unknown, revoked or expired token and a token of an
  inactive account all get the same 401 `invalid_token`; a valid token without the scope gets
  403 `insufficient_scope`. The token acts as its user with the user's current role.
- Without the header, the browser session (with Django's CSRF check on unsafe methods).
- A token in the address (`?token=`, `?api_key=` …) is refused with 401 `token_in_query`
  before anything else: addresses end up in logs, proxies and browser history.

Refused tokens are counted per network address; one `security.api_token_refused` event per
burst goes to the audit log (audit.services.note_refusal).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.http import HttpRequest
from django.utils import translation
from django.utils.translation import gettext_lazy as _
from ninja.security.apikey import APIKeyCookie
from ninja.security.base import AuthBase

from safedesk.accounts import apikeys, selectors, services
from safedesk.accounts.models import ApiToken, Scope, User
from safedesk.audit.services import note_refusal
from safedesk.lib import ratelimit
from safedesk.lib.errors import PermissionDenied, SafedeskError
from safedesk.lib.net import client_ip

QUERY_TOKEN_PARAMS = ("token", "api_key", "apikey", "api_token", "access_token", "auth_token")
REALM = 'Bearer realm="safedesk"'
_LANGUAGES = {code for code, _name in settings.LANGUAGES}


class InvalidToken(SafedeskError):
    """One answer for every token that does not work, so that none tells why."""

    code = "invalid_token"
    status = 401
    default_message = _("The API token is missing, malformed, unknown, revoked or expired.")
    headers = {"WWW-Authenticate": f'{REALM}, error="invalid_token"'}


class TokenInQuery(SafedeskError):
    code = "token_in_query"
    status = 401
    default_message = _(
        "Send the API token in the Authorization header (Authorization: Bearer …), never in the address:"
        " addresses end up in logs."
    )
    headers = {"WWW-Authenticate": REALM}


class InsufficientScope(SafedeskError):
    code = "insufficient_scope"
    status = 403

    def __init__(self, scope: str) -> None:
        super().__init__(_("This API token does not have the permission this needs."), scope=scope)
        self.headers = {"WWW-Authenticate": f'{REALM}, error="insufficient_scope", scope="{scope}"'}


@dataclass(frozen=True)
class ApiCaller:
    """`request.auth` of every API request: the user (None for an anonymous reader of public
    endpoints) and the token it came with (None for the browser session)."""

    user: User | None
    token: ApiToken | None = None


ANONYMOUS = ApiCaller(user=None)


def refuse_query_token(request: HttpRequest) -> None:
    if any(name in request.GET for name in QUERY_TOKEN_PARAMS):
        note_refusal(
            "security.api_token_refused",
            kind="api.token_in_query",
            actor=None,
            ip=client_ip(request),
            outcome="token_in_query",
            details={"path": request.path[:200]},
            threshold=1,
        )
        raise TokenInQuery()


def _refuse(request: HttpRequest, raw: str) -> InvalidToken:
    key_id = apikeys.key_id_of(raw)
    note_refusal(
        "security.api_token_refused",
        kind="api.invalid_token",
        actor=None,
        ip=client_ip(request),
        # The key id is not secret; the rest of what was sent is never kept.
        ref=f"sdk_{key_id}_…" if key_id else "",
        outcome="invalid_token",
        details={"path": request.path[:200]},
    )
    return InvalidToken()


def _note_forbidden(request: HttpRequest, token: ApiToken, outcome: str, **details: str) -> None:
    # A working token used beyond what it may do: counted for its owner, one event per burst.
    note_refusal(
        "security.api_token_refused",
        kind=f"api.{outcome}",
        actor=token.user,
        ip=client_ip(request),
        ref=token.label,
        outcome=outcome,
        details={"path": request.path[:200], **details},
    )


def _bearer(header: str) -> str | None:
    """The token of `Bearer <token>` (scheme in any case, one space); None for anything else."""
    scheme, space, value = header.partition(" ")
    if scheme.lower() != "bearer" or space != " " or not value or value != value.strip():
        return None
    return value


def _use_saved_language(request: HttpRequest, user: User) -> None:
    # As UserLanguageMiddleware does for sessions: the account's language, unless a cookie chose.
    if user.language in _LANGUAGES and not request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME):
        translation.activate(user.language)
        request.LANGUAGE_CODE = user.language


class BearerToken(AuthBase):
    """`Authorization: Bearer sdk_…` with the scope the operation needs. With `optional`, a
    request without the header goes through as anonymous (public endpoints); a token that is
    sent is checked all the same."""

    openapi_type = "http"
    openapi_scheme = "bearer"
    openapi_bearerFormat = "sdk_<key id>_<secret>"
    openapi_description = (
        "An API token made on the account's API tokens page (/accounts/tokens/), sent as"
        " `Authorization: Bearer sdk_…`. Each operation needs one scope (listed in its security"
        " requirement); tokens in the query string are refused."
    )

    def __init__(self, scope: str, *, optional: bool = False) -> None:
        if scope not in Scope.values:
            raise ValueError(f"unknown scope {scope!r}")
        self.scope = scope
        self.optional = optional
        super().__init__()

    def __call__(self, request: HttpRequest) -> ApiCaller | None:
        refuse_query_token(request)
        header = request.headers.get("Authorization")
        if header is None:
            return ANONYMOUS if self.optional else None
        raw = _bearer(header)
        token = selectors.token_for(raw) if raw is not None else None
        if token is None:
            raise _refuse(request, raw or "")
        ratelimit.hit("api-token", token.key_id, limit=int(settings.SAFEDESK_API_TOKEN_RATE_PER_MINUTE))
        services.note_api_token_used(token, ip=client_ip(request))
        user = token.user
        if user.is_staff_role and not token.second_factor:
            _note_forbidden(request, token, "token_needs_second_factor")
            raise PermissionDenied(
                _(
                    "This token was made before the account became staff. Create a new one after confirming"
                    " your sign-in with your authenticator app."
                ),
                code="token_needs_second_factor",
            )
        if not token.allows(self.scope):
            _note_forbidden(request, token, "insufficient_scope", scope=self.scope)
            raise InsufficientScope(self.scope)
        # The rest of the request sees the token's user, never a session that came along.
        request.user = user
        _use_saved_language(request, user)
        return ApiCaller(user=user, token=token)


class SessionCookie(APIKeyCookie):
    """The browser session, with Django's CSRF check on unsafe methods."""

    param_name = settings.SESSION_COOKIE_NAME
    openapi_description = (
        "The signed-in browser session (staff: past the second factor); unsafe methods need the CSRF token."
    )

    def authenticate(self, request: HttpRequest, key: str | None) -> ApiCaller | None:
        user = request.user
        if isinstance(user, User) and user.is_authenticated:
            return ApiCaller(user=user)
        return None


def api_auth(scope: str) -> list[AuthBase]:
    """For `Router(auth=…)` or an operation's `auth=`: a token with `scope`, or the session."""
    return [BearerToken(scope), SessionCookie()]


def public_api_auth(scope: str) -> list[AuthBase]:
    """For public operations: anyone may call them, and a token that is sent needs `scope`."""
    return [BearerToken(scope, optional=True)]


def api_user(request: HttpRequest) -> User:
    """The user an authenticated API request acts as. Staff on a session must have passed
    their second factor, as on staff pages; a token was made past it."""
    caller: Any = getattr(request, "auth", None)
    if isinstance(caller, ApiCaller) and caller.token is not None and caller.user is not None:
        return caller.user
    user = request.user
    if not isinstance(user, User):
        raise PermissionDenied()
    if user.is_staff_role and not getattr(user, "is_verified", lambda: False)():
        raise PermissionDenied(
            _("Confirm your sign-in with your authenticator app before using the API."), code="otp_required"
        )
    return user
