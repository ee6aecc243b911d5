from __future__ import annotations

import pytest

from safedesk.search import selectors
from safedesk.search.tests.corpus import index_corpus

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("prefix", "key"),
    [
        ("withdr", "withdrawal-fees"),
        ("withdrawal fe", "withdrawal-fees"),
        ("lock", "account-lockout"),
        ("authentic", "lost-2fa"),
        ("提币手续", "withdrawal-fees"),
        ("账户锁定", "account-lockout"),
    ],
)
def test_it_suggests_articles_for_a_partial_query(prefix: str, key: str) -> None:
    index_corpus()
    hits = selectors.suggest(prefix, lang="en" if prefix.isascii() else "zh-hans")
    assert key in [hit.key for hit in hits[:3]], [(h.key, h.lang) for h in hits]


def test_it_suggests_nothing_for_an_empty_prefix() -> None:
    index_corpus()
    assert selectors.suggest("", lang="en") == []
    assert selectors.suggest("   ", lang="en") == []
