"""Reads of the search index (issue #2)."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass

from django.conf import settings
from django.core.cache import cache
from django.utils.safestring import SafeString
from django.utils.translation import gettext as _

from safedesk.lib.errors import InvalidInput
from safedesk.lib.text import clean_text
from safedesk.search import snippets, synonyms, tokenize, versions
from safedesk.search.backends import Alt, Group, get_backend
from safedesk.search.models import SearchDocument

MAX_QUERY_LENGTH = 200
MAX_LIMIT = 50
# Query words beyond this many are ignored: they cost time and rarely change the best hits.
MAX_GROUPS = 8


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


def clean_query(query: str) -> str:
    """The query as searched, or InvalidInput (`query_too_long`, `invalid_characters`,
    `invalid_encoding`)."""
    if not isinstance(query, str):
        raise InvalidInput(_("The search query is not valid."), code="invalid_query")
    if len(query) > MAX_QUERY_LENGTH:
        raise InvalidInput(
            _("The search query is too long (at most %(max)d characters).") % {"max": MAX_QUERY_LENGTH},
            code="query_too_long",
        )
    return clean_text(query, field="q", max_length=MAX_QUERY_LENGTH, allow_empty=True, multiline=False)


def build_groups(terms: list[str], prefix: str | None = None, *, synonym_version: str | None = None) -> list[Group]:
    """One group per query word (or multi-word synonym), holding the word and its synonyms."""
    table, longest = synonyms.expansions(synonym_version)
    groups: list[Group] = []
    seen: set[tuple[tuple[str, ...], ...]] = set()
    i = 0
    while i < len(terms):
        for size in range(min(longest, len(terms) - i), 0, -1):
            key = tuple(terms[i : i + size])
            if size == 1 or key in table:
                break
        variants = table.get(key, (key,))
        alts = tuple(Alt(v) for v in variants)
        i += size
        if prefix is not None and i == len(terms):
            # The last word is still being typed: match words that start with it (and its stem).
            extra = [Alt((p,), prefix=True) for p in dict.fromkeys([prefix, key[-1]]) if len(p) >= 2]
            alts = alts + tuple(extra)
        ident = tuple(sorted((a.tokens if not a.prefix else (*a.tokens, "*")) for a in alts))
        if ident not in seen:
            seen.add(ident)
            groups.append(alts)
    return groups[:MAX_GROUPS]


def _for_english(groups: list[Group], *, require_all: bool) -> list[Group] | None:
    """The groups to match English documents with, or None when none can match. English
    documents do not contain Chinese words (Chinese ones do contain English words like 2FA or
    USDT, so not the reverse): Chinese synonyms only cost time there, and a word with nothing but
    Chinese forms can match no English document."""
    out: list[Group] = []
    for group in groups:
        kept = tuple(alt for alt in group if not any(tokenize.is_cjk(t) for t in alt.tokens))
        if kept:
            out.append(kept)
        elif require_all:
            return None
    return out or None


def _run(groups: list[Group], *, kinds: Sequence[str], lang: str | None, limit: int) -> list[tuple[int, float, int]]:
    """Ranked document ids in tiers: the asked language before the other; within a language,
    title matches before body matches; every word matched, or (only when nothing matches every
    word) some words matched."""
    backend = get_backend()
    langs: list[tuple[str | None, bool]] = [(None, True)] if lang is None else [(lang, True), (lang, False)]
    modes = [True, False] if len(groups) > 1 else [True]
    found: list[tuple[int, float, int]] = []
    for require_all in modes:
        if found:
            break
        if require_all and lang is not None and not backend.any_match(groups, kinds=kinds):
            continue  # every all-words tier would come back empty: one statement instead of four
        tiers = [
            (
                _for_english(groups, require_all=require_all)
                if tier_lang is not None and (tier_lang == "en") == same
                else groups,
                title_only,
                tier_lang,
                same,
            )
            for tier_lang, same in langs
            for title_only in (True, False)
        ]
        for tier, (tier_groups, title_only, tier_lang, same) in enumerate(tiers):
            need = limit - len(found)
            if need <= 0:
                break
            if not tier_groups:
                continue
            rows = backend.match(
                tier_groups,
                require_all=require_all,
                title_only=title_only,
                kinds=kinds,
                lang=tier_lang,
                same_lang=same,
                exclude=[doc_id for doc_id, _score, _tier in found],
                # A few more than needed, so that the per-document boost can reorder them.
                limit=need + min(need, 10),
            )
            found.extend((doc_id, score, tier) for doc_id, score in rows)
    return found


@dataclass(frozen=True)
class _Doc:
    kind: str
    key: str
    lang: str
    title: str
    body: str
    url: str
    boost: float


def _hits(ranked: list[tuple[int, float, int]], limit: int, terms: set[str], prefixes: Sequence[str]) -> list[Hit]:
    if not ranked:
        return []
    fields = ("id", "kind", "key", "lang", "title", "body", "url", "boost")
    # Plain rows, not model instances: this runs on every search.
    rows = SearchDocument.objects.filter(id__in=[doc_id for doc_id, _score, _tier in ranked]).values_list(*fields)
    docs = {row[0]: _Doc(*row[1:]) for row in rows}
    # The tier order stays (language, then all words before some words); within a tier the
    # per-document boost may reorder the database's ranking.
    scored = [(tier, score * docs[doc_id].boost, docs[doc_id]) for doc_id, score, tier in ranked if doc_id in docs]
    scored.sort(key=lambda item: (item[0], -item[1]))
    return [
        Hit(
            kind=doc.kind,
            key=doc.key,
            lang=doc.lang,
            title=doc.title,
            url=doc.url,
            snippet=snippets.snippet(doc.body, terms, prefixes),
            score=round(score, 6),
        )
        for _tier, score, doc in scored[:limit]
    ]


def _terms_of(groups: list[Group]) -> tuple[list[str], set[str], list[str]]:
    shown: list[str] = []
    tokens: set[str] = set()
    prefixes: list[str] = []
    for group in groups:
        for alt in group:
            if alt.prefix:
                prefixes.append(alt.tokens[0])
                continue
            label = " ".join(alt.tokens)
            if label not in shown:
                shown.append(label)
            tokens.update(alt.tokens)
    return shown, tokens, prefixes


def _result_key(
    kind: str, text: str, kinds: Sequence[str], lang: str | None, limit: int
) -> tuple[str | None, str | None]:
    """The cache key of a result (None when result caching is off) and the synonym version read
    with it. The key names the current index and synonym versions, so any change to either makes
    earlier results unreachable."""
    if settings.SAFEDESK_SEARCH_CACHE_SECONDS <= 0:
        return None, None
    index, synonym = versions.ensure_versions(versions.INDEX_VERSION_KEY, synonyms.VERSION_KEY)
    parts = [kind, text, ",".join(kinds), lang or "", str(limit), index, synonym]
    digest = hashlib.blake2s("\x1f".join(parts).encode("utf-8", "replace"), digest_size=16).hexdigest()
    return f"search:result:{digest}", synonym


def search(
    query: str, *, kinds: Sequence[str] = ("article",), lang: str | None = None, limit: int = 10
) -> SearchResult:
    """Best hits first. Raises InvalidInput (code `query_too_long`, `invalid_characters`, ...) for a
    query that cannot be searched; FTS/regex/SQL metacharacters are treated as plain text.
    With lang set, hits in that language come first and the other language fills up."""
    text = clean_query(query)
    limit = max(1, min(int(limit), MAX_LIMIT))
    key, synonym_version = _result_key("search", text, kinds, lang, limit)
    if key is not None:
        cached = cache.get(key)
        if isinstance(cached, SearchResult):
            return cached
    groups = build_groups(tokenize.query_terms(text), synonym_version=synonym_version)
    shown, tokens, prefixes = _terms_of(groups)
    if not groups:
        return SearchResult(query=text, hits=[], terms=[])
    ranked = _run(groups, kinds=list(kinds), lang=lang, limit=limit)
    result = SearchResult(query=text, hits=_hits(ranked, limit, tokens, prefixes), terms=shown)
    if key is not None:
        cache.set(key, result, timeout=settings.SAFEDESK_SEARCH_CACHE_SECONDS)
    return result


def suggest(prefix: str, *, kinds: Sequence[str] = ("article",), lang: str | None = None, limit: int = 8) -> list[Hit]:
    """Search-as-you-type: hits for a partial query (the last word may be incomplete)."""
    text = clean_query(prefix)
    limit = max(1, min(int(limit), MAX_LIMIT))
    key, synonym_version = _result_key("suggest", text, kinds, lang, limit)
    if key is not None:
        cached = cache.get(key)
        if isinstance(cached, list):
            return cached
    hits = _suggest(text, kinds=kinds, lang=lang, limit=limit, synonym_version=synonym_version)
    if key is not None:
        cache.set(key, hits, timeout=settings.SAFEDESK_SEARCH_CACHE_SECONDS)
    return hits


def _suggest(
    text: str, *, kinds: Sequence[str], lang: str | None, limit: int, synonym_version: str | None
) -> list[Hit]:
    partial = tokenize.last_word_is_partial(text)
    terms = tokenize.query_terms(text)
    if partial is not None and partial in tokenize.STOPWORDS_EN:
        # "ho" → "how" is a stopword once complete, but while typing it may become "hold".
        terms.append(partial)
    groups = build_groups(terms, prefix=partial if terms else None, synonym_version=synonym_version)
    if not groups:
        return []
    _shown, tokens, prefixes = _terms_of(groups)
    ranked = _run(groups, kinds=list(kinds), lang=lang, limit=limit)
    return _hits(ranked, limit, tokens, prefixes)
