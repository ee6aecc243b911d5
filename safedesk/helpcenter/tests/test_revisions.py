from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from safedesk.audit.models import AuditEvent
from safedesk.helpcenter import services
from safedesk.helpcenter.models import Article, ArticleRevision, ArticleTranslation
from safedesk.lib.errors import InvalidInput


def test_it_adds_a_revision_for_each_save_that_changes_content(lockout: Article, agent_sam: Any) -> None:
    tr = ArticleTranslation.objects.get(article=lockout, lang="en")
    services.save_translation(lockout, lang="en", title=tr.title, body="New body", note="clarify", actor=agent_sam)
    services.save_translation(lockout, lang="en", title="Locked out?", body="New body", actor=agent_sam)
    revs = list(ArticleRevision.objects.filter(translation=tr).order_by("number"))
    assert [r.number for r in revs] == [1, 2, 3]
    assert revs[1].body == "New body" and revs[1].note == "clarify" and revs[1].author == agent_sam
    assert revs[2].title == "Locked out?"


def test_it_adds_no_revision_when_nothing_changed(lockout: Article, agent_sam: Any) -> None:
    tr = ArticleTranslation.objects.get(article=lockout, lang="en")
    result = services.save_translation(lockout, lang="en", title=tr.title, body=tr.body, actor=agent_sam)
    assert result.changed is False
    assert ArticleRevision.objects.filter(translation=tr).count() == 1


def test_it_keeps_chinese_characters_in_derived_slugs(lockout: Article) -> None:
    zh = ArticleTranslation.objects.get(article=lockout, lang="zh-hans")
    assert zh.slug == "账户被锁定怎么办"
    assert ArticleTranslation.objects.get(article=lockout, lang="en").slug == "my-account-is-locked"


def test_it_makes_derived_slugs_unique_per_language(make_article: Callable[..., Article]) -> None:
    make_article("a-one", en=("Same title", "x"))
    b = make_article("a-two", en=("Same title", "y"), zh=("Same title", "z"))
    assert ArticleTranslation.objects.get(article=b, lang="en").slug == "same-title-2"
    # Another language may use the same slug.
    assert ArticleTranslation.objects.get(article=b, lang="zh-hans").slug == "same-title"


def test_it_refuses_an_explicit_slug_that_is_taken(make_article: Callable[..., Article], agent_sam: Any) -> None:
    make_article("a-one", en=("First", "x"))
    b = make_article("a-two", en=("Second", "y"))
    with pytest.raises(InvalidInput) as caught:
        services.save_translation(b, lang="en", title="Second", body="y", slug="first", actor=agent_sam)
    assert caught.value.code == "slug_taken"


def test_it_keeps_the_slug_when_the_title_changes(lockout: Article, agent_sam: Any) -> None:
    services.save_translation(lockout, lang="en", title="A new title", body="b", actor=agent_sam)
    assert ArticleTranslation.objects.get(article=lockout, lang="en").slug == "my-account-is-locked"


def test_it_audits_every_change(lockout: Article, agent_sam: Any) -> None:
    verbs = set(AuditEvent.objects.values_list("verb", flat=True))
    assert {
        "helpcenter.category_created",
        "helpcenter.article_created",
        "helpcenter.translation_created",
        "helpcenter.translation_published",
    } <= verbs


@pytest.mark.parametrize("key", ["Bad Key", "new", "preview", "a--b", "../x", ""])
def test_it_refuses_bad_keys(category: Any, agent_sam: Any, key: str) -> None:
    with pytest.raises(InvalidInput):
        services.create_article(key=key, category=category, actor=agent_sam)


def test_it_refuses_nul_in_titles(lockout: Article, agent_sam: Any) -> None:
    with pytest.raises(InvalidInput):
        services.save_translation(lockout, lang="en", title="a\x00b", body="", actor=agent_sam)
