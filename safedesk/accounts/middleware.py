"""A signed-in person's saved language wins over browser negotiation; the second-factor
device of a session read cheaply."""

from __future__ import annotations

import contextvars
from collections.abc import Callable
from typing import Any

from django.apps import apps
from django.conf import settings
from django.contrib.auth import SESSION_KEY
from django.http import HttpRequest, HttpResponse
from django.utils import translation
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.middleware import OTPMiddleware
from django_otp.models import Device
from django_otp.plugins.otp_totp.models import TOTPDevice

from safedesk.accounts.backends import read_with_device
from safedesk.lib.db import Frozen, row_by_pk

_SUPPORTED = {code for code, _name in settings.LANGUAGES}


class UserLanguageMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = getattr(request, "user", None)
        chosen = request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME)
        preferred = getattr(user, "language", "") if user is not None and user.is_authenticated else ""
        if preferred in _SUPPORTED and not chosen:
            translation.activate(preferred)
            request.LANGUAGE_CODE = preferred
        return self.get_response(request)


# A session's TOTP device with its user, in one query: only when the device belongs to that user.
_device_with_user: Frozen[TOTPDevice] = Frozen(
    lambda device_pk, user_pk: TOTPDevice.objects.select_related("user").filter(pk=device_pk, user_id=user_pk),
    int,
    int,
)

# The device read with its user for the request being verified (per request: contextvars).
_ready_device: contextvars.ContextVar[TOTPDevice | None] = contextvars.ContextVar("safedesk_ready_device", default=None)


class SessionDeviceMiddleware(OTPMiddleware):
    """django-otp's middleware (a session is verified only while the device it was verified
    with still exists, belongs to the user and is confirmed: the library's own checks follow
    this lookup), with the device read by primary key through a frozen query instead of a
    query compiled on every staff request (~0.3 ms of Python each).

    A staff session names its user and its TOTP device; both are read in one query (the device
    joined to its user, only if it is that user's) before Django's `auth.get_user` runs, which
    then takes the user from it (`backends.read_with_device`) and does every check it always
    does (backend, session hash, active account). One round trip less on every staff request.
    Without such a row (no device, another user's, another device type) each is read alone."""

    def _verify_user_sync(self, request: HttpRequest, user: Any) -> Any:
        device = self._read_device_with_user(request)
        tokens = (
            _ready_device.set(device),
            read_with_device.set((device.user_id, device.user) if device is not None else None),
        )
        try:
            return super()._verify_user_sync(request, user)
        finally:
            read_with_device.reset(tokens[1])
            _ready_device.reset(tokens[0])

    def _read_device_with_user(self, request: HttpRequest) -> TOTPDevice | None:
        session = getattr(request, "session", None)
        if session is None:
            return None
        persistent_id = session.get(DEVICE_ID_SESSION_KEY)
        user_key = session.get(SESSION_KEY)
        if not persistent_id or user_key is None:
            return None
        label, _, key = self._normalize_persistent_id(persistent_id).rpartition("/")
        if label != TOTPDevice._meta.label_lower:
            return None
        try:
            device_pk, user_pk = int(key), int(user_key)
        except (TypeError, ValueError):
            return None
        found = _device_with_user(device_pk, user_pk)
        return found[0] if found else None

    def _device_from_persistent_id(self, persistent_id: str) -> Any:
        label, _, key = self._normalize_persistent_id(persistent_id).rpartition("/")
        try:
            model = apps.get_model(label)
            pk = int(key)
        except (ValueError, LookupError):
            return None
        ready = _ready_device.get()
        if ready is not None and model is TOTPDevice and ready.pk == pk:
            return ready
        return row_by_pk(model, pk) if issubclass(model, Device) else None
