"""One seam, two full-text engines: SQLite FTS5 (embedded) and PostgreSQL tsvector/GIN (scaled out).

Both receive terms already segmented and stemmed by `safedesk.search.tokenize`, so they rank the
same terms the same way; neither ever parses user text. A query is a list of groups (one per
query word) of alternatives (the word and its synonyms; a multi-word synonym is a phrase).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

from django.db import connection


@dataclass(frozen=True)
class Alt:
    tokens: tuple[str, ...]
    prefix: bool = False


Group = tuple[Alt, ...]


@dataclass(frozen=True)
class Row:
    doc_id: int
    kind: str
    lang: str
    title_terms: list[str]
    body_terms: list[str]


# Stable small codes for the kinds of searchable things and for the two languages. The SQLite
# backend packs (kind, language) into the high bits of a document's id so that a search of one
# kind and language is a rowid range, which FTS5 seeks directly (filtering on a marker column
# instead cost ~2 ms per statement at 20,000 documents). New kinds are added here.
KIND_CODES: dict[str, int] = {"article": 1, "topic": 2, "ticket": 3, "macro": 4}
LANG_CODES: dict[str, int] = {"zh-hans": 0, "en": 1}
PART_SHIFT = 40
SEQ_MASK = (1 << PART_SHIFT) - 1


def partition(kind: str, lang: str) -> int:
    return KIND_CODES[kind] * 2 + LANG_CODES[lang]


class Backend(Protocol):
    candidate_cap: int

    def allocate_ids(self, keys: Sequence[tuple[str, str]]) -> list[int] | None:
        """Ids for new documents of these (kind, lang), or None to let the database number them.
        Called inside the indexing transaction."""
        ...

    def store(self, rows: Sequence[Row]) -> None: ...

    def any_match(self, groups: Sequence[Group], *, kinds: Sequence[str]) -> bool:
        """Whether any document of these kinds, in any language, holds every group (title or
        body). One cheap statement that lets a search skip the tiers that would all be empty."""
        ...

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
        """(document id, score) best first; higher scores are better. With `lang`, only documents
        in that language (same_lang) or only the others (not same_lang). `title_only` matches the
        title and tags alone. Outside titles only the newest `candidate_cap` matches are ranked,
        which bounds the work for very common words."""
        ...


def get_backend() -> Backend:
    if connection.vendor == "postgresql":
        from safedesk.search.backends.postgres import PostgresBackend

        return PostgresBackend()
    from safedesk.search.backends.sqlite_fts5 import SqliteFts5Backend

    return SqliteFts5Backend()
