"""Shared set-up of the browser tests: Debian's Chromium driven by Playwright, headless."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
skip_without_chromium = pytest.mark.skipif(
    not Path(CHROMIUM).exists(), reason="Chromium is not installed (apt-get install chromium); browser test skipped"
)
# Flags this closed-network machine needs: no background calls home, no sandbox as root.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@dataclass
class Tab:
    page: Any
    problems: list[str] = field(default_factory=list)  # console errors, CSP violations, page errors


@dataclass
class Browser:
    """One Chromium; `new_tab()` opens a page in a fresh context (its own cookies: one person)."""

    browser: Any
    tabs: list[Tab] = field(default_factory=list)

    def new_tab(self, locale: str = "en-US") -> Tab:
        context = self.browser.new_context(locale=locale, viewport={"width": 1280, "height": 900})
        page = context.new_page()
        opened = Tab(page)
        page.on("console", lambda m: opened.problems.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda e: opened.problems.append(str(e)))
        self.tabs.append(opened)
        return opened


@pytest.fixture
def browser() -> Iterator[Browser]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        chromium = pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        yield Browser(chromium)
        chromium.close()


@pytest.fixture
def tab(browser: Browser) -> Tab:
    return browser.new_tab()
