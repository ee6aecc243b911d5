"""The version of the search index, kept in the shared cache: every index change bumps it, so
cached results computed before the change are never served after it."""

from __future__ import annotations

import uuid

from django.core.cache import cache
from django.db import transaction

INDEX_VERSION_KEY = "search:index:version"


def ensure_version(key: str) -> str:
    """The version stored under `key`, created if missing (add is atomic: concurrent creators
    agree on one value)."""
    version = cache.get(key)
    if version is None:
        cache.add(key, uuid.uuid4().hex, timeout=None)
        version = cache.get(key)
    return str(version)


def ensure_versions(*keys: str) -> list[str]:
    """Several versions in one round trip to the cache (each created if missing)."""
    found = cache.get_many(keys)
    return [str(found[key]) if key in found else ensure_version(key) for key in keys]


def bump_index_version() -> None:
    """Call inside the transaction that changes the index. Bumped at once (readers inside this
    transaction see fresh results) and again after commit (a reader that ran between the first
    bump and the commit may have cached the old state under the first new version)."""
    cache.set(INDEX_VERSION_KEY, uuid.uuid4().hex, timeout=None)
    transaction.on_commit(lambda: cache.set(INDEX_VERSION_KEY, uuid.uuid4().hex, timeout=None))
