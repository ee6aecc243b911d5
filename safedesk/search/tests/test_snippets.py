from __future__ import annotations

import pytest

from safedesk.search import selectors, services
from safedesk.search.snippets import snippet
from safedesk.search.tests.corpus import index_corpus

pytestmark = pytest.mark.django_db


def test_it_marks_matched_terms_and_their_synonyms() -> None:
    index_corpus()
    hit = selectors.search("withdrawal fee", lang="en").hits[0]
    assert "<mark>fee</mark>" in hit.snippet
    assert "<mark>Withdrawal</mark>" in hit.snippet or "<mark>withdrawal</mark>" in hit.snippet
    zh = selectors.search("提现 费用", lang="zh-hans").hits[0]
    assert zh.key == "withdrawal-fees"
    assert "<mark>手续费</mark>" in zh.snippet  # 费用 = 手续费
    assert "<mark>提币</mark>" in zh.snippet  # 提现 = 提币


def test_it_escapes_everything_else() -> None:
    services.index_document(
        kind="article",
        key="xss",
        lang="en",
        title="<b>fee</b>",
        body='Our fee is <script>alert("x")</script> & "low" <mark>not ours</mark>',
        url="/x/",
    )
    hit = selectors.search("fee").hits[0]
    assert "<script>" not in hit.snippet
    assert "&lt;script&gt;" in hit.snippet
    assert "&lt;mark&gt;not ours&lt;/mark&gt;" in hit.snippet
    assert hit.snippet.count("<mark>") == 1


def test_it_picks_the_window_with_the_matches() -> None:
    body = "Filler sentence about nothing in particular. " * 10 + "Here the locked account is explained. " + "x " * 80
    html = snippet(body, {"lock", "account"})
    assert "<mark>locked</mark> <mark>account</mark>" in html
    assert html.startswith("…")
    assert len(html.replace("<mark>", "").replace("</mark>", "")) <= 170
