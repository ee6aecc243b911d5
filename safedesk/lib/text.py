"""Untrusted text at the boundary: normalise, refuse what cannot be stored, bound the size."""

from __future__ import annotations

import re
import unicodedata

from django.utils.translation import gettext_lazy as _

from safedesk.lib.errors import InvalidInput

# C0/C1 controls other than tab and newline; bidi overrides that can disguise text direction.
_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")
_SURROGATE = re.compile("[\ud800-\udfff]")


def clean_text(value: str, *, field: str, max_length: int, allow_empty: bool = False, multiline: bool = True) -> str:
    """Return NFC-normalised text or raise InvalidInput with a stable code.

    NUL bytes and lone surrogates (what invalid UTF-8 turns into) are refused rather than
    silently dropped, so nothing is stored that differs from what the sender meant.
    """
    if "\x00" in value or _SURROGATE.search(value):
        raise InvalidInput(
            _("The text contains characters that are not allowed."), code="invalid_characters", field=field
        )
    if "\ufffd" in value:
        raise InvalidInput(_("The text is not valid UTF-8."), code="invalid_encoding", field=field)
    text = unicodedata.normalize("NFC", value).replace("\r\n", "\n").replace("\r", "\n")
    text = _CONTROL.sub("", text)
    if not multiline:
        text = " ".join(text.split())
    text = text.strip()
    if len(text) > max_length:
        raise InvalidInput(
            _("The text is too long (at most %(max)d characters).") % {"max": max_length},
            code="too_long",
            field=field,
        )
    if not text and not allow_empty:
        raise InvalidInput(_("This field is required."), code="required", field=field)
    return text
