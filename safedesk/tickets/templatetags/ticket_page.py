"""The agent ticket page's per-row lists, rendered in Python (`{% load ticket_page %}`).

The page draws about forty `<option>` rows, the customer's other tickets and the thread on every
view; as template loops they were more than half of its rendering time (each row is half a
dozen nodes or more, each resolving its variables through the template engine). These tags
write the same markup, byte for byte: every value is escaped as `{{ value }}` is with
autoescaping on, translated literals are not (as `{% translate %}` leaves them), values put
into a translated sentence are (as `{% blocktranslate %}` does), and the URLs come from the same
cached `reverse()` as `{% url %}`.
"""

from __future__ import annotations

import html
from collections.abc import Iterable
from typing import Any

from django import template
from django.template import Context
from django.template.defaultfilters import filesizeformat, linebreaksbr, truncatechars
from django.urls import NoReverseMatch
from django.utils.safestring import SafeString, mark_safe
from django.utils.timezone import template_localtime  # type: ignore[attr-defined]  # (not in django-stubs)
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from safedesk.accounts.models import Availability
from safedesk.lib.templatetags.speed import cached_reverse, date
from safedesk.tickets import selectors

register = template.Library()

SELECTED = " selected"


def _e(value: Any) -> str:
    # conditional_escape() without its lazy-argument wrapper (a third of these tags' time):
    # safe text as it is, anything else through html.escape, which is what escape() calls.
    if hasattr(value, "__html__"):
        return str(value.__html__())
    return html.escape(str(value))


def _selected(flag: bool) -> str:
    return SELECTED if flag else ""


def _url(view_name: str, **kwargs: Any) -> str:
    return _e(cached_reverse(view_name, [], kwargs, None))


@register.simple_tag
def assignee_options(agents: Iterable[Any], assignee_id: Any) -> SafeString:
    """The assignee menu: each person's email and availability, the current assignee marked."""
    # What get_availability_display() says, translated once per menu rather than per person
    # (it rebuilds the choices mapping on every call).
    labels = {value: _e(label) for value, label in Availability.choices}
    return mark_safe(  # noqa: S308  (every value is escaped)
        "".join(
            f'<option value="{_e(a.public_id)}" data-availability="{_e(a.availability)}"'
            f"{_selected(assignee_id == a.pk)}>{_e(a.email)} · "
            f"{labels.get(a.availability) or _e(a.availability)}</option>"
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
    personal = _("personal")
    return mark_safe(  # noqa: S308  (every value is escaped)
        "".join(
            f'<option value="{_e(m.public_id)}" '
            f'data-url="{_url("tickets:macro_text", public_id=m.public_id, ref=ref)}">'
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


# ---- the thread (tickets/_thread.html: the agent and the customer ticket pages) -------------
# A template loop cost about 0.13 ms per message (some twenty nodes, the chain of event tests,
# an include for its files); this writes the same markup, whitespace included.

_EVENT_TEXTS = {
    "appealed": gettext_noop("Appeal sent to a supervisor"),
    "sla_breached": gettext_noop("SLA target missed; the ticket was escalated"),
    "appeal_overdue": gettext_noop("The appeal was not decided in time"),
}
# The events the template had a sentence for (its other branch, the bare code, ends differently).
_KNOWN_EVENTS = frozenset({"status_changed", "assigned", "rated", "merged_into", "merged_from", *_EVENT_TEXTS})


def _data(message: Any, key: str) -> Any:
    # What {{ m.data.key }} gives: the value, or "" when the data has no such key.
    data = message.data
    return data.get(key, "") if isinstance(data, dict) else ""


def _when(value: Any, fmt: str) -> str:
    # {{ value|date:fmt }}: the filter sees the value in the current time zone.
    return _e(date(template_localtime(value), fmt))


def _event_text(m: Any, show_names: bool) -> str:
    event = m.event
    if event == "status_changed":
        return _("Status changed to %(to)s") % {"to": _e(_data(m, "to"))}
    if event == "assigned":
        mode = _data(m, "mode")
        if mode == "round_robin":
            return _("Assigned automatically (round-robin)")
        if mode == "least_loaded":
            return _("Assigned automatically (least loaded)")
        return _("Assignment changed")
    if event == "rated":
        return _("Rated %(score)s of 5") % {"score": _e(_data(m, "score"))}
    if event in _EVENT_TEXTS:
        return _(_EVENT_TEXTS[event])
    if event == "merged_into":
        target = _data(m, "target")
        try:
            url = cached_reverse("tickets:agent_detail" if show_names else "tickets:detail", [], {"ref": target}, None)
        except NoReverseMatch:
            url = ""
        return _('Merged into <a href="%(merged_url)s">%(target)s</a>') % {"merged_url": _e(url), "target": _e(target)}
    if event == "merged_from":
        return _("%(source)s was merged into this ticket; its messages are shown here") % {
            "source": _e(_data(m, "source"))
        }
    return _e(event)


def _event_item(m: Any, show_names: bool) -> str:
    text = _event_text(m, show_names)
    tail = "" if m.event not in _KNOWN_EVENTS else "\n    "
    return (
        '\n  <li class="event muted">\n'
        f'    <time datetime="{_when(m.created_at, "c")}">{_when(m.created_at, "Y-m-d H:i")}</time>\n'
        f"    {text}{tail}\n  </li>\n  "
    )


def _attachment_items(m: Any, ref: str) -> str:
    # The include of _attachments.html ended with the file's last newline, files or none.
    files = selectors.message_files(m)
    if not files:
        return "\n"
    items = []
    for a in files:
        name = _e(a.original_name)
        if a.servable:
            url = _url("tickets:attachment", public_id=a.public_id, ref=ref)
            shown = f'<a href="{url}" rel="noopener">{name}</a>\n    '
        elif a.scan_state == "pending":
            pending = _("Pending scan")
            later = _("This file can be downloaded once the malware scan has checked it.")
            shown = (
                f'<span>{name}</span> <span class="badge" data-placeholder="pending">{pending}</span> '
                f'<span class="muted">{later}</span>\n    '
            )
        else:
            blocked = _("Blocked by scanner")
            threat = _(
                "The malware scanner found a threat in “%(name)s”; the file was removed and cannot be downloaded."
            ) % {"name": name}
            shown = (
                f'<span class="badge danger" data-placeholder="blocked">{blocked}</span> '
                f'<span class="muted">{threat}</span>\n    '
            )
        items.append(
            f'\n  <li class="attachment" data-scan="{_e(a.scan_state)}" data-attachment="{_e(a.public_id)}">\n'
            f"    {shown}\n"
            f'    <span class="muted">{_e(filesizeformat(a.size))} · {_e(a.kind_label)}</span>\n  </li>\n'
        )
    return '<ul class="attachments">\n' + "".join(items) + "\n</ul>\n"


# The "verified staff" mark (CASES.md B12 T68): drawn here from the author's role, in the
# message's header and never inside its body, so that nothing a customer or guest writes can
# carry it. Their display names may not claim it (`accounts.services.claims_to_be_staff`); their
# text is escaped here, and `lib.markdown` lets neither <span>, <svg> nor a class other than a
# code block's `language-…` through, so the mark's markup cannot be written from outside.
_STAFF_ICON = (
    '<svg class="staff-mark-icon" viewBox="0 0 16 16" width="14" height="14" aria-hidden="true" focusable="false">'
    '<path d="M8 1 2 3.5v4C2 11.1 4.6 14.2 8 15c3.4-.8 6-3.9 6-7.5v-4L8 1zm-1.2 10L4 8.2l1.1-1.1 1.7 1.7 '
    '4.1-4.1L12 5.8 6.8 11z"/></svg>'
)


def _staff_mark() -> str:
    label = _("Verified staff")
    title = _("Written by a member of our support team. Only our team's messages carry this mark.")
    return f'<span class="staff-mark" data-staff-mark title="{_e(title)}">{_STAFF_ICON}{label}</span>'


def _message_item(m: Any, ticket_ref: str, new_ids: Any, show_names: bool) -> str:
    author = m.author
    staff = bool(author and author.is_staff_role)
    is_new = m.pk in new_ids
    mark = ""
    if staff:
        who = _("Support")
        if show_names:
            who += f" · {_e(author.display_name or author.email)}"
        mark = _staff_mark()
    elif author:
        who = _e(author.display_name or author.email)
    else:
        who = ""
    # No _() inside the f-strings: makemessages does not look into them.
    internal = new_badge = came_from = ""
    if m.kind == "internal":
        note = _("Internal note")
        internal = f'<span class="badge">{note}</span>'
    if is_new:
        new = _("New")
        new_badge = f'<span class="badge danger">{new}</span>'
    source = m.ticket_ref
    if source and source != ticket_ref:
        origin = _("from %(source)s") % {"source": _e(source)}
        came_from = f'<span class="badge">{origin}</span>'
    body = f'<div class="body">{linebreaksbr(m.body, autoescape=True)}</div>' if m.body else ""
    return (
        f'\n  <li class="message {_e(m.kind)}{" staff" if staff else ""}{" new" if is_new else ""}"'
        f"{' data-new' if is_new else ''}>\n"
        '    <p class="meta">\n'
        f"      <strong>{who}</strong>\n"
        f"      {mark}\n"
        f"      {internal}\n"
        f"      {new_badge}\n"
        f"      {came_from}\n"
        f'      <time datetime="{_when(m.created_at, "c")}">{_when(m.created_at, "Y-m-d H:i")}</time>\n'
        "    </p>\n"
        f"    {body}\n"
        f"    {_attachment_items(m, ticket_ref)}\n"
        "  </li>\n  "
    )


@register.simple_tag(takes_context=True)
def thread_items(context: Context) -> SafeString:
    """The `<li>` of every message and event of `thread` on `ticket`'s page (`new_ids` marked
    new; staff authors named when `show_names`)."""
    ticket = context.get("ticket")
    ticket_ref = ticket.ref if ticket is not None else ""
    new_ids = context.get("new_ids") or ()
    show_names = bool(context.get("show_names"))
    parts = []
    for m in context.get("thread") or ():
        if m.kind == "event":
            parts.append("\n  " + _event_item(m, show_names) + "\n")
        else:
            parts.append("\n  " + _message_item(m, ticket_ref, new_ids, show_names) + "\n")
    return mark_safe("".join(parts))  # noqa: S308  (every value and text is escaped above)
