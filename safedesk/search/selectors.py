"""Reads of the search index. (Interface fixed in issue #2; the implementation is being built.)"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from django.utils.safestring import SafeString


@dataclass(frozen=True)
class Hit:
    kind: str
    key: str
    lang: str
    title: str
    url: str
    snippet: SafeString  # HTML-escaped text with the matched terms in <mark>
    score: float


@dataclass(frozen=True)
class SearchResult:
    query: str
    hits: list[Hit]
    terms: list[str]  # the search terms after segmentation and synonym expansion


def search(
    query: str, *, kinds: Sequence[str] = ("article",), lang: str | None = None, limit: int = 10
) -> SearchResult:
    """Best hits first. Raises InvalidInput (code `query_too_long`, `invalid_characters`, ...) for a
    query that cannot be searched; FTS/regex/SQL metacharacters are treated as plain text.
    With lang set, hits in that language come first and the other language fills up."""
    raise NotImplementedError("search seam: being built under issue #2")


def suggest(prefix: str, *, kinds: Sequence[str] = ("article",), lang: str | None = None, limit: int = 8) -> list[Hit]:
    """Search-as-you-type: hits for a partial query (the last word may be incomplete)."""
    raise NotImplementedError("search seam: being built under issue #2")
