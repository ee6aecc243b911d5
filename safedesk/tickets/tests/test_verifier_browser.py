"""The verifier and a scam report in real Chromium against a real `safedesk serve` with the demo
content: a visitor reading Chinese checks a look-alike domain and gets the answer in both
languages, a customer reports it with a screenshot, an agent confirms the report from the ticket
page, and the verifier then calls it a known scam."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from safedesk.tests.browser import Browser, skip_without_chromium
from safedesk.tests.serving import running_safedesk
from safedesk.tickets.tests.test_browser import totp_code

pytestmark = [pytest.mark.browser, skip_without_chromium]

LOOKALIKE = "safedesk-kefu.example"


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Path]]:
    data_dir = tmp_path_factory.mktemp("verifier")
    with running_safedesk(data_dir, demo=True) as base:
        yield base, data_dir


def _sign_in(page: Any, base: str, email: str, password: str, code: str | None = None) -> None:
    page.goto(base + "/accounts/login/")
    page.fill("#id_username", email)
    page.fill("#id_password", password)
    with page.expect_navigation():
        page.click("form.card button[type=submit]")
    if code is not None:
        page.fill("#id_code", code)
        with page.expect_navigation():
            page.click("form.card button[type=submit]")


def test_a_look_alike_is_checked_reported_confirmed_and_then_a_known_scam(
    site: tuple[str, Path], browser: Browser, tmp_path: Path
) -> None:
    base, data_dir = site
    logins = json.loads((data_dir / "demo-logins.json").read_text(encoding="utf-8"))

    # 1. A visitor whose browser asks for Chinese checks a domain from a search ad.
    visitor = browser.new_tab(locale="zh-CN")
    page = visitor.page
    page.goto(base + "/verify/")
    assert "+44 20 7946 0958" in page.locator("table.officials").inner_text()
    page.fill("#id_q", LOOKALIKE)
    with page.expect_navigation():
        page.click("form.card button[type=submit]")
    verdict = page.locator("section.verdict")
    assert verdict.get_attribute("data-status") == "lookalike"
    answers = verdict.locator(".answer")
    assert answers.nth(0).get_attribute("lang") == "zh-hans" and answers.nth(1).get_attribute("lang") == "en"
    assert "不是官方渠道" in answers.nth(0).inner_text()
    assert "NOT an official channel" in answers.nth(1).inner_text()
    page.screenshot(path=str(tmp_path / "verdict.png"), full_page=True)

    # 2. A signed-in customer reports it, with a screenshot.
    customer = browser.new_tab().page
    _sign_in(customer, base, "alice@demo.safedesk.test", logins["alice"])
    customer.goto(base + "/report-scam/")
    customer.fill("#id_reported", f"https://{LOOKALIKE}/login?utm_source=ad")
    customer.fill("#id_where_seen", "a search ad")
    customer.set_input_files("input[type=file]", str(tmp_path / "verdict.png"))
    with customer.expect_navigation():
        customer.click("form.card button[type=submit]")
    ref = customer.url.rstrip("/").rsplit("/", 1)[-1]
    assert ref.startswith("T-"), customer.url

    # 3. An agent confirms it from the ticket page.
    agent = browser.new_tab().page
    _sign_in(agent, base, "sam@demo.safedesk.test", logins["sam"], totp_code(data_dir, "sam@demo.safedesk.test"))
    agent.goto(base + f"/agent/tickets/{ref}/")
    panel = agent.locator("section.scam-report")
    assert LOOKALIKE in panel.inner_text()
    agent.fill("#id_scam_note", "Fake help desk in search ads")
    with agent.expect_navigation():
        panel.locator("button[value=confirm]").click()
    assert agent.locator("section.scam-report").get_attribute("data-report-status") == "confirmed"

    # 4. The verifier now calls it a known scam, and the public list shows it.
    page.goto(base + "/verify/")
    page.fill("#id_q", LOOKALIKE)
    with page.expect_navigation():
        page.click("form.card button[type=submit]")
    assert page.locator("section.verdict").get_attribute("data-status") == "scam"
    page.goto(base + "/verify/scams/")
    assert "Fake help desk in search ads" in page.content()
    for opened in browser.tabs:
        assert opened.problems == []
