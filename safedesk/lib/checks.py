"""System checks for dangerous combinations of settings (run by `safedesk check` and at start)."""

from __future__ import annotations

from collections import defaultdict
from typing import Any
from urllib.parse import urlsplit

from django.conf import settings
from django.core.checks import Error, Tags, Warning, register


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
    problems += _files_origin_problems(config)
    return problems


def _files_origin_problems(config: Any) -> list[Any]:
    """Attachments should come from another registrable domain than the desk (Django's advice on
    user-uploaded content; a subdomain is not enough): CASES.md T16."""
    origin = config.files_origin
    if not origin:
        if config.mode == "scaleout":
            return [
                Warning(
                    "SAFEDESK_FILES_ORIGIN is not set: attachments are served from the desk's own origin. "
                    "Production should serve them from a separate registrable domain.",
                    id="safedesk.W002",
                )
            ]
        return []
    files_host = (urlsplit(origin).hostname or "").lower()
    site_host = (urlsplit(config.site_url).hostname or "").lower()
    if files_host == site_host:
        return [Error("SAFEDESK_FILES_ORIGIN must not be the desk's own host.", id="safedesk.E004")]
    # Without the public suffix list this is a heuristic: the same last two labels.
    if files_host.split(".")[-2:] == site_host.split(".")[-2:] and "." in files_host:
        return [
            Warning(
                "SAFEDESK_FILES_ORIGIN looks like a subdomain of the desk's domain; use another registrable domain.",
                id="safedesk.W003",
            )
        ]
    return []


# settings.TEMPLATES maps `{% load i18n %}` and `{% load static %}` to our modules on purpose,
# which Django's own templates.W003 reports (and is silenced for, in settings); this check
# reports every other tag-library name that two modules claim, as W003 would.
_DELIBERATE = {
    "i18n": {"django.templatetags.i18n", "safedesk.lib.templatetags.fast_i18n"},
    "static": {"django.templatetags.static", "safedesk.lib.templatetags.fast_static"},
}


@register(Tags.templates)
def template_library_names(app_configs: Any = None, **kwargs: Any) -> list[Any]:
    from django.template.backends.django import get_template_tag_modules

    claimed: dict[str, set[str]] = defaultdict(set)
    for name, path in get_template_tag_modules():
        claimed[name].add(path)
    engines: list[dict[str, Any]] = list(settings.TEMPLATES)
    for engine in engines:
        for name, path in engine.get("OPTIONS", {}).get("libraries", {}).items():
            claimed[name].add(path)
    return [
        Warning(f"{name!r} is used for several template tag modules: {', '.join(sorted(paths))}", id="safedesk.W004")
        for name, paths in sorted(claimed.items())
        if len(paths) > 1 and paths != _DELIBERATE.get(name)
    ]
