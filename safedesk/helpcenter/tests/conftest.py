"""Help-center factories: categories and articles made through the services, as production does."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from safedesk.helpcenter import services
from safedesk.helpcenter.models import Article, Category


@pytest.fixture
def category(db: Any) -> Category:
    return services.save_category(
        slug="account", name_zh_hans="账户与登录", name_en="Account and sign-in", actor="test"
    )


@pytest.fixture
def make_article(category: Category, agent_sam: Any) -> Callable[..., Article]:
    """make_article("key", en=("Title", "Body"), zh=("标题", "正文"), published=("en", "zh-hans"))."""

    def make(
        key: str,
        *,
        en: tuple[str, str] | None = None,
        zh: tuple[str, str] | None = None,
        published: tuple[str, ...] = ("en", "zh-hans"),
        tags: list[str] | None = None,
        in_category: Category | None = None,
    ) -> Article:
        article = services.create_article(key=key, category=in_category or category, tags=tags or [], actor=agent_sam)
        for lang, content in (("en", en), ("zh-hans", zh)):
            if content is None:
                continue
            saved = services.save_translation(article, lang=lang, title=content[0], body=content[1], actor=agent_sam)
            if lang in published:
                services.publish_translation(saved.translation, actor=agent_sam)
        return article

    return make


@pytest.fixture
def lockout(make_article: Callable[..., Article]) -> Article:
    """The account-lockout article, published in both languages."""
    return make_article(
        "account-locked",
        en=("My account is locked", "Wait **30 minutes**, then reset your password."),
        zh=("账户被锁定怎么办", "请等待 30 分钟，然后重置密码。账户锁定是为了保护资金。"),
        tags=["sign-in", "locked"],
    )
