"""Writers of the search index, the synonym list and the search log (issue #2)."""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from safedesk.audit.services import record as audit_record
from safedesk.lib import secretscan
from safedesk.lib.errors import InvalidInput, NotFound
from safedesk.lib.text import clean_text
from safedesk.search import synonyms, tokenize
from safedesk.search.backends import KIND_CODES, Row, get_backend
from safedesk.search.models import SearchDocument, SynonymGroup, ZeroResultQuery, split_terms
from safedesk.search.versions import bump_index_version

LANGS = ("zh-hans", "en")
MAX_QUERY_LENGTH = 200
_KIND = re.compile(r"[a-z][a-z0-9_]{0,31}")


@dataclass(frozen=True)
class DocumentInput:
    kind: str
    key: str
    lang: str
    title: str
    body: str
    url: str
    tags: str = ""
    boost: float = 1.0


def _check(doc: DocumentInput) -> None:
    if not _KIND.fullmatch(doc.kind) or doc.kind not in KIND_CODES:
        raise InvalidInput(_("Unknown kind of search document."), code="invalid_kind")
    if doc.lang not in LANGS:
        raise InvalidInput(_("Unknown language."), code="invalid_lang")
    if not doc.key or len(doc.key) > 200:
        raise InvalidInput(_("The document key is not valid."), code="invalid_key")


def _row(doc_id: int, doc: DocumentInput) -> Row:
    return Row(
        doc_id=doc_id,
        kind=doc.kind,
        lang=doc.lang,
        title_terms=tokenize.index_terms(doc.title) + tokenize.index_terms(doc.tags),
        body_terms=tokenize.index_terms(doc.body),
    )


def index_document(
    *, kind: str, key: str, lang: str, title: str, body: str, url: str, tags: str = "", boost: float = 1.0
) -> None:
    """Insert or replace the document (kind, key, lang). `body` is plain text (no markup).
    Only call this for content the public may see: drafts are never indexed."""
    index_many([DocumentInput(kind, key, lang, title, body, url, tags, boost)])


def index_many(docs: Iterable[DocumentInput], *, batch_size: int = 500) -> int:
    """Insert or replace many documents quickly (segmentation outside the transaction, bulk
    writes inside). Returns how many were indexed."""
    backend = get_backend()
    total = 0
    batch: list[DocumentInput] = []

    def flush(batch: list[DocumentInput]) -> None:
        # Last one wins when the same document appears twice in a batch.
        unique = list({(d.kind, d.key, d.lang): d for d in batch}.values())
        terms = [_row(0, d) for d in unique]
        with transaction.atomic():
            existing = SearchDocument.objects.filter(
                kind__in={d.kind for d in unique}, key__in={d.key for d in unique}
            ).values_list("id", "kind", "key", "lang")
            wanted = {(d.kind, d.key, d.lang) for d in unique}
            stale = [pk for pk, kind, key, lang in existing if (kind, key, lang) in wanted]
            if stale:
                SearchDocument.objects.filter(id__in=stale).delete()
            ids: list[int | None] = [None] * len(unique)
            allocated = backend.allocate_ids([(d.kind, d.lang) for d in unique])
            if allocated is not None:
                ids = list(allocated)
            created = SearchDocument.objects.bulk_create(
                [
                    SearchDocument(
                        id=doc_id,
                        kind=d.kind,
                        key=d.key,
                        lang=d.lang,
                        title=d.title[:500],
                        body=d.body,
                        url=d.url[:500],
                        tags=d.tags[:500],
                        boost=float(d.boost),
                    )
                    for doc_id, d in zip(ids, unique, strict=True)
                ]
            )
            bump_index_version()
            backend.store(
                [
                    Row(obj.pk, t.kind, t.lang, t.title_terms, t.body_terms)
                    for obj, t in zip(created, terms, strict=True)
                ]
            )

    for doc in docs:
        _check(doc)
        batch.append(doc)
        if len(batch) >= batch_size:
            flush(batch)
            total += len(batch)
            batch = []
    if batch:
        flush(batch)
        total += len(batch)
    return total


def remove_document(*, kind: str, key: str, lang: str | None = None) -> None:
    """Remove one language of a document, or every language when lang is None."""
    qs = SearchDocument.objects.filter(kind=kind, key=key)
    if lang is not None:
        qs = qs.filter(lang=lang)
    with transaction.atomic():
        # On SQLite a trigger removes the FTS5 row; on PostgreSQL the vector lives in the row.
        qs.delete()
        bump_index_version()


def normalize_logged_query(query: str) -> str | None:
    """The form a query is logged under, or None when it must not be logged at all."""
    try:
        text = clean_text(query, field="q", max_length=10_000, multiline=False)
    except InvalidInput:
        return None
    if len(text) > MAX_QUERY_LENGTH:
        return None
    # A pasted recovery phrase or key must not reach the query log (the secret shield's scanner;
    # this layer sits below safety, so it calls the scanner itself).
    return secretscan.redact(text)[0].lower()[:MAX_QUERY_LENGTH]


def record_query(*, query: str, lang: str, hits: int, source: str = "helpcenter") -> None:
    """Log a search; queries that found nothing feed the content-gaps report. Input that failed
    validation is never logged."""
    if hits > 0:
        return
    text = normalize_logged_query(query)
    if not text:
        return
    lang = lang if lang in LANGS else "en"
    source = source[:32]
    now = timezone.now()
    with transaction.atomic():
        updated = ZeroResultQuery.objects.filter(query=text, lang=lang, source=source).update(
            count=F("count") + 1, last_seen=now
        )
        if updated:
            return
        try:
            with transaction.atomic():
                ZeroResultQuery.objects.create(query=text, lang=lang, source=source, count=1, last_seen=now)
        except IntegrityError:
            # Someone else created it between our update and insert.
            ZeroResultQuery.objects.filter(query=text, lang=lang, source=source).update(
                count=F("count") + 1, last_seen=now
            )


def clean_synonym_terms(raw: str) -> list[str]:
    text = clean_text(raw, field="terms", max_length=2000)
    terms = split_terms(text)
    if len(terms) < 2:
        raise InvalidInput(_("A synonym group needs at least two terms."), code="too_few_terms", field="terms")
    if any(len(t) > 80 for t in terms):
        raise InvalidInput(_("A synonym term may have at most 80 characters."), code="term_too_long", field="terms")
    if any(not tokenize.query_terms(t) for t in terms):
        raise InvalidInput(
            _("Every term must contain a word that search can use (not only stopwords or punctuation)."),
            code="term_not_searchable",
            field="terms",
        )
    return terms


def create_synonym_group(*, terms: str, note: str = "", actor: Any) -> SynonymGroup:
    term_list = clean_synonym_terms(terms)
    note = clean_text(note, field="note", max_length=200, allow_empty=True, multiline=False)
    with transaction.atomic():
        group = SynonymGroup.objects.create(terms=", ".join(term_list), note=note)
        audit_record("search.synonyms.create", actor=actor, target=group, data={"terms": term_list, "note": note})
        transaction.on_commit(synonyms.invalidate)
    return group


def update_synonym_group(group_id: int, *, terms: str, note: str = "", actor: Any) -> SynonymGroup:
    term_list = clean_synonym_terms(terms)
    note = clean_text(note, field="note", max_length=200, allow_empty=True, multiline=False)
    with transaction.atomic():
        group = SynonymGroup.objects.select_for_update().filter(pk=group_id).first()
        if group is None:
            raise NotFound()
        before = group.term_list()
        group.terms = ", ".join(term_list)
        group.note = note
        group.save(update_fields=["terms", "note", "updated_at"])
        audit_record("search.synonyms.update", actor=actor, target=group, data={"before": before, "terms": term_list})
        transaction.on_commit(synonyms.invalidate)
    return group


def delete_synonym_group(group_id: int, *, actor: Any) -> None:
    with transaction.atomic():
        group = SynonymGroup.objects.select_for_update().filter(pk=group_id).first()
        if group is None:
            raise NotFound()
        audit_record("search.synonyms.delete", actor=actor, target=group, data={"terms": group.term_list()})
        group.delete()
        transaction.on_commit(synonyms.invalidate)


def seed_synonyms(groups: Sequence[Sequence[str]] | None = None) -> int:
    """Add the default groups when the list is empty (a fresh install already has them from
    migration 0002). Returns how many groups were created."""
    with transaction.atomic():
        if SynonymGroup.objects.exists():
            return 0
        created = SynonymGroup.objects.bulk_create(
            [SynonymGroup(terms=", ".join(g)) for g in (groups or synonyms.SEED_GROUPS)]
        )
        audit_record("search.synonyms.seed", actor="system", data={"groups": len(created)})
        transaction.on_commit(synonyms.invalidate)
    return len(created)
