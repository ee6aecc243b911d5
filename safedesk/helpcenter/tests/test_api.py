from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client

from safedesk.helpcenter.models import Article


def test_it_lists_published_articles_with_a_cursor(make_article: Callable[..., Article], client: Client) -> None:
    for i in range(5):
        make_article(f"a-{i}", en=(f"Article {i}", "b"), zh=(f"文章{i}", "正文"), published=("en",))
    first = client.get("/api/v1/articles", {"limit": 2}).json()
    assert [r["slug"] for r in first["results"]] == ["article-0", "article-1"]
    assert set(first["results"][0]) >= {"key", "slug", "lang", "title", "category", "tags", "url", "updated_at"}
    seen = [r["slug"] for r in first["results"]]
    cursor = first["next_cursor"]
    while cursor:
        page = client.get("/api/v1/articles", {"limit": 2, "cursor": cursor}).json()
        seen += [r["slug"] for r in page["results"]]
        cursor = page["next_cursor"]
    assert seen == [f"article-{i}" for i in range(5)]


def test_it_caps_the_page_size(make_article: Callable[..., Article], client: Client) -> None:
    make_article("one", en=("One", "b"))
    assert client.get("/api/v1/articles", {"limit": 100000}).status_code == 200


@pytest.mark.parametrize("cursor", ["garbage", "Zm9v", "eyJhZnRlciI6IDF9", "%%%", "x" * 600])
def test_it_refuses_bad_cursors(db: Any, client: Client, cursor: str) -> None:
    response = client.get("/api/v1/articles", {"cursor": cursor})
    assert response.status_code == 400
    assert response.json()["code"] == "invalid_cursor"


def test_it_returns_one_article(lockout: Article, client: Client) -> None:
    body = client.get("/api/v1/articles/my-account-is-locked").json()
    assert body["title"] == "My account is locked" and body["is_fallback"] is False
    assert "<strong>30 minutes</strong>" in body["body_html"]
    assert {t["lang"] for t in body["translations"]} == {"en", "zh-hans"}
    zh = client.get("/api/v1/articles/账户被锁定怎么办", {"lang": "zh-hans"}).json()
    assert zh["lang"] == "zh-hans"


def test_it_answers_404_with_the_error_shape(db: Any, client: Client) -> None:
    response = client.get("/api/v1/articles/nothing-here")
    assert response.status_code == 404
    assert set(response.json()) == {"code", "message"} and response.json()["code"] == "not_found"


def test_it_searches_with_the_exact_shape(lockout: Article, client: Client) -> None:
    body = client.get("/api/v1/articles/search", {"q": "账户 锁定", "lang": "zh-hans"}).json()
    assert list(body) == ["results"]
    first = body["results"][0]
    assert set(first) == {"slug", "title", "snippet", "url", "lang", "score"}
    assert first["slug"] == "账户被锁定怎么办" and first["lang"] == "zh-hans"
    # The seam ranks hits in the asked language first, best first within each language.
    langs = [r["lang"] for r in body["results"]]
    assert langs == sorted(langs, key=lambda lang: lang != "zh-hans")
    for lang in set(langs):
        scores = [r["score"] for r in body["results"] if r["lang"] == lang]
        assert scores == sorted(scores, reverse=True)


def test_it_suggests_up_to_five_articles(make_article: Callable[..., Article], client: Client) -> None:
    for i in range(8):
        make_article(f"fee-{i}", en=(f"Withdrawal fee {i}", "withdrawal fee explained"))
    body = client.get("/api/v1/articles/suggest", {"q": "withdrawal fee"}).json()
    assert 1 <= len(body["results"]) <= 5
    assert set(body["results"][0]) == {"slug", "title", "snippet", "url", "lang", "score"}


@pytest.mark.parametrize("path", ["/api/v1/articles/search", "/api/v1/articles/suggest"])
@pytest.mark.parametrize("q", ["x" * 201, "a\x00b", ""])
def test_it_refuses_bad_queries(db: Any, client: Client, path: str, q: str) -> None:
    response = client.get(path, {"q": q})
    assert response.status_code == 400
    assert {"code", "message"} <= set(response.json())


def test_it_refuses_an_unknown_language(db: Any, client: Client) -> None:
    assert client.get("/api/v1/articles/search", {"q": "fee", "lang": "fr"}).status_code == 400


def test_it_rate_limits_api_searches(db: Any, client: Client, settings: Any) -> None:
    settings.SAFEDESK_SEARCH_RATE_PER_MINUTE = 2
    for _ in range(2):
        assert client.get("/api/v1/articles/search", {"q": "fee"}).status_code == 200
    response = client.get("/api/v1/articles/search", {"q": "fee"})
    assert response.status_code == 429
    assert int(response["Retry-After"]) >= 1 and response.json()["code"] == "rate_limited"


def test_it_keeps_the_list_within_a_query_budget(
    make_article: Callable[..., Article], client: Client, django_assert_max_num_queries: Any
) -> None:
    for i in range(30):
        make_article(f"a-{i}", en=(f"Article {i}", "b"), zh=(f"文章{i}", "正文"))
    with django_assert_max_num_queries(3):
        assert len(client.get("/api/v1/articles", {"limit": 50}).json()["results"]) == 50
