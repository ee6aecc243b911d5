"""Fixed-window rate limits kept in the cache (local memory embedded, Redis scaled out)."""

from __future__ import annotations

import hashlib
import time
from functools import lru_cache
from typing import Any

from django.core.cache import cache, caches
from django.core.cache.backends.redis import RedisCache

from safedesk.lib.errors import RateLimited


def hit(scope: str, ident: str, *, limit: int, window: int = 60) -> None:
    """Count one request of `ident` in `scope`; raise RateLimited once `limit` is passed."""
    hit_all(scope, [ident], limit=limit, window=window)


def hit_all(scope: str, idents: list[str], *, limit: int, window: int = 60) -> None:
    """Count one request of each of `idents` (say a client's address and its account) in
    `scope`; raise RateLimited once any of them has passed `limit`. Every ident is counted,
    refused or not, so a client cannot spend one limit by probing another."""
    if limit <= 0 or not idents:
        return
    now = time.time()
    bucket = int(now // window)
    keys = [f"rl:{scope}:{_digest(ident)}:{bucket}" for ident in idents]
    backend = caches["default"]
    counts = _redis_counts(backend, keys, window + 1) if isinstance(backend, RedisCache) else _counts(keys, window)
    if max(counts) > limit:
        raise RateLimited(retry_after=int(window - (now % window)) + 1)


def _digest(ident: str) -> str:
    return hashlib.blake2s(ident.encode("utf-8", "replace"), digest_size=12).hexdigest()


def _counts(keys: list[str], window: int) -> list[int]:
    counts = []
    for key in keys:
        cache.add(key, 0, timeout=window + 1)
        try:
            counts.append(cache.incr(key))
        except ValueError:
            # The key expired between add and incr: this request opens a new window.
            cache.set(key, 1, timeout=window + 1)
            counts.append(1)
    return counts


# Per key: count one, and give the counter its window's expiry if it has none (a new counter, or
# one a crash left without). A script runs atomically in Redis, so no counter can lose its expiry
# and every key of a request is counted in the same instant.
_COUNT_SCRIPT = """
local out = {}
for i, key in ipairs(KEYS) do
  local n = redis.call('INCR', key)
  if n == 1 or redis.call('TTL', key) == -1 then
    redis.call('EXPIRE', key, ARGV[1])
  end
  out[i] = n
end
return out
"""


@lru_cache(maxsize=1)
def _script(client: Any) -> Any:
    return client.register_script(_COUNT_SCRIPT)


def _redis_counts(backend: RedisCache, keys: list[str], ttl: int) -> list[int]:
    """All counters in one round trip and one command (EVALSHA of the script above; redis-py
    loads the script once per server if it is missing). Django's cache API would take three
    round trips per key: add, then incr, which first checks that the key exists."""
    # The cache's own client over its connection pool (safedesk.lib.cache keeps one per pool).
    client = backend._cache.get_client(write=True)
    full = [backend.make_and_validate_key(key) for key in keys]
    return [int(n) for n in _script(client)(keys=full, args=[ttl], client=client)]
