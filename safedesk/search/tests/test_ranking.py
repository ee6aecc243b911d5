from __future__ import annotations

import pytest

from safedesk.search import selectors
from safedesk.search.tests.corpus import index_corpus

pytestmark = pytest.mark.django_db

CASES = [
    ("账户锁定", "account-lockout", 1),
    ("账户 锁定", "account-lockout", 1),
    ("锁定的账户", "account-lockout", 1),
    ("account locked", "account-lockout", 1),
    ("locked out", "account-lockout", 1),
    ("提币手续费", "withdrawal-fees", 1),
    ("提现 费用", "withdrawal-fees", 1),
    ("withdrawal fee", "withdrawal-fees", 1),
    ("2FA lost", "lost-2fa", 1),
    ("谷歌验证器丢了", "lost-2fa", 1),
]


@pytest.mark.parametrize("lang", ["zh-hans", "en", None])
@pytest.mark.parametrize(("query", "key", "within"), CASES)
def test_it_finds_the_right_article_first(query: str, key: str, within: int, lang: str | None) -> None:
    index_corpus()
    result = selectors.search(query, lang=lang)
    keys = [hit.key for hit in result.hits]
    assert key in keys[:within], (query, lang, [(h.key, h.lang, h.score) for h in result.hits])


def test_it_puts_the_asked_language_first_and_fills_with_the_other() -> None:
    index_corpus()
    result = selectors.search("提币手续费", lang="en", limit=20)
    langs = [hit.lang for hit in result.hits]
    assert langs[0] == "en"
    assert "zh-hans" in langs
    assert langs == sorted(langs, key=lambda lang: lang != "en")
