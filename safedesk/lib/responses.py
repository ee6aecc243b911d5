"""One error body shape everywhere: {"code", "message"} in JSON, the same in HTML pages."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.template.loader import render_to_string

from safedesk.lib.errors import RateLimited, SafedeskError


def wants_json(request: HttpRequest) -> bool:
    if request.path.startswith("/api/"):
        return True
    accept = request.headers.get("Accept", "")
    return "application/json" in accept and "text/html" not in accept


def error_response(request: HttpRequest, exc: SafedeskError) -> HttpResponse:
    response: HttpResponse
    if wants_json(request):
        response = JsonResponse(exc.as_dict(), status=exc.status, json_dumps_params={"ensure_ascii": False})
    else:
        html = render_to_string("error.html", {"error": exc.as_dict(), "status": exc.status}, request=request)
        response = HttpResponse(html, status=exc.status)
    if isinstance(exc, RateLimited):
        response["Retry-After"] = str(exc.retry_after)
    return response
