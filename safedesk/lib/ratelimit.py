"""Fixed-window rate limits kept in the cache (local memory embedded, Redis scaled out)."""

from __future__ import annotations

import hashlib
import time

from django.core.cache import cache

from safedesk.lib.errors import RateLimited


def hit(scope: str, ident: str, *, limit: int, window: int = 60) -> None:
    """Count one request of `ident` in `scope`; raise RateLimited once `limit` is passed."""
    if limit <= 0:
        return
    now = time.time()
    bucket = int(now // window)
    digest = hashlib.blake2s(ident.encode("utf-8", "replace"), digest_size=12).hexdigest()
    key = f"rl:{scope}:{digest}:{bucket}"
    cache.add(key, 0, timeout=window + 1)
    try:
        count = cache.incr(key)
    except ValueError:
        # The key expired between add and incr: this request opens a new window.
        cache.set(key, 1, timeout=window + 1)
        count = 1
    if count > limit:
        raise RateLimited(retry_after=int(window - (now % window)) + 1)
