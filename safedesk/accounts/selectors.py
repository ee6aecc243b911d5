"""Reads of accounts state: API tokens (one's own, every one for administrators, and the token
behind an `Authorization` header)."""

from __future__ import annotations

import hmac
import uuid
from dataclasses import dataclass
from typing import Any

from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from safedesk.accounts import apikeys
from safedesk.accounts.models import ApiToken, Role, User
from safedesk.lib.db import Frozen
from safedesk.lib.errors import InvalidInput, NotFound

OWN_TOKENS_SHOWN = 100
ADMIN_PAGE = 50


def own_tokens(user: User) -> list[ApiToken]:
    """The user's tokens, newest first, revoked and expired ones included (they say when)."""
    return list(
        ApiToken.objects.filter(user=user).select_related("user", "revoked_by").order_by("-id")[:OWN_TOKENS_SHOWN]
    )


def active_token_count(user: User) -> int:
    now = timezone.now()
    return ApiToken.objects.filter(user=user, revoked_at__isnull=True).exclude(expires_at__lte=now).count()


def _token_key(public_id: Any) -> uuid.UUID | None:
    try:
        return uuid.UUID(str(public_id))
    except ValueError:
        return None


def access_api_token(user: Any, public_id: Any) -> ApiToken:
    """The token at `public_id` if it is the user's own, or any token for an administrator;
    NotFound otherwise (someone else's token and no token read the same)."""
    key = _token_key(public_id)
    if key is None or not getattr(user, "is_authenticated", False) or not user.is_active:
        raise NotFound()
    query = ApiToken.objects.select_related("user").filter(public_id=key)
    if not user.has_role(Role.ADMIN):
        query = query.filter(user=user)
    token = query.first()
    if token is None:
        raise NotFound()
    return token


@dataclass(frozen=True)
class TokenPage:
    tokens: list[ApiToken]
    next_after: str | None  # public id of the last token shown, for the next page


def all_tokens(*, owner: str = "", active_only: bool = False, after: Any = None) -> TokenPage:
    """Every user's tokens for the administrators' page, newest first, paged by public id."""
    query: QuerySet[ApiToken] = ApiToken.objects.select_related("user", "revoked_by")
    if owner:
        query = query.filter(user__email__iexact=owner.strip())
    if active_only:
        query = query.filter(revoked_at__isnull=True).exclude(expires_at__lte=timezone.now())
    if after not in (None, ""):
        key = _token_key(after)
        position = query.filter(public_id=key).values_list("id", flat=True).first() if key else None
        if position is None:
            raise InvalidInput(
                _("The page position is not valid. Start again from the first page."), code="invalid_cursor"
            )
        query = query.filter(id__lt=position)
    rows = list(query.order_by("-id")[: ADMIN_PAGE + 1])
    more = len(rows) > ADMIN_PAGE
    rows = rows[:ADMIN_PAGE]
    return TokenPage(tokens=rows, next_after=str(rows[-1].public_id) if more and rows else None)


def token_for(raw: str) -> ApiToken | None:
    """The usable token whose whole text is `raw`, with its user; None for a malformed,
    unknown, revoked or expired token or an inactive user (the caller answers all alike).

    The hash is computed even for text of the wrong shape, so that how long a refusal takes
    says little about why."""
    digest = apikeys.digest_of(raw)
    key_id = apikeys.key_id_of(raw)
    if key_id is None:
        return None
    token = ApiToken.objects.select_related("user").filter(key_id=key_id).first()
    if token is None or not hmac.compare_digest(digest, token.secret_hash):
        return None
    if not token.is_usable():
        return None
    return token


_by_email: Frozen[User] = Frozen(lambda email: User.objects.filter(email=email).order_by("pk")[:1], str)


def user_by_email(address: str) -> User | None:
    """The account of a normalised address (`services.normalize_email`), or None. Guest
    submissions look the requester up on every request."""
    found = _by_email(address)
    return found[0] if found else None
