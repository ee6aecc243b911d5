"""Help center API: published articles only (list, detail, search, deflection suggestions).

Public: anyone may read them without signing in. A request that sends an API token is checked
like any token request (401 for a bad one) and needs the `articles:read` scope.
"""

from __future__ import annotations

import base64
import binascii
from datetime import datetime
from typing import Any

from django.conf import settings
from django.core import signing
from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Query, Router, Schema

from safedesk.accounts.apiauth import public_api_auth
from safedesk.accounts.models import Scope
from safedesk.helpcenter import selectors
from safedesk.helpcenter.models import ArticleTranslation, Lang
from safedesk.lib.errors import InvalidInput
from safedesk.lib.markdown import render as render_markdown
from safedesk.lib.net import client_ip
from safedesk.lib.ratelimit import hit
from safedesk.search import services as search_services

router = Router(tags=["articles"], auth=public_api_auth(Scope.ARTICLES_READ))
# Read by api.main to write the scope into each operation's security requirement.
PUBLIC: dict[str, Any] = {"openapi_extra": {"x-scope": Scope.ARTICLES_READ.value, "x-public": True}}

DEFAULT_LIMIT = 20
MAX_LIMIT = 100
SEARCH_LIMIT = 20
SUGGEST_LIMIT = 5
_CURSOR_SALT = "safedesk.helpcenter.api.cursor"


class ArticleSummary(Schema):
    key: str
    slug: str
    lang: str
    title: str
    category: str
    tags: list[str]
    url: str
    updated_at: datetime


class ArticlePage(Schema):
    results: list[ArticleSummary]
    next_cursor: str | None


class Translation(Schema):
    lang: str
    slug: str
    url: str


class ArticleDetail(ArticleSummary):
    body_markdown: str
    body_html: str
    published_at: datetime | None
    is_fallback: bool
    translations: list[Translation]


class SearchHit(Schema):
    slug: str
    title: str
    snippet: str
    url: str
    lang: str
    score: float


class SearchResults(Schema):
    results: list[SearchHit]


class ErrorBody(Schema):
    code: str
    message: str


# 401 and 403 only for requests that send an API token (a bad one, or one without the scope).
_ERRORS: dict[int, Any] = {400: ErrorBody, 401: ErrorBody, 403: ErrorBody, 429: ErrorBody}


# The cursor is opaque to clients: the last row's position, signed so it cannot be forged.
def _encode_cursor(last_id: int) -> str:
    signed = signing.dumps({"after": last_id}, salt=_CURSOR_SALT, compress=False)
    return base64.urlsafe_b64encode(signed.encode("ascii")).decode("ascii").rstrip("=")


def _decode_cursor(cursor: str) -> int:
    invalid = InvalidInput(_("The cursor is not valid. Start again from the first page."), code="invalid_cursor")
    if len(cursor) > 500:
        raise invalid
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode("ascii")
        data = signing.loads(raw, salt=_CURSOR_SALT)
    except (binascii.Error, UnicodeDecodeError, ValueError, signing.BadSignature):
        raise invalid from None
    after = data.get("after") if isinstance(data, dict) else None
    if not isinstance(after, int) or isinstance(after, bool) or after < 0:
        raise invalid
    return after


def _summary(tr: ArticleTranslation) -> ArticleSummary:
    return ArticleSummary(
        key=tr.article.key,
        slug=tr.slug,
        lang=tr.lang,
        title=tr.title,
        category=tr.article.category.slug,
        tags=list(tr.article.tags),
        url=selectors.article_url(tr.slug),
        updated_at=tr.updated_at,
    )


def _lang_param(lang: str | None) -> str | None:
    if lang in (None, ""):
        return None
    if lang not in Lang.values:
        raise InvalidInput(_("The language must be zh-hans or en."), code="invalid_lang", field="lang")
    return lang


def _hits(results: list[selectors.ArticleHit]) -> SearchResults:
    return SearchResults(
        results=[
            SearchHit(slug=h.slug, title=h.title, snippet=str(h.snippet), url=h.url, lang=h.lang, score=h.score)
            for h in results
        ]
    )


@router.get("", response={200: ArticlePage, **_ERRORS}, summary="List published articles", **PUBLIC)
def list_articles(
    request: HttpRequest, cursor: str | None = None, limit: int = DEFAULT_LIMIT, lang: str | None = None
) -> ArticlePage:
    """Published translations, oldest first, `limit` per page (at most 100). Pass `next_cursor`
    back as `cursor` for the next page; it is null on the last page."""
    size = max(1, min(limit, MAX_LIMIT))
    rows = selectors.published_translations().select_related("article__category").order_by("id")
    language = _lang_param(lang)
    if language:
        rows = rows.filter(lang=language)
    if cursor:
        rows = rows.filter(id__gt=_decode_cursor(cursor))
    page = list(rows[: size + 1])
    more = len(page) > size
    page = page[:size]
    return ArticlePage(
        results=[_summary(tr) for tr in page], next_cursor=_encode_cursor(page[-1].id) if more and page else None
    )


class SearchParams(Schema):
    q: str
    lang: str | None = None


def _search_query(raw: str) -> str:
    query = selectors.clean_query(raw)
    if not query:
        raise InvalidInput(_("Type something to search for."), code="empty_query", field="q")
    return query


# search and suggest are declared before /{slug} so that they are not taken for slugs.
@router.get("/search", response={200: SearchResults, **_ERRORS}, summary="Search articles", **PUBLIC)
def search_articles(request: HttpRequest, params: Query[SearchParams]) -> SearchResults:
    """Best hits first. Chinese is segmented; synonyms cross languages. Rate-limited per client."""
    query = _search_query(params.q)
    lang = _lang_param(params.lang) or selectors.search_lang(query, selectors.current_lang())
    hit("search", client_ip(request), limit=settings.SAFEDESK_SEARCH_RATE_PER_MINUTE)
    results = selectors.search_articles(query, lang=lang, limit=SEARCH_LIMIT)
    search_services.record_query(query=query, lang=lang, hits=len(results), source="api")
    return _hits(results)


@router.get("/suggest", response={200: SearchResults, **_ERRORS}, summary="Suggest articles (deflection)", **PUBLIC)
def suggest_articles(request: HttpRequest, params: Query[SearchParams]) -> SearchResults:
    """Up to 5 articles for a ticket subject or a first chat message, before anything is submitted."""
    query = _search_query(params.q)
    lang = _lang_param(params.lang) or selectors.search_lang(query, selectors.current_lang())
    hit("search", client_ip(request), limit=settings.SAFEDESK_SEARCH_RATE_PER_MINUTE)
    results = selectors.search_articles(query, lang=lang, limit=SUGGEST_LIMIT)
    search_services.record_query(query=query, lang=lang, hits=len(results), source="deflection")
    return _hits(results)


@router.get(
    "/{slug}", response={200: ArticleDetail, **_ERRORS, 404: ErrorBody}, summary="One published article", **PUBLIC
)
def get_article(request: HttpRequest, slug: str, lang: str | None = None) -> ArticleDetail:
    """The article at `slug` in `lang` (default: the request's language), or the other language
    with `is_fallback: true` when that one is not published."""
    language = _lang_param(lang) or selectors.current_lang()
    # A draft-only or unknown slug raises Http404: the API answers {"code": "not_found", ...}.
    page = selectors.access_published_article(slug, language)
    tr = page.translation
    siblings = selectors.published_translations().filter(article=page.article).order_by("lang")
    summary = _summary(tr)
    return ArticleDetail(
        **summary.model_dump(),
        body_markdown=tr.body,
        body_html=str(render_markdown(tr.body)),
        published_at=tr.published_at,
        is_fallback=page.is_fallback,
        translations=[Translation(lang=t.lang, slug=t.slug, url=selectors.article_url(t.slug)) for t in siblings],
    )
