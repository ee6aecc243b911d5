"""SESSION_ENGINE for scale-out: sessions in the database (see the package)."""

from __future__ import annotations

from django.contrib.sessions.backends import db

from safedesk.accounts.sessions import FrozenRead


class SessionStore(FrozenRead, db.SessionStore):
    pass
