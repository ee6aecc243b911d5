"""The shape of an API token: `sdk_<key id>_<secret>`.

The key id (10 lowercase letters and digits) is not secret: it finds the token's row and names
it in lists and in the audit log. The secret is 40 letters and digits from the system's CSPRNG
(about 238 bits), so a plain SHA-256 of the whole token is enough to store: nothing short of
the token itself can be tried against it. The fixed `sdk_` prefix and length let people and
secret scanners recognise a leaked token.
"""

from __future__ import annotations

import hashlib
import re
import secrets
import string
from dataclasses import dataclass

PREFIX = "sdk_"
KEY_ID_LENGTH = 10
SECRET_LENGTH = 40
_KEY_ALPHABET = string.ascii_lowercase + string.digits
_SECRET_ALPHABET = string.ascii_letters + string.digits
_SHAPE = re.compile(rf"sdk_([a-z0-9]{{{KEY_ID_LENGTH}}})_([A-Za-z0-9]{{{SECRET_LENGTH}}})")


@dataclass(frozen=True)
class NewKey:
    key_id: str
    token: str  # shown once, never stored
    digest: str


def digest_of(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8", "replace")).hexdigest()


def generate() -> NewKey:
    key_id = "".join(secrets.choice(_KEY_ALPHABET) for _ in range(KEY_ID_LENGTH))
    secret = "".join(secrets.choice(_SECRET_ALPHABET) for _ in range(SECRET_LENGTH))
    token = f"{PREFIX}{key_id}_{secret}"
    return NewKey(key_id=key_id, token=token, digest=digest_of(token))


def key_id_of(token: str) -> str | None:
    """The key id of a well-formed token; None for anything else."""
    match = _SHAPE.fullmatch(token)
    return match.group(1) if match else None
