"""Help center: categories, bilingual articles, their revisions and readers' feedback.

An Article is the language-independent identity (a stable `key` shared by both languages);
each language is an ArticleTranslation with its own title, slug, body and publication state.
Services (services.py) are the only writers.
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


class Lang(models.TextChoices):
    ZH_HANS = "zh-hans", "简体中文"
    EN = "en", "English"


LANGS: tuple[str, ...] = tuple(Lang.values)


def normalize_lang(code: str | None) -> str:
    """Map any language code Django may hand us (zh-hans, zh-cn, en-us, …) to one of LANGS."""
    return Lang.ZH_HANS if (code or "").lower().startswith("zh") else Lang.EN


def other_lang(lang: str) -> str:
    return Lang.EN if lang == Lang.ZH_HANS else Lang.ZH_HANS


class Status(models.TextChoices):
    DRAFT = "draft", _("Draft")
    PUBLISHED = "published", _("Published")


class Category(models.Model):
    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    slug = models.SlugField(_("slug"), max_length=80, unique=True, allow_unicode=True)
    name_zh_hans = models.CharField(_("name (Simplified Chinese)"), max_length=120)
    name_en = models.CharField(_("name (English)"), max_length=120)
    position = models.PositiveIntegerField(_("position"), default=0)

    class Meta:
        ordering = ["position", "slug"]
        verbose_name = _("category")
        verbose_name_plural = _("categories")

    def __str__(self) -> str:
        return self.name_en or self.slug

    def name_for(self, lang: str) -> str:
        return (self.name_zh_hans if lang == Lang.ZH_HANS else self.name_en) or self.name_en or self.name_zh_hans


class Article(models.Model):
    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    # Shared by both languages; the file name on import/export and the search document key.
    key = models.SlugField(_("key"), max_length=100, unique=True)
    category = models.ForeignKey(Category, on_delete=models.PROTECT, related_name="articles")
    tags = models.JSONField(_("tags"), default=list, blank=True)
    view_count = models.PositiveBigIntegerField(_("views"), default=0)
    helpful_yes = models.PositiveIntegerField(_("helpful"), default=0)
    helpful_no = models.PositiveIntegerField(_("not helpful"), default=0)
    # PROTECT: removing a person never removes what they wrote.
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["key"]
        verbose_name = _("article")
        verbose_name_plural = _("articles")

    def __str__(self) -> str:
        return self.key

    @property
    def helpful_total(self) -> int:
        return self.helpful_yes + self.helpful_no

    @property
    def helpful_percent(self) -> int | None:
        total = self.helpful_total
        return round(100 * self.helpful_yes / total) if total else None


class ArticleTranslation(models.Model):
    article = models.ForeignKey(Article, on_delete=models.CASCADE, related_name="translations")
    lang = models.CharField(_("language"), max_length=10, choices=Lang.choices)
    title = models.CharField(_("title"), max_length=200)
    # allow_unicode: Chinese titles keep their characters in the URL.
    slug = models.SlugField(_("slug"), max_length=220, allow_unicode=True)
    body = models.TextField(_("body (Markdown)"), blank=True)
    # Example questions in this language, for the answer bot and as extra search text.
    questions = models.JSONField(_("example questions"), default=list, blank=True)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.DRAFT)
    published_at = models.DateTimeField(_("published at"), null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(_("last updated"), auto_now=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["article__key", "lang"]
        verbose_name = _("article translation")
        verbose_name_plural = _("article translations")
        constraints = [
            models.UniqueConstraint(fields=["article", "lang"], name="helpcenter_translation_one_per_lang"),
            models.UniqueConstraint(fields=["lang", "slug"], name="helpcenter_translation_slug_per_lang"),
        ]
        indexes = [models.Index(fields=["status", "lang"], name="helpcenter_tr_status_lang")]

    def __str__(self) -> str:
        return f"{self.article.key} [{self.lang}]"

    @property
    def is_published(self) -> bool:
        return self.status == Status.PUBLISHED


class ArticleRevision(models.Model):
    translation = models.ForeignKey(ArticleTranslation, on_delete=models.CASCADE, related_name="revisions")
    number = models.PositiveIntegerField(_("revision"))
    title = models.CharField(_("title"), max_length=200)
    body = models.TextField(_("body (Markdown)"), blank=True)
    note = models.CharField(_("note"), max_length=200, blank=True)
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-number"]
        verbose_name = _("article revision")
        verbose_name_plural = _("article revisions")
        constraints = [
            models.UniqueConstraint(fields=["translation", "number"], name="helpcenter_revision_number_unique")
        ]

    def __str__(self) -> str:
        return f"{self.translation} r{self.number}"


class ArticleFeedback(models.Model):
    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    article = models.ForeignKey(Article, on_delete=models.CASCADE, related_name="feedback")
    lang = models.CharField(_("language"), max_length=10, choices=Lang.choices)
    helpful = models.BooleanField(_("helpful"))
    comment = models.TextField(_("comment"), blank=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    # Anonymous readers are told apart by their session, so one reader counts once per article.
    session_key = models.CharField(max_length=64, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("article feedback")
        verbose_name_plural = _("article feedback")
        constraints = [
            models.UniqueConstraint(
                fields=["article", "user"], condition=Q(user__isnull=False), name="helpcenter_feedback_once_per_user"
            ),
            models.UniqueConstraint(
                fields=["article", "session_key"],
                condition=Q(user__isnull=True) & ~Q(session_key=""),
                name="helpcenter_feedback_once_per_session",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.article.key}: {'yes' if self.helpful else 'no'}"


class Deflection(models.Model):
    """A reader said a suggested article answered their question, instead of sending a request
    (the "deflection" reports count). One per reader, article and place."""

    article = models.ForeignKey(Article, on_delete=models.CASCADE, related_name="deflections")
    lang = models.CharField(_("language"), max_length=10, choices=Lang.choices)
    source = models.CharField(_("where"), max_length=32)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    session_key = models.CharField(max_length=64, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("deflection")
        verbose_name_plural = _("deflections")
        constraints = [
            models.UniqueConstraint(
                fields=["article", "source", "user"], condition=Q(user__isnull=False), name="deflection_once_per_user"
            ),
            models.UniqueConstraint(
                fields=["article", "source", "session_key"],
                condition=Q(user__isnull=True) & ~Q(session_key=""),
                name="deflection_once_per_session",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.article.key} ({self.source})"
