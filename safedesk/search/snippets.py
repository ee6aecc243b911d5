"""Highlighted excerpts: the best ~160-character window of a body, matched terms in <mark>,
everything else HTML-escaped. Runs only for the hits being returned."""

from __future__ import annotations

import re
from collections.abc import Collection

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

from safedesk.search import tokenize

WINDOW = 160
_WORD = re.compile(r"[^\W_]+")
_CJK_RUN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")


def _candidates(word_terms: Collection[str], prefixes: Collection[str]) -> re.Pattern[str] | None:
    """A pattern for the words that may match: those starting like a term (stems are prefixes of
    their surface forms) or like a typed prefix. Everything else is skipped without stemming."""
    starts = {t[:3] for t in word_terms} | {p[:3] for p in prefixes}
    if not starts:
        return None
    alternatives = "|".join(sorted((re.escape(s) for s in starts), key=len, reverse=True))
    return re.compile(rf"(?<![^\W_])(?:{alternatives})[^\W_]*", re.IGNORECASE)


def find_spans(text: str, terms: Collection[str], prefixes: Collection[str] = ()) -> list[tuple[int, int, str]]:
    """(start, end, term) of every place `text` shows one of `terms` (index terms: stems or
    Chinese words) or starts a word with one of `prefixes`; overlaps merged."""
    spans: list[tuple[int, int, str]] = []
    cjk_terms = [t for t in terms if tokenize.is_cjk(t)]
    word_terms = {t for t in terms if not tokenize.is_cjk(t)}
    pattern = _candidates(word_terms, prefixes)
    if pattern is not None:
        for m in pattern.finditer(text):
            word = m.group(0)
            if _CJK_RUN.search(word):
                continue
            lowered = tokenize.normalize(word).lower()
            term = tokenize.word_term(lowered)
            if term is not None and term in word_terms:
                spans.append((m.start(), m.end(), term))
            elif any(lowered.startswith(p) for p in prefixes):
                spans.append((m.start(), m.end(), lowered))
    for term in cjk_terms:
        start = text.find(term)
        while start != -1:
            spans.append((start, start + len(term), term))
            start = text.find(term, start + len(term))
    spans.sort()
    merged: list[tuple[int, int, str]] = []
    for span in spans:
        if merged and span[0] < merged[-1][1]:
            last = merged[-1]
            merged[-1] = (last[0], max(last[1], span[1]), last[2])
        else:
            merged.append(span)
    return merged


def _render(text: str, spans: list[tuple[int, int, str]], start: int, end: int) -> str:
    out: list[str] = []
    pos = start
    for s, e, _term in spans:
        if e <= start or s >= end:
            continue
        s, e = max(s, start), min(e, end)
        out.append(str(escape(text[pos:s])))
        out.append("<mark>" + str(escape(text[s:e])) + "</mark>")
        pos = e
    out.append(str(escape(text[pos:end])))
    return "".join(out)


def highlight(text: str, terms: Collection[str], prefixes: Collection[str] = ()) -> SafeString:
    """The whole of a short text (a title) with its matches marked."""
    return mark_safe(_render(text, find_spans(text, terms, prefixes), 0, len(text)))  # noqa: S308 - escaped above


def snippet(body: str, terms: Collection[str], prefixes: Collection[str] = (), width: int = WINDOW) -> SafeString:
    text = " ".join(body.split())
    spans = find_spans(text, terms, prefixes)
    if len(text) <= width:
        start, end = 0, len(text)
    elif not spans:
        start, end = 0, width
    else:
        # The window starting a little before some match that covers the most distinct terms,
        # then the most matches.
        # Spans are sorted and do not overlap, so their ends rise too: one sliding window.
        best = (-1, -1, 0)
        counts: dict[str, int] = {}
        j = 0
        for i, (s, _e, _t) in enumerate(spans):
            begin = max(0, s - 20)
            if j < i:  # a span longer than the window: start afresh
                j = i
                counts.clear()
            while j < len(spans) and spans[j][1] <= begin + width:
                counts[spans[j][2]] = counts.get(spans[j][2], 0) + 1
                j += 1
            score = (len(counts), j - i, -begin)
            if score > best:
                best = score
            term = spans[i][2]
            if i < j:
                counts[term] -= 1
                if not counts[term]:
                    del counts[term]
        start = -best[2]
        start = min(start, max(0, len(text) - width))
        # Do not start or end in the middle of an English word when a space is close by.
        if start > 0:
            space = text.find(" ", start, start + 15)
            if space != -1 and not any(s <= space < e for s, e, _ in spans):
                start = space + 1
        end = min(len(text), start + width)
        if end < len(text):
            space = text.rfind(" ", end - 15, end)
            if space > start and not any(s <= space < e for s, e, _ in spans):
                end = space
    html = _render(text, spans, start, end)
    if start > 0:
        html = "…" + html
    if end < len(text):
        html += "…"
    return mark_safe(html)  # noqa: S308 - every piece of text was escaped by _render
