"""The scale-out cache: Django's Redis backend, keeping one Redis client per connection pool.

Django's backend builds a new `redis.Redis` object for every cache call, and building one copies
the library's table of reply handlers (some 170 entries): on this machine that costs more CPU
than the round trip it wraps. A client object holds no connection of its own (each command takes
one from the pool and gives it back) and may be shared by threads, so one per pool is enough.
Pools are made on first use; redis-py replaces a pool's connections in a forked child.
"""

from __future__ import annotations

from typing import Any

from django.core.cache.backends.redis import RedisCache as DjangoRedisCache
from django.core.cache.backends.redis import RedisCacheClient


class KeptClientCacheClient(RedisCacheClient):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._clients: dict[int, Any] = {}

    def get_client(self, key: Any = None, *, write: bool = False) -> Any:
        pool = self._get_connection_pool(write)  # type: ignore[attr-defined]
        client = self._clients.get(id(pool))
        if client is None:
            client = self._clients[id(pool)] = self._client(connection_pool=pool)  # type: ignore[attr-defined]
        return client


class RedisCache(DjangoRedisCache):
    def __init__(self, server: str, params: dict[str, Any]) -> None:
        super().__init__(server, params)
        self._class = KeptClientCacheClient
