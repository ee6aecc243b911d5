"""Attachments in real Chromium against a real `safedesk serve` with the test malware scanner
(its embedded worker scans): a customer submits a request with a screenshot, a log and the EICAR
test file, downloads the screenshot under its Chinese name, has a disguised page refused; the
agent sees the EICAR file as "blocked by scanner". No page logs a script or CSP error."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from safedesk.lib.tests import samples
from safedesk.lib.tests.scanners import EICAR
from safedesk.tests.browser import Browser, skip_without_chromium
from safedesk.tests.serving import running_safedesk
from safedesk.tickets.tests.test_browser import totp_code

pytestmark = [pytest.mark.browser, skip_without_chromium]


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Path]]:
    data_dir = tmp_path_factory.mktemp("attachments")
    scanner = {"SAFEDESK_UPLOAD_SCANNER": "safedesk.lib.tests.scanners.EicarScanner"}
    with running_safedesk(data_dir, demo=True, extra_env=scanner) as base:
        yield base, data_dir


def sign_in(page: Any, base: str, email: str, password: str) -> None:
    page.goto(base + "/accounts/login/")
    page.fill("#id_username", email)
    page.fill("#id_password", password)
    with page.expect_navigation():
        page.click("form.card button[type=submit]")


def test_it_uploads_downloads_refuses_and_blocks_files(
    site: tuple[str, Path], browser: Browser, tmp_path: Path
) -> None:
    base, data_dir = site
    logins = json.loads((data_dir / "demo-logins.json").read_text(encoding="utf-8"))
    shot = tmp_path / "截图 1.png"
    shot.write_bytes(samples.png())
    log = tmp_path / "wallet.log"
    log.write_bytes("提币失败 timeout\n".encode())
    eicar = tmp_path / "eicar.txt"
    eicar.write_bytes(EICAR)
    disguised = tmp_path / "invoice.png"
    disguised.write_bytes(b"\x89PNG\r\n\x1a\n<html><script>alert(1)</script></html>")

    customer = browser.new_tab()
    page = customer.page
    sign_in(page, base, "alice@demo.safedesk.test", logins["alice"])
    page.goto(base + "/tickets/new/")
    page.fill("#id_subject", "Withdrawal failed with a timeout")
    page.fill("#id_body", "Screenshot and log attached.")
    page.set_input_files("#id_files", [str(shot), str(log), str(eicar)])
    with page.expect_navigation():
        page.click("form.card button[type=submit]")
    ref = page.url.rstrip("/").rsplit("/", 1)[1]
    assert ref.startswith("T-")
    # The scanner runs in the worker, one job per file in no set order: wait until no file
    # is still pending (two clean files with links, the third blocked).
    deadline = time.monotonic() + 30
    while (
        page.locator(".attachment a").count() < 2 or page.locator("[data-placeholder=pending]").count() > 0
    ) and time.monotonic() < deadline:
        time.sleep(0.5)
        page.reload()
    assert page.locator("[data-placeholder=pending]").count() == 0
    assert page.locator(".attachment a").count() == 2
    with page.expect_download() as download_info:
        page.click("text=截图 1.png")
    download = download_info.value
    assert download.suggested_filename == "截图 1.png"
    saved = tmp_path / "downloaded.png"
    download.save_as(str(saved))
    assert saved.read_bytes() == samples.png()
    assert page.locator("[data-placeholder=blocked]").count() == 1
    page.screenshot(path=str(tmp_path / "customer.png"), full_page=True)

    # A page disguised as an image is refused; the form comes back with what was typed.
    page.fill("#id_body", "One more file.")
    page.set_input_files("#id_files", [str(disguised)])
    with page.expect_navigation():
        page.click("form[action$='/reply/'] button[type=submit]")
    assert page.locator("[data-code=file_active_content]").count() == 1
    assert page.input_value("#id_body") == "One more file."

    agent = browser.new_tab().page
    sign_in(agent, base, "sam@demo.safedesk.test", logins["sam"])
    agent.fill("#id_code", totp_code(data_dir, "sam@demo.safedesk.test"))
    with agent.expect_navigation():
        agent.click("form.card button[type=submit]")
    agent.goto(base + f"/agent/tickets/{ref}/")
    blocked = agent.locator("[data-placeholder=blocked]")
    assert blocked.count() == 1 and "Blocked by scanner" in blocked.inner_text()
    assert agent.locator(".attachment a").count() == 2
    agent.screenshot(path=str(tmp_path / "agent.png"), full_page=True)

    for opened in browser.tabs:
        # The refused upload answers 400, which Chromium reports on the console; nothing else may.
        assert [p for p in opened.problems if "status of 400" not in p] == []
