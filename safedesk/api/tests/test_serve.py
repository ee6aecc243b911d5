"""`safedesk serve` really serves: a uvicorn process on a free port, real HTTP, clean SIGTERM."""

from __future__ import annotations

import urllib.error
import urllib.request
from collections.abc import Iterator

import pytest

from safedesk.tests.serving import running_safedesk


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with running_safedesk(tmp_path_factory.mktemp("data")) as base:
        yield base


def test_it_serves_pages_api_and_static(server: str) -> None:
    with urllib.request.urlopen(server + "/") as resp:
        assert resp.status == 200
        assert "object-src 'none'" in resp.headers["Content-Security-Policy"]
        assert resp.headers["X-Content-Type-Options"] == "nosniff"
    with urllib.request.urlopen(server + "/api/v1/openapi.json") as resp:
        assert resp.status == 200 and b'"openapi"' in resp.read()
    with urllib.request.urlopen(server + "/static/safedesk/safedesk.css") as resp:
        assert resp.status == 200


def test_it_answers_unknown_paths_with_the_error_shape(server: str) -> None:
    for path in ("/.git/HEAD", "/api/v1/nothing-here"):
        with pytest.raises(urllib.error.HTTPError) as caught:
            urllib.request.urlopen(server + path)
        assert caught.value.code == 404
    req = urllib.request.Request(server + "/api/v1/nothing-here", headers={"Accept": "application/json"})
    with pytest.raises(urllib.error.HTTPError) as caught:
        urllib.request.urlopen(req)
    assert b'"code"' in caught.value.read()
