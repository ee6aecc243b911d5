"""Whether the machine's Redis answers (tests of the scale-out cache skip without one)."""

from __future__ import annotations

import socket


def redis_up() -> bool:
    try:
        with socket.create_connection(("127.0.0.1", 6379), timeout=0.5):
            return True
    except OSError:
        return False
