"""Render and send one email. Called only from tasks, never inside a request.

Bodies come from templates (`<name>.txt` and `<name>.html`), rendered in the recipient's
language. Subjects are fixed translated sentences chosen by the caller; header values with
CR/LF are refused before Django (which would raise BadHeaderError) ever sees them.

Inside `one_connection()` (the worker holds one around each batch of jobs it claims) the emails
share one connection to the mail backend: one SMTP session instead of a connect, EHLO (and
STARTTLS, AUTH) and QUIT per email, one file of `DATA_DIR/outbox` instead of one per email.
"""

from __future__ import annotations

import logging
import secrets
import smtplib
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from email.message import Message
from email.policy import Compat32
from typing import Any

from django.conf import settings
from django.core.mail import EmailMultiAlternatives, get_connection
from django.core.mail.backends.base import BaseEmailBackend
from django.template.loader import render_to_string
from django.utils import translation
from django.utils.functional import Promise

from safedesk.lib.errors import InvalidInput

logger = logging.getLogger("safedesk.jobs")


def _header(value: str) -> str:
    if "\r" in value or "\n" in value:
        raise InvalidInput(code="header_injection")
    return value


class QuickFold(Compat32):
    """The standard library's compat32 policy (the one Django's messages use), writing a short
    single-line ASCII header the way compat32 would without building an `email.header.Header`
    to fold and encode it: ~12 % of an email job's CPU went to that, for about fifteen headers
    per message that never need folding. Anything else (longer, non-ASCII, several lines,
    leading, trailing or repeated whitespace, a `Header` object) is compat32's own work;
    `tests/test_mail.py` checks both give the same bytes."""

    def fold_binary(self, name: str, value: Any) -> bytes:
        if (
            type(value) is str
            and len(name) + len(value) + 2 <= (self.max_line_length or 78)
            and value.isascii()
            and value.isprintable()
            and value == value.strip()
            and "  " not in value
        ):
            return f"{name}: {value}{self.linesep}".encode("ascii")
        return super().fold_binary(name, value)


QUICK_FOLD = QuickFold()


class _Email(EmailMultiAlternatives):
    """Django's text + HTML email with the multipart boundary chosen here. Left unset, the
    standard library picks one while writing the message and compiles a regular expression for
    each new boundary to search the whole message for it: ~10 % of an email job's CPU here.
    This boundary cannot occur in an encoded body (quoted-printable writes "=" as "=3D",
    base64 has neither "=" inside a line nor "-"), nor by chance in a raw 8-bit one (128
    random bits), and is checked against every part's payload anyway."""

    def message(self, **kwargs: Any) -> Any:
        msg: Message = super().message(**kwargs)
        if msg.is_multipart() and msg.get_boundary() is None:
            payloads = [str(part.get_payload()) for part in msg.walk() if not part.is_multipart()]
            boundary = f"==safedesk-{secrets.token_hex(16)}=="
            while any(boundary in payload for payload in payloads):  # pragma: no cover - 2**-128
                boundary = f"==safedesk-{secrets.token_hex(16)}=="
            msg.set_boundary(boundary)
        msg.policy = QUICK_FOLD  # used for every part when the message is written
        return msg


def send_templated_email(
    *,
    to: str,
    subject: str | Promise,
    template: str,
    context: dict[str, Any],
    language: str,
    reply_to: str = "",
) -> None:
    """Send `template` (.txt and .html) to one address in `language`."""
    supported = {code for code, _name in settings.LANGUAGES}
    with translation.override(language if language in supported else settings.LANGUAGE_CODE):
        subject_text = _header(str(subject))
        text = render_to_string(f"{template}.txt", context)
        html = render_to_string(f"{template}.html", context)
    message = _Email(
        subject=subject_text,
        body=text,
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[_header(to)],
        reply_to=[_header(reply_to)] if reply_to else None,
    )
    message.attach_alternative(html, "text/html")
    _deliver(message)


# ---- one connection for many emails ------------------------------------------------------------


class _Shared(threading.local):
    active = False  # inside one_connection()
    connection: BaseEmailBackend | None = None  # opened by the block's first email
    used = False  # the connection has delivered at least one email


_shared = _Shared()


@contextmanager
def one_connection() -> Iterator[None]:
    """Emails sent in this block (in this thread) go through one backend connection, opened by
    the first of them and closed when the block ends. A block inside another is part of it."""
    if _shared.active:
        yield
        return
    _shared.active = True
    try:
        yield
    finally:
        _shared.active = False
        _drop_connection()


def _drop_connection() -> None:
    connection, _shared.connection, _shared.used = _shared.connection, None, False
    if connection is not None:
        try:
            connection.close()
        except Exception:  # closing a connection that already broke: nothing left to lose
            logger.warning("closing the mail connection failed", exc_info=True)


def _deliver(message: EmailMultiAlternatives) -> None:
    if not _shared.active:
        message.send(fail_silently=False)  # a connection of its own, opened and closed
        return
    if _shared.connection is None:
        connection = get_connection(fail_silently=False)
        connection.open()
        _shared.connection, _shared.used = connection, False
    try:
        _shared.connection.send_messages([message])
    except (smtplib.SMTPServerDisconnected, ConnectionError) as exc:
        # A session that delivered before and then went away (the server's idle timeout, a
        # restart): one new session for this email. A failure on a new session is the job's.
        was_used = _shared.used
        _drop_connection()
        if not was_used:
            raise
        logger.info("mail connection lost (%s); opening a new one", exc)
        _deliver(message)
        return
    except BaseException:
        _drop_connection()  # unknown state: the next email starts a new session
        raise
    _shared.used = True
