"""Search results are cached, and no index change is ever hidden by the cache."""

from __future__ import annotations

from typing import Any

import pytest

from safedesk.search import selectors, services

pytestmark = pytest.mark.django_db


def index(key: str, title: str) -> None:
    services.index_document(kind="article", key=key, lang="en", title=title, body="how to do it", url=f"/{key}/")


def test_it_serves_a_repeated_search_without_the_database(django_assert_num_queries: Any) -> None:
    index("fees", "Withdrawal fees")
    first = selectors.search("withdrawal fee", lang="en")
    assert [h.key for h in first.hits] == ["fees"]
    with django_assert_num_queries(0):
        again = selectors.search("withdrawal fee", lang="en")
    assert again == first
    typed = selectors.suggest("withdrawal fe", lang="en")
    with django_assert_num_queries(0):
        assert selectors.suggest("withdrawal fe", lang="en") == typed


def test_it_forgets_cached_results_when_the_index_changes(django_capture_on_commit_callbacks: Any) -> None:
    index("fees", "Withdrawal fees")
    assert [h.key for h in selectors.search("withdrawal", lang="en").hits] == ["fees"]
    with django_capture_on_commit_callbacks(execute=True):
        index("limits", "Withdrawal limits")
    assert {h.key for h in selectors.search("withdrawal", lang="en").hits} == {"fees", "limits"}
    services.remove_document(kind="article", key="fees")
    assert [h.key for h in selectors.search("withdrawal", lang="en").hits] == ["limits"]
    assert [h.key for h in selectors.suggest("withdraw", lang="en")] == ["limits"]


def test_it_can_be_turned_off(settings: Any, django_assert_num_queries: Any) -> None:
    settings.SAFEDESK_SEARCH_CACHE_SECONDS = 0
    index("fees", "Withdrawal fees")
    selectors.search("withdrawal fee", lang="en")
    with pytest.raises(pytest.fail.Exception), django_assert_num_queries(0):
        selectors.search("withdrawal fee", lang="en")
