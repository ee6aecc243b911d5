"""HTTP inside `safedesk serve` through Django's WSGI handler (docs/decisions/0004): requests
driven in-process through the ASGI application, as uvicorn would call it."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import pytest
from asgiref.sync import async_to_sync
from django.core.signals import request_finished, request_started
from django.db import close_old_connections

from safedesk.asgi import application
from safedesk.audit.models import AuditEvent
from safedesk.tickets.models import Ticket


@pytest.fixture(autouse=True)
def _keep_the_test_connection() -> Any:
    # As Django's test client does: the request signals must not close the connection that
    # holds the test's transaction.
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


def _call(
    method: str, path: str, *, chunks: tuple[bytes | None, ...] = (b"",), headers: dict[str, str] | None = None
) -> tuple[int, dict[str, str], bytes]:
    """One request through the ASGI app; the body arrives in `chunks` (a client may send it in
    several messages); a chunk of None means the client disconnects there."""
    path, _sep, query = path.partition("?")
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": method,
        "scheme": "http",
        "path": path,
        "root_path": "",
        "query_string": query.encode(),
        "headers": [(b"host", b"testserver")] + [(k.lower().encode(), v.encode()) for k, v in (headers or {}).items()],
        "client": ("198.51.100.9", 40000),
        "server": ("testserver", 80),
    }
    incoming: list[dict[str, Any]] = []
    for i, chunk in enumerate(chunks):
        if chunk is None:
            incoming.append({"type": "http.disconnect"})
            break
        incoming.append({"type": "http.request", "body": chunk, "more_body": i < len(chunks) - 1})
    sent: list[dict[str, Any]] = []

    async def receive() -> dict[str, Any]:
        return incoming.pop(0) if incoming else {"type": "http.disconnect"}

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    async_to_sync(application)(scope, receive, send)
    if not sent:
        return 0, {}, b""
    start = sent[0]
    assert start["type"] == "http.response.start"
    assert sent[-1]["type"] == "http.response.body" and not sent[-1].get("more_body", False)
    head = {k.decode(): v.decode() for k, v in start["headers"]}
    return start["status"], head, b"".join(m.get("body", b"") for m in sent[1:])


def test_it_serves_a_page_with_its_headers(db: Any) -> None:
    status, headers, body = _call("GET", "/tickets/new/")
    assert status == 200
    assert headers["content-type"].startswith("text/html")
    assert "default-src 'self'" in headers["content-security-policy"]
    assert b'name="email"' in body


def test_it_takes_a_form_whose_body_arrives_in_pieces(db: Any, settings: Any) -> None:
    settings.SAFEDESK_TICKET_RATE_PER_HOUR = 100
    _status, headers, page = _call("GET", "/tickets/new/")
    cookie = re.search(r"csrftoken=([^;]+)", headers["set-cookie"])
    token = re.search(rb'name="csrfmiddlewaretoken" value="([^"]+)"', page)
    assert cookie and token
    form = urlencode(
        {
            "csrfmiddlewaretoken": token.group(1).decode(),
            "email": "pieces@example.com",
            "subject": "提币没有到账",
            "body": "我的 USDT 还没到账。" * 50,
        }
    ).encode()
    status, _h, _b = _call(
        "POST",
        "/tickets/new/",
        chunks=(form[:100], form[100:700], form[700:]),
        headers={
            "content-type": "application/x-www-form-urlencoded",
            "content-length": str(len(form)),
            "cookie": f"csrftoken={cookie.group(1)}",
        },
    )
    assert status == 303  # to the "check your email" page
    ticket = Ticket.objects.get(requester__email="pieces@example.com")
    assert ticket.subject == "提币没有到账"
    assert ticket.messages.get().body == "我的 USDT 还没到账。" * 50
    # The client's address reaches the view as REMOTE_ADDR (the audit trail records it).
    assert AuditEvent.objects.get(verb="ticket.created", target_ref=ticket.ref).ip == "198.51.100.9"


def test_it_refuses_a_form_without_its_csrf_token_and_changes_nothing(db: Any) -> None:
    form = urlencode({"email": "nocsrf@example.com", "subject": "a", "body": "b"}).encode()
    status, _h, _b = _call(
        "POST", "/tickets/new/", chunks=(form,), headers={"content-type": "application/x-www-form-urlencoded"}
    )
    assert status == 403
    assert not Ticket.objects.exists()


def test_it_runs_nothing_when_the_client_leaves_before_its_body_is_complete(db: Any) -> None:
    form = urlencode({"email": "gone@example.com", "subject": "a", "body": "b"}).encode()
    status, _h, _b = _call(
        "POST",
        "/tickets/new/",
        chunks=(form[:10], None),
        headers={"content-type": "application/x-www-form-urlencoded", "content-length": str(len(form))},
    )
    assert status == 0
    assert not Ticket.objects.exists()


def test_it_streams_a_static_file_whole(db: Any) -> None:
    status, headers, body = _call("GET", "/static/safedesk/safedesk.css")
    assert status == 200
    assert headers["content-type"].startswith("text/css")
    css = Path(__file__).resolve().parents[2] / "static" / "safedesk" / "safedesk.css"
    assert body == css.read_bytes()


def test_it_finishes_each_request_once_in_the_requests_thread(db: Any) -> None:
    """request_finished (which returns database connections) runs once per request, in the
    thread the request ran in: for a plain page in the same hop, for a streamed file after its
    last chunk."""
    import threading

    finished: list[int] = []
    started: list[int] = []

    def on_start(**_kw: Any) -> None:
        started.append(threading.get_ident())

    def on_finish(**_kw: Any) -> None:
        finished.append(threading.get_ident())

    request_started.connect(on_start)
    request_finished.connect(on_finish)
    try:
        assert _call("GET", "/tickets/new/")[0] == 200
        assert _call("GET", "/static/safedesk/safedesk.css")[0] == 200
    finally:
        request_started.disconnect(on_start)
        request_finished.disconnect(on_finish)
    assert len(started) == 2 and finished == started
