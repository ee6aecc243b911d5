"""A signed-in person's saved language wins over browser negotiation; the second-factor
device of a session read cheaply."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.apps import apps
from django.conf import settings
from django.contrib.auth import SESSION_KEY
from django.http import HttpRequest, HttpResponse
from django.utils import translation
from django.utils.functional import LazyObject, empty
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.middleware import OTPMiddleware
from django_otp.models import Device
from django_otp.plugins.otp_totp.models import TOTPDevice

from safedesk.accounts.backends import read_with_device
from safedesk.lib.db import Frozen, row_by_pk

_SUPPORTED = {code for code, _name in settings.LANGUAGES}


def _plain(obj: Any) -> Any:
    """The object behind (nested) lazy objects, evaluated."""
    while isinstance(obj, LazyObject):
        if obj._wrapped is empty:
            obj._setup()
        obj = obj._wrapped
    return obj


class UserLanguageMiddleware:
    """Activates the signed-in person's language. It reads `request.user` on every request
    anyway, so it also replaces the two lazy wrappers around it (Django's and django-otp's)
    with the user itself: a staff page reads ~100 attributes of the user, and each read through
    both proxies cost ~3 µs."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = getattr(request, "user", None)
        if user is not None:
            user = request.user = _plain(user)
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
        token = read_with_device.set(self._read_device_with_user(request))
        try:
            return super()._verify_user_sync(request, user)
        finally:
            read_with_device.reset(token)

    def _device_key(self, persistent_id: str) -> tuple[type[Device], int] | None:
        label, _, key = self._normalize_persistent_id(persistent_id).rpartition("/")
        try:
            model = apps.get_model(label)
            pk = int(key)
        except (ValueError, LookupError):
            return None
        return (model, pk) if issubclass(model, Device) else None

    def _read_device_with_user(self, request: HttpRequest) -> TOTPDevice | None:
        session = getattr(request, "session", None)
        if session is None:
            return None
        persistent_id, user_key = session.get(DEVICE_ID_SESSION_KEY), session.get(SESSION_KEY)
        found = self._device_key(persistent_id) if persistent_id else None
        if found is None or found[0] is not TOTPDevice or user_key is None:
            return None
        try:
            user_pk = int(user_key)
        except (TypeError, ValueError):
            return None
        rows = _device_with_user(found[1], user_pk)
        return rows[0] if rows else None

    def _device_from_persistent_id(self, persistent_id: str) -> Any:
        found = self._device_key(persistent_id)
        if found is None:
            return None
        model, pk = found
        ready = read_with_device.get()
        if ready is not None and model is TOTPDevice and ready.pk == pk:
            return ready
        return row_by_pk(model, pk)
