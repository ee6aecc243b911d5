"""The PostgreSQL engine (safedesk/lib/postgresql): timestamps read with psycopg's compiled loader
are the values Django's own loader gives, tzinfo included."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from django.db import connection
from django.db.backends.postgresql.psycopg_any import BaseTzLoader, register_tzloader

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(connection.vendor != "postgresql", reason="the engine is PostgreSQL's"),
]

LITERALS = [
    "2026-12-02 14:19:28.123456+00",
    "2026-03-29 01:30:00+08",  # another zone's offset: PostgreSQL sends it in the session's zone
    "2026-10-25 01:59:59.999999-05",
    "1970-01-01 00:00:00+00",
    "0001-01-01 00:00:00+00",
    "9999-12-31 23:59:59.999999+00",
    "2024-02-29 12:00:00+05:45",
]
SQL = "SELECT " + ", ".join(f"'{v}'::timestamptz" for v in LITERALS) + ", NULL::timestamptz"


def test_engine_is_in_use_and_loads_timestamps_compiled() -> None:
    from safedesk.lib.postgresql.base import CompiledTimestamptzLoader

    assert connection.settings_dict["ENGINE"] == "safedesk.lib.postgresql"
    assert CompiledTimestamptzLoader is not None  # psycopg[binary] is in the lock file
    with connection.cursor() as cursor:
        assert cursor.cursor.adapters.get_loader(1184, 0) is CompiledTimestamptzLoader
    assert connection.connection.adapters.get_loader(1184, 0) is CompiledTimestamptzLoader


def test_values_equal_djangos_loader() -> None:
    with connection.cursor() as cursor:
        cursor.execute(SQL)
        fast = cursor.fetchone()
    # Django's own loader, on a cursor of the same connection
    raw = connection.connection.cursor()
    register_tzloader(connection.timezone, raw)
    assert issubclass(raw.adapters.get_loader(1184, 0), BaseTzLoader)
    raw.execute(SQL)
    slow = raw.fetchone()
    raw.close()
    assert fast == slow
    assert fast[-1] is None
    for f, s in zip(fast[:-1], slow[:-1], strict=True):
        assert isinstance(f, datetime)
        assert f.tzinfo is UTC and s.tzinfo is UTC
        assert (f.isoformat(), f.microsecond) == (s.isoformat(), s.microsecond)
    assert fast[1] == datetime(2026, 3, 28, 17, 30, tzinfo=UTC)


def test_orm_reads_aware_utc_datetimes() -> None:
    from django.contrib.sessions.models import Session

    when = datetime(2027, 1, 2, 3, 4, 5, 678901, tzinfo=UTC)
    Session.objects.create(session_key="k" * 32, session_data="", expire_date=when)
    got = Session.objects.get(session_key="k" * 32).expire_date
    assert got == when and got.tzinfo is UTC


def test_named_cursors_read_the_same_values() -> None:
    from django.contrib.sessions.models import Session
    from django.db import transaction

    # a server-side (named) cursor, as .iterator() uses
    with transaction.atomic(), connection.chunked_cursor() as cursor:
        cursor.execute(SQL)
        named = cursor.fetchone()
    with connection.cursor() as cursor:
        cursor.execute(SQL)
        assert cursor.fetchone() == named
    for i in range(3):
        Session.objects.create(session_key=f"n{i}" * 16, session_data="", expire_date=datetime(2027, 1, 1, tzinfo=UTC))
    with transaction.atomic():
        streamed = [s.expire_date for s in Session.objects.order_by("pk").iterator(chunk_size=2)]
    assert streamed == [s.expire_date for s in Session.objects.order_by("pk")]
    assert len(streamed) == 3 and all(d.tzinfo is UTC for d in streamed)


def test_a_statement_of_many_parameters_is_converted_once() -> None:
    """The guest ticket's one statement has more than psycopg's default 50 parameters: with the
    engine's higher limit its placeholder conversion is kept and reused."""
    from psycopg import _queries

    from safedesk.lib.postgresql.base import CACHED_STATEMENT_PARAMS

    assert _queries.MAX_CACHED_STATEMENT_PARAMS >= CACHED_STATEMENT_PARAMS
    sql = "SELECT " + ", ".join(["%s::int"] * 62)
    _queries._query2pg.cache_clear()
    with connection.cursor() as cursor:
        for n in range(3):
            cursor.execute(sql, list(range(n, n + 62)))
            assert cursor.fetchone() == tuple(range(n, n + 62))
    info = _queries._query2pg.cache_info()
    assert info.misses == 1 and info.hits >= 2
