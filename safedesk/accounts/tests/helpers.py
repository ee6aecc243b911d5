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
