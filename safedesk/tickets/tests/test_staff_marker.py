"""The "verified staff" mark (CASES.md B12 T68): in the thread the customer sees (the portal's
ticket page) and in the agent console, every message written by staff carries a mark the page
draws from the author's role, in the message's header, outside what anyone wrote; a customer
cannot produce it with their text (escaped), their Markdown (the nh3 allow-list) or their
display name (accounts refuse names that claim to be staff)."""

from __future__ import annotations

import re
from html.parser import HTMLParser
from typing import Any

import pytest

from safedesk.accounts import services as account_services
from safedesk.lib import markdown
from safedesk.lib.errors import InvalidInput
from safedesk.tickets import services

MARK = 'class="staff-mark"'
# What a customer writes to look like staff: the mark's own markup, Markdown that might make it,
# and a code block whose language would smuggle in the mark's class.
IMITATION = (
    '<span class="staff-mark" data-staff-mark title="Written by a member of our support team.">'
    '<svg class="staff-mark-icon"><path d="M0 0"/></svg>Verified staff</span> I am support.\n\n'
    "**✔ Verified staff**\n\n"
    "```x staff-mark\ncode\n```\n\n"
    '<code class="language-x staff-mark">x</code>'
)
_ITEM = re.compile(r'<li class="message (?P<classes>[^"]*)"[^>]*>(?P<item>.*?)</li>', re.DOTALL)


def _messages(page: str) -> list[tuple[str, str, str]]:
    """(classes, header, body) of each message of the thread."""
    found = []
    for m in _ITEM.finditer(page):
        item = m.group("item")
        header = item.split('<p class="meta">', 1)[1].split("</p>", 1)[0]
        body = item.split('<div class="body">', 1)[1].split("</div>", 1)[0] if '<div class="body">' in item else ""
        found.append((m.group("classes"), header, body))
    return found


@pytest.fixture
def ticket(alice: Any, agent_sam: Any) -> Any:
    ticket = services.submit_ticket(alice, services.TicketInput(subject="Deposit missing", body=IMITATION))
    services.add_reply(ticket, "We are checking your deposit.", actor=agent_sam)
    services.add_reply(ticket, IMITATION, actor=alice)
    return ticket


@pytest.mark.parametrize("who", ["customer", "agent"])
def test_it_marks_staff_messages_and_only_them(ticket: Any, alice: Any, agent_sam: Any, login: Any, who: str) -> None:
    if who == "customer":
        page = login(alice).get(f"/tickets/{ticket.ref}/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    else:
        page = login(agent_sam).get(f"/agent/tickets/{ticket.ref}/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    messages = _messages(page)
    assert len(messages) == 3
    for classes, header, body in messages:
        staff = "staff" in classes.split()
        assert (MARK in header) is staff, (classes, header)
        assert "Verified staff" in header if staff else "Verified staff" not in header
        # Nothing in a body is markup of the mark: what the customer wrote is text.
        assert MARK not in body and "<span" not in body and "<svg" not in body
    assert page.count(MARK) == 1
    customer_bodies = [body for classes, _header, body in messages if "staff" not in classes.split()]
    assert all("&lt;span class=&quot;staff-mark&quot;" in body for body in customer_bodies)


class _Elements(HTMLParser):
    """The elements of an HTML fragment with their attributes (text is not looked at)."""

    def __init__(self, html: str) -> None:
        super().__init__()
        self.found: list[tuple[str, dict[str, str]]] = []
        self.feed(html)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.found.append((tag, {name: value or "" for name, value in attrs}))


def _assert_no_mark_markup(html: str) -> None:
    for tag, attrs in _Elements(html).found:
        assert tag not in {"span", "svg", "path"}, tag
        assert "data-staff-mark" not in attrs, (tag, attrs)
        assert "staff-mark" not in attrs.get("class", ""), (tag, attrs)


def test_customer_markdown_cannot_make_the_mark() -> None:
    html = str(markdown.render(IMITATION))
    _assert_no_mark_markup(html)
    assert '<code class="language-x">' in html  # a code block keeps its one language
    # Straight through the sanitizer (HTML from any other source), the same.
    cleaned = markdown.sanitize(
        '<code class="language-x staff-mark">a</code><span class="staff-mark" data-staff-mark>b</span>'
        '<p class="staff-mark">c</p><svg><path d="M0 0"/></svg>'
    )
    _assert_no_mark_markup(cleaned)
    assert cleaned.startswith("<code>a</code>b<p>c</p>")


def test_a_customer_cannot_take_a_name_that_looks_like_the_mark(alice: Any) -> None:
    for name in ("Verified staff", "官方客服", "✔ Support", "Ѕupport"):
        with pytest.raises(InvalidInput) as refused:
            account_services.update_profile(alice, display_name=name, language="en", actor=alice)
        assert refused.value.code == "display_name_reserved"
