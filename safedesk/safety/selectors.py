"""Reads of the safety app: which hosts staff may link to, the official channel registry and the
known-scam list the verifier answers from."""

from __future__ import annotations

import uuid
from urllib.parse import urlsplit

from django.conf import settings
from django.utils import timezone

from safedesk.audit.models import AuditEvent
from safedesk.lib.errors import NotFound
from safedesk.safety import verifier
from safedesk.safety.models import ChannelKind, KnownScam, OfficialChannel, ScamReport


def _host_of(url: str) -> str:
    return (urlsplit(url).hostname or "").lower().rstrip(".")


def _allowed_hosts() -> set[str]:
    hosts = {_host_of(settings.SITE_URL), *settings.SAFEDESK_LINK_ALLOWLIST}
    if settings.SAFEDESK_FILES_ORIGIN:
        hosts.add(_host_of(settings.SAFEDESK_FILES_ORIGIN))
    hosts |= official_domains()
    hosts.discard("")
    return hosts


def official_domains() -> set[str]:
    """Domains of the registry's official entries valid now (ASCII, lower case), from the
    verifier's snapshot: a staff message's links cost no query while the registry is unchanged."""
    now = timezone.now()
    return {e.value for e in verifier.snapshot().entries if e.kind == ChannelKind.DOMAIN and e.valid_at(now)}


def official_entry(public_id: str) -> OfficialChannel:
    """A registry entry by its public id (404, counted as a probe, for anything else)."""
    try:
        found = OfficialChannel.objects.filter(public_id=uuid.UUID(public_id)).first()
    except ValueError:
        found = None
    if found is None:
        raise NotFound.probing("safety.official_channel", public_id)
    return found


def registry() -> list[OfficialChannel]:
    return list(OfficialChannel.objects.order_by("kind", "value"))


def official_now() -> list[OfficialChannel]:
    """The public list: entries valid now whose signature holds."""
    now = timezone.now()
    return sorted((e for e in verifier.snapshot().entries if e.valid_at(now)), key=lambda e: (e.kind, e.display))


def known_scams() -> list[KnownScam]:
    return list(KnownScam.objects.filter(withdrawn_at__isnull=True).order_by("-confirmed_at", "-id"))


def scam_reports(status: str) -> list[ScamReport]:
    return list(ScamReport.objects.filter(status=status).order_by("created_at", "id")[:200])


def scam_report_for(ticket_ref: str) -> ScamReport | None:
    return ScamReport.objects.filter(ticket_ref=ticket_ref).first()


GUARD_VERBS = ("safety.agent_guard", "safety.agent_guard_link")


def guard_events(limit: int = 200) -> list[AuditEvent]:
    """What supervisors review: every refused staff text (who, where, what kind; never the text)."""
    return list(AuditEvent.objects.filter(verb__in=GUARD_VERBS).select_related("actor").order_by("-id")[:limit])


def link_host_allowed(host: str) -> bool:
    """May a staff message link to `host`? The desk's own host, the files origin, the official
    domains and `SAFEDESK_LINK_ALLOWLIST`, each with its subdomains."""
    host = host.lower().rstrip(".")
    if not host:
        return False
    return any(host == allowed or host.endswith("." + allowed) for allowed in _allowed_hosts())
