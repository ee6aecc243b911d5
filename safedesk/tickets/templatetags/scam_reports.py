"""`{% scam_report_panel ticket %}`: on the agent ticket page of a scam-report ticket, what was
reported and the confirm / reject form. Other tickets cost no query."""

from __future__ import annotations

from typing import Any

from django import template

from safedesk.tickets import scam_services
from safedesk.tickets.models import Ticket

register = template.Library()


@register.inclusion_tag("tickets/_scam_report_panel.html", takes_context=True)
def scam_report_panel(context: Any, ticket: Ticket) -> dict[str, Any]:
    return {"report": scam_services.report_of(ticket), "ticket": ticket, "csrf_token": context.get("csrf_token")}
