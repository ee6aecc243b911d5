from email.policy import compat32
from typing import Any

import pytest
from django.core.mail.backends.smtp import EmailBackend as SmtpBackend
from hypothesis import given, settings
from hypothesis import strategies as st

from safedesk.jobs import mail as jobs_mail
from safedesk.jobs.mail import QUICK_FOLD, one_connection, send_templated_email
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


HEADER_NAMES = ["Subject", "From", "To", "Reply-To", "Date", "Message-ID", "Content-Type", "X-Mailer-Long-Header-Name"]
HEADER_TEXT = st.text(alphabet=st.characters(min_codepoint=0, max_codepoint=0x7F), max_size=90) | st.text(max_size=40)


@settings(max_examples=500, deadline=None)
@given(name=st.sampled_from(HEADER_NAMES), value=HEADER_TEXT, linesep=st.sampled_from(["\n", "\r\n"]))
def test_quick_folding_writes_every_header_as_compat32_does(name: str, value: str, linesep: str) -> None:
    """Short plain ASCII headers skip the standard library's folding; every value, whether it
    takes that shortcut or not (control characters, runs of spaces, non-ASCII, too long),
    comes out byte for byte as compat32 writes it — or fails the same way."""
    quick, plain = QUICK_FOLD.clone(linesep=linesep), compat32.clone(linesep=linesep)
    try:
        expected = plain.fold_binary(name, value)
    except Exception as exc:  # compat32 refuses some values (e.g. what looks like a header)
        with pytest.raises(type(exc)):
            quick.fold_binary(name, value)
        return
    assert quick.fold_binary(name, value) == expected


@pytest.mark.parametrize("language", ["en", "zh-hans"])
def test_a_whole_message_is_written_as_compat32_writes_it(language: str) -> None:
    from django.core.mail import EmailMultiAlternatives

    from safedesk.jobs.mail import _Email

    def build(cls: type) -> Any:
        email = cls(
            subject="密码已更改 · password changed" if language == "zh-hans" else "Password changed",
            body="Line one\n" + "long line " * 20 + "\n中文正文" * (language == "zh-hans"),
            from_email="Desk <desk@example.com>",
            to=["alice@example.com"],
            reply_to=["reply+T-7KQ3M9XA.abc@example.com"],
            headers={"Message-ID": "<fixed@example.com>", "Date": "Thu, 03 Dec 2026 08:00:00 -0000"},
        )
        email.attach_alternative("<p>" + "html " * 40 + "</p>", "text/html")
        return email.message()

    ours, theirs = build(_Email), build(EmailMultiAlternatives)
    assert ours.policy is QUICK_FOLD
    theirs.set_boundary(ours.get_boundary())
    for linesep in ("\n", "\r\n"):
        assert ours.as_bytes(linesep=linesep) == theirs.as_bytes(linesep=linesep)


def test_it_sends_the_emails_of_one_block_over_one_smtp_session(smtp_server) -> None:
    with one_connection():
        for name in ("a", "b", "c"):
            _send(to=f"{name}@example.com")
    _send(to="d@example.com")
    _send(to="e@example.com")
    peers = [m.peer for m in smtp_server.messages]
    assert [m.rcpt_tos for m in smtp_server.messages] == [[f"{n}@example.com"] for n in "abcde"]
    assert peers[0] == peers[1] == peers[2]
    assert len({peers[0], peers[3], peers[4]}) == 3  # outside a block: a session per email


def test_it_opens_a_new_session_when_the_server_dropped_one_that_delivered(smtp_server) -> None:
    with one_connection():
        _send(to="a@example.com")
        shared = jobs_mail._shared.connection
        assert isinstance(shared, SmtpBackend)
        assert shared.connection is not None
        shared.connection.close()  # the socket goes away, as when the server times the session out
        _send(to="b@example.com")
        assert jobs_mail._shared.connection is not shared
    first, second = smtp_server.messages
    assert second.rcpt_tos == ["b@example.com"] and first.peer != second.peer
    assert jobs_mail._shared.connection is None  # closed with the block


def test_a_refused_email_leaves_the_session_and_a_failed_connect_is_the_emails_own(smtp_server, settings) -> None:
    with one_connection():
        _send(to="a@example.com")
        shared = jobs_mail._shared.connection
        with pytest.raises(InvalidInput):
            _send(to="b@example.com\r\nBcc: victim@evil.example")
        _send(to="c@example.com")
        assert jobs_mail._shared.connection is shared
    port, settings.EMAIL_PORT = settings.EMAIL_PORT, _closed_port()
    with one_connection():
        with pytest.raises(ConnectionRefusedError):
            _send(to="d@example.com")  # nothing delivered on this session yet: no second try
        assert jobs_mail._shared.connection is None
        settings.EMAIL_PORT = port
        _send(to="e@example.com")
    a, c, e = smtp_server.messages
    assert [m.rcpt_tos for m in (a, c, e)] == [["a@example.com"], ["c@example.com"], ["e@example.com"]]
    assert a.peer == c.peer != e.peer


def _closed_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])
