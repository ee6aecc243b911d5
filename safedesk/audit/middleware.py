"""Notices people who keep asking for things they may not see (CASES.md T06).

A selector that refuses with `NotFound.probing(kind, ref)` (tickets, appeals) marks the refusal;
every such refusal is counted here for the signed-in person (or the network address), and one
`security.access_probe` event per burst goes to the audit log. The answer itself is untouched:
the same 404 as for something that does not exist. The API, which turns exceptions into
responses itself, calls `observe` from its handler.
"""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse

from safedesk.audit.services import note_refusal
from safedesk.lib.errors import NotFound
from safedesk.lib.net import client_ip

PROBE_VERB = "security.access_probe"


def observe(request: HttpRequest, exc: Exception, *, channel: str) -> None:
    if not isinstance(exc, NotFound) or not exc.probe:
        return
    note_refusal(
        PROBE_VERB,
        kind=exc.probe,
        actor=getattr(request, "user", None),
        ip=client_ip(request),
        ref=exc.probe_ref,
        outcome="not_found",
        details={"channel": channel, "method": str(request.method), "path": request.path[:200]},
    )


class AccessProbeMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> None:
        # Only watches: the error middleware above still turns the refusal into the 404 page.
        observe(request, exception, channel="web")
