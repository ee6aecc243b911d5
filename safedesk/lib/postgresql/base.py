"""Django's PostgreSQL backend with one change: `timestamptz` values are parsed by psycopg's
compiled (C) loader instead of the pure-Python one Django registers.

Django registers its own loader for `timestamptz` (a Python subclass of psycopg's Python
loader that replaces the parsed value's tzinfo with the connection's time zone), so every
timestamp read goes through Python string parsing: ~5.8 µs each on this project's machine, and
an inbox page reads ~110 of them (0.6 ms of its ~9 ms of CPU). psycopg's compiled loader gives
the same value when the session time zone is UTC, which is what Django sets whenever USE_TZ is
on and the database has no TIME_ZONE of its own: it parses the offset PostgreSQL sends and
returns an aware datetime in the session's zone, for "UTC" `datetime.timezone.utc`, exactly
Django's tzinfo. The loader is registered on each new connection, and `create_cursor` skips
Django's check that reads a `timezone` attribute from the connection's loader (the compiled
class has none). Without the compiled package (psycopg's `binary` or `c` extra), or with any
other time-zone set-up, this is Django's backend unchanged. `tests/test_postgresql_engine.py`
checks the values against Django's loader.
"""

from __future__ import annotations

from datetime import UTC
from typing import Any

from django.conf import settings
from django.db.backends.postgresql import base
from psycopg.pq import Format

try:  # the compiled implementation, when installed
    from psycopg_binary._psycopg import TimestamptzLoader as CompiledTimestamptzLoader  # type: ignore[attr-defined]
except ImportError:  # pragma: no cover - depends on the installed psycopg
    try:
        from psycopg_c._psycopg import TimestamptzLoader as CompiledTimestamptzLoader
    except ImportError:
        CompiledTimestamptzLoader = None

TIMESTAMPTZ_OID = 1184

# psycopg converts a query's `%s` placeholders to `$n` once per query text and keeps the result
# (an LRU of 128 texts), but only for texts of at most 50 parameters: the one statement that
# writes a guest's new ticket (`lib.db.inserts_together`) has 62, so it was converted anew on
# every request (~0.3 ms of Python). The limit is a module setting of psycopg's, read on each
# conversion; raising it keeps such statements too (still 128 texts at most).
CACHED_STATEMENT_PARAMS = 200
try:
    from psycopg import _queries as _psycopg_queries

    if getattr(_psycopg_queries, "MAX_CACHED_STATEMENT_PARAMS", CACHED_STATEMENT_PARAMS) < CACHED_STATEMENT_PARAMS:
        _psycopg_queries.MAX_CACHED_STATEMENT_PARAMS = CACHED_STATEMENT_PARAMS
except ImportError:  # pragma: no cover - a psycopg without the module: nothing to raise
    pass


class DatabaseWrapper(base.DatabaseWrapper):
    def compiled_timestamps(self) -> bool:
        """Whether this connection reads timestamps with the compiled loader."""
        return (
            CompiledTimestamptzLoader is not None
            and settings.USE_TZ
            and self.timezone_name == "UTC"
            and self.timezone is UTC
        )

    def get_new_connection(self, conn_params: dict[str, Any]) -> Any:
        connection = super().get_new_connection(conn_params)
        if self.compiled_timestamps():
            # The connection's own adapter map (a copy-on-write of Django's template).
            connection.adapters.register_loader(TIMESTAMPTZ_OID, CompiledTimestamptzLoader)
        return connection

    def create_cursor(self, name: str | None = None) -> Any:
        if self.connection.adapters.get_loader(TIMESTAMPTZ_OID, Format.TEXT) is not CompiledTimestamptzLoader:
            return super().create_cursor(name)
        # Django's create_cursor without its time-zone check (it reads a `timezone` attribute
        # from the connection's loader, to register its own loader when they disagree; the
        # compiled loader follows the session's time zone, which Django keeps at UTC).
        if name is None:
            return self.connection.cursor()
        if self.settings_dict["OPTIONS"].get("server_side_binding") is not True:
            return base.ServerSideCursor(  # type: ignore[call-arg]  # (psycopg's cursor signature)
                self.connection, name=name, scrollable=False, withhold=self.connection.autocommit
            )
        return self.connection.cursor(name, scrollable=False, withhold=self.connection.autocommit)
