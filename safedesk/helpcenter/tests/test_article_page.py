from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.test import Client

from safedesk.helpcenter import services
from safedesk.helpcenter.models import Article, ArticleTranslation


def zh_client() -> Client:
    client = Client(HTTP_ACCEPT_LANGUAGE="zh-hans")
    client.cookies["safedesk_language"] = "zh-hans"
    return client


def test_it_shows_the_article_in_the_readers_language(lockout: Article, client: Client) -> None:
    response = client.get("/help/articles/my-account-is-locked/")
    assert response.status_code == 200
    text = response.content.decode()
    assert "My account is locked" in text
    assert "<strong>30 minutes</strong>" in text
    assert "Last updated" in text
    assert "This article is not yet available in your language" not in text


def test_it_serves_chinese_slugs(lockout: Article) -> None:
    response = zh_client().get("/help/articles/账户被锁定怎么办/")
    assert response.status_code == 200
    assert "账户锁定是为了保护资金" in response.content.decode()


def test_it_redirects_to_the_readers_language_version(lockout: Article) -> None:
    response = zh_client().get("/help/articles/my-account-is-locked/")
    assert response.status_code == 302
    assert (
        response["Location"]
        == "/help/articles/%E8%B4%A6%E6%88%B7%E8%A2%AB%E9%94%81%E5%AE%9A%E6%80%8E%E4%B9%88%E5%8A%9E/"
    )


def test_it_falls_back_to_the_other_language_with_a_notice(
    make_article: Callable[..., Article], client: Client
) -> None:
    make_article("zh-only", zh=("只有中文", "中文正文"))
    response = client.get("/help/articles/只有中文/")
    assert response.status_code == 200
    text = response.content.decode()
    assert "This article is not yet available in your language" in text
    assert "中文正文" in text


def test_it_falls_back_when_the_readers_translation_is_a_draft(
    make_article: Callable[..., Article],
) -> None:
    make_article("en-first", en=("English first", "english body"), zh=("中文草稿", "draft"), published=("en",))
    response = zh_client().get("/help/articles/english-first/")
    assert response.status_code == 200
    text = response.content.decode()
    assert "english body" in text and "draft" not in text.split('class="article-body"')[1].split("</div>")[0]


def test_it_counts_views_with_an_atomic_update(lockout: Article, client: Client) -> None:
    for _ in range(3):
        client.get("/help/articles/my-account-is-locked/")
    lockout.refresh_from_db()
    assert lockout.view_count == 3


def test_it_renders_hostile_titles_and_bodies_inert(make_article: Callable[..., Article], client: Client) -> None:
    make_article(
        "xss",
        en=(
            '<script>alert(1)</script> "Title',
            "<img src=x onerror=alert(1)>\n\n[click](javascript:alert(1))\n\n<script>bad()</script>",
        ),
    )
    tr = ArticleTranslation.objects.get(article__key="xss", lang="en")
    text = client.get(f"/help/articles/{tr.slug}/").content.decode()
    assert "<script>alert(1)</script>" not in text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in text
    assert "<img" not in text
    assert 'href="javascript:' not in text
    assert "<script>bad()" not in text


def test_it_lists_related_and_popular_articles(
    make_article: Callable[..., Article], lockout: Article, client: Client
) -> None:
    make_article("reset-password", en=("Reset your password", "x"), tags=["sign-in"])
    text = client.get("/help/articles/my-account-is-locked/").content.decode()
    assert "Related articles" in text and "Reset your password" in text


def test_it_shows_categories_and_popular_articles_on_home(lockout: Article, client: Client) -> None:
    services.record_view(lockout)
    text = client.get("/").content.decode()
    assert "Account and sign-in" in text and "My account is locked" in text
    category_page = client.get("/help/categories/account/")
    assert category_page.status_code == 200 and "My account is locked" in category_page.content.decode()
    assert client.get("/help/categories/nope/").status_code == 404


def test_it_keeps_list_pages_within_a_query_budget(
    make_article: Callable[..., Article], client: Client, django_assert_max_num_queries: Any
) -> None:
    for i in range(15):
        make_article(f"article-{i}", en=(f"Article {i}", "body"), zh=(f"文章 {i}", "正文"), tags=["t"])
    with django_assert_max_num_queries(8):
        assert client.get("/").status_code == 200
    with django_assert_max_num_queries(8):
        assert client.get("/help/categories/account/").status_code == 200
    with django_assert_max_num_queries(16):
        assert client.get("/help/articles/article-3/").status_code == 200
