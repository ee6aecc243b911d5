"""The console's JavaScript in real Chromium against a real `safedesk serve`, under the strict
script policy: two agents on one ticket see each other ("is replying"), a macro goes into the
reply box with its status, a reply that crosses a colleague's comes back and is sent on the
second submit, and "Select page" checks every row of the inbox."""

from __future__ import annotations

import json
import re
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect

from safedesk.tests.browser import Browser, skip_without_chromium
from safedesk.tests.serving import BIN, embedded_env, running_safedesk

pytestmark = [pytest.mark.browser, skip_without_chromium]

SET_UP = """
from safedesk.accounts.models import User
from safedesk.tickets import services
alice = User.objects.get(email="alice@demo.safedesk.test")
ada = User.objects.get(email="ada@demo.safedesk.test")
for i in range(3):
    ticket = services.submit_ticket(alice, services.TicketInput(subject=f"Card top-up failed {i}", body="Twice."))
services.create_macro(
    services.MacroInput(name="Checking", body_en="Hello {{ customer.name }}, we are checking {{ ticket.ref }}.",
                        body_zh="您好，我们正在核查 {{ ticket.ref }}。", set_status="pending", add_tags=["card"]),
    shared=True, actor=ada)
print(ticket.ref)
"""


def _shell(data_dir: Path, code: str) -> str:
    env = embedded_env(data_dir, 0)
    out = subprocess.run(
        [str(BIN / "safedesk"), "shell", "-c", code], env=env, capture_output=True, text=True, check=True, timeout=120
    )
    return out.stdout.strip().splitlines()[-1]


def _totp(data_dir: Path, email: str) -> str:
    env = embedded_env(data_dir, 0)
    out = subprocess.run(
        [str(BIN / "safedesk"), "totp", email], env=env, capture_output=True, text=True, check=True, timeout=60
    )
    return out.stdout.strip()


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Path, str]]:
    data_dir = tmp_path_factory.mktemp("console")
    with running_safedesk(data_dir, demo=True) as base:
        ref = _shell(data_dir, SET_UP)
        yield base, data_dir, ref


def _sign_in(browser: Browser, base: str, data_dir: Path, handle: str) -> Any:
    logins = json.loads((data_dir / "demo-logins.json").read_text(encoding="utf-8"))
    email = f"{handle}@demo.safedesk.test"
    page = browser.new_tab().page
    page.goto(base + "/accounts/login/")
    page.fill("#id_username", email)
    page.fill("#id_password", logins[handle])
    with page.expect_navigation():
        page.click("form.card button[type=submit]")
    page.fill("#id_code", _totp(data_dir, email))
    with page.expect_navigation():
        page.click("form.card button[type=submit]")
    return page


def test_it_runs_the_console_scripts_in_a_real_browser(
    site: tuple[str, Path, str], browser: Browser, tmp_path: Path
) -> None:
    base, data_dir, ref = site
    sam = _sign_in(browser, base, data_dir, "sam")
    ada = _sign_in(browser, base, data_dir, "ada")
    sam.goto(f"{base}/agent/tickets/{ref}/")
    ada.goto(f"{base}/agent/tickets/{ref}/")

    # Ada types: Sam's page says so within a heartbeat or two.
    ada.fill("#id_body", "Looking at the card processor logs…")
    ada.locator("#id_body").press("End")
    sam.wait_for_selector("#presence li.presence-replying", timeout=30_000)
    assert "is replying" in sam.locator("#presence").inner_text()

    # Sam picks the macro: the text (in the ticket's language, variables filled) and its status.
    sam.select_option("[data-macro-picker]", label="Checking")
    # (Waited for from Python: the page's script policy refuses evaluated strings, also Playwright's.)
    expect(sam.locator("#id_body")).to_have_value(re.compile(re.escape(ref)))
    assert ref in sam.input_value("#id_body") and "{{" not in sam.input_value("#id_body")
    assert sam.input_value("#id_reply_status") == "pending"
    assert sam.input_value("#id_reply_tags") == "card"
    sam.screenshot(path=str(tmp_path / "ticket.png"), full_page=True)

    # Ada answers first; Sam's reply comes back with her message marked, and goes on the second try.
    with ada.expect_navigation():
        ada.click("button[name=internal][value='0']")
    with sam.expect_navigation():
        sam.click("button[name=internal][value='0']")
    assert sam.locator("[data-code=reply_collision]").count() == 1
    assert sam.locator("li.message[data-new]").count() == 1
    sam.screenshot(path=str(tmp_path / "collision.png"), full_page=True)
    assert ref in sam.input_value("#id_body")  # the draft is kept
    with sam.expect_navigation():
        sam.click("text=Send anyway")
    assert "Reply sent." in sam.content()
    assert sam.locator("[data-status]").first.get_attribute("data-status") == "pending"

    # The inbox: "Select page" checks every row, and a bulk tag reaches each ticket.
    sam.goto(base + "/agent/tickets/?view=all&status=new&status=open&status=pending")
    sam.check("[data-select-page]")
    rows = sam.locator("[data-bulk-row]")
    count = rows.count()
    assert count >= 3 and all(rows.nth(i).is_checked() for i in range(count))
    sam.select_option("[data-bulk-action]", "add_tag")
    assert sam.locator("select[name=status][data-bulk-for]").is_hidden()
    sam.fill("input[name=tag][data-bulk-for]", "card-issue")
    sam.screenshot(path=str(tmp_path / "inbox.png"), full_page=True)
    with sam.expect_navigation():
        sam.click("text=Apply to selected")
    assert sam.locator("[data-outcome=done]").count() == count
    for opened in browser.tabs:
        # The held-back reply's page is a 409 on purpose; Chromium logs every 4xx page load.
        assert [p for p in opened.problems if "status of 409" not in p] == []
