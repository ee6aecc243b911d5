"""The session engines (Django's database and cached-database stores with the row read by a
frozen query) load a live session, and neither an expired nor an unknown one."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.contrib.sessions.models import Session
from django.core.cache import cache
from django.utils import timezone

from safedesk.accounts.sessions import cached_db, db

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("engine", [db, cached_db], ids=["db", "cached_db"])
def test_it_loads_live_sessions_only(engine: object) -> None:
    store = engine.SessionStore()  # type: ignore[attr-defined]
    store["note"] = "提币"
    store.save()
    key = store.session_key
    assert engine.SessionStore(key)["note"] == "提币"  # type: ignore[attr-defined]

    Session.objects.filter(session_key=key).update(expire_date=timezone.now() - timedelta(seconds=1))
    if engine is cached_db:
        cache.delete(cached_db.SessionStore(key).cache_key)  # the copy the cache kept
    expired = engine.SessionStore(key)  # type: ignore[attr-defined]
    assert expired.get("note") is None
    assert expired.session_key is None  # forgotten: a new session gets a new key

    unknown = engine.SessionStore("x" * 32)  # type: ignore[attr-defined]
    assert unknown.get("note") is None and unknown.session_key is None
