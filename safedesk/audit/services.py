"""The one audit verb. Call it inside the transaction of the change it records."""

from __future__ import annotations

import hashlib
import re
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.db import models, transaction

from safedesk.audit.models import AuditEvent
from safedesk.lib.db import insert

# Keys whose values are never written to the audit log.
_SECRET_KEYS = re.compile(r"pass(word)?|secret|token|otp|code|key|seed|phrase|mnemonic", re.IGNORECASE)
REDACTED = "[redacted]"


def redact(data: Any) -> Any:
    if isinstance(data, dict):
        return {k: (REDACTED if _SECRET_KEYS.search(str(k)) else redact(v)) for k, v in data.items()}
    if isinstance(data, list | tuple):
        return [redact(v) for v in data]
    if isinstance(data, str | int | float | bool) or data is None:
        return data
    return str(data)


def record(
    verb: str,
    *,
    actor: Any = None,
    target: models.Model | None = None,
    target_ref: str = "",
    target_type: str = "",
    data: dict[str, Any] | None = None,
    ip: str = "",
) -> AuditEvent:
    event = unsaved(verb, actor=actor, target=target, target_ref=target_ref, target_type=target_type, data=data, ip=ip)
    insert(event)
    return event


def record_all(events: list[AuditEvent]) -> None:
    """Several events of one change (made with `unsaved`) in one INSERT, in their order."""
    insert(*events)


def unsaved(
    verb: str,
    *,
    actor: Any = None,
    target: models.Model | None = None,
    target_ref: str = "",
    target_type: str = "",
    data: dict[str, Any] | None = None,
    ip: str = "",
) -> AuditEvent:
    """The event `record` writes, not written yet: for `record_all`."""
    actor_obj = actor if getattr(actor, "is_authenticated", False) else None
    label = ""
    if actor_obj is not None:
        label = str(getattr(actor_obj, "email", "") or getattr(actor_obj, "username", ""))
    elif isinstance(actor, str):
        label = actor
    if target is not None:
        target_type = f"{target._meta.app_label}.{target._meta.model_name}"
        target_ref = target_ref or str(
            getattr(target, "public_ref", "")
            or getattr(target, "slug", "")
            or getattr(target, "public_id", "")
            or target.pk
        )
    return AuditEvent(
        actor=actor_obj,
        actor_label=label[:200],
        verb=verb,
        target_type=target_type,
        target_ref=target_ref[:200],
        data=redact(data or {}),
        ip=ip[:64],
    )


# Bursts of refusals ---------------------------------------------------------------------------

RECENT_REFS = 10


def _count(key: str, window: int) -> int:
    # The counter lives for `window` seconds from the first miss (incr keeps the expiry).
    cache.add(key, 0, timeout=window)
    try:
        return int(cache.incr(key))
    except ValueError:
        # It expired between add and incr: this miss opens a new window.
        cache.set(key, 1, timeout=window)
        return 1


def note_refusal(
    verb: str,
    *,
    kind: str,
    actor: Any,
    ip: str,
    ref: str = "",
    outcome: str,
    details: dict[str, Any] | None = None,
    threshold: int | None = None,
) -> AuditEvent | None:
    """Count one refusal of `kind` for the signed-in `actor` (or, for anonymous callers, the
    network address) and write ONE security event per burst: at the `threshold`-th refusal
    within SAFEDESK_PROBE_WINDOW seconds, then at most once per window while they go on.

    Cheap and the same for every refusal, so that a refusal that ends up logged takes no
    longer to answer than one that does not; only the one event per burst writes a row."""
    window = max(1, int(settings.SAFEDESK_PROBE_WINDOW_SECONDS))
    limit = max(1, int(threshold if threshold is not None else settings.SAFEDESK_PROBE_THRESHOLD))
    signed_in = bool(getattr(actor, "is_authenticated", False))
    who = f"user:{actor.pk}" if signed_in else f"ip:{ip}"
    digest = hashlib.blake2s(f"{kind}|{who}".encode("utf-8", "replace"), digest_size=12).hexdigest()
    misses = _count(f"probe:n:{digest}", window)
    refs_key = f"probe:refs:{digest}"
    refs = [r for r in (cache.get(refs_key) or []) if isinstance(r, str)]
    if ref:
        refs = [*refs, ref[:80]][-RECENT_REFS:]
        cache.set(refs_key, refs, timeout=window)
    if misses < limit or not cache.add(f"probe:logged:{digest}", 1, timeout=window):
        return None
    data: dict[str, Any] = {
        "kind": kind,
        "outcome": outcome,
        "misses": misses,
        "window_seconds": window,
        "recent": refs,
        **(details or {}),
    }
    with transaction.atomic():
        return record(
            verb,
            actor=actor if signed_in else "anonymous",
            target_type=kind,
            target_ref=refs[-1] if refs else "",
            data=data,
            ip=ip,
        )
