import pytest

from safedesk.jobs.mail import send_templated_email
from safedesk.lib.errors import InvalidInput


def _send(**overrides):
    args = {
        "to": "alice@example.com",
        "subject": "Hello",
        "template": "accounts/emails/password_changed",
        "context": {"user": {"display_name": "Alice"}, "reset_link": "https://x.example/r", "site_url": ""},
        "language": "en",
    }
    send_templated_email(**{**args, **overrides})


def test_it_sends_plain_text_and_html_to_one_address(smtp_server) -> None:
    _send()
    [mail] = smtp_server.messages
    assert mail.rcpt_tos == ["alice@example.com"]
    assert mail.subject == "Hello"
    assert "https://x.example/r" in mail.text
    assert '<a href="https://x.example/r">' in mail.html


@pytest.mark.parametrize(
    "overrides",
    [
        {"subject": "Hi\r\nBcc: victim@evil.example"},
        {"subject": "Hi\nContent-Type: text/html"},
        {"to": "alice@example.com\r\nBcc: victim@evil.example"},
    ],
)
def test_it_refuses_header_values_with_line_breaks(smtp_server, overrides) -> None:
    with pytest.raises(InvalidInput):
        _send(**overrides)
    assert smtp_server.messages == []


def test_it_falls_back_to_the_default_language(smtp_server) -> None:
    _send(language="xx")
    assert '<html lang="en">' in smtp_server.messages[0].html


def test_it_writes_a_multipart_message_that_parses_back_to_both_bodies(smtp_server) -> None:
    """The boundary safedesk chooses separates the parts as the standard library's would: the
    message the SMTP server received parses into exactly one text and one HTML part, in
    Chinese too, each with what was rendered."""
    _send(subject="密码已更改 · password changed", language="zh-hans")
    [mail] = smtp_server.messages
    parsed = mail.message
    boundary = parsed.get_boundary()
    assert parsed.get_content_type() == "multipart/alternative" and boundary.startswith("==safedesk-")
    parts = list(parsed.iter_parts())
    assert [p.get_content_type() for p in parts] == ["text/plain", "text/html"]
    assert "https://x.example/r" in parts[0].get_content()
    assert '<html lang="zh-hans">' in parts[1].get_content()
    assert mail.subject == "密码已更改 · password changed"
    assert parsed.as_bytes().count(f"--{boundary}".encode()) == 3  # two part openings, the close
