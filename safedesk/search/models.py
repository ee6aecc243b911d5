"""The search index (documents; the per-vendor full-text structure lives beside them, created by
migration 0001), the editable synonym list and the zero-result query log."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class SearchDocument(models.Model):
    """One language of one searchable thing. Its id is the row id of the full-text table
    (`search_fts`), which holds the segmented terms."""

    kind = models.CharField(_("kind"), max_length=32)
    key = models.CharField(_("key"), max_length=200)
    lang = models.CharField(_("language"), max_length=16)
    title = models.CharField(_("title"), max_length=500)
    body = models.TextField(_("body"), blank=True)
    url = models.CharField(_("address"), max_length=500)
    tags = models.CharField(_("tags"), max_length=500, blank=True)
    boost = models.FloatField(_("boost"), default=1.0)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        verbose_name = _("search document")
        verbose_name_plural = _("search documents")
        constraints = [models.UniqueConstraint(fields=["kind", "key", "lang"], name="search_document_unique")]
        # The newest documents of one kind and language, in order: what a search of very common
        # words walks on PostgreSQL (see backends/postgres.py).
        indexes = [models.Index(fields=["kind", "lang", "-id"], name="search_document_part_idx")]

    def __str__(self) -> str:
        return f"{self.kind}:{self.key}:{self.lang}"


class SynonymGroup(models.Model):
    """Terms that mean the same for search, in any language ("提币, 提现, withdraw")."""

    terms = models.TextField(_("terms"), help_text=_("One term per line or separated by commas."))
    note = models.CharField(_("note"), max_length=200, blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        ordering = ["id"]
        verbose_name = _("synonym group")
        verbose_name_plural = _("synonym groups")

    def __str__(self) -> str:
        return ", ".join(self.term_list())

    def term_list(self) -> list[str]:
        return split_terms(self.terms)


def split_terms(text: str) -> list[str]:
    seen: list[str] = []
    for part in text.replace("，", ",").replace("、", ",").replace("\n", ",").split(","):
        term = " ".join(part.split())
        if term and term not in seen:
            seen.append(term)
    return seen


class ZeroResultQuery(models.Model):
    """A query that found nothing, counted: the content-gaps report."""

    query = models.CharField(_("query"), max_length=200)
    lang = models.CharField(_("language"), max_length=16)
    source = models.CharField(_("source"), max_length=32, default="helpcenter")
    count = models.PositiveIntegerField(_("times"), default=0)
    first_seen = models.DateTimeField(_("first seen"), auto_now_add=True)
    last_seen = models.DateTimeField(_("last seen"))

    class Meta:
        ordering = ["-count", "-last_seen"]
        verbose_name = _("query without results")
        verbose_name_plural = _("queries without results")
        constraints = [
            models.UniqueConstraint(fields=["query", "lang", "source"], name="search_zero_result_unique"),
        ]
        indexes = [models.Index(fields=["-count"], name="search_zero_count_idx")]

    def __str__(self) -> str:
        return self.query
