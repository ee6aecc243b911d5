"""Which documents a search ranks when very many match: an older article that holds a rare query
word is not pushed out by hundreds of newer ones holding only common words."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from django.db import connection

from safedesk.lib.db import refresh_planner_statistics
from safedesk.search import selectors, services
from safedesk.search.backends import Alt

pytestmark = pytest.mark.django_db


def filler(count: int) -> None:
    services.index_many(
        services.DocumentInput(
            kind="article",
            key=f"filler-{i}",
            lang="en",
            title=f"Wallet notice {i}",
            body="The network fee for this wallet changes with the network load.",
            url=f"/filler-{i}/",
        )
        for i in range(count)
    )


@pytest.fixture
def counted() -> Iterator[None]:
    """Planner statistics for what the test indexed, read afresh, and forgotten afterwards (the
    test's transaction, statistics included, is rolled back)."""
    yield
    if connection.vendor == "postgresql":
        from safedesk.search.backends import postgres

        postgres.forget_lexeme_counts()


def analyze() -> None:
    refresh_planner_statistics()
    if connection.vendor == "postgresql":
        from safedesk.search.backends import postgres

        postgres.forget_lexeme_counts()


def test_it_ranks_an_old_article_holding_a_rare_word_above_many_newer_common_ones(counted: None) -> None:
    services.index_document(
        kind="article",
        key="tornado",
        lang="en",
        title="Mixer warning",
        body="Funds sent through a tornado mixer may be frozen; the network fee is not refunded.",
        url="/tornado/",
    )
    filler(450)  # newer, and more than either backend ranks for a common word
    analyze()
    # No document holds every word, so the search falls back to "some words".
    result = selectors.search("fee tornado qzxv", lang="en")
    assert [hit.key for hit in result.hits][:1] == ["tornado"]


def test_it_still_answers_when_the_rare_words_match_nothing(counted: None) -> None:
    filler(350)
    analyze()
    result = selectors.search("network fee qzxv", lang="en")
    assert len(result.hits) == 10
    assert all(hit.key.startswith("filler-") for hit in result.hits)


def test_it_matches_english_documents_without_chinese_only_words() -> None:
    groups = [(Alt(("提币",)), Alt(("withdraw",))), (Alt(("余额",)),)]
    assert selectors._for_english(groups, require_all=True) is None
    assert selectors._for_english(groups, require_all=False) == [(Alt(("withdraw",)),)]
    assert selectors._for_english([(Alt(("余额",)),)], require_all=False) is None
