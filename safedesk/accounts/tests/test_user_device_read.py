"""A staff request reads its user and its second-factor device in one query
(accounts.middleware.SessionDeviceMiddleware with backends.read_with_device), and every check
Django and django-otp make still decides: the device must be that user's and confirmed, the
account active, the session's password hash current."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django_otp.plugins.otp_totp.models import TOTPDevice

from safedesk.accounts import backends

pytestmark = pytest.mark.django_db

INBOX = "/agent/tickets/?view=all"


def _user_queries(client: Client) -> tuple[int, list[str]]:
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(INBOX)
    sqls = [q["sql"] for q in ctx.captured_queries]
    return response.status_code, [s for s in sqls if "accounts_user" in s or "otp_totp" in s]


def test_a_verified_agent_is_read_with_the_device_in_one_query(agent_sam: Any, login: Callable[..., Client]) -> None:
    client = login(agent_sam)
    status, reads = _user_queries(client)
    assert status == 200
    by_key = [s for s in reads if '"accounts_user"."id" =' in s or '"otp_totp_totpdevice"."id" =' in s]
    assert len(by_key) == 1, by_key  # one read of both, not one each
    assert "otp_totp_totpdevice" in by_key[0] and 'JOIN "accounts_user"' in by_key[0]
    assert backends.read_with_device.get() is None  # nothing is left over for the next request


def test_a_device_of_another_user_does_not_verify_the_session(
    agent_sam: Any, make_user: Callable[..., Any], login: Callable[..., Client]
) -> None:
    client = login(agent_sam)
    other = make_user("olga", "agent")
    # the session names Sam's device; the device now belongs to Olga
    TOTPDevice.objects.filter(user=agent_sam).update(user=other)
    response = client.get(INBOX)
    assert response.status_code == 302 and "/accounts/" in response["Location"]
    # django-otp drops the device from the session, as without the joined read
    assert "otp_device_id" not in client.session


def test_an_unconfirmed_device_does_not_verify_the_session(agent_sam: Any, login: Callable[..., Client]) -> None:
    client = login(agent_sam)
    TOTPDevice.objects.filter(user=agent_sam).update(confirmed=False)
    response = client.get(INBOX)
    assert response.status_code == 302


def test_a_deactivated_account_is_signed_out(agent_sam: Any, login: Callable[..., Client]) -> None:
    client = login(agent_sam)
    type(agent_sam).objects.filter(pk=agent_sam.pk).update(is_active=False)
    response = client.get(INBOX)
    assert response.status_code == 302
    assert "_auth_user_id" not in client.session or response.wsgi_request.user.is_anonymous


def test_a_changed_password_ends_the_session(agent_sam: Any, login: Callable[..., Client]) -> None:
    client = login(agent_sam)
    assert client.get(INBOX).status_code == 200
    agent_sam.set_password("a whole new passphrase 42")
    agent_sam.save()
    response = client.get(INBOX)
    assert response.status_code == 302
    assert response.wsgi_request.user.is_anonymous
