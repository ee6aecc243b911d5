"""A real `safedesk serve` under many keep-alive connections at once: every request answers,
none with a 500, and the server logs no traceback (docs/decisions/0004). A request whose task
was created while another request was sending once inherited a finished executor from it and
answered 500 ("CurrentThreadExecutor already quit")."""

from __future__ import annotations

import http.client
import threading
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from safedesk.tests.serving import running_safedesk

pytestmark = pytest.mark.slow

CONNECTIONS = 8
REQUESTS = 60
PATHS = ("/", "/static/safedesk/safedesk.css", "/accounts/login/", "/tickets/new/")


def _client(host: str, port: int, statuses: list[int], errors: list[str]) -> None:
    conn = http.client.HTTPConnection(host, port, timeout=30)
    try:
        for i in range(REQUESTS):
            conn.request("GET", PATHS[i % len(PATHS)])  # one keep-alive connection throughout
            response = conn.getresponse()
            response.read()
            statuses.append(response.status)
    except OSError as exc:
        errors.append(repr(exc))
    finally:
        conn.close()


def test_it_answers_every_request_of_many_keep_alive_connections(tmp_path: Path) -> None:
    with running_safedesk(tmp_path / "data") as base:
        url = urlsplit(base)
        statuses: list[int] = []
        errors: list[str] = []
        threads = [
            threading.Thread(target=_client, args=(url.hostname, url.port, statuses, errors))
            for _ in range(CONNECTIONS)
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=120)
    # running_safedesk also fails the test when the server logged a traceback.
    assert errors == []
    assert len(statuses) == CONNECTIONS * REQUESTS
    assert set(statuses) == {200}
