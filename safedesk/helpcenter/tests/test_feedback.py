from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client

from safedesk.helpcenter import services
from safedesk.helpcenter.models import Article, ArticleFeedback
from safedesk.lib.errors import InvalidInput

URL = "/help/articles/my-account-is-locked/feedback/"


def test_it_counts_one_vote_per_session_and_lets_it_change(lockout: Article, client: Client) -> None:
    assert client.post(URL, {"helpful": "yes"}).status_code == 302
    assert client.post(URL, {"helpful": "yes"}).status_code == 302
    lockout.refresh_from_db()
    assert (lockout.helpful_yes, lockout.helpful_no) == (1, 0)
    client.post(URL, {"helpful": "no", "comment": "Still locked"})
    lockout.refresh_from_db()
    assert (lockout.helpful_yes, lockout.helpful_no) == (0, 1)
    assert ArticleFeedback.objects.get().comment == "Still locked"


def test_it_counts_different_readers_separately(
    lockout: Article, alice: Any, bob: Any, login: Callable[..., Client]
) -> None:
    login(alice).post(URL, {"helpful": "yes"})
    login(bob).post(URL, {"helpful": "no"})
    Client().post(URL, {"helpful": "yes"})
    lockout.refresh_from_db()
    assert (lockout.helpful_yes, lockout.helpful_no) == (2, 1)
    assert ArticleFeedback.objects.filter(user=alice).count() == 1


def test_it_dedupes_per_user_across_sessions(lockout: Article, alice: Any, login: Callable[..., Client]) -> None:
    login(alice).post(URL, {"helpful": "yes"})
    login(alice).post(URL, {"helpful": "yes"})
    lockout.refresh_from_db()
    assert lockout.helpful_yes == 1


def test_it_limits_and_cleans_comments(lockout: Article, alice: Any) -> None:
    with pytest.raises(InvalidInput):
        services.record_feedback(lockout, lang="en", helpful=False, comment="x" * 2001, user=alice)
    with pytest.raises(InvalidInput):
        services.record_feedback(lockout, lang="en", helpful=False, comment="a\x00b", user=alice)
    result = services.record_feedback(lockout, lang="en", helpful=False, comment="  ok\u202e  ", user=alice)
    assert result.feedback.comment == "ok"


def test_it_refuses_get_and_bad_votes(lockout: Article, client: Client) -> None:
    assert client.get(URL).status_code == 405
    assert client.post(URL, {"helpful": "maybe"}).status_code == 400
    assert client.post("/help/articles/nope/feedback/", {"helpful": "yes"}).status_code == 404
    assert ArticleFeedback.objects.count() == 0


def test_it_requires_the_csrf_token(lockout: Article) -> None:
    client = Client(enforce_csrf_checks=True)
    assert client.post(URL, {"helpful": "yes"}).status_code == 403
    assert ArticleFeedback.objects.count() == 0


def test_it_rate_limits_votes(lockout: Article, client: Client) -> None:
    for _ in range(10):
        client.post(URL, {"helpful": "yes"})
    response = client.post(URL, {"helpful": "yes"})
    assert response.status_code == 429
    assert int(response["Retry-After"]) >= 1


def test_it_answers_htmx_with_a_partial(lockout: Article, client: Client) -> None:
    response = client.post(URL, {"helpful": "yes"}, HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    assert b"Thank you for your feedback." in response.content and b"<html" not in response.content


def test_it_ignores_a_next_parameter(lockout: Article, client: Client) -> None:
    response = client.post(URL + "?next=https://evil.example/", {"helpful": "yes", "next": "https://evil.example/"})
    assert response["Location"].startswith("/help/articles/my-account-is-locked/")


def test_it_shows_comments_to_agents_inert(
    lockout: Article, client: Client, agent_sam: Any, login: Callable[..., Client]
) -> None:
    client.post(URL, {"helpful": "no", "comment": "<script>alert('agent')</script>"})
    page = login(agent_sam).get("/agent/articles/account-locked/").content.decode()
    assert "&lt;script&gt;alert(&#x27;agent&#x27;)&lt;/script&gt;" in page
    assert "<script>alert" not in page
    assert "0 found it helpful, 1 did not" in page


def test_a_comment_with_a_recovery_phrase_is_stored_without_it(lockout: Article, client: Client) -> None:
    from safedesk.lib import secretscan

    phrase = "legal winner thank year wave sausage worth useful legal winner thank yellow"
    response = client.post(URL, {"helpful": "no", "comment": f"I typed {phrase} and it failed"})
    assert response.status_code == 302 and response["Safedesk-Notice"] == "secret_removed"
    stored = ArticleFeedback.objects.get().comment
    assert phrase not in stored and secretscan.MARKERS[secretscan.MNEMONIC] in stored
