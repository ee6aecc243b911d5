"""Small helpers shared by the accounts tests."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from django.test import Client
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from safedesk.audit.models import AuditEvent

PASSWORD = "correct horse battery staple 42"


def path_of(link: str) -> str:
    return urlsplit(link).path


def current_code(device: TOTPDevice) -> str:
    code = totp(device.bin_key, step=device.step, t0=device.t0, digits=device.digits, drift=device.drift)
    return f"{code:0{device.digits}d}"


def sign_in(client: Client, email: str, password: str = PASSWORD, **extra: Any) -> Any:
    return client.post("/accounts/login/", {"username": email, "password": password, **extra})


def verbs(**filters: Any) -> list[str]:
    return list(AuditEvent.objects.filter(**filters).order_by("id").values_list("verb", flat=True))


ALL_SCOPES = ("tickets:read", "tickets:write", "articles:read", "safety:read", "safety:write")


def new_token(user: Any, scopes: tuple[str, ...] = ALL_SCOPES, *, days: Any = None, name: str = "script") -> str:
    """A fresh API token of `user` (made as from a session past the second factor); returns
    the whole token, as the creation page shows it once."""
    from safedesk.accounts import services

    created = services.create_api_token(user, name=name, scopes=scopes, expires_in_days=days, second_factor=True)
    return created.secret


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}
