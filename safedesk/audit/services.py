"""The one audit verb. Call it inside the transaction of the change it records."""

from __future__ import annotations

import re
from typing import Any

from django.db import models

from safedesk.audit.models import AuditEvent

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
    data: dict[str, Any] | None = None,
    ip: str = "",
) -> AuditEvent:
    actor_obj = actor if getattr(actor, "is_authenticated", False) else None
    label = ""
    if actor_obj is not None:
        label = str(getattr(actor_obj, "email", "") or getattr(actor_obj, "username", ""))
    elif isinstance(actor, str):
        label = actor
    target_type = ""
    if target is not None:
        target_type = f"{target._meta.app_label}.{target._meta.model_name}"
        target_ref = target_ref or str(
            getattr(target, "public_ref", "")
            or getattr(target, "slug", "")
            or getattr(target, "public_id", "")
            or target.pk
        )
    return AuditEvent.objects.create(
        actor=actor_obj,
        actor_label=label[:200],
        verb=verb,
        target_type=target_type,
        target_ref=target_ref[:200],
        data=redact(data or {}),
        ip=ip[:64],
    )
