"""Personas and shared fixtures for every test (ARCHITECTURE.md, convention 10)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
from django.core.cache import cache
from django.test import Client
from django.utils import timezone

PASSWORD = "correct horse battery staple 42"


@pytest.fixture(autouse=True)
def _fresh_cache() -> Iterator[None]:
    # Rate limits and throttles live in the cache; each test starts with none spent.
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def make_user(db: Any) -> Callable[..., Any]:
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from safedesk.accounts.models import Role, User

    def make(handle: str, role: str = Role.CUSTOMER, *, verified: bool = True, **extra: Any) -> Any:
        user = User.objects.create_user(
            f"{handle}@example.com",
            PASSWORD,
            display_name=handle.capitalize(),
            role=role,
            email_verified_at=timezone.now() if verified else None,
            **extra,
        )
        if user.is_staff_role:
            TOTPDevice.objects.create(user=user, name="default", confirmed=True)
        return user

    return make


@pytest.fixture
def alice(make_user: Callable[..., Any]) -> Any:
    return make_user("alice")


@pytest.fixture
def bob(make_user: Callable[..., Any]) -> Any:
    return make_user("bob")


@pytest.fixture
def mallory(make_user: Callable[..., Any]) -> Any:
    return make_user("mallory")


@pytest.fixture
def agent_sam(make_user: Callable[..., Any]) -> Any:
    return make_user("sam", "agent")


@pytest.fixture
def supervisor_ada(make_user: Callable[..., Any]) -> Any:
    return make_user("ada", "supervisor")


@pytest.fixture
def admin_root(make_user: Callable[..., Any]) -> Any:
    return make_user("root", "admin")


@pytest.fixture
def login() -> Callable[[Any], Client]:
    """A client signed in as `user`; staff are also past their second factor (TOTP)."""

    def sign_in(user: Any, client: Client | None = None) -> Client:
        from django_otp import DEVICE_ID_SESSION_KEY
        from django_otp.plugins.otp_totp.models import TOTPDevice

        client = client or Client()
        client.force_login(user)
        device = TOTPDevice.objects.filter(user=user, confirmed=True).first()
        if device is not None:
            session = client.session
            session[DEVICE_ID_SESSION_KEY] = device.persistent_id
            session.save()
        return client

    return sign_in
