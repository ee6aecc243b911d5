"""Session engines: Django's database and cached-database stores, reading a session row with a
frozen query (`safedesk.lib.db.Frozen`, the SQL compiled once) instead of building and compiling
`Session.objects.get(...)` on every signed-in request (~0.5 ms of Python each time)."""

from __future__ import annotations

from typing import Any

from django.contrib.sessions.models import Session
from django.utils import timezone

from safedesk.lib.db import Frozen

_by_key: Frozen[Session] = Frozen(lambda key: Session.objects.filter(session_key=key), str)


class FrozenRead:
    """What Django's `_get_session_from_db` does: the row if it exists and has not expired,
    else None with the key forgotten (a new session gets a new key)."""

    session_key: Any
    _session_key: Any

    def _get_session_from_db(self) -> Session | None:
        key = self.session_key
        rows = _by_key(key) if isinstance(key, str) else []
        if rows and rows[0].expire_date > timezone.now():
            return rows[0]
        self._session_key = None
        return None
