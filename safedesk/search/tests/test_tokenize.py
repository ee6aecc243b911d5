from __future__ import annotations

import pytest

from safedesk.search import tokenize


@pytest.mark.parametrize(
    "words",
    [
        ("lock", "locked", "locking", "locks"),
        ("withdraw", "withdrawal", "withdrawals", "withdrawing"),
        ("fee", "fees", "Fees", "ＦＥＥＳ"),
        ("account", "accounts"),
        ("deposit", "deposits", "deposited"),
        ("freeze", "freezing"),
        ("verify", "verified", "verifies"),
        ("arrive", "arrived", "arrival"),
    ],
)
def test_it_gives_inflections_the_same_term(words: tuple[str, ...]) -> None:
    terms = {tuple(tokenize.query_terms(w)) for w in words} | {tuple(tokenize.index_terms(w)) for w in words}
    assert len(terms) == 1, terms


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("账户锁定", ["账户", "锁定"]),
        ("锁定的账户", ["锁定", "账户"]),
        ("提币手续费", ["提币", "手续费"]),
        ("谷歌验证器丢了", ["谷歌验证器", "丢了"]),
        ("充值没有到账", ["充值", "到账"]),
        ("助记词冻结解冻", ["助记词", "冻结", "解冻"]),
        ("the fee of my account", ["fee", "account"]),
        ("我的 2FA 丢了吗", ["2fa", "丢了"]),
    ],
)
def test_it_segments_domain_words_and_drops_stopwords(text: str, expected: list[str]) -> None:
    assert tokenize.query_terms(text) == expected


def test_it_indexes_every_word_a_query_can_produce() -> None:
    text = "谷歌验证器丢失后如何重置双重验证和提币手续费"
    indexed = set(tokenize.index_terms(text))
    assert set(tokenize.query_terms(text)) <= indexed
    assert {"验证器", "谷歌验证器"} <= indexed
