"""The inbox table's rows, written in Python.

The inbox draws 25 rows of nine cells; through Django's template language each row cost about
30 variable lookups, filters and `{% translate %}` calls, half of the page's time. This tag
builds the same markup with `escape()` on every value that comes from the database, so what
reaches the browser is what the template produced, at a fraction of the cost.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from django import template
from django.utils import timezone
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext

from safedesk.lib.templatetags.speed import cached_reverse
from safedesk.tickets.models import Priority, Status, Ticket

register = template.Library()


def _minute(value: datetime) -> str:
    """`|date:"Y-m-d H:i"` in the active time zone."""
    return timezone.localtime(value).strftime("%Y-%m-%d %H:%M")


@register.simple_tag
def inbox_rows(tickets: Iterable[Ticket], now: datetime) -> SafeString:
    statuses = {value: escape(label) for value, label in Status.choices}
    priorities = {value: escape(label) for value, label in Priority.choices}
    breached = f' <span class="badge danger">{escape(gettext("breached"))}</span>'
    out: list[str] = []
    for t in tickets:
        ref = escape(t.ref)
        select = escape(gettext("Select %(ref)s") % {"ref": t.ref})
        url = escape(cached_reverse("tickets:agent_detail", [], {"ref": t.ref}, None))
        assignee = escape(t.assignee.email) if t.assignee is not None and t.assignee.email else "—"
        due = t.sla_due_at
        if due is not None:
            late = "danger" if due < now else ""
            deadline = (
                f'<time datetime="{escape(timezone.localtime(due).isoformat())}" class="{late}">{_minute(due)}</time>'
            )
        else:
            deadline = "—"
        if t.sla_breached:
            deadline += breached
        out.append(
            f"<tr>"
            f'<td><input type="checkbox" name="tickets" value="{ref}" aria-label="{select}" data-bulk-row></td>'
            f'<td><a href="{url}">{ref}</a></td>'
            f"<td>{escape(t.subject)}</td>"
            f"<td>{escape(t.requester.email)}</td>"
            f'<td><span class="badge status-{escape(t.status)}">{statuses.get(t.status, escape(t.status))}</span></td>'
            f"<td>{priorities.get(t.priority, escape(t.priority))}</td>"
            f"<td>{assignee}</td>"
            f"<td>{deadline}</td>"
            f"<td>{_minute(t.updated_at)}</td>"
            f"</tr>"
        )
    return mark_safe("\n".join(out))  # noqa: S308  (every interpolated value above is escaped)


@register.simple_tag
def page_refs(tickets: Iterable[Ticket]) -> SafeString:
    """The hidden `page` fields of the bulk form: the references on this page."""
    return mark_safe(  # noqa: S308  (each reference is escaped)
        "".join(f'<input type="hidden" name="page" value="{escape(t.ref)}">' for t in tickets)
    )
