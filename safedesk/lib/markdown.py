"""The only way untrusted Markdown becomes HTML: markdown-it-py, then the nh3 allow-list."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

import nh3
from django.utils.safestring import SafeString, mark_safe
from markdown_it import MarkdownIt

_md = (
    MarkdownIt("commonmark", {"html": False, "linkify": False, "typographer": False})
    .enable("table")
    .enable("strikethrough")
)

ALLOWED_TAGS = {
    "a",
    "abbr",
    "b",
    "blockquote",
    "br",
    "code",
    "del",
    "em",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "hr",
    "i",
    "img",
    "kbd",
    "li",
    "ol",
    "p",
    "pre",
    "s",
    "strong",
    "sub",
    "sup",
    "table",
    "tbody",
    "td",
    "th",
    "thead",
    "tr",
    "ul",
}
ALLOWED_ATTRIBUTES = {
    "a": {"href", "title"},
    "img": {"src", "alt", "title"},
    "th": {"align"},
    "td": {"align"},
    "code": {"class"},
}
ALLOWED_SCHEMES = {"http", "https", "mailto"}
_CODE_CLASS = re.compile(r"language-[A-Za-z0-9_+#.-]{1,40}")


def _attribute_filter(tag: str, attr: str, value: str) -> str | None:
    if attr in {"href", "src"}:
        scheme = urlsplit(value).scheme.lower()
        if scheme and scheme not in ALLOWED_SCHEMES:
            return None
        if tag == "img" and scheme not in {"", "https", "http"}:
            return None
    # One code block language and nothing else: a second class ("language-x staff-mark") would
    # let user content borrow the page's own styles, such as the "verified staff" mark (T68).
    if attr == "class" and not _CODE_CLASS.fullmatch(value):
        return None
    return value


def sanitize(html: str) -> str:
    return nh3.clean(
        html,
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        url_schemes=ALLOWED_SCHEMES,
        link_rel="noopener noreferrer nofollow",
        attribute_filter=_attribute_filter,
        strip_comments=True,
    )


def render(text: str) -> SafeString:
    """Markdown to sanitised HTML, safe to place in a template."""
    # The output has passed the nh3 allow-list above; this is the one sanctioned mark_safe.
    return mark_safe(sanitize(_md.render(text)))  # noqa: S308


def to_plain(text: str) -> str:
    """Markdown to plain text for indexing and snippets (tags removed, entities decoded)."""
    import html as _html

    stripped = nh3.clean(_md.render(text), tags=set())
    return _html.unescape(" ".join(stripped.split()))
