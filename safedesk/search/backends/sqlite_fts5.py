"""SQLite FTS5: an fts5 table `search_fts(title, body, meta)` whose rowid is the document id.

Terms are stored joined by spaces; each query term is a double-quoted FTS5 string (quotes
doubled), so no user character can become FTS5 syntax. `meta` holds kind and language markers
(`karticle`, `lzhhans`) for inspection; searches select kind and language by rowid range (see
KIND_CODES in backends/__init__.py), which FTS5 seeks without reading the markers.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.db import connection

from safedesk.search.backends import KIND_CODES, LANG_CODES, PART_SHIFT, SEQ_MASK, Group, Row, partition

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

    def any_match(self, groups: Sequence[Group], *, kinds: Sequence[str]) -> bool:
        if not groups or not kinds:
            return False
        expr = "{title body} : (" + compile_groups(groups, require_all=True) + ")"
        with connection.cursor() as cursor:
            for low, high in self._ranges(kinds, None, True):
                cursor.execute(
                    "SELECT 1 FROM search_fts WHERE search_fts MATCH %s AND rowid >= %s AND rowid <= %s LIMIT 1",
                    [expr, low, high],
                )
                if cursor.fetchone() is not None:
                    return True
        return False

    def allocate_ids(self, keys: Sequence[tuple[str, str]]) -> list[int] | None:
        # SQLite has one writer at a time (BEGIN IMMEDIATE), so reading the highest sequence
        # number inside the indexing transaction cannot race with another writer.
        with connection.cursor() as cursor:
            cursor.execute(f"SELECT COALESCE(MAX(id & {SEQ_MASK}), 0) FROM search_searchdocument")  # noqa: S608
            (last,) = cursor.fetchone()
        return [(partition(kind, lang) << PART_SHIFT) | (last + i + 1) for i, (kind, lang) in enumerate(keys)]

    def _ranges(self, kinds: Sequence[str], lang: str | None, same_lang: bool) -> list[tuple[int, int]]:
        langs = [code for code in LANG_CODES if lang is None or (code == lang) == same_lang]
        parts = sorted(partition(k, code) for k in kinds if k in KIND_CODES for code in langs)
        ranges: list[tuple[int, int]] = []
        for part in parts:
            low, high = part << PART_SHIFT, ((part + 1) << PART_SHIFT) - 1
            if ranges and ranges[-1][1] + 1 == low:
                ranges[-1] = (ranges[-1][0], high)
            else:
                ranges.append((low, high))
        return ranges

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
        found: list[tuple[int, float]] = []
        for low, high in self._ranges(kinds, lang, same_lang):
            found.extend(
                self._match_range(
                    expr,
                    low,
                    high,
                    title_only=title_only,
                    exclude=exclude,
                    limit=limit,
                    cap=self.candidate_cap,
                )
            )
        found.sort(key=lambda item: -item[1])
        return found[:limit]

    def _match_range(
        self, expr: str, low: int, high: int, *, title_only: bool, exclude: Sequence[int], limit: int, cap: int
    ) -> list[tuple[int, float]]:
        # Only constants are formatted into the SQL; the match expression is a bound parameter.
        sql = (
            f"SELECT rowid, bm25(search_fts, {TITLE_WEIGHT}, {BODY_WEIGHT}, 0.0) AS r "  # noqa: S608
            "FROM search_fts WHERE search_fts MATCH %s AND rowid >= %s AND rowid <= %s"
        )
        params: list[Any] = [expr, low, high]
        if not title_only:
            with connection.cursor() as cursor:
                # Rows come in rowid order: the rowid of the cap-th newest match bounds the range.
                cursor.execute(
                    "SELECT rowid FROM search_fts WHERE search_fts MATCH %s AND rowid >= %s AND rowid <= %s "
                    "ORDER BY rowid DESC LIMIT 1 OFFSET %s",
                    [expr, low, high, cap],
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
