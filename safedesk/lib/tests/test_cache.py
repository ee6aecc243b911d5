"""The scale-out cache backend keeps one Redis client per connection pool and works like
Django's (on a real Redis; skipped when none answers on 127.0.0.1:6379)."""

from __future__ import annotations

import threading

import pytest

from safedesk.lib.cache import RedisCache
from safedesk.lib.tests.redis_server import redis_up

pytestmark = pytest.mark.skipif(not redis_up(), reason="no Redis on 127.0.0.1:6379")


def _backend() -> RedisCache:
    return RedisCache("redis://127.0.0.1:6379/14", {"KEY_PREFIX": "safedesk-cache-test"})


def test_it_reuses_one_client_per_pool() -> None:
    cache = _backend()
    first = cache._cache.get_client(write=True)
    assert cache._cache.get_client(write=False) is first  # one server: reads use the same pool
    assert first.connection_pool is cache._cache._get_connection_pool(True)  # type: ignore[attr-defined]


def test_it_stores_reads_and_deletes_from_several_threads() -> None:
    cache = _backend()
    cache.clear()
    failures: list[str] = []

    def work(n: int) -> None:
        for i in range(50):
            key = f"k{n}:{i}"
            cache.set(key, {"n": n, "i": i, "text": "提币"}, timeout=30)
            if cache.get(key) != {"n": n, "i": i, "text": "提币"}:
                failures.append(key)
        cache.delete(f"k{n}:0")

    threads = [threading.Thread(target=work, args=(n,)) for n in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert failures == []
    assert cache.get("k2:0") is None and cache.get("k2:49")["i"] == 49
    assert cache.add("counter", 0) and cache.incr("counter") == 1
    cache.clear()
