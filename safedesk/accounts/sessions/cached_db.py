"""SESSION_ENGINE for embedded mode: sessions in the database, read through the in-process
cache (see the package)."""

from __future__ import annotations

from django.contrib.sessions.backends import cached_db

from safedesk.accounts.sessions import FrozenRead


class SessionStore(FrozenRead, cached_db.SessionStore):
    pass
