"""The only writers of the help center. Each verb runs in one transaction, locks what it changes,
records an audit event, and keeps the search index in step: only published translations are
indexed, so drafts never appear in results, suggestions or counts."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import F, Max, QuerySet
from django.utils import timezone
from django.utils.text import slugify
from django.utils.translation import gettext as _

from safedesk.accounts.models import User
from safedesk.audit.services import record
from safedesk.helpcenter import files
from safedesk.helpcenter.models import (
    LANGS,
    Article,
    ArticleFeedback,
    ArticleRevision,
    ArticleTranslation,
    Category,
    Deflection,
    Status,
)
from safedesk.helpcenter.selectors import SEARCH_KIND, article_url
from safedesk.lib.errors import InvalidInput
from safedesk.lib.markdown import to_plain
from safedesk.lib.text import clean_text
from safedesk.safety.shield import shield_text
from safedesk.search import services as search_services

KEY_PATTERN = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
# Editor addresses that sit beside /agent/articles/<key>/.
RESERVED_KEYS = frozenset({"new", "preview"})
MAX_TITLE = 200
MAX_BODY = 100_000
MAX_COMMENT = 2000
MAX_TAGS = 20
MAX_QUESTIONS = 50


# ---- validation helpers --------------------------------------------------------------------


def clean_key(value: str) -> str:
    key = clean_text(value, field="key", max_length=100, multiline=False).lower()
    if not KEY_PATTERN.match(key) or key in RESERVED_KEYS:
        raise InvalidInput(
            _("A key may contain only lowercase letters, digits and single hyphens."), code="invalid_key", field="key"
        )
    return key


def clean_lang(value: str) -> str:
    if value not in LANGS:
        raise InvalidInput(_("The language must be zh-hans or en."), code="invalid_lang", field="lang")
    return value


def clean_slug(value: str, *, field_name: str = "slug") -> str:
    text = clean_text(value, field=field_name, max_length=200, allow_empty=True, multiline=False)
    slug = slugify(text, allow_unicode=True)
    if text and not slug:
        raise InvalidInput(_("The slug has no letters or digits."), code="invalid_slug", field=field_name)
    return slug


def clean_list(values: Any, *, field_name: str, max_items: int, max_length: int) -> list[str]:
    if values is None:
        return []
    if isinstance(values, str):
        values = [v for v in re.split(r"[,\n，]", values)]
    if not isinstance(values, list | tuple):
        raise InvalidInput(_("A list was expected."), code="invalid_list", field=field_name)
    seen: list[str] = []
    for raw in values:
        if not isinstance(raw, str | int | float):
            raise InvalidInput(_("A list of texts was expected."), code="invalid_list", field=field_name)
        item = clean_text(str(raw), field=field_name, max_length=max_length, allow_empty=True, multiline=False)
        if item and item not in seen:
            seen.append(item)
    if len(seen) > max_items:
        raise InvalidInput(
            _("Too many entries (at most %(max)d).") % {"max": max_items}, code="too_many", field=field_name
        )
    return seen


def clean_tags(values: Any) -> list[str]:
    return clean_list(values, field_name="tags", max_items=MAX_TAGS, max_length=50)


def clean_questions(values: Any) -> list[str]:
    return clean_list(values, field_name="questions", max_items=MAX_QUESTIONS, max_length=300)


def _actor_or_none(actor: Any) -> Any:
    return actor if getattr(actor, "is_authenticated", False) else None


# ---- the search index ----------------------------------------------------------------------


def _index(tr: ArticleTranslation) -> None:
    # Example questions are indexed with the body: readers ask the way the questions are phrased.
    body = "\n".join([to_plain(tr.body), *tr.questions])
    search_services.index_document(
        kind=SEARCH_KIND,
        key=tr.article.key,
        lang=tr.lang,
        title=tr.title,
        body=body,
        url=article_url(tr.slug),
        tags=" ".join(tr.article.tags),
    )


def _unindex(article: Article, lang: str | None = None) -> None:
    search_services.remove_document(kind=SEARCH_KIND, key=article.key, lang=lang)


# ---- categories ----------------------------------------------------------------------------


def save_category(*, slug: str, name_zh_hans: str, name_en: str, position: int = 0, actor: Any) -> Category:
    """Create the category or bring it to the given state (idempotent)."""
    slug = clean_slug(slug)
    if not slug:
        raise InvalidInput(_("This field is required."), code="required", field="slug")
    zh = clean_text(name_zh_hans, field="name", max_length=120, multiline=False)
    en = clean_text(name_en, field="name", max_length=120, multiline=False)
    if not isinstance(position, int) or position < 0:
        raise InvalidInput(_("The position must be a whole number of zero or more."), code="invalid_position")
    with transaction.atomic():
        category = Category.objects.select_for_update().filter(slug=slug).first()
        if category is None:
            category = Category.objects.create(slug=slug, name_zh_hans=zh, name_en=en, position=position)
            record("helpcenter.category_created", actor=actor, target=category, data={"name": en})
        elif (category.name_zh_hans, category.name_en, category.position) != (zh, en, position):
            category.name_zh_hans, category.name_en, category.position = zh, en, position
            category.save(update_fields=["name_zh_hans", "name_en", "position"])
            record("helpcenter.category_updated", actor=actor, target=category, data={"name": en})
    return category


# ---- articles ------------------------------------------------------------------------------


def create_article(*, key: str, category: Category, tags: Any = None, actor: Any) -> Article:
    key = clean_key(key)
    tag_list = clean_tags(tags)
    with transaction.atomic():
        if Article.objects.filter(key=key).exists():
            raise InvalidInput(_("An article with this key already exists."), code="key_taken", field="key")
        article = Article.objects.create(key=key, category=category, tags=tag_list, created_by=_actor_or_none(actor))
        record("helpcenter.article_created", actor=actor, target=article, target_ref=key, data={"tags": tag_list})
    return article


def update_article(article: Article, *, category: Category, tags: Any, actor: Any) -> bool:
    """Change category and tags; published translations are re-indexed. Returns whether anything changed."""
    tag_list = clean_tags(tags)
    with transaction.atomic():
        locked = Article.objects.select_for_update().get(pk=article.pk)
        if locked.category_id == category.pk and locked.tags == tag_list:
            return False
        before = {"category": locked.category.slug, "tags": locked.tags}
        locked.category, locked.tags = category, tag_list
        locked.save(update_fields=["category", "tags"])
        for tr in locked.translations.filter(status=Status.PUBLISHED):
            tr.article = locked
            _index(tr)
        record(
            "helpcenter.article_updated",
            actor=actor,
            target=locked,
            target_ref=locked.key,
            data={"before": before, "after": {"category": category.slug, "tags": tag_list}},
        )
    article.category, article.tags = category, tag_list
    return True


def delete_article(article: Article, *, actor: Any) -> None:
    with transaction.atomic():
        locked = Article.objects.select_for_update().get(pk=article.pk)
        _unindex(locked)
        record("helpcenter.article_deleted", actor=actor, target=locked, target_ref=locked.key)
        ArticleFeedback.objects.filter(article=locked).delete()
        ArticleRevision.objects.filter(translation__article=locked).delete()
        locked.translations.all().delete()
        locked.delete()


def _slugs_in_use(lang: str, exclude_pk: int | None) -> QuerySet[ArticleTranslation]:
    taken = ArticleTranslation.objects.filter(lang=lang)
    return taken if exclude_pk is None else taken.exclude(pk=exclude_pk)


def _unique_slug(base: str, *, lang: str, exclude_pk: int | None) -> str:
    base = base[:200].strip("-") or "article"
    taken = _slugs_in_use(lang, exclude_pk)
    candidate, n = base, 1
    while taken.filter(slug=candidate).exists():
        n += 1
        candidate = f"{base}-{n}"
    return candidate


@dataclass(frozen=True)
class SaveResult:
    translation: ArticleTranslation
    created: bool
    changed: bool


def save_translation(
    article: Article,
    *,
    lang: str,
    title: str,
    body: str,
    slug: str = "",
    questions: Any = None,
    note: str = "",
    actor: Any,
) -> SaveResult:
    """Create or update one language of an article. Every save that changes the title or body
    adds a revision; a published translation is re-indexed at once."""
    lang = clean_lang(lang)
    title = clean_text(title, field="title", max_length=MAX_TITLE, multiline=False)
    body = clean_text(body, field="body", max_length=MAX_BODY, allow_empty=True)
    wanted_slug = clean_slug(slug)
    question_list = clean_questions(questions)
    note = clean_text(note, field="note", max_length=200, allow_empty=True, multiline=False)
    who = _actor_or_none(actor)
    with transaction.atomic():
        locked = Article.objects.select_for_update().get(pk=article.pk)
        tr = ArticleTranslation.objects.select_for_update().filter(article=locked, lang=lang).first()
        created = tr is None
        exclude_pk = None if tr is None else tr.pk
        if wanted_slug:
            if _slugs_in_use(lang, exclude_pk).filter(slug=wanted_slug).exists():
                raise InvalidInput(
                    _("Another article in this language already uses this slug."), code="slug_taken", field="slug"
                )
            new_slug = wanted_slug
        elif tr is not None and tr.slug:
            # Keep the address readers already have; an empty slug field on a new translation derives one.
            new_slug = tr.slug
        else:
            new_slug = _unique_slug(slugify(title, allow_unicode=True) or locked.key, lang=lang, exclude_pk=exclude_pk)
        if tr is None:
            tr = ArticleTranslation(article=locked, lang=lang)
        content_changed = created or (tr.title, tr.body) != (title, body)
        changed = content_changed or tr.slug != new_slug or tr.questions != question_list
        if not changed:
            return SaveResult(tr, created=False, changed=False)
        before_slug = tr.slug
        tr.title, tr.body, tr.slug, tr.questions, tr.updated_by = title, body, new_slug, question_list, who
        try:
            with transaction.atomic():
                tr.save()
        except IntegrityError as exc:
            raise InvalidInput(
                _("Another article in this language already uses this slug."), code="slug_taken", field="slug"
            ) from exc
        if content_changed:
            last = tr.revisions.aggregate(n=Max("number"))["n"] or 0
            ArticleRevision.objects.create(
                translation=tr, number=last + 1, title=title, body=body, note=note, author=who
            )
        tr.article = locked
        if tr.is_published:
            _index(tr)
        record(
            "helpcenter.translation_created" if created else "helpcenter.translation_updated",
            actor=actor,
            target=locked,
            target_ref=f"{locked.key}/{lang}",
            data={"title": title, "slug": new_slug, "slug_before": before_slug, "note": note},
        )
    return SaveResult(tr, created=created, changed=True)


def publish_translation(translation: ArticleTranslation, *, actor: Any) -> bool:
    """Publish (and index) one language. Returns False when it was already published."""
    with transaction.atomic():
        tr = ArticleTranslation.objects.select_for_update().select_related("article").get(pk=translation.pk)
        if tr.is_published:
            return False
        tr.status = Status.PUBLISHED
        tr.published_at = timezone.now()
        tr.updated_by = _actor_or_none(actor)
        tr.save(update_fields=["status", "published_at", "updated_by", "updated_at"])
        _index(tr)
        record(
            "helpcenter.translation_published", actor=actor, target=tr.article, target_ref=f"{tr.article.key}/{tr.lang}"
        )
    translation.status, translation.published_at = tr.status, tr.published_at
    return True


def unpublish_translation(translation: ArticleTranslation, *, actor: Any) -> bool:
    """Back to draft and out of the index. Returns False when it was not published."""
    with transaction.atomic():
        tr = ArticleTranslation.objects.select_for_update().select_related("article").get(pk=translation.pk)
        if not tr.is_published:
            return False
        tr.status = Status.DRAFT
        tr.updated_by = _actor_or_none(actor)
        tr.save(update_fields=["status", "updated_by", "updated_at"])
        _unindex(tr.article, tr.lang)
        record(
            "helpcenter.translation_unpublished",
            actor=actor,
            target=tr.article,
            target_ref=f"{tr.article.key}/{tr.lang}",
        )
    translation.status = tr.status
    return True


def reindex_all() -> int:
    """Rebuild the index from the database (after a search backend change). Returns documents indexed."""
    n = 0
    with transaction.atomic():
        for article in Article.objects.prefetch_related("translations"):
            _unindex(article)
            for tr in article.translations.all():
                if tr.is_published:
                    tr.article = article
                    _index(tr)
                    n += 1
    return n


# ---- readers' signals ----------------------------------------------------------------------


def record_view(article: Article) -> None:
    # A single UPDATE … SET view_count = view_count + 1: concurrent readers never lose a count.
    # Not audited: reading is not a change anyone made to the content.
    Article.objects.filter(pk=article.pk).update(view_count=F("view_count") + 1)


@dataclass(frozen=True)
class FeedbackResult:
    feedback: ArticleFeedback
    created: bool


def record_feedback(
    article: Article,
    *,
    lang: str,
    helpful: bool,
    comment: str = "",
    user: Any = None,
    session_key: str = "",
    ip: str = "",
) -> FeedbackResult:
    """One vote per reader (signed-in user, else browser session) and article; voting again
    replaces the earlier vote and the counters follow."""
    lang = clean_lang(lang)
    # A comment is customer-written text: it passes the secret shield before it is stored.
    comment = shield_text(clean_text(comment, field="comment", max_length=MAX_COMMENT, allow_empty=True))[:MAX_COMMENT]
    who = _actor_or_none(user)
    if who is None and not session_key:
        raise InvalidInput(_("Your browser did not keep a session. Enable cookies and try again."), code="no_session")
    with transaction.atomic():
        # Locking the article serialises votes on it, so the dedupe check below cannot race.
        Article.objects.select_for_update().filter(pk=article.pk).first()
        mine = ArticleFeedback.objects.select_for_update().filter(article=article)
        mine = mine.filter(user=who) if who is not None else mine.filter(user__isnull=True, session_key=session_key)
        existing = mine.first()
        yes, no = (F("helpful_yes") + 1, F("helpful_no")) if helpful else (F("helpful_yes"), F("helpful_no") + 1)
        if existing is None:
            feedback = ArticleFeedback.objects.create(
                article=article,
                lang=lang,
                helpful=helpful,
                comment=comment,
                user=who,
                session_key="" if who is not None else session_key,
            )
            Article.objects.filter(pk=article.pk).update(helpful_yes=yes, helpful_no=no)
            created = True
        else:
            feedback = existing
            if existing.helpful != helpful:
                # Move the earlier vote to the other counter.
                if helpful:
                    Article.objects.filter(pk=article.pk).update(
                        helpful_yes=F("helpful_yes") + 1, helpful_no=F("helpful_no") - 1
                    )
                else:
                    Article.objects.filter(pk=article.pk).update(
                        helpful_yes=F("helpful_yes") - 1, helpful_no=F("helpful_no") + 1
                    )
            feedback.helpful, feedback.lang = helpful, lang
            if comment:
                feedback.comment = comment
            feedback.save(update_fields=["helpful", "lang", "comment", "updated_at"])
            created = False
        record(
            "helpcenter.feedback_recorded",
            actor=who,
            target=article,
            target_ref=article.key,
            data={"helpful": helpful, "lang": lang, "with_comment": bool(comment), "replaced": not created},
            ip=ip,
        )
    return FeedbackResult(feedback, created)


# ---- import / export -----------------------------------------------------------------------


def resolve_actor(email: str) -> Any:
    """The person a command-line or demo change is recorded for: the user with `email`, or the
    label "command line" when no email is given (the audit log keeps the label)."""
    if not email:
        return "command line"
    user = User.objects.filter(email=email.strip().lower()).first()
    if user is None:
        raise InvalidInput(_("No user has this email address."), code="unknown_actor", field="actor")
    return user


@dataclass
class ImportResult:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    errors: list[str] = field(default_factory=list)


def import_articles(folder: Path, *, actor: Any) -> ImportResult:
    """Load `<folder>/categories.yaml` and `<folder>/articles/<key>.<lang>.md` (see files.py).

    Idempotent: a second run with the same files changes nothing and adds no revision. A file
    that does not validate becomes an entry in `errors` (with its name); the others still load.
    """
    result = ImportResult()
    parsed = files.read_folder(folder)
    result.errors.extend(parsed.errors)
    known_categories: dict[str, Category] = {c.slug: c for c in Category.objects.all()}
    for cat in parsed.categories:
        try:
            known_categories[cat.slug] = save_category(
                slug=cat.slug, name_zh_hans=cat.name_zh_hans, name_en=cat.name_en, position=cat.position, actor=actor
            )
        except InvalidInput as exc:
            result.errors.append(f"categories.yaml: {cat.slug}: {exc.message}")
    by_key: dict[str, list[files.ArticleFile]] = {}
    for doc in parsed.articles:
        by_key.setdefault(doc.key, []).append(doc)
    for key, docs in sorted(by_key.items()):
        category_slugs = {d.category for d in docs}
        if len(category_slugs) > 1:
            result.errors.extend(f"{d.filename}: the languages of {key} name different categories." for d in docs)
            continue
        category = known_categories.get(docs[0].category)
        if category is None:
            result.errors.extend(f"{d.filename}: unknown category {d.category!r}." for d in docs)
            continue
        try:
            with transaction.atomic():
                _import_article(key, category, docs, actor=actor, result=result)
        except InvalidInput as exc:
            result.errors.extend(f"{d.filename}: {exc.message}" for d in docs)
    return result


def _import_article(
    key: str, category: Category, docs: list[files.ArticleFile], *, actor: Any, result: ImportResult
) -> None:
    tags: list[str] = []
    for d in docs:
        tags.extend(t for t in d.tags if t not in tags)
    article = Article.objects.filter(key=key).first()
    article_changed = False
    if article is None:
        article = create_article(key=key, category=category, tags=tags, actor=actor)
        article_changed = True
    else:
        article_changed = update_article(article, category=category, tags=tags, actor=actor)
    for d in sorted(docs, key=lambda d: d.lang):
        saved = save_translation(
            article,
            lang=d.lang,
            title=d.title,
            body=d.body,
            slug=d.slug,
            questions=d.questions,
            note=_("Imported from %(file)s") % {"file": d.filename},
            actor=actor,
        )
        tr = saved.translation
        if d.status == Status.PUBLISHED:
            status_changed = publish_translation(tr, actor=actor)
        else:
            status_changed = unpublish_translation(tr, actor=actor)
        if saved.created:
            result.created += 1
        elif saved.changed or status_changed or article_changed:
            result.updated += 1
        else:
            result.unchanged += 1


@dataclass(frozen=True)
class ExportResult:
    categories: int
    files: int


def export_articles(folder: Path, *, actor: Any) -> ExportResult:
    """Write every category and every translation (drafts too, with their status) in the import format."""
    categories = [
        files.CategoryEntry(slug=c.slug, name_zh_hans=c.name_zh_hans, name_en=c.name_en, position=c.position)
        for c in Category.objects.order_by("position", "slug")
    ]
    docs: list[files.ArticleFile] = []
    for tr in ArticleTranslation.objects.select_related("article__category").order_by("article__key", "lang"):
        docs.append(
            files.ArticleFile(
                filename=f"{tr.article.key}.{tr.lang}.md",
                key=tr.article.key,
                category=tr.article.category.slug,
                lang=tr.lang,
                title=tr.title,
                slug=tr.slug,
                status=tr.status,
                tags=list(tr.article.tags),
                questions=list(tr.questions),
                body=tr.body,
            )
        )
    files.write_folder(folder, categories, docs)
    with transaction.atomic():
        record(
            "helpcenter.articles_exported",
            actor=actor,
            target_ref=str(folder)[:200],
            data={"categories": len(categories), "files": len(docs)},
        )
    return ExportResult(categories=len(categories), files=len(docs))


DEFLECTION_SOURCES = frozenset({"ticket_form", "chat"})


def record_deflection(
    article_key: Any, *, lang: Any, source: str, user: Any = None, session_key: str = "", ip: str = ""
) -> bool:
    """A reader says the suggested article answered their question. Only published articles
    count; a reader counts once per article and place. True when newly recorded."""
    if source not in DEFLECTION_SOURCES:
        raise InvalidInput(code="invalid_source")
    lang = clean_lang(lang)
    translation = (
        ArticleTranslation.objects.select_related("article")
        .filter(article__key=article_key if isinstance(article_key, str) else "", lang=lang, status=Status.PUBLISHED)
        .first()
    )
    if translation is None:
        raise InvalidInput(_("This article is not available."), code="unknown_article", field="article")
    who = _actor_or_none(user)
    if who is None and not session_key:
        raise InvalidInput(_("Your browser did not keep a session. Enable cookies and try again."), code="no_session")
    article = translation.article
    with transaction.atomic():
        mine = Deflection.objects.filter(article=article, source=source)
        mine = mine.filter(user=who) if who is not None else mine.filter(user__isnull=True, session_key=session_key)
        if mine.exists():
            return False
        try:
            with transaction.atomic():
                Deflection.objects.create(article=article, lang=lang, source=source, user=who, session_key=session_key)
        except IntegrityError:
            return False  # the same reader's second click won a race
        record("helpcenter.deflected", actor=who, target=article, data={"source": source, "lang": lang}, ip=ip)
    return True
