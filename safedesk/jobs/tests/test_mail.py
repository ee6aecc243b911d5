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


# ---- one SMTP connection per worker thread ------------------------------------------------------


@pytest.fixture
def connects(smtp_server, monkeypatch):
    """How many SMTP connections were opened (each test starts with none kept)."""
    import smtplib

    from safedesk.jobs import mail

    mail.close_kept_connection()
    opened = []
    connect = smtplib.SMTP.connect

    def counting(self, *args, **kwargs):
        opened.append(args)
        return connect(self, *args, **kwargs)

    monkeypatch.setattr(smtplib.SMTP, "connect", counting)
    yield opened
    mail.close_kept_connection()


def test_it_sends_the_emails_of_a_worker_over_one_connection(smtp_server, connects) -> None:
    for n in range(3):
        _send(to=f"user{n}@example.com", subject=f"Hello {n}")
    assert [m.rcpt_tos for m in smtp_server.messages] == [[f"user{n}@example.com"] for n in range(3)]
    assert [m.subject for m in smtp_server.messages] == ["Hello 0", "Hello 1", "Hello 2"]
    assert len(connects) == 1


def test_it_connects_again_when_the_server_dropped_the_connection(smtp_server, connects) -> None:
    from safedesk.jobs import mail

    _send()
    import socket

    mail._local.smtp.connection.sock.shutdown(socket.SHUT_RDWR)  # as if the server had hung up meanwhile
    _send(to="bob@example.com")
    assert [m.rcpt_tos for m in smtp_server.messages] == [["alice@example.com"], ["bob@example.com"]]
    assert len(connects) == 2


def test_it_connects_again_after_the_idle_time_or_when_the_settings_change(
    smtp_server, connects, settings, monkeypatch
) -> None:
    from safedesk.jobs import mail

    _send()
    settings.EMAIL_TIMEOUT = 7
    _send()
    assert len(connects) == 2
    monkeypatch.setattr(mail, "SMTP_KEEP_SECONDS", -1.0)
    _send()
    assert len(connects) == 3 and len(smtp_server.messages) == 3


def test_it_fails_the_send_and_drops_the_connection_when_the_server_refuses(smtp_server, connects, monkeypatch) -> None:
    import smtplib

    from safedesk.jobs import mail

    _send()

    def refuse(*args, **kwargs):
        raise smtplib.SMTPDataError(554, b"refused")

    with monkeypatch.context() as patch:
        patch.setattr(smtplib.SMTP, "sendmail", refuse)
        with pytest.raises(smtplib.SMTPDataError):
            _send(to="bob@example.com")
    assert mail._local.smtp is None
    _send(to="carol@example.com")
    assert [m.rcpt_tos for m in smtp_server.messages] == [["alice@example.com"], ["carol@example.com"]]
    assert len(connects) == 2


def test_it_keeps_no_connection_for_other_backends(settings, mailoutbox) -> None:
    from safedesk.jobs import mail

    mail.close_kept_connection()
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    _send()
    _send(to="bob@example.com")
    assert [m.to for m in mailoutbox] == [["alice@example.com"], ["bob@example.com"]]
    assert getattr(mail._local, "smtp", None) is None
