"""Run a real `safedesk` process for tests that need one (HTTP, browser)."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

BIN = Path(sys.executable).parent


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def embedded_env(data_dir: Path, port: int) -> dict[str, str]:
    """The embedded default, whatever database the surrounding test run uses."""
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


@contextmanager
def running_safedesk(data_dir: Path, *, demo: bool = False, extra_env: dict[str, str] | None = None) -> Iterator[str]:
    """Yield the base URL of a `safedesk serve` process; stop it with SIGTERM and check it exited 0."""
    port = free_port()
    env = embedded_env(data_dir, port) | (extra_env or {})
    if demo:
        subprocess.run([str(BIN / "safedesk"), "demo"], env=env, check=True, capture_output=True, timeout=300)
    # The server's output goes to a file (a pipe nobody reads would stall a chatty server).
    data_dir.mkdir(parents=True, exist_ok=True)
    log_path = data_dir / "serve.log"
    log = log_path.open("wb")
    proc = subprocess.Popen([str(BIN / "safedesk"), "serve"], env=env, stdout=log, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    try:
        wait_for(base + "/")
        yield base
    except BaseException:
        # A failing test shows what the server said (pytest prints captured output on failure).
        log.flush()
        tail = log_path.read_text(encoding="utf-8", errors="replace")[-6000:]
        sys.stderr.write(f"--- {log_path} (last 6,000 characters) ---\n{tail}\n")
        raise
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            raise
        finally:
            log.close()
    output = log_path.read_text(encoding="utf-8", errors="replace")
    assert proc.returncode == 0, output
    assert "Traceback" not in output, output
