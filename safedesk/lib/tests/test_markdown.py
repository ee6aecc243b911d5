from html.parser import HTMLParser
from urllib.parse import urlsplit

import pytest

from safedesk.lib.markdown import ALLOWED_TAGS, render, to_plain


class _Elements(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.found: list[tuple[str, list[tuple[str, str | None]]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.found.append((tag, attrs))


def elements(html: str) -> list[tuple[str, list[tuple[str, str | None]]]]:
    parser = _Elements()
    parser.feed(html)
    return parser.found


PAYLOADS = [
    "<script>alert(1)</script>",
    '<img src=x onerror="alert(1)">',
    '<a href="javascript:alert(1)">x</a>',
    '<a href="data:text/html,<script>alert(1)</script>">x</a>',
    '<iframe src="https://evil.example"></iframe>',
    '<form action="//evil.example"><input></form>',
    '<p style="background:url(javascript:alert(1))">x</p>',
    "[x](javascript:alert(1))",
    "[x](JaVaScRiPt:alert(1))",
    "![x](javascript:alert(1))",
    "<svg><foreignObject><script>alert(1)</script></foreignObject></svg>",
    "[x](vbscript:msgbox(1))",
]


@pytest.mark.parametrize("payload", PAYLOADS)
def test_it_renders_attacks_inert(payload: str) -> None:
    for tag, attrs in elements(str(render(payload))):
        assert tag in ALLOWED_TAGS
        for name, value in attrs:
            assert not name.startswith("on") and name != "style"
            if name in {"href", "src"}:
                assert urlsplit(value or "").scheme in {"", "http", "https", "mailto"}


def test_it_keeps_ordinary_markdown_and_marks_links() -> None:
    html = str(
        render("# 标题\n\n**bold** [docs](https://example.com/a) [rel](/help/x)\n\n| a | b |\n|---|---|\n| 1 | 2 |")
    )
    assert "<h1>标题</h1>" in html and "<strong>bold</strong>" in html and "<table>" in html
    assert 'href="https://example.com/a"' in html and 'rel="noopener noreferrer nofollow"' in html
    assert 'href="/help/x"' in html


def test_it_strips_markup_for_plain_text() -> None:
    assert to_plain("**账户** 已被 [锁定](/x) &amp; <b>x</b>") == "账户 已被 锁定 & <b>x</b>"
