"""Email-verification links: signed, time-limited and single-use.

The token carries the user's public id and a keyed hash of the state it was issued for (the
address and whether it is verified yet). Verifying changes that state, so a used link, or a
link for an address that has since changed, no longer matches. Reset links use Django's own
`default_token_generator` (bound to the password hash and last login).
"""

from __future__ import annotations

from django.core import signing
from django.utils.crypto import constant_time_compare, salted_hmac

from safedesk.accounts.models import User

VERIFY_MAX_AGE = 24 * 60 * 60
_SALT = "safedesk.accounts.verify-email"


def _state(user: User) -> str:
    verified = user.email_verified_at.isoformat() if user.email_verified_at else ""
    return salted_hmac(_SALT, f"{user.pk}|{user.email}|{verified}", algorithm="sha256").hexdigest()[:32]


def make_verify_token(user: User) -> str:
    return signing.dumps({"u": str(user.public_id), "s": _state(user)}, salt=_SALT)


def read_verify_token(token: str) -> tuple[str, str] | None:
    """(public id, state hash) of a well-signed, unexpired token; None otherwise."""
    try:
        payload = signing.loads(token, salt=_SALT, max_age=VERIFY_MAX_AGE)
    except signing.BadSignature:  # includes SignatureExpired
        return None
    if not isinstance(payload, dict) or not isinstance(payload.get("u"), str) or not isinstance(payload.get("s"), str):
        return None
    return payload["u"], payload["s"]


def state_matches(user: User, state: str) -> bool:
    return constant_time_compare(_state(user), state)
