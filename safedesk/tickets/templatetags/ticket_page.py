"""The agent ticket page's per-row lists, rendered in Python (`{% load ticket_page %}`).

The page draws about forty `<option>` rows and the customer's other tickets on every view; as
template loops they were about half of its rendering time (each row is half a dozen nodes,
each resolving its variables through the template engine). These tags write the same markup,
byte for byte: every value goes through `conditional_escape` as `{{ value }}` does with
autoescaping on, and the URLs come from the same cached `reverse()` as `{% url %}`.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django import template
from django.template.defaultfilters import truncatechars
from django.utils.html import conditional_escape
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _

from safedesk.lib.templatetags.speed import cached_reverse

register = template.Library()

SELECTED = ' selected'


def _e(value: Any) -> str:
    return str(conditional_escape(value))


def _selected(flag: bool) -> str:
    return SELECTED if flag else ""


def _url(view_name: str, **kwargs: Any) -> str:
    return _e(cached_reverse(view_name, [], kwargs, None))


@register.simple_tag
def choice_options(choices: Iterable[tuple[Any, Any]], selected: Any = None) -> SafeString:
    """`<option>`s of (value, label) pairs, the one equal to `selected` marked."""
    return mark_safe(  # noqa: S308  (every value and label is escaped above)
        "".join(
            f'<option value="{_e(value)}"{_selected(selected == value)}>{_e(label)}</option>'
            for value, label in choices
        )
    )


@register.simple_tag
def assignee_options(agents: Iterable[Any], assignee_id: Any) -> SafeString:
    """The assignee menu: each person's email and availability, the current assignee marked."""
    return mark_safe(  # noqa: S308  (every value is escaped)
        "".join(
            f'<option value="{_e(a.public_id)}" data-availability="{_e(a.availability)}"'
            f"{_selected(assignee_id == a.pk)}>{_e(a.email)} · {_e(a.get_availability_display())}</option>"
            for a in agents
        )
    )


@register.simple_tag
def team_options(teams: Iterable[Any], team_id: Any) -> SafeString:
    """The team menu, the ticket's team marked."""
    return mark_safe(  # noqa: S308  (every value is escaped)
        "".join(
            f'<option value="{_e(tm.public_id)}"{_selected(team_id == tm.pk)}>{_e(tm.name)}</option>' for tm in teams
        )
    )


@register.simple_tag
def macro_options(macros: Iterable[Any], ref: str) -> SafeString:
    """The macro picker: each macro with the address of its filled-in text, personal ones said so."""
    personal = _e(_("personal"))
    return mark_safe(  # noqa: S308  (every value is escaped)
        "".join(
            f'<option value="{_e(m.public_id)}" data-url="{_url("tickets:macro_text", public_id=m.public_id, ref=ref)}">'
            f"{_e(m.name)}{'' if m.is_shared else f' ({personal})'}</option>"
            for m in macros
        )
    )


@register.simple_tag
def other_ticket_items(others: Iterable[Any]) -> SafeString:
    """The requester's other tickets: link, shortened subject, status."""
    return mark_safe(  # noqa: S308  (every value is escaped)
        "".join(
            f'<li><a href="{_url("tickets:agent_detail", ref=o.ref)}">{_e(o.ref)}</a> '
            f'{_e(truncatechars(o.subject, 40))} <span class="badge">{_e(o.get_status_display())}</span></li>'
            for o in others
        )
    )


@register.simple_tag
def merge_candidate_options(others: Iterable[Any]) -> SafeString:
    """The merge box's suggestions: the requester's other tickets that are not closed."""
    return mark_safe(  # noqa: S308  (every value is escaped)
        "".join(
            f'<option value="{_e(o.ref)}">{_e(truncatechars(o.subject, 40))}</option>'
            for o in others
            if o.status != "closed"
        )
    )
