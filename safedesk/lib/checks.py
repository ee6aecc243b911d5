"""System checks for dangerous combinations of settings (run by `safedesk check` and at start)."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.checks import Error, Warning, register


@register()
def safedesk_combinations(app_configs: Any = None, **kwargs: Any) -> list[Any]:
    problems: list[Any] = []
    config = settings.CONFIG
    if config.debug and config.secure:
        problems.append(
            Error("SAFEDESK_DEBUG=1 with SAFEDESK_SECURE=1 would show debug pages in production.", id="safedesk.E001")
        )
    layer = settings.CHANNEL_LAYERS["default"]["BACKEND"]
    if config.mode == "scaleout" and layer.endswith("InMemoryChannelLayer"):
        problems.append(
            Error(
                "scaleout mode needs the Redis channel layer; the in-memory one works in one process only.",
                id="safedesk.E002",
            )
        )
    if config.mode == "scaleout" and settings.DATABASES["default"]["ENGINE"].endswith("sqlite3"):
        problems.append(Error("scaleout mode needs PostgreSQL, not SQLite.", id="safedesk.E003"))
    if config.mode == "embedded" and config.host not in {"127.0.0.1", "localhost", "::1"} and not config.secure:
        problems.append(
            Warning("embedded mode is listening beyond loopback without SAFEDESK_SECURE=1 (HTTPS).", id="safedesk.W001")
        )
    return problems
