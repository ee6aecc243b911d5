"""Writers of the search index and the search log. (Interface fixed in issue #2; the
implementation is being built.)"""

from __future__ import annotations


def index_document(
    *, kind: str, key: str, lang: str, title: str, body: str, url: str, tags: str = "", boost: float = 1.0
) -> None:
    """Insert or replace the document (kind, key, lang). `body` is plain text (no markup).
    Only call this for content the public may see: drafts are never indexed."""
    raise NotImplementedError("search seam: being built under issue #2")


def remove_document(*, kind: str, key: str, lang: str | None = None) -> None:
    """Remove one language of a document, or every language when lang is None."""
    raise NotImplementedError("search seam: being built under issue #2")


def record_query(*, query: str, lang: str, hits: int, source: str = "helpcenter") -> None:
    """Log a search; queries that found nothing feed the content-gaps report."""
    raise NotImplementedError("search seam: being built under issue #2")
