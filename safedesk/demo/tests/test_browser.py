"""A person in real Chromium: open the help center, switch to Chinese, search, open the article,
vote helpful. Runs against `safedesk demo` + `safedesk serve` in a scratch data dir."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from safedesk.tests.browser import Tab, skip_without_chromium
from safedesk.tests.serving import running_safedesk

pytestmark = [pytest.mark.browser, skip_without_chromium]


@pytest.fixture(scope="module")
def demo_site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with running_safedesk(tmp_path_factory.mktemp("demo"), demo=True) as base:
        yield base


def test_it_finds_and_rates_an_answer_in_chinese(demo_site: str, tab: Tab, tmp_path: Path) -> None:
    page = tab.page
    page.goto(demo_site + "/")
    assert page.locator("html").get_attribute("lang") == "en"
    page.screenshot(path=str(tmp_path / "home.png"), full_page=True)

    # Switching the language submits the switcher (safedesk.js) and reloads the page in Chinese.
    with page.expect_navigation():
        page.select_option("#lang-select", "zh-hans")
    assert page.locator("html").get_attribute("lang") == "zh-hans"
    assert "帮助中心" in page.content()

    page.fill("#hc-q", "账户 锁定")
    with page.expect_navigation():
        page.press("#hc-q", "Enter")
    first = page.locator("ol.results li.result").first
    first.wait_for()
    assert "锁定" in first.inner_text()
    assert first.locator("mark").count() >= 1
    page.screenshot(path=str(tmp_path / "results.png"), full_page=True)

    with page.expect_navigation():
        first.locator("a").first.click()
    assert "/help/articles/" in page.url
    assert "锁定" in page.locator("h1").inner_text()

    page.locator("#feedback button[value=yes]").click()
    thanks = page.locator("#feedback .feedback-thanks")
    thanks.wait_for(timeout=10_000)
    assert "感谢" in thanks.inner_text()
    page.screenshot(path=str(tmp_path / "article.png"), full_page=True)
    assert (tmp_path / "home.png").stat().st_size > 10_000
    assert tab.problems == []


def test_it_shows_the_api_docs_offline_under_the_content_policy(demo_site: str, tab: Tab) -> None:
    page = tab.page
    page.goto(demo_site + "/api/docs")
    page.locator(".swagger-ui .info .title").wait_for(timeout=15_000)
    assert "safedesk API" in page.locator(".swagger-ui .info .title").inner_text()
    page.locator(".opblock-summary-path", has_text="/api/v1/articles/search").first.wait_for()
    assert tab.problems == []
