"""Publish/unpublish keeps the index in step; drafts never show in pages, search, API, suggest or counts."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.test import Client

from safedesk.helpcenter import selectors, services
from safedesk.helpcenter.models import Article, ArticleTranslation
from safedesk.search import selectors as search_selectors
from safedesk.search.models import SearchDocument


def _indexed(key: str) -> set[str]:
    return set(SearchDocument.objects.filter(kind="article", key=key).values_list("lang", flat=True))


def test_it_indexes_on_publish_and_removes_on_unpublish(lockout: Article, agent_sam: Any) -> None:
    assert _indexed("account-locked") == {"en", "zh-hans"}
    en = ArticleTranslation.objects.get(article=lockout, lang="en")
    services.unpublish_translation(en, actor=agent_sam)
    assert _indexed("account-locked") == {"zh-hans"}
    services.publish_translation(en, actor=agent_sam)
    assert _indexed("account-locked") == {"en", "zh-hans"}


def test_it_reindexes_a_published_translation_when_edited(lockout: Article, agent_sam: Any) -> None:
    services.save_translation(lockout, lang="en", title="Locked", body="zeppelin instructions", actor=agent_sam)
    assert [h.key for h in search_selectors.search("zeppelin", lang="en").hits] == ["account-locked"]


def test_it_removes_every_language_when_an_article_is_deleted(lockout: Article, agent_sam: Any) -> None:
    services.delete_article(lockout, actor=agent_sam)
    assert _indexed("account-locked") == set()
    assert not Article.objects.filter(key="account-locked").exists()


def test_it_hides_drafts_everywhere(make_article: Callable[..., Article], client: Client) -> None:
    make_article("secret-draft", en=("Unicorn staking", "unicorn secret plans"), published=())
    assert _indexed("secret-draft") == set()
    assert client.get("/help/articles/unicorn-staking/").status_code == 404
    assert client.get("/help/search/", {"q": "unicorn"}).content.count(b"Unicorn staking") == 0
    assert client.get("/help/search/suggest/", {"q": "unic"}).content.count(b"Unicorn") == 0
    assert client.get("/api/v1/articles/search", {"q": "unicorn"}).json() == {"results": []}
    assert client.get("/api/v1/articles/suggest", {"q": "unicorn"}).json() == {"results": []}
    assert client.get("/api/v1/articles").json()["results"] == []
    assert client.get("/api/v1/articles/unicorn-staking").status_code == 404
    # No category appears with a count that would reveal the draft.
    assert selectors.categories_with_counts("en") == []
    assert b"Unicorn" not in client.get("/").content


def test_it_counts_only_published_articles_per_category(make_article: Callable[..., Article], lockout: Article) -> None:
    make_article("draft-one", en=("Draft one", "x"), published=())
    [card] = selectors.categories_with_counts("en")
    assert card.article_count == 1


def test_it_answers_a_draft_slug_like_an_unknown_one(make_article: Callable[..., Article], client: Client) -> None:
    make_article("draft-two", en=("Hidden thing", "x"), published=())
    hidden = client.get("/help/articles/hidden-thing/")
    unknown = client.get("/help/articles/never-existed/")
    assert hidden.status_code == unknown.status_code == 404
    api_hidden = client.get("/api/v1/articles/hidden-thing")
    api_unknown = client.get("/api/v1/articles/never-existed")
    assert api_hidden.json() == api_unknown.json()
    assert api_hidden.json()["code"] == "not_found"
