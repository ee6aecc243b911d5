"""Macro variables: a tiny replacer with a fixed list of names, never a template engine.

A macro body is written by staff but ends up in a reply that is quoted in the email to the
requester, so every variable must be a value we control or one the recipient chose for
themselves (CASES.md B10: our mail must not relay text someone else wrote):

- `ticket.ref`, `ticket.url`, `ticket.status`, `ticket.category`: made by us;
- `customer.name`: the requester's display name, but only once their address is verified (an
  unverified account may have been opened by someone else with this address, and chose the
  name); otherwise a neutral word;
- `agent.name`: the replying agent's display name (never their email address).

Not offered: `ticket.subject` and anything else the customer typed into the request — a guest
form accepts any address, so echoing the subject would let a stranger put their text into our
mail to a victim (the Trezor 2025 case in CASES.md). Django's `Template()` is never run on macro
text: `{% … %}` and unknown `{{ … }}` stay as they are.
"""

from __future__ import annotations

import re
from typing import Any

from django.conf import settings
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _

VARIABLES = (
    "ticket.ref",
    "ticket.url",
    "ticket.status",
    "ticket.category",
    "customer.name",
    "agent.name",
)
_PLACEHOLDER = re.compile(r"\{\{\s*([A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*)*)\s*\}\}")
MAX_NAME = 60


def variables_in(text: str) -> list[str]:
    """Every `{{ name }}` in the text, in order of first appearance."""
    return list(dict.fromkeys(match.group(1) for match in _PLACEHOLDER.finditer(text)))


def unknown_variables(text: str) -> list[str]:
    return [name for name in variables_in(text) if name not in VARIABLES]


def fill(text: str, values: dict[str, str]) -> str:
    """Replace the known placeholders by their value; anything else is left as written."""

    def replace(match: re.Match[str]) -> str:
        name = match.group(1)
        return values[name] if name in values else match.group(0)

    return _PLACEHOLDER.sub(replace, text)


def _one_line(value: str) -> str:
    return " ".join(value.split())[:MAX_NAME]


def values_for(ticket: Any, agent: Any) -> dict[str, str]:
    """The variables' values for one ticket and the agent applying the macro, in the ticket's
    language (labels and fallback words)."""
    requester = ticket.requester
    language = "en" if ticket.language == "en" else "zh-hans"
    with translation.override(language):
        customer = _one_line(requester.display_name) if requester.email_verified_at and requester.display_name else ""
        staff = _one_line(agent.display_name) if agent.display_name else ""
        return {
            "ticket.ref": ticket.ref,
            "ticket.url": settings.SITE_URL.rstrip("/") + reverse("tickets:detail", kwargs={"ref": ticket.ref}),
            "ticket.status": str(ticket.get_status_display()),
            "ticket.category": str(ticket.get_category_display()),
            "customer.name": customer or _("customer"),
            "agent.name": staff or _("the support team"),
        }
