"""Safety emails, sent by the job worker after the change that asked for them was committed.

`alert_supervisors_of_guard`: every refusal of the agent guard (CASES.md B12 T66) is emailed to
every active supervisor and administrator, so that an insider or a stolen staff account asking
customers for their secrets is seen at once, not at the next look at the audit log. The email
says who, where (the ticket's reference) and what kind of request, and when; never the refused
text (it is not kept anywhere) and, for links, not the hosts either: an official email carries
no link outside the desk (T68), and a supervisor's mail client would make them clickable. The
audit log and the guard page have them.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any
from urllib.parse import urlencode

from django.conf import settings
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext_lazy as _
from django_tasks import task

from safedesk.accounts.models import Role, User
from safedesk.jobs.mail import send_templated_email
from safedesk.safety import guard

LINK_KIND = "outside_link"
LINK_EXPLANATION = _("This text links outside the help desk and the official domains.")


def _site_url(path: str) -> str:
    return settings.SITE_URL.rstrip("/") + path


def _language(user: User) -> str:
    supported = {code for code, _name in settings.LANGUAGES}
    return user.language if user.language in supported else settings.LANGUAGE_CODE


def explanation(kind: str) -> Any:
    """What the refused text did, as the alert says it (a fixed sentence per kind)."""
    if kind == LINK_KIND:
        return LINK_EXPLANATION
    return guard.EXPLANATIONS.get(kind, _("This text was refused by the agent guard."))


@task(queue_name="email")
def alert_supervisors_of_guard(agent_id: str, target_ref: str, kind: str, at: str, verb: str) -> None:
    """`agent_id` is the public id of whoever wrote the text; `target_ref` the ticket's reference
    ("" for a macro); `kind` what the guard saw (a key of `guard.EXPLANATIONS`, or LINK_KIND);
    `at` the refusal's time (ISO 8601); `verb` its audit event's, for the link to the log."""
    agent = User.objects.filter(public_id=agent_id).first()
    if agent is None:
        return
    when = timezone.localtime(datetime.fromisoformat(at))
    shown_when = f"{when:%Y-%m-%d %H:%M} {when.tzname() or ''}".strip()
    ticket_link = _site_url(reverse("tickets:agent_detail", kwargs={"ref": target_ref})) if target_ref else ""
    log_link = _site_url(reverse("audit:list")) + "?" + urlencode({"verb": verb})
    recipients = User.objects.filter(Q(role=Role.SUPERVISOR) | Q(role=Role.ADMIN), is_active=True).order_by("pk")
    for user in recipients:
        with translation.override(_language(user)):
            subject: Any = (
                _("[%(ref)s] The agent guard refused a staff message") % {"ref": target_ref}
                if target_ref
                else _("The agent guard refused a staff macro")
            )
            send_templated_email(
                to=user.email,
                subject=subject,
                template="safety/emails/guard_alert",
                context={
                    "user": user,
                    "site_url": settings.SITE_URL,
                    "agent_name": agent.display_name or agent.email,
                    "agent_email": agent.email,
                    "ref": target_ref,
                    "when": shown_when,
                    "why": explanation(kind),
                    "ticket_link": ticket_link,
                    "log_link": log_link,
                },
                language=_language(user),
            )
