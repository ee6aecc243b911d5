"""Django's model backend, with the per-request read of the signed-in user made cheaper."""

from __future__ import annotations

import contextvars
from typing import Any

from django.contrib.auth.backends import ModelBackend

from safedesk.accounts.models import User
from safedesk.lib.db import row_by_pk

# The second-factor device SessionDeviceMiddleware read together with its user (one query for
# both), for the request being handled; its `user` is the signed-in user's row.
read_with_device: contextvars.ContextVar[Any] = contextvars.ContextVar("safedesk_device_with_user", default=None)


class AccountBackend(ModelBackend):
    """Sign-in and permissions as ModelBackend; `get_user` (run on every signed-in request) reads
    the row by primary key with SQL written once instead of a query compiled each time. The same
    checks follow: an inactive account gets no user. When the request's middleware has already
    read this user together with the session's device, that row is used."""

    def get_user(self, user_id: Any) -> User | None:
        ready = read_with_device.get()
        user = ready.user if ready is not None and ready.user_id == user_id else row_by_pk(User, user_id)
        return user if user is not None and self.user_can_authenticate(user) else None
