"""Random public references: never sequential, never an integer key."""

from __future__ import annotations

import secrets

# Crockford-style alphabet without I, L, O, U: easy to read aloud on the phone.
ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
_BITS = 5  # the alphabet has 2**5 letters: five random bits pick one, uniformly


def new_ref(prefix: str, length: int = 8) -> str:
    # One call to the system's random source for the whole reference (secrets.choice asks it
    # once per letter).
    number = secrets.randbits(_BITS * length)
    body = "".join(ALPHABET[(number >> (_BITS * i)) & 0b11111] for i in range(length))
    return f"{prefix}-{body}" if prefix else body
