from __future__ import annotations

from typing import Any

import pytest
from django.urls import reverse

from safedesk.search.models import ZeroResultQuery
from safedesk.search.services import record_query

pytestmark = pytest.mark.django_db


def test_it_counts_queries_that_found_nothing() -> None:
    record_query(query="  Staking   Rewards ", lang="en", hits=0)
    record_query(query="staking rewards", lang="en", hits=0)
    record_query(query="staking rewards", lang="zh-hans", hits=0)
    record_query(query="withdrawal fee", lang="en", hits=3)
    rows = {(r.query, r.lang): r.count for r in ZeroResultQuery.objects.all()}
    assert rows == {("staking rewards", "en"): 2, ("staking rewards", "zh-hans"): 1}


def test_it_truncates_what_it_logs() -> None:
    record_query(query="质押" * 100, lang="zh-hans", hits=0)
    assert len(ZeroResultQuery.objects.get().query) == 200


def test_it_shows_staff_the_most_frequent_gaps_first(agent_sam: Any, login: Any) -> None:
    for _ in range(3):
        record_query(query="staking <b>rewards</b>", lang="en", hits=0)
    record_query(query="质押收益", lang="zh-hans", hits=0)
    page = login(agent_sam).get(reverse("search:gaps"))
    html = page.content.decode()
    assert page.status_code == 200
    assert html.index("staking &lt;b&gt;rewards&lt;/b&gt;") < html.index("质押收益")
    only_zh = login(agent_sam).get(reverse("search:gaps") + "?lang=zh-hans").content.decode()
    assert "staking" not in only_zh


def test_it_hides_the_report_from_customers(alice: Any, login: Any, client: Any) -> None:
    assert client.get(reverse("search:gaps")).status_code == 302
    assert login(alice).get(reverse("search:gaps")).status_code == 403


def test_a_pasted_recovery_phrase_never_reaches_the_query_log() -> None:
    phrase = "legal winner thank year wave sausage worth useful legal winner thank yellow"
    record_query(query=f"restore {phrase}", lang="en", hits=0)
    [row] = ZeroResultQuery.objects.all()
    assert "legal" not in row.query and row.query.startswith("restore [")
