from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client

from safedesk.helpcenter.models import Article, ArticleRevision, ArticleTranslation, Status

EDITOR_URLS = [
    "/agent/articles/",
    "/agent/articles/new/",
    "/agent/articles/account-locked/",
    "/agent/articles/account-locked/en/",
    "/agent/articles/account-locked/en/revisions/",
    "/agent/articles/account-locked/en/diff/?a=1&b=1",
]


@pytest.mark.parametrize("url", EDITOR_URLS)
def test_it_sends_anonymous_visitors_to_sign_in(lockout: Article, client: Client, url: str) -> None:
    response = client.get(url)
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


@pytest.mark.parametrize("url", EDITOR_URLS)
def test_it_forbids_customers(lockout: Article, alice: Any, login: Callable[..., Client], url: str) -> None:
    assert login(alice).get(url).status_code == 403


@pytest.mark.parametrize("url", EDITOR_URLS)
def test_it_lets_agents_in(lockout: Article, agent_sam: Any, login: Callable[..., Client], url: str) -> None:
    assert login(agent_sam).get(url).status_code == 200


def test_it_forbids_customers_to_publish_or_preview(lockout: Article, alice: Any, login: Callable[..., Client]) -> None:
    client = login(alice)
    assert client.post("/agent/articles/account-locked/en/unpublish/").status_code == 403
    assert client.post("/agent/articles/preview/", {"body": "x"}).status_code == 403
    assert ArticleTranslation.objects.get(article=lockout, lang="en").status == Status.PUBLISHED


def test_it_creates_edits_and_publishes(category: Any, agent_sam: Any, login: Callable[..., Client]) -> None:
    client = login(agent_sam)
    response = client.post(
        "/agent/articles/new/",
        {
            "key": "withdrawal-fee",
            "category": "account",
            "tags": "fees, withdrawal",
            "lang": "zh-hans",
            "title": "提现手续费是多少",
            "slug": "",
            "body": "手续费见**费率表**。",
            "questions": "提币要多少钱\n手续费",
            "note": "",
        },
    )
    assert response.status_code == 302
    article = Article.objects.get(key="withdrawal-fee")
    assert article.tags == ["fees", "withdrawal"]
    tr = ArticleTranslation.objects.get(article=article)
    assert (tr.slug, tr.status, tr.questions) == ("提现手续费是多少", Status.DRAFT, ["提币要多少钱", "手续费"])
    assert Client().get("/help/articles/提现手续费是多少/").status_code == 404

    client.post(
        "/agent/articles/withdrawal-fee/zh-hans/",
        {
            "title": "提现手续费",
            "slug": "提现手续费是多少",
            "body": "新正文",
            "questions": "",
            "note": "shorter",
            "action": "publish",
        },
    )
    tr.refresh_from_db()
    assert tr.status == Status.PUBLISHED and tr.title == "提现手续费"
    assert ArticleRevision.objects.filter(translation=tr).count() == 2
    assert Client(HTTP_ACCEPT_LANGUAGE="zh-hans").get("/help/articles/提现手续费是多少/").status_code == 200

    assert client.post("/agent/articles/withdrawal-fee/zh-hans/unpublish/").status_code == 302
    tr.refresh_from_db()
    assert tr.status == Status.DRAFT


def test_it_shows_service_errors_on_the_form(
    category: Any, lockout: Article, agent_sam: Any, login: Callable[..., Client]
) -> None:
    response = login(agent_sam).post(
        "/agent/articles/new/",
        {"key": "account-locked", "category": "account", "lang": "en", "title": "Dup", "body": ""},
    )
    assert response.status_code == 400
    assert "already exists" in response.content.decode()


def test_it_previews_markdown_sanitised(agent_sam: Any, login: Callable[..., Client]) -> None:
    client = login(agent_sam)
    response = client.post("/agent/articles/preview/", {"body": "**bold** <script>x()</script>"})
    assert response.status_code == 200
    assert b"<strong>bold</strong>" in response.content and b"<script>" not in response.content
    assert client.get("/agent/articles/preview/").status_code == 405


def test_it_diffs_revisions_escaped(lockout: Article, agent_sam: Any, login: Callable[..., Client]) -> None:
    from safedesk.helpcenter import services

    services.save_translation(lockout, lang="en", title="My account is locked", body="<b>new</b> line", actor=agent_sam)
    text = login(agent_sam).get("/agent/articles/account-locked/en/diff/?a=1&b=2").content.decode()
    assert "<ins>+ &lt;b&gt;new&lt;/b&gt; line</ins>" in text
    assert "<del>- Wait **30 minutes**, then reset your password.</del>" in text
    client = login(agent_sam)
    assert client.get("/agent/articles/account-locked/en/diff/?a=1&b=9").status_code == 404
    assert client.get("/agent/articles/account-locked/en/diff/?a=x&b=1").status_code == 400


def test_it_refuses_open_redirects_after_publishing(
    lockout: Article, agent_sam: Any, login: Callable[..., Client]
) -> None:
    client = login(agent_sam)
    response = client.post("/agent/articles/account-locked/en/unpublish/", {"next": "https://evil.example/"})
    assert response["Location"] == "/agent/articles/account-locked/en/"
    response = client.post("/agent/articles/account-locked/en/publish/", {"next": "//evil.example/x"})
    assert response["Location"] == "/agent/articles/account-locked/en/"
    response = client.post("/agent/articles/account-locked/en/unpublish/", {"next": "/agent/articles/"})
    assert response["Location"] == "/agent/articles/"


def test_it_deletes_only_with_confirmation(lockout: Article, agent_sam: Any, login: Callable[..., Client]) -> None:
    client = login(agent_sam)
    client.post("/agent/articles/account-locked/delete/", {"confirm": "wrong"})
    assert Article.objects.filter(key="account-locked").exists()
    client.post("/agent/articles/account-locked/delete/", {"confirm": "account-locked"})
    assert not Article.objects.filter(key="account-locked").exists()


def test_it_keeps_the_editor_list_within_a_query_budget(
    make_article: Callable[..., Article],
    agent_sam: Any,
    login: Callable[..., Client],
    django_assert_max_num_queries: Any,
) -> None:
    for i in range(20):
        make_article(f"article-{i}", en=(f"Article {i}", "body"), zh=(f"文章 {i}", "正文"))
    client = login(agent_sam)
    with django_assert_max_num_queries(12):
        assert client.get("/agent/articles/").status_code == 200
    with django_assert_max_num_queries(12):
        assert client.get("/agent/articles/?status=draft&category=account").status_code == 200
