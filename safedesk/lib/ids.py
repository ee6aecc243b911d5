"""Random public references: never sequential, never an integer key."""

from __future__ import annotations

import secrets

# Crockford-style alphabet without I, L, O, U: easy to read aloud on the phone.
ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"


def new_ref(prefix: str, length: int = 8) -> str:
    body = "".join(secrets.choice(ALPHABET) for _ in range(length))
    return f"{prefix}-{body}" if prefix else body
