"""Reads of the help center. Public reads only ever see published translations."""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Literal

from django.db.models import Count, Exists, OuterRef, Prefetch, Q, QuerySet
from django.http import Http404
from django.urls import reverse
from django.utils.safestring import SafeString
from django.utils.translation import get_language

from safedesk.helpcenter.models import (
    Article,
    ArticleFeedback,
    ArticleRevision,
    ArticleTranslation,
    Category,
    Lang,
    Status,
    normalize_lang,
    other_lang,
)
from safedesk.search import selectors as search_selectors

SEARCH_KIND = "article"


def current_lang() -> str:
    return normalize_lang(get_language())


_HAN = re.compile("[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")


def search_lang(query: str, default: str) -> str:
    """Which language's hits come first: a query written in Chinese wants Chinese articles
    first even in the English interface; otherwise the reader's language."""
    return "zh-hans" if _HAN.search(query) else default


def article_url(slug: str) -> str:
    return reverse("helpcenter:article", kwargs={"slug": slug})


def clean_query(raw: str) -> str:
    """A search query as typed: one line, at most 200 characters, no NUL, valid UTF-8 (else 400)."""
    return search_selectors.clean_query(raw)


def published_translations() -> QuerySet[ArticleTranslation]:
    return ArticleTranslation.objects.filter(status=Status.PUBLISHED)


def _published_articles() -> QuerySet[Article]:
    visible = published_translations().filter(article=OuterRef("pk"))
    return Article.objects.filter(Exists(visible)).prefetch_related(
        Prefetch("translations", queryset=published_translations(), to_attr="published")
    )


@dataclass(frozen=True)
class ArticleCard:
    """One article as a reader sees it in a list: the translation in their language, or the other."""

    key: str
    slug: str
    title: str
    lang: str
    url: str
    is_fallback: bool
    view_count: int


def pick_translation(translations: Iterable[ArticleTranslation], lang: str) -> ArticleTranslation | None:
    by_lang = {t.lang: t for t in translations}
    return by_lang.get(lang) or by_lang.get(other_lang(lang))


def _cards(articles: Iterable[Article], lang: str) -> list[ArticleCard]:
    cards: list[ArticleCard] = []
    for article in articles:
        tr = pick_translation(getattr(article, "published", []), lang)
        if tr is None:
            continue
        cards.append(
            ArticleCard(
                key=article.key,
                slug=tr.slug,
                title=tr.title,
                lang=tr.lang,
                url=article_url(tr.slug),
                is_fallback=tr.lang != lang,
                view_count=article.view_count,
            )
        )
    return cards


@dataclass(frozen=True)
class CategoryCard:
    slug: str
    name: str
    article_count: int


def categories_with_counts(lang: str) -> list[CategoryCard]:
    """Categories that have at least one published article; drafts never count."""
    visible = Q(articles__translations__status=Status.PUBLISHED)
    # Explicit order: Django drops Meta.ordering from aggregated queries.
    rows = (
        Category.objects.annotate(n=Count("articles", filter=visible, distinct=True))
        .filter(n__gt=0)
        .order_by("position", "slug")
    )
    return [CategoryCard(slug=c.slug, name=c.name_for(lang), article_count=c.n) for c in rows]


def popular_articles(lang: str, *, limit: int = 6, exclude_key: str = "") -> list[ArticleCard]:
    articles = _published_articles().exclude(key=exclude_key).order_by("-view_count", "key")[:limit]
    return _cards(articles, lang)


def access_category(slug: str) -> Category:
    category = Category.objects.filter(slug=slug).first()
    if category is None:
        raise Http404
    return category


def category_articles(category: Category, lang: str) -> list[ArticleCard]:
    return _cards(_published_articles().filter(category=category).order_by("-view_count", "key"), lang)


@dataclass(frozen=True)
class ArticlePage:
    article: Article
    translation: ArticleTranslation
    is_fallback: bool  # the reader's language is missing; the other one is shown
    canonical_slug: str  # slug of the translation shown (the URL to redirect to when it differs)


def access_published_article(slug: str, lang: str) -> ArticlePage:
    """The article at `slug` (in either language) as the reader should see it, or 404.

    Drafts are invisible: a slug that belongs only to a draft is a 404, exactly like a slug that
    never existed.
    """
    candidates = list(published_translations().filter(slug=slug).select_related("article__category"))
    if not candidates:
        raise Http404
    candidates.sort(key=lambda t: t.lang != lang)
    article = candidates[0].article
    siblings = list(published_translations().filter(article=article))
    shown = pick_translation(siblings, lang)
    assert shown is not None  # the candidate itself is published
    shown.article = article
    return ArticlePage(article=article, translation=shown, is_fallback=shown.lang != lang, canonical_slug=shown.slug)


def related_articles(article: Article, lang: str, *, limit: int = 5) -> list[ArticleCard]:
    """Same category first, then shared tags; ties go to the more read article."""
    tags = set(article.tags or [])
    pool = list(
        _published_articles()
        .exclude(pk=article.pk)
        .filter(Q(category_id=article.category_id) | Q(pk__in=_articles_sharing_tags(article, tags)))
        .order_by("-view_count", "key")[:50]
    )

    def rank(other: Article) -> tuple[int, int]:
        shared = len(tags.intersection(other.tags or []))
        return (-(shared + (2 if other.category_id == article.category_id else 0)), -other.view_count)

    pool.sort(key=rank)
    return _cards(pool[:limit], lang)


def _articles_sharing_tags(article: Article, tags: set[str]) -> list[int]:
    # JSON containment is not portable to SQLite, and help centers are small: filter in Python.
    if not tags:
        return []
    rows = Article.objects.exclude(pk=article.pk).values_list("pk", "tags")
    return [pk for pk, other in rows.iterator() if tags.intersection(other or [])]


@dataclass(frozen=True)
class ArticleHit:
    key: str
    slug: str
    title: str
    snippet: SafeString
    url: str
    lang: str
    score: float


def _published_hits(hits: Sequence[search_selectors.Hit]) -> list[ArticleHit]:
    """Keep only hits whose translation is published now; the DB, not the index, is the truth."""
    keys = {h.key for h in hits if h.kind == SEARCH_KIND}
    if not keys:
        return []
    # Only the columns a hit needs: this runs on every search request.
    rows = (
        published_translations()
        .filter(article__key__in=keys)
        .order_by()
        .values_list("article__key", "lang", "slug", "title")
    )
    live = {(key, lang): (slug, title) for key, lang, slug, title in rows}
    results: list[ArticleHit] = []
    for h in hits:
        found = live.get((h.key, h.lang))
        if h.kind != SEARCH_KIND or found is None:
            continue
        slug, title = found
        results.append(
            ArticleHit(
                key=h.key,
                slug=slug,
                title=title,
                snippet=h.snippet,
                url=article_url(slug),
                lang=h.lang,
                score=h.score,
            )
        )
    return results


def search_articles(query: str, *, lang: str | None, limit: int = 20) -> list[ArticleHit]:
    if not query:
        return []
    result = search_selectors.search(query, kinds=(SEARCH_KIND,), lang=lang, limit=limit)
    return _published_hits(result.hits)


def suggest_articles(prefix: str, *, lang: str | None, limit: int = 5) -> list[ArticleHit]:
    if not prefix:
        return []
    return _published_hits(search_selectors.suggest(prefix, kinds=(SEARCH_KIND,), lang=lang, limit=limit))


# ---- editor (staff) reads ------------------------------------------------------------------


@dataclass(frozen=True)
class EditorRow:
    article: Article
    translations: dict[str, ArticleTranslation]

    def title(self) -> str:
        tr = self.translations.get(Lang.ZH_HANS) or self.translations.get(Lang.EN)
        return tr.title if tr else self.article.key

    def slots(self) -> list[tuple[str, ArticleTranslation | None]]:
        return [(lang, self.translations.get(lang)) for lang in Lang.values]


def editor_articles(*, category_slug: str = "", status: str = "") -> list[EditorRow]:
    articles = Article.objects.select_related("category").prefetch_related("translations").order_by("key")
    if category_slug:
        articles = articles.filter(category__slug=category_slug)
    if status in Status.values:
        articles = articles.filter(translations__status=status).distinct()
    return [EditorRow(a, {t.lang: t for t in a.translations.all()}) for a in articles]


def all_categories() -> list[Category]:
    return list(Category.objects.order_by("position", "slug"))


def access_article(key: str) -> Article:
    article = Article.objects.select_related("category").filter(key=key).first()
    if article is None:
        raise Http404
    return article


def access_translation(article: Article, lang: str) -> ArticleTranslation:
    if lang not in Lang.values:
        raise Http404
    tr = ArticleTranslation.objects.filter(article=article, lang=lang).first()
    if tr is None:
        raise Http404
    tr.article = article
    return tr


def article_feedback(article: Article, *, limit: int = 100) -> list[ArticleFeedback]:
    return list(ArticleFeedback.objects.filter(article=article).exclude(comment="").select_related("user")[:limit])


def revisions(translation: ArticleTranslation) -> list[ArticleRevision]:
    return list(translation.revisions.select_related("author").order_by("-number"))


def access_revision(translation: ArticleTranslation, number: int) -> ArticleRevision:
    rev = translation.revisions.filter(number=number).first()
    if rev is None:
        raise Http404
    return rev


@dataclass(frozen=True)
class DiffLine:
    kind: Literal["equal", "insert", "delete"]
    text: str


def diff_lines(old: str, new: str) -> list[DiffLine]:
    """A line diff; the template escapes every line and wraps changes in <ins>/<del>."""
    a, b = old.splitlines(), new.splitlines()
    lines: list[DiffLine] = []
    for op, i1, i2, j1, j2 in difflib.SequenceMatcher(None, a, b, autojunk=False).get_opcodes():
        if op == "equal":
            lines.extend(DiffLine("equal", t) for t in a[i1:i2])
            continue
        lines.extend(DiffLine("delete", t) for t in a[i1:i2])
        lines.extend(DiffLine("insert", t) for t in b[j1:j2])
    return lines
