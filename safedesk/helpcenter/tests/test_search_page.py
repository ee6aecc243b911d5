from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from safedesk.helpcenter.models import Article
from safedesk.search.models import ZeroResultQuery


def test_it_finds_articles_with_highlighted_snippets(lockout: Article, client: Client) -> None:
    response = client.get("/help/search/", {"q": "password"})
    assert response.status_code == 200
    text = response.content.decode()
    assert "My account is locked" in text and "<mark>" in text


def test_it_finds_chinese_articles_segmented(lockout: Article, client: Client) -> None:
    for q in ("账户锁定", "账户 锁定"):
        assert "账户被锁定怎么办" in client.get("/help/search/", {"q": q}).content.decode()


@pytest.mark.parametrize("q", ["<svg/onload=alert(1)>", '"><script>alert(1)</script>', "javascript:alert(1)"])
def test_it_escapes_the_echoed_query(db: Any, client: Client, q: str) -> None:
    response = client.get("/help/search/", {"q": q})
    assert response.status_code == 200
    text = response.content.decode()
    assert q not in text or q == "javascript:alert(1)"
    assert "<svg/onload" not in text and "<script>alert(1)" not in text
    assert "object-src 'none'" in response["Content-Security-Policy"]


@pytest.mark.parametrize("q", ["x" * 201, "a\x00b", "%%%%" * 60])
def test_it_refuses_bad_queries_with_400(db: Any, client: Client, q: str) -> None:
    response = client.get("/help/search/", {"q": q})
    assert response.status_code == 400


def test_it_refuses_invalid_utf8_with_400(db: Any, client: Client) -> None:
    assert client.get("/help/search/?q=%ff%fe").status_code == 400
    assert client.get("/help/search/suggest/?q=%ff").status_code == 400


def test_it_treats_metacharacters_as_text(lockout: Article, client: Client) -> None:
    for q in ("%%%", ".*", 'a" OR 1=1 --', "NEAR(a b)", "*"):
        assert client.get("/help/search/", {"q": q}).status_code == 200


def test_it_logs_searches_that_found_nothing(db: Any, client: Client) -> None:
    client.get("/help/search/", {"q": "quantum teleport"})
    assert ZeroResultQuery.objects.filter(query="quantum teleport", source="helpcenter").exists()


def test_it_rate_limits_searches_per_address(db: Any, client: Client, settings: Any) -> None:
    settings.SAFEDESK_SEARCH_RATE_PER_MINUTE = 3
    for _ in range(3):
        assert client.get("/help/search/", {"q": "fee"}).status_code == 200
    response = client.get("/help/search/", {"q": "fee"})
    assert response.status_code == 429 and int(response["Retry-After"]) >= 1
    other = Client(REMOTE_ADDR="10.0.0.9")
    assert other.get("/help/search/", {"q": "fee"}).status_code == 200


def test_it_serves_htmx_partials(lockout: Article, client: Client) -> None:
    results = client.get("/help/search/", {"q": "password"}, HTTP_HX_REQUEST="true")
    assert b"<html" not in results.content and b"My account is locked" in results.content
    suggestions = client.get("/help/search/suggest/", {"q": "pass"})
    assert b"<html" not in suggestions.content and b"My account is locked" in suggestions.content


def test_it_shows_an_empty_search_page(db: Any, client: Client) -> None:
    assert client.get("/help/search/").status_code == 200


def test_it_puts_chinese_articles_first_for_a_chinese_query(lockout: Article, client: Client) -> None:
    text = client.get("/help/search/", {"q": "锁定 password"}).content.decode()
    assert text.index("账户被锁定怎么办") < text.index("My account is locked")
