"""`safedesk serve` really serves: a uvicorn process on a free port, real HTTP, clean SIGTERM."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

BIN = Path(sys.executable).parent


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def embedded_env(data_dir: Path, port: int) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("SAFEDESK_") and k != "DATABASE_URL"}
    env.update({"SAFEDESK_DATA_DIR": str(data_dir), "SAFEDESK_PORT": str(port), "SAFEDESK_MODE": "embedded"})
    return env


def wait_for(url: str, timeout: float = 90.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=2):
                return
        except OSError:
            time.sleep(0.3)
    raise AssertionError(f"{url} did not answer within {timeout} s")


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    data_dir = tmp_path_factory.mktemp("data")
    port = free_port()
    proc = subprocess.Popen(
        [str(BIN / "safedesk"), "serve"],
        env=embedded_env(data_dir, port),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        wait_for(base + "/")
        yield base
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            raise
    assert proc.returncode == 0, proc.stdout.read().decode() if proc.stdout else ""


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
