"""Fixed-window rate limits, on the embedded cache (local memory) and on a real Redis (the
scale-out cache; skipped when no Redis answers on 127.0.0.1:6379)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from django.core.cache import caches

from safedesk.lib import ratelimit
from safedesk.lib.errors import RateLimited
from safedesk.lib.tests.redis_server import redis_up


@pytest.fixture(params=["locmem", "redis"])
def backend(request: Any, settings: Any) -> Iterator[str]:
    if request.param == "redis":
        if not redis_up():
            pytest.skip("no Redis on 127.0.0.1:6379")
        settings.CACHES = {
            "default": {
                "BACKEND": "safedesk.lib.cache.RedisCache",
                "LOCATION": "redis://127.0.0.1:6379/14",
                "KEY_PREFIX": "safedesk-ratelimit-test",
            }
        }
    caches["default"].clear()
    yield request.param
    caches["default"].clear()


def test_it_refuses_the_request_after_the_limit_with_a_retry_time(backend: str) -> None:
    for _ in range(3):
        ratelimit.hit("probe", "198.51.100.1", limit=3, window=60)
    with pytest.raises(RateLimited) as refused:
        ratelimit.hit("probe", "198.51.100.1", limit=3, window=60)
    assert 1 <= refused.value.retry_after <= 61
    ratelimit.hit("probe", "198.51.100.2", limit=3, window=60)  # another client has its own count
    ratelimit.hit("other-scope", "198.51.100.1", limit=3, window=60)  # and another scope


def test_it_counts_every_ident_of_a_request(backend: str) -> None:
    ratelimit.hit_all("submit", ["ip:198.51.100.1", "email:a@example.com"], limit=2, window=60)
    ratelimit.hit_all("submit", ["ip:198.51.100.1", "email:b@example.com"], limit=2, window=60)
    # The address has been counted twice, so a third request from it is refused whatever the
    # email; the refused request still counts against the new email address.
    with pytest.raises(RateLimited):
        ratelimit.hit_all("submit", ["ip:198.51.100.1", "email:c@example.com"], limit=2, window=60)
    ratelimit.hit_all("submit", ["ip:198.51.100.9", "email:c@example.com"], limit=2, window=60)
    with pytest.raises(RateLimited):
        ratelimit.hit_all("submit", ["ip:198.51.100.8", "email:c@example.com"], limit=2, window=60)


def test_it_lets_every_counter_expire_with_its_window(backend: str) -> None:
    ratelimit.hit("probe", "198.51.100.1", limit=5, window=60)
    if backend == "redis":
        client = caches["default"]._cache.get_client(None)  # type: ignore[attr-defined]
        keys = client.keys("safedesk-ratelimit-test:*rl:probe:*")
        assert len(keys) == 1
        assert 0 < client.ttl(keys[0]) <= 61  # never a counter without an expiry
        assert int(client.get(keys[0])) == 1
        # A counter left without an expiry (say, written by hand or by an older release) gets
        # one on its next count instead of limiting its client for ever.
        client.persist(keys[0])
        ratelimit.hit("probe", "198.51.100.1", limit=5, window=60)
        assert 0 < client.ttl(keys[0]) <= 61 and int(client.get(keys[0])) == 2


def test_it_is_off_with_a_limit_of_zero(backend: str) -> None:
    for _ in range(10):
        ratelimit.hit("probe", "198.51.100.1", limit=0)
