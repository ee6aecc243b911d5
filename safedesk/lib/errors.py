"""Refusals with a stable code and a translated message.

Services raise these; views, the API and consumers turn them into a clear 4xx (or an error
frame) — never a 500 and never a stack trace.
"""

from __future__ import annotations

from typing import Any

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _


class SafedeskError(Exception):
    code = "error"
    status = 400
    default_message: str | Promise = _("The request could not be processed.")

    def __init__(self, message: str | Promise | None = None, *, code: str | None = None, **params: Any) -> None:
        self.message = message if message is not None else self.default_message
        if code is not None:
            self.code = code
        self.params = params
        super().__init__(str(self.message))

    def as_dict(self) -> dict[str, Any]:
        body: dict[str, Any] = {"code": self.code, "message": str(self.message)}
        if self.params:
            body["details"] = {k: v for k, v in self.params.items() if isinstance(v, str | int | float | bool)}
        return body


class InvalidInput(SafedeskError):
    code = "invalid_input"
    default_message = _("The input is not valid.")


class NotFound(SafedeskError):
    code = "not_found"
    status = 404
    default_message = _("Nothing was found at this address.")
    # What was looked for ("tickets.ticket") and the reference asked for, so that repeated misses
    # can be noticed (CASES.md T06). Never part of the response body: a miss must read the same
    # whether the thing is someone else's or does not exist.
    probe = ""
    probe_ref = ""

    @classmethod
    def probing(cls, kind: str, ref: Any) -> NotFound:
        exc = cls()
        exc.probe = kind
        exc.probe_ref = str(ref)[:80] if isinstance(ref, str | int) else ""
        return exc


class PermissionDenied(SafedeskError):
    code = "permission_denied"
    status = 403
    default_message = _("You are not allowed to do this.")


class Conflict(SafedeskError):
    code = "conflict"
    status = 409
    default_message = _("This was changed by someone else. Reload and try again.")


class RateLimited(SafedeskError):
    code = "rate_limited"
    status = 429
    default_message = _("Too many requests. Please wait a moment and try again.")

    def __init__(self, retry_after: int, message: str | Promise | None = None) -> None:
        self.retry_after = max(1, int(retry_after))
        super().__init__(message)


class MethodNotAllowed(SafedeskError):
    code = "method_not_allowed"
    status = 405
    default_message = _("This address does not accept this kind of request.")


class Unavailable(SafedeskError):
    code = "temporarily_unavailable"
    status = 503
    default_message = _("This service is temporarily unavailable. Please try again shortly.")
