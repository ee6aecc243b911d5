"""PostgreSQL full text: a `search_vector tsvector` column on the document table (title and tags
weight A, body weight B) with a GIN index, ranked by ts_rank.

The terms come from our own segmenter, so the vector and the query are built as tsvector /
tsquery literals (every lexeme single-quoted and escaped) and passed as bound parameters: no
text search parser or configuration touches user text, and no user character becomes tsquery
syntax. This is what the 'simple' configuration would give for pre-segmented text, minus the
parser's own idea of word boundaries for Chinese.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Sequence
from typing import Any

from django.db import connection

from safedesk.search.backends import LANG_CODES, Group, Row

CREATE_SQL = [
    "ALTER TABLE search_searchdocument ADD COLUMN search_vector tsvector, ADD COLUMN search_title tsvector",
    # fastupdate off: a pending list that only VACUUM flushes made searches scan it linearly
    # (9 ms instead of 0.1 ms after a bulk index of 10k documents).
    "CREATE INDEX search_document_vector_gin ON search_searchdocument "
    "USING GIN (search_vector) WITH (fastupdate = off)",
    # Titles and tags alone: the first, cheap tier of every search.
    "CREATE INDEX search_document_title_gin ON search_searchdocument USING GIN (search_title) WITH (fastupdate = off)",
]
DROP_SQL = [
    "DROP INDEX IF EXISTS search_document_title_gin",
    "DROP INDEX IF EXISTS search_document_vector_gin",
    "ALTER TABLE search_searchdocument DROP COLUMN IF EXISTS search_vector, DROP COLUMN IF EXISTS search_title",
]

# ts_rank weights for {D, C, B, A}: a title (A) term counts five times a body (B) term.
RANK_WEIGHTS = "{0.1, 0.1, 0.2, 1.0}"
# Positions above 16383 are clamped by PostgreSQL; at most 256 positions per lexeme are kept.
_MAX_POS = 16383
_MAX_POSITIONS_PER_LEXEME = 64


def lexeme(token: str) -> str:
    return "'" + token.replace("\\", "\\\\").replace("'", "''") + "'"


def vector_literal(title_terms: Sequence[str], body_terms: Sequence[str]) -> str:
    positions: dict[str, list[str]] = {}
    pos = 0
    for weight, terms in (("A", title_terms), ("B", body_terms)):
        for term in terms:
            pos = min(pos + 1, _MAX_POS)
            slot = positions.setdefault(term, [])
            if len(slot) < _MAX_POSITIONS_PER_LEXEME:
                slot.append(f"{pos}{weight}")
        pos = min(pos + 1, _MAX_POS)  # no phrase across the title/body boundary
    return " ".join(f"{lexeme(t)}:{','.join(p)}" for t, p in positions.items())


def compile_alt(tokens: tuple[str, ...], prefix: bool) -> str:
    if prefix:
        return lexeme(tokens[0]) + ":*"
    if len(tokens) == 1:
        return lexeme(tokens[0])
    return "(" + " <-> ".join(lexeme(t) for t in tokens) + ")"


def compile_groups(groups: Sequence[Group], *, require_all: bool) -> str:
    parts = ["(" + " | ".join(compile_alt(a.tokens, a.prefix) for a in group) + ")" for group in groups]
    return (" & " if require_all else " | ").join(parts)


# How long a process keeps PostgreSQL's per-lexeme document frequencies before reading them again.
_FREQUENCY_SECONDS = 300.0
_frequency_lock = threading.Lock()
_frequency_cache: dict[str, tuple[float, dict[str, float]]] = {}


def lexeme_document_counts(column: str) -> dict[str, float]:
    """Estimated number of documents holding each common lexeme, from the statistics ANALYZE keeps
    for the search vector (the most common elements and their frequencies: the same numbers the
    planner uses). A lexeme missing here is rarer than every listed one. Empty before the first
    ANALYZE, which makes every word count as rare (the behaviour without statistics)."""
    now = time.monotonic()
    stamp, counts = _frequency_cache.get(column, (0.0, {}))
    if now - stamp < _FREQUENCY_SECONDS:
        return counts
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT s.most_common_elems::text::text[], s.most_common_elem_freqs, c.reltuples "
            "FROM pg_stats s JOIN pg_class c ON c.oid = 'search_searchdocument'::regclass "
            "WHERE s.schemaname = current_schema() AND s.tablename = 'search_searchdocument' "
            "AND s.attname = %s",
            [column],
        )
        row = cursor.fetchone()
    fresh: dict[str, float] = {}
    if row and row[0] and row[1]:
        elems, freqs, tuples = row
        # The frequency array ends with three summary numbers (min, max, null fraction).
        fresh = {e: f * max(float(tuples), 0.0) for e, f in zip(elems, freqs[: len(elems)], strict=True)}
    with _frequency_lock:
        _frequency_cache[column] = (now, fresh)
    return fresh


def forget_lexeme_counts() -> None:
    """Read the statistics again on next use (after an ANALYZE that must count at once)."""
    with _frequency_lock:
        _frequency_cache.clear()


def estimated_matches(group: Group, counts: dict[str, float]) -> float:
    total = 0.0
    for alt in group:
        if alt.prefix:
            return float("inf")  # a prefix may match any number of words
        total += min(counts.get(token, 0.0) for token in alt.tokens)
    return total


class PostgresBackend:
    # ts_rank() reads (and decompresses) each candidate's vector: several microseconds a row.
    candidate_cap = 300
    # "Some words" searches: a word in fewer documents than this is rare. When a query has rare
    # words, the documents holding them are ranked first; ranking only the newest matches of
    # common words would otherwise push an older, better article out of reach.
    rare_below = 300.0
    # A query whose words together appear in more documents than this walks the newest documents.
    window_above = 2000.0
    window_rows = 1500

    def store(self, rows: Sequence[Row]) -> None:
        with connection.cursor() as cursor:
            cursor.executemany(
                "UPDATE search_searchdocument SET search_vector = %s::tsvector, search_title = %s::tsvector "
                "WHERE id = %s",
                [
                    (vector_literal(r.title_terms, r.body_terms), vector_literal(r.title_terms, []), r.doc_id)
                    for r in rows
                ],
            )

    def any_match(self, groups: Sequence[Group], *, kinds: Sequence[str]) -> bool:
        if not groups or not kinds:
            return False
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT EXISTS (SELECT 1 FROM search_searchdocument "
                "WHERE search_vector @@ CAST(%s AS tsquery) AND kind = ANY(%s))",
                [compile_groups(groups, require_all=True), list(kinds)],
            )
            return bool(cursor.fetchone()[0])

    def allocate_ids(self, keys: Sequence[tuple[str, str]]) -> list[int] | None:
        return None  # the sequence numbers them; kind and language are indexed columns here

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
        tsquery = compile_groups(groups, require_all=require_all)
        column = "search_title" if title_only else "search_vector"
        args = (column, kinds, lang, same_lang)
        if require_all or len(groups) == 1:
            return self._ranked(tsquery, tsquery, *args, exclude, limit)
        counts = lexeme_document_counts(column)
        estimates = [estimated_matches(g, counts) for g in groups]
        rare = [g for g, n in zip(groups, estimates, strict=True) if n < self.rare_below]
        if not rare:
            return self._ranked(tsquery, tsquery, *args, exclude, limit, window=sum(estimates) >= self.window_above)
        # Documents holding a rare query word (all of them, ranked on the whole query). Titles
        # holding only common words are left to the body tier, which comes after every title
        # match; there, when no document at all holds a rare word (a typo, say), the newest
        # documents holding common words are ranked instead.
        found = self._ranked(tsquery, compile_groups(rare, require_all=False), *args, exclude, limit)
        if found or title_only or exclude:
            return found
        return self._ranked(tsquery, tsquery, *args, exclude, limit, window=sum(estimates) >= self.window_above)

    def _ranked(
        self,
        rank_query: str,
        candidate_query: str,
        column: str,
        kinds: Sequence[str],
        lang: str | None,
        same_lang: bool,
        exclude: Sequence[int],
        limit: int,
        *,
        window: bool = False,
    ) -> list[tuple[int, float]]:
        """The newest `candidate_cap` documents matching `candidate_query`, ranked on `rank_query`.
        With `window`, for a query that most documents match, they are found by walking the
        newest documents (at most `window_rows`) instead of collecting every match from the
        full-text index and sorting them: the walk stops at the cap after a few hundred rows."""
        # Equality where possible: a single kind and language walk their index in id order.
        params: list[Any] = [kinds[0] if len(kinds) == 1 else list(kinds)]
        where = "kind = %s" if len(kinds) == 1 else "kind = ANY(%s)"
        if lang is not None:
            langs = [code for code in LANG_CODES if (code == lang) == same_lang]
            if len(langs) == 1:
                where += " AND lang = %s"
                params.append(langs[0])
            else:
                where += " AND lang = ANY(%s)"
                params.append(langs)
        if exclude:
            where += " AND NOT (id = ANY(%s))"
            params.append(list(exclude))
        # Only constants and fixed column names are formatted in; all values are parameters.
        if window:
            candidates = (
                f"SELECT id FROM (SELECT id, {column} FROM search_searchdocument WHERE {where} "  # noqa: S608
                f"ORDER BY id DESC LIMIT %s) w, q WHERE w.{column} @@ q.c LIMIT %s"
            )
            params.append(self.window_rows)
        else:
            candidates = (
                f"SELECT id FROM search_searchdocument, q WHERE {column} @@ q.c AND {where} "  # noqa: S608
                "ORDER BY id DESC LIMIT %s"
            )
        sql = (
            "WITH q AS (SELECT CAST(%s AS tsquery) AS q, CAST(%s AS tsquery) AS c), "  # noqa: S608
            f"c AS ({candidates}) "
            # Title matches are ranked on the (small) title vector: cheap even for common words.
            f"SELECT d.id, ts_rank('{RANK_WEIGHTS}', d.{column}, q.q, 1) AS r "
            "FROM c JOIN search_searchdocument d ON d.id = c.id, q "
            "ORDER BY r DESC, d.id DESC LIMIT %s"
        )
        with connection.cursor() as cursor:
            cursor.execute(sql, [rank_query, candidate_query, *params, self.candidate_cap, limit])
            return [(int(doc_id), float(rank)) for doc_id, rank in cursor.fetchall()]
