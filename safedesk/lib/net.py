"""Client address, trusting X-Forwarded-For only for the configured number of proxy hops."""

from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest


def client_ip(request: HttpRequest) -> str:
    remote = str(request.META.get("REMOTE_ADDR") or "unknown")
    hops = int(getattr(settings, "SAFEDESK_TRUSTED_PROXY_COUNT", 0))
    if hops <= 0:
        return remote
    chain = [p.strip() for p in str(request.META.get("HTTP_X_FORWARDED_FOR", "")).split(",") if p.strip()]
    # Each trusted proxy appends the address it saw; the client is `hops` entries from the end.
    if len(chain) >= hops:
        return chain[-hops]
    return remote
