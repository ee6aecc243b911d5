from __future__ import annotations

import pytest

from safedesk.lib.errors import InvalidInput
from safedesk.search import selectors, services
from safedesk.search.models import SearchDocument
from safedesk.search.tests.corpus import index_corpus, index_synthetic

pytestmark = pytest.mark.django_db


def test_it_replaces_a_document_when_indexed_again() -> None:
    services.index_document(kind="article", key="a", lang="en", title="Old title", body="frozen", url="/a/")
    services.index_document(kind="article", key="a", lang="en", title="New title", body="deposit", url="/a/")
    assert SearchDocument.objects.count() == 1
    assert selectors.search("frozen").hits == []
    assert [h.title for h in selectors.search("deposit").hits] == ["New title"]


def test_it_removes_one_language_or_all() -> None:
    index_corpus()
    services.remove_document(kind="article", key="withdrawal-fees", lang="en")
    keys = {(h.key, h.lang) for h in selectors.search("withdrawal fee", limit=50).hits}
    assert ("withdrawal-fees", "zh-hans") in keys
    assert ("withdrawal-fees", "en") not in keys
    services.remove_document(kind="article", key="withdrawal-fees")
    assert "withdrawal-fees" not in {h.key for h in selectors.search("提币手续费", limit=50).hits}


def test_it_searches_only_the_kinds_asked_for() -> None:
    index_corpus()
    services.index_document(kind="topic", key="t1", lang="en", title="Withdrawal fee too high", body="", url="/t/")
    assert {h.kind for h in selectors.search("withdrawal fee", limit=50).hits} == {"article"}
    assert [h.key for h in selectors.search("withdrawal fee", kinds=("topic",)).hits] == ["t1"]


def test_it_ranks_boosted_documents_higher_among_equals() -> None:
    for key, boost in (("plain", 1.0), ("boosted", 3.0)):
        services.index_document(
            kind="article", key=key, lang="en", title="Deposit guide", body="deposit", url=f"/{key}/", boost=boost
        )
    assert selectors.search("deposit").hits[0].key == "boosted"


def test_it_refuses_unknown_languages_and_kinds() -> None:
    with pytest.raises(InvalidInput):
        services.index_document(kind="article", key="a", lang="fr", title="t", body="b", url="/")
    with pytest.raises(InvalidInput):
        services.index_document(kind="Article; DROP", key="a", lang="en", title="t", body="b", url="/")


def test_it_bulk_indexes_many_documents() -> None:
    assert index_synthetic(300) == 300
    assert SearchDocument.objects.count() == 300
    assert len(selectors.search("fee", limit=10).hits) == 10
