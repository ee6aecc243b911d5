from __future__ import annotations

import contextlib

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from safedesk.lib.errors import InvalidInput
from safedesk.search import selectors
from safedesk.search.models import ZeroResultQuery
from safedesk.search.services import record_query
from safedesk.search.tests.corpus import index_corpus

pytestmark = pytest.mark.django_db

METACHARACTERS = [
    '"',
    '""',
    '"unbalanced',
    "*",
    "fee*",
    "NEAR",
    "NEAR(fee lock, 2)",
    "OR",
    "AND",
    "NOT",
    "fee OR",
    "OR fee AND NOT",
    "-",
    "-fee",
    "^",
    "^fee",
    ":",
    "title:fee",
    "meta : karticle",
    "{title body}: fee",
    "(",
    ")",
    "(fee",
    "%",
    "_",
    "%_%",
    "'",
    "'; DROP TABLE search_searchdocument; --",
    "\\",
    "&|!:*()<->",
    "fee & !lock",
    "fee <-> lock",
    "fee:*",
    "'fee':A",
    "::tsquery",
    "账户' OR '1'='1",
    "。，！？",
    " ",
    "",
    "🔒🔑",
    "<script>alert(1)</script>",
]


@pytest.mark.parametrize("query", METACHARACTERS)
def test_it_treats_metacharacters_as_plain_text(query: str) -> None:
    index_corpus()
    for lang in (None, "en", "zh-hans"):
        result = selectors.search(query, lang=lang)
        assert isinstance(result.hits, list)
        selectors.suggest(query, lang=lang)


def test_it_still_finds_words_next_to_metacharacters() -> None:
    index_corpus()
    result = selectors.search('"withdrawal" fee* OR (NOT) -', lang="en")
    assert result.hits[0].key == "withdrawal-fees"


def test_it_refuses_a_query_longer_than_200_characters() -> None:
    selectors.search("a" * 200)
    with pytest.raises(InvalidInput) as caught:
        selectors.search("a" * 201)
    assert caught.value.code == "query_too_long"
    with pytest.raises(InvalidInput):
        selectors.suggest("账" * 201)


@pytest.mark.parametrize(
    ("query", "code"),
    [("fee\x00", "invalid_characters"), ("fee\ud800", "invalid_characters"), ("fee\ufffd", "invalid_encoding")],
)
def test_it_refuses_text_that_is_not_clean(query: str, code: str) -> None:
    with pytest.raises(InvalidInput) as caught:
        selectors.search(query)
    assert caught.value.code == code
    with pytest.raises(InvalidInput):
        selectors.suggest(query)


@pytest.mark.parametrize("query", ["fee\x00", "fee\ud800", "fee\ufffd", "x" * 201])
def test_it_never_logs_input_that_failed_validation(query: str) -> None:
    record_query(query=query, lang="en", hits=0)
    assert not ZeroResultQuery.objects.exists()


@pytest.fixture
def indexed(db: None) -> None:
    index_corpus()


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(query=st.text(max_size=220), lang=st.sampled_from([None, "en", "zh-hans"]))
def test_it_raises_nothing_but_invalid_input_for_any_text(indexed: None, query: str, lang: str | None) -> None:
    for call in (selectors.search, selectors.suggest):
        with contextlib.suppress(InvalidInput):
            call(query, lang=lang)


SYNTAX = st.sampled_from([*list("\"*():^-%_'&|!<>{}NEAR OR AND NOT 账户 fee lock 锁定 "), "NEAR", "OR", "AND", "NOT"])


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(parts=st.lists(SYNTAX, max_size=30))
def test_it_survives_any_mix_of_query_syntax(indexed: None, parts: list[str]) -> None:
    query = "".join(parts)[:200]
    selectors.search(query)
    selectors.suggest(query, lang="en")
