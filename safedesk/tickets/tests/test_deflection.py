"""While a customer types a request's subject, matching articles are suggested; "this answered
my question" is recorded as a deflection (once per reader), for published articles only."""

from __future__ import annotations

import html
import json
import re
from typing import Any

import pytest

from safedesk.helpcenter import services as hc_services
from safedesk.helpcenter.models import Deflection

pytestmark = pytest.mark.django_db


@pytest.fixture
def category(db: Any) -> Any:
    return hc_services.save_category(slug="account", name_zh_hans="账户", name_en="Account", actor="test")


def article(key: str, category: Any, actor: Any, *, publish: bool) -> Any:
    created = hc_services.create_article(key=key, category=category, actor=actor)
    saved = hc_services.save_translation(
        created, lang="en", title="My account is locked", body="Wait 30 minutes, then reset your password.", actor=actor
    )
    if publish:
        hc_services.publish_translation(saved.translation, actor=actor)
    return created


@pytest.fixture
def lockout_article(category: Any, agent_sam: Any) -> Any:
    return article("account-locked", category, agent_sam, publish=True)


def test_it_suggests_articles_and_records_a_deflection_once(client: Any, lockout_article: Any) -> None:
    suggestions = client.get("/tickets/new/suggest/?subject=account locked").content.decode()
    assert "My account is locked" in suggestions and 'data-deflect="account-locked"' in suggestions
    # The box is swapped into the request form: it must not hold a form of its own.
    assert "<form" not in suggestions
    sent = re.search(r"hx-vals='([^']*)'", suggestions)
    assert sent is not None and json.loads(html.unescape(sent.group(1))) == {"article": "account-locked", "lang": "en"}
    response = client.post(
        "/tickets/new/answered/", {"article": "account-locked", "lang": "en"}, HTTP_HX_REQUEST="true"
    )
    assert response.status_code == 200 and "Glad it helped" in response.content.decode()
    client.post("/tickets/new/answered/", {"article": "account-locked", "lang": "en"})
    assert Deflection.objects.filter(article__key="account-locked", source="ticket_form").count() == 1


def test_it_refuses_unknown_or_unpublished_articles(client: Any, category: Any, agent_sam: Any) -> None:
    article("draft-only", category, agent_sam, publish=False)
    for key in ("draft-only", "nope", ""):
        response = client.post("/tickets/new/answered/", {"article": key, "lang": "en"})
        assert response.status_code == 400
    assert client.get("/tickets/new/answered/").status_code == 405
    assert Deflection.objects.count() == 0
