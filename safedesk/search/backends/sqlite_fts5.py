"""SQLite FTS5: an fts5 table `search_fts(title, body, meta)` whose rowid is the document id.

Terms are stored joined by spaces; each query term is a double-quoted FTS5 string (quotes
doubled), so no user character can become FTS5 syntax. `meta` holds kind and language markers
(`karticle`, `lzhhans`) and is the only column user terms can never reach (column filter).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.db import connection

from safedesk.search.backends import Group, Row

# bm25() weights per column: title (with tags) counts five times the body; meta not at all.
TITLE_WEIGHT = 5.0
BODY_WEIGHT = 1.0

CREATE_SQL = [
    "CREATE VIRTUAL TABLE IF NOT EXISTS search_fts USING fts5("
    "title, body, meta, tokenize = 'unicode61 remove_diacritics 0', prefix = '2 3')",
    # Whatever removes a document (the ORM, a test flush) removes its terms.
    "CREATE TRIGGER IF NOT EXISTS search_document_fts_delete AFTER DELETE ON search_searchdocument "
    "BEGIN DELETE FROM search_fts WHERE rowid = old.id; END",
]
DROP_SQL = ["DROP TRIGGER IF EXISTS search_document_fts_delete", "DROP TABLE IF EXISTS search_fts"]


def marker(prefix: str, value: str) -> str:
    return prefix + "".join(c for c in value.lower() if c.isascii() and c.isalnum())


def quote(token: str) -> str:
    return '"' + token.replace('"', '""') + '"'


def compile_alt(tokens: tuple[str, ...], prefix: bool) -> str:
    return quote(" ".join(tokens)) + ("*" if prefix else "")


def compile_groups(groups: Sequence[Group], *, require_all: bool) -> str:
    parts = ["(" + " OR ".join(compile_alt(a.tokens, a.prefix) for a in group) + ")" for group in groups]
    return (" AND " if require_all else " OR ").join(parts)


class SqliteFts5Backend:
    # bm25() costs about a microsecond per matching row and phrase.
    candidate_cap = 1000

    def store(self, rows: Sequence[Row]) -> None:
        with connection.cursor() as cursor:
            cursor.executemany("DELETE FROM search_fts WHERE rowid = %s", [(r.doc_id,) for r in rows])
            cursor.executemany(
                "INSERT INTO search_fts (rowid, title, body, meta) VALUES (%s, %s, %s, %s)",
                [
                    (
                        r.doc_id,
                        " ".join(r.title_terms),
                        " ".join(r.body_terms),
                        marker("k", r.kind) + " " + marker("l", r.lang),
                    )
                    for r in rows
                ],
            )

    def match(
        self,
        groups: Sequence[Group],
        *,
        require_all: bool,
        title_only: bool,
        kinds: Sequence[str],
        lang: str | None,
        same_lang: bool,
        exclude: Sequence[int],
        limit: int,
    ) -> list[tuple[int, float]]:
        if not groups or not kinds:
            return []
        expr = (
            ("title" if title_only else "{title body}") + " : (" + compile_groups(groups, require_all=require_all) + ")"
        )
        expr += " AND meta : (" + " OR ".join(quote(marker("k", k)) for k in kinds) + ")"
        if lang is not None:
            expr += (" AND " if same_lang else " NOT ") + "meta : " + quote(marker("l", lang))
        # Only constants are formatted into the SQL; the match expression is a bound parameter.
        sql = (
            f"SELECT rowid, bm25(search_fts, {TITLE_WEIGHT}, {BODY_WEIGHT}, 0.0) AS r "  # noqa: S608
            "FROM search_fts WHERE search_fts MATCH %s"
        )
        params: list[Any] = [expr]
        if not title_only:
            with connection.cursor() as cursor:
                # Rows come in rowid order: the rowid of the cap-th newest match bounds the range.
                cursor.execute(
                    "SELECT rowid FROM search_fts WHERE search_fts MATCH %s ORDER BY rowid DESC LIMIT 1 OFFSET %s",
                    [expr, self.candidate_cap],
                )
                bound = cursor.fetchone()
            if bound is not None:
                sql += " AND rowid > %s"
                params.append(bound[0])
        if exclude:
            sql += " AND rowid NOT IN (" + ", ".join(["%s"] * len(exclude)) + ")"
            params.extend(exclude)
        sql += " ORDER BY r LIMIT %s"
        params.append(limit)
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            return [(int(doc_id), -float(rank)) for doc_id, rank in cursor.fetchall()]
