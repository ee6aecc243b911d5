"""Choice lists (Django's TextChoices / IntegerChoices) with their labels translated once per
language.

The labels are lazy translations: every use in a page (an `<option>` list of the ticket page
renders four of them) looks the active language up and runs gettext again, ~130 times per
ticket page. The catalogues do not change while the process runs, so each list is translated
once per language and kept."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.utils import translation

_MAX_KEPT = 256  # choice classes times languages; the bound only guards against misuse
_kept: dict[tuple[type, str], tuple[tuple[Any, str], ...]] = {}


def translated(choices: Any) -> tuple[tuple[Any, str], ...]:
    """`choices.choices` with each label as text in the active language."""
    key = (choices, translation.get_language() or settings.LANGUAGE_CODE)
    found = _kept.get(key)
    if found is None:
        found = tuple((value, str(label)) for value, label in choices.choices)
        if len(_kept) < _MAX_KEPT:
            _kept[key] = found
    return found
