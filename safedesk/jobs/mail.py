"""Render and send one email. Called only from tasks, never inside a request.

Bodies come from templates (`<name>.txt` and `<name>.html`), rendered in the recipient's
language. Subjects are fixed translated sentences chosen by the caller; header values with
CR/LF are refused before Django (which would raise BadHeaderError) ever sees them.

With Django's SMTP backend, a worker thread keeps its connection for its next email (checked
with NOOP first, replaced when the server dropped it or the settings changed, given up after
SMTP_KEEP_SECONDS idle): connecting, STARTTLS and AUTH for every email cost more than the email
itself. Each email is still its own SMTP transaction (MAIL, RCPT, DATA) with the same bytes;
a send that fails closes the connection and fails the task, exactly as before. Other backends
(files, console, the tests' locmem) get a fresh connection per email, as Django does.
"""

from __future__ import annotations

import smtplib
import threading
import time
from typing import Any

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.core.mail.backends.smtp import EmailBackend as SmtpBackend
from django.template.loader import render_to_string
from django.utils import translation
from django.utils.functional import Promise
from django.utils.module_loading import import_string

from safedesk.lib.errors import InvalidInput

# Servers drop idle clients (RFC 5321 suggests 5 minutes; some much sooner): an idle connection
# older than this is closed rather than checked.
SMTP_KEEP_SECONDS = 30.0

_local = threading.local()


def _header(value: str) -> str:
    if "\r" in value or "\n" in value:
        raise InvalidInput(code="header_injection")
    return value


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
    kept = _kept_smtp()
    message = EmailMultiAlternatives(
        subject=subject_text,
        body=text,
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[_header(to)],
        reply_to=[_header(reply_to)] if reply_to else None,
        connection=kept,
    )
    message.attach_alternative(html, "text/html")
    try:
        message.send(fail_silently=False)
    except BaseException:
        if kept is not None:
            close_kept_connection()  # in an unknown state: the next email connects afresh
        raise
    if kept is not None:
        _local.smtp_used = time.monotonic()


def _smtp_settings() -> tuple[Any, ...]:
    return (
        settings.EMAIL_BACKEND,
        settings.EMAIL_HOST,
        settings.EMAIL_PORT,
        settings.EMAIL_HOST_USER,
        settings.EMAIL_HOST_PASSWORD,
        settings.EMAIL_USE_TLS,
        settings.EMAIL_USE_SSL,
        settings.EMAIL_SSL_CERTFILE,
        settings.EMAIL_SSL_KEYFILE,
        settings.EMAIL_TIMEOUT,
    )


def _kept_smtp() -> SmtpBackend | None:
    """This thread's open SMTP connection, ready for one more email; None when the configured
    backend is not SMTP (Django then makes one per email)."""
    key = _smtp_settings()
    kept: SmtpBackend | None = getattr(_local, "smtp", None)
    if kept is not None and (
        _local.smtp_key != key or time.monotonic() - _local.smtp_used > SMTP_KEEP_SECONDS or not _alive(kept)
    ):
        close_kept_connection()
        kept = None
    if kept is None:
        backend_class = import_string(settings.EMAIL_BACKEND)
        if not (isinstance(backend_class, type) and issubclass(backend_class, SmtpBackend)):
            return None
        kept = backend_class(fail_silently=False)  # what get_connection() makes
        kept.open()  # raises as Django's own per-email open would
        _local.smtp, _local.smtp_key, _local.smtp_used = kept, key, time.monotonic()
    return kept


def _alive(backend: SmtpBackend) -> bool:
    connection = backend.connection
    if connection is None:
        return False
    try:
        return bool(connection.noop()[0] == 250)
    except (OSError, smtplib.SMTPException):
        return False


def close_kept_connection() -> None:
    """Closes this thread's kept SMTP connection, if any (the worker calls it when it stops)."""
    kept: SmtpBackend | None = getattr(_local, "smtp", None)
    _local.smtp = None
    if kept is None:
        return
    try:
        kept.close()
    except (OSError, smtplib.SMTPException):
        kept.connection = None  # already gone: nothing to say goodbye to
