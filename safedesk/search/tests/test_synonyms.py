from __future__ import annotations

from typing import Any

import pytest
from django.urls import reverse

from safedesk.audit.models import AuditEvent
from safedesk.lib.errors import InvalidInput
from safedesk.search import selectors, services
from safedesk.search.models import SynonymGroup
from safedesk.search.synonyms import SEED_GROUPS

pytestmark = pytest.mark.django_db


def test_it_seeds_the_bilingual_groups() -> None:
    assert SynonymGroup.objects.count() == len(SEED_GROUPS) >= 40
    assert services.seed_synonyms() == 0  # never twice
    terms = selectors.search("提币").terms
    assert {"提现", "withdraw"} <= set(terms)


def test_it_applies_an_edit_on_the_next_search_without_reindexing(
    agent_sam: Any, django_capture_on_commit_callbacks: Any
) -> None:
    services.index_document(kind="article", key="cold", lang="en", title="Cold storage", body="offline", url="/c/")
    assert selectors.search("冷钱包").hits == []
    with django_capture_on_commit_callbacks(execute=True):
        group = services.create_synonym_group(terms="冷钱包, cold storage", note="", actor=agent_sam)
    assert [h.key for h in selectors.search("冷钱包").hits] == ["cold"]
    with django_capture_on_commit_callbacks(execute=True):
        services.update_synonym_group(group.pk, terms="冷钱包, offline wallet", actor=agent_sam)
    assert [h.key for h in selectors.search("冷钱包").hits] == []
    with django_capture_on_commit_callbacks(execute=True):
        services.delete_synonym_group(group.pk, actor=agent_sam)
    verbs = list(AuditEvent.objects.order_by("id").values_list("verb", flat=True))
    assert verbs == ["search.synonyms.create", "search.synonyms.update", "search.synonyms.delete"]


@pytest.mark.parametrize("terms", ["only-one", "的, 了", "a, " + "x" * 81, "fee\x00, charge"])
def test_it_refuses_unusable_groups(agent_sam: Any, terms: str) -> None:
    with pytest.raises(InvalidInput):
        services.create_synonym_group(terms=terms, actor=agent_sam)


def test_it_lets_staff_edit_the_list(agent_sam: Any, login: Any) -> None:
    client = login(agent_sam)
    page = client.get(reverse("search:synonyms"))
    assert page.status_code == 200
    assert "谷歌验证器" in page.content.decode()
    response = client.post(reverse("search:synonym_create"), {"terms": "冷钱包\ncold wallet", "note": "storage"})
    assert response.status_code == 302
    group = SynonymGroup.objects.get(note="storage")
    client.post(reverse("search:synonym_update", args=[group.pk]), {"terms": "冷钱包, cold storage", "note": "x"})
    group.refresh_from_db()
    assert group.term_list() == ["冷钱包", "cold storage"]
    client.post(reverse("search:synonym_delete", args=[group.pk]))
    assert not SynonymGroup.objects.filter(pk=group.pk).exists()
    assert client.post(reverse("search:synonym_delete", args=[group.pk])).status_code == 404
    assert client.get(reverse("search:synonym_delete", args=[1])).status_code == 405


def test_it_keeps_customers_out(alice: Any, login: Any, client: Any) -> None:
    assert client.get(reverse("search:synonyms")).status_code == 302
    customer = login(alice)
    assert customer.get(reverse("search:synonyms")).status_code == 403
    assert customer.post(reverse("search:synonym_create"), {"terms": "a, b"}).status_code == 403
    assert not SynonymGroup.objects.filter(terms="a, b").exists()
