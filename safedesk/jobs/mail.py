"""Render and send one email. Called only from tasks, never inside a request.

Bodies come from templates (`<name>.txt` and `<name>.html`), rendered in the recipient's
language. Subjects are fixed translated sentences chosen by the caller; header values with
CR/LF are refused before Django (which would raise BadHeaderError) ever sees them.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string
from django.utils import translation
from django.utils.functional import Promise

from safedesk.lib.errors import InvalidInput


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
    message = EmailMultiAlternatives(
        subject=subject_text,
        body=text,
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[_header(to)],
        reply_to=[_header(reply_to)] if reply_to else None,
    )
    message.attach_alternative(html, "text/html")
    message.send(fail_silently=False)
