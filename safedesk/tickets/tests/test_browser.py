"""The ticket round trip in real Chromium against a real `safedesk serve` (its embedded worker
sends the emails to a real SMTP server): a guest submits a request, confirms it with the link
from the email, an agent replies and solves it, the customer (after setting a password with the
reset link) sees the reply and rates it."""

from __future__ import annotations

import json
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from safedesk.tests.browser import Browser, skip_without_chromium
from safedesk.tests.serving import BIN, embedded_env, running_safedesk

pytestmark = [pytest.mark.browser, skip_without_chromium]

GUEST = "guest.walker@example.com"
NEW_PASSWORD = "a long and new passphrase 7731"


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory, _smtp_controller: Any) -> Iterator[tuple[str, Path]]:
    data_dir = tmp_path_factory.mktemp("tickets")
    smtp = {"SAFEDESK_EMAIL_HOST": _smtp_controller.host, "SAFEDESK_EMAIL_PORT": str(_smtp_controller.port)}
    with running_safedesk(data_dir, demo=True, extra_env=smtp) as base:
        yield base, data_dir


def wait_for_mail(sink: Any, address: str, count: int, timeout: float = 60.0) -> list[Any]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = sink.to(address)
        if len(found) >= count:
            return found
        time.sleep(0.3)
    raise AssertionError(f"{count} emails to {address} did not arrive: {[m.subject for m in sink.to(address)]}")


def totp_code(data_dir: Path, email: str) -> str:
    env = embedded_env(data_dir, 0)
    out = subprocess.run(
        [str(BIN / "safedesk"), "totp", email], env=env, capture_output=True, text=True, check=True, timeout=60
    )
    return out.stdout.strip()


def test_it_takes_a_guest_request_from_form_to_rating(
    site: tuple[str, Path], browser: Browser, _smtp_controller: Any, tmp_path: Path
) -> None:
    base, data_dir = site
    sink = _smtp_controller
    guest = browser.new_tab()
    page = guest.page

    # 1. A guest submits the web form.
    page.goto(base + "/tickets/new/")
    page.fill("#id_email", GUEST)
    page.fill("#id_subject", "Withdrawal pending for two days")
    page.select_option("#id_category", "withdrawal")
    page.fill("#id_body", "My USDT withdrawal has been pending since Monday.")
    page.fill("#id_chain_links", "0x" + "ab" * 32)
    # Typing the subject fetched article suggestions into the form above the button: let them
    # land first, so that the click is not aimed at a button that then moves.
    page.wait_for_load_state("networkidle")
    with page.expect_navigation():
        page.click("form.card button[type=submit]")
    assert "Check your email" in page.content()
    page.screenshot(path=str(tmp_path / "submitted.png"), full_page=True)

    # 2. The confirmation email arrives; its subject names only the reference.
    (mail,) = wait_for_mail(sink, GUEST, 1)
    assert "Confirm your request" in mail.subject
    assert "Withdrawal pending" not in mail.subject and "Monday" not in mail.text
    link = next(url for url in mail.links() if "/tickets/confirm/" in url)
    page.goto(link)
    with page.expect_navigation():
        page.click("form.card button[type=submit]")
    assert "Request confirmed" in page.content()
    ref = page.locator("h1 + .card p").first.inner_text().split()[2]
    assert ref.startswith("T-")
    wait_for_mail(sink, GUEST, 2)  # "we received your request"

    # 3. An agent signs in (password, then the authenticator code), replies and solves it.
    logins = json.loads((data_dir / "demo-logins.json").read_text(encoding="utf-8"))
    agent_email, agent_password = "sam@demo.safedesk.test", logins["sam"]
    agent = browser.new_tab().page
    agent.goto(base + "/accounts/login/?next=/agent/tickets/%3Fview%3Dall")
    agent.fill("#id_username", agent_email)
    agent.fill("#id_password", agent_password)
    with agent.expect_navigation():
        agent.click("form.card button[type=submit]")
    agent.fill("#id_code", totp_code(data_dir, agent_email))
    with agent.expect_navigation():
        agent.click("form.card button[type=submit]")
    agent.goto(base + "/agent/tickets/?view=all")
    with agent.expect_navigation():
        agent.click(f"text={ref}")
    agent.fill("#id_body", "We pushed your withdrawal again; it is on chain now.")
    with agent.expect_navigation():
        agent.click("button[name=internal][value='0']")
    agent.select_option("#id_status", "solved")
    with agent.expect_navigation():
        agent.click("form[action$='/status/'] button")
    assert agent.locator("[data-status]").first.get_attribute("data-status") == "solved"
    replied = wait_for_mail(sink, GUEST, 3)
    assert any("it is on chain now" in m.text for m in replied)

    # 4. The customer sets a password through the reset link, sees the reply and rates it.
    page.goto(base + "/accounts/password/reset/")
    page.fill("#id_email", GUEST)
    with page.expect_navigation():
        page.click("form.card button[type=submit]")
    reset_mail = wait_for_mail(sink, GUEST, 5, timeout=60)
    reset_link = next(url for m in reset_mail for url in m.links() if "/reset/" in url)
    page.goto(reset_link)
    page.fill("#id_new_password1", NEW_PASSWORD)
    page.fill("#id_new_password2", NEW_PASSWORD)
    with page.expect_navigation():
        page.click("form.card button[type=submit]")
    page.goto(base + f"/accounts/login/?next=/tickets/{ref}/")
    page.fill("#id_username", GUEST)
    page.fill("#id_password", NEW_PASSWORD)
    with page.expect_navigation():
        page.click("form.card button[type=submit]")
    assert ref in page.content()
    assert "it is on chain now" in page.locator("ol.thread").inner_text()
    page.check("input[name=score][value='5']")
    page.fill("#id_comment", "Fast and clear.")
    with page.expect_navigation():
        page.click("#rating button[type=submit]")
    assert "Thank you for your rating." in page.content()
    page.screenshot(path=str(tmp_path / "rated.png"), full_page=True)
    for opened in browser.tabs:
        assert opened.problems == []


def test_a_suggested_article_can_be_marked_as_the_answer_without_sending_the_form(
    site: tuple[str, Path], browser: Browser
) -> None:
    """The suggestions box sits inside the request form: its "this answered my question" button
    records the deflection by itself and neither submits the request nor leaves the page."""
    base, _data_dir = site
    tab = browser.new_tab()
    page = tab.page
    page.goto(base + "/tickets/new/")
    page.fill("#id_email", "reader@example.com")
    page.fill("#id_subject", "Withdrawal pending for two days")
    answered = page.locator("#deflect button[data-deflect]").first
    answered.wait_for(state="visible", timeout=30_000)
    assert page.locator("form form").count() == 0  # no form inside the request form
    answered.click()
    page.locator("#deflect [role=status]").wait_for(state="visible", timeout=30_000)
    assert "Glad it helped" in page.locator("#deflect").inner_text()
    assert page.url == base + "/tickets/new/" and page.input_value("#id_email") == "reader@example.com"
    assert tab.problems == []
