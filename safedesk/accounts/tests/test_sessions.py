"""Sessions after a password change or reset, and "sign out all other sessions" (CASES.md T12):
every other session of the user is rejected at its next request (pages and the API), the
current one stays signed in, and API tokens keep working unless their owner revokes them."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.contrib.auth.base_user import AbstractBaseUser
from django.test import Client
from django.urls import reverse

from safedesk.accounts.models import ApiToken
from safedesk.accounts.tests.helpers import PASSWORD, bearer, new_token, path_of, sign_in, verbs

NEW_PASSWORD = "granite lighthouse marmalade 19"
PROFILE = "/accounts/profile/"
SIGN_OUT_OTHERS = "/accounts/sessions/sign-out-others/"


def _signed_in(client: Client) -> bool:
    return client.get(PROFILE).status_code == 200


def _devices(email: str, count: int) -> list[Client]:
    devices = [Client() for _n in range(count)]
    for device in devices:
        assert sign_in(device, email).status_code == 302
    return devices


def _change_password(client: Client, **extra: Any) -> Any:
    return client.post(
        reverse("accounts:password_change"),
        {"old_password": PASSWORD, "new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD, **extra},
    )


def test_it_signs_out_the_other_device_on_a_password_change_and_keeps_tokens(alice: Any) -> None:
    secret = new_token(alice)
    laptop, phone = _devices("alice@example.com", 2)
    assert _signed_in(phone) and phone.get("/api/v1/tickets").status_code == 200

    assert _change_password(laptop)["Location"] == PROFILE
    assert _signed_in(laptop)
    # The phone's next request, page or API, finds its session gone.
    assert phone.get(PROFILE)["Location"].startswith("/accounts/login/")
    assert phone.get("/api/v1/tickets").status_code == 401
    assert not _signed_in(phone)
    # API tokens are not passwords: they keep working (docs/sessions.md).
    assert Client().get("/api/v1/tickets", headers=bearer(secret)).status_code == 200
    assert "accounts.api_tokens_revoked" not in verbs()


def test_it_revokes_the_tokens_too_when_asked(alice: Any) -> None:
    secret = new_token(alice)
    kept_elsewhere = new_token(alice, name="second")
    [laptop] = _devices("alice@example.com", 1)
    response = _change_password(laptop, revoke_tokens="on")
    assert response["Location"] == PROFILE
    for token in (secret, kept_elsewhere):
        assert Client().get("/api/v1/tickets", headers=bearer(token)).status_code == 401
    assert ApiToken.objects.filter(user=alice, revoked_at__isnull=True).count() == 0
    assert verbs(verb="accounts.api_tokens_revoked") == ["accounts.api_tokens_revoked"]
    assert _signed_in(laptop)


def test_it_signs_out_every_session_after_a_reset(alice: Any, smtp_server: Any, run_tasks: Callable[[], int]) -> None:
    secret = new_token(alice)
    laptop, phone = _devices("alice@example.com", 2)
    stranger = Client()
    stranger.post(reverse("accounts:password_reset"), {"email": "alice@example.com"})
    run_tasks()
    [link] = [
        link for mail in smtp_server.to("alice@example.com") for link in mail.links() if "/password/reset/" in link
    ]
    opened = stranger.get(path_of(link))
    stranger.post(opened["Location"], {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD})
    assert not _signed_in(laptop) and not _signed_in(phone)
    assert sign_in(Client(), "alice@example.com", NEW_PASSWORD).status_code == 302
    assert Client().get("/api/v1/tickets", headers=bearer(secret)).status_code == 200


def test_it_signs_out_all_other_sessions_on_request(agent_sam: Any, login: Callable[..., Client]) -> None:
    secret = new_token(agent_sam)
    desk = login(agent_sam)
    home = login(agent_sam)
    assert home.get("/agent/tickets/").status_code == 200

    response = desk.post(SIGN_OUT_OTHERS)
    assert response["Location"] == PROFILE
    # This device keeps its session, its second factor included; the other one is out.
    assert desk.get("/agent/tickets/").status_code == 200
    assert home.get("/agent/tickets/")["Location"].startswith("/accounts/login/")
    assert Client().get("/api/v1/tickets", headers=bearer(secret)).status_code == 200
    assert verbs(verb="accounts.other_sessions_signed_out") == ["accounts.other_sessions_signed_out"]
    # The password is unchanged: signing in again works.
    assert sign_in(Client(), "sam@example.com", PASSWORD).status_code == 302

    # Again later: sessions made after the first time are signed out too.
    later = login(agent_sam)
    assert desk.post(SIGN_OUT_OTHERS).status_code == 302
    assert later.get("/agent/tickets/")["Location"].startswith("/accounts/login/")
    assert desk.get("/agent/tickets/").status_code == 200


def test_it_changes_nothing_on_a_get_or_for_guests(alice: Any, login: Callable[..., Client]) -> None:
    client = login(alice)
    other = login(alice)
    response = client.get(SIGN_OUT_OTHERS)
    assert response.status_code == 405 and b"method_not_allowed" in response.content
    assert Client().post(SIGN_OUT_OTHERS)["Location"].startswith("/accounts/login/")
    assert _signed_in(other)
    alice.refresh_from_db()
    assert alice.session_epoch == ""


def test_it_keeps_djangos_session_hash_until_the_first_sign_out_everywhere(alice: Any) -> None:
    # Sessions made before the epoch existed stay valid after the upgrade.
    assert alice.get_session_auth_hash() == AbstractBaseUser.get_session_auth_hash(alice)
    alice.session_epoch = "a" * 32
    assert alice.get_session_auth_hash() != AbstractBaseUser.get_session_auth_hash(alice)
    before = alice.get_session_auth_hash()
    alice.set_password(NEW_PASSWORD)
    # With an epoch, a new password still changes the hash.
    assert alice.get_session_auth_hash() != before


def test_it_offers_the_buttons_on_the_profile(alice: Any, login: Callable[..., Client]) -> None:
    new_token(alice)
    html = login(alice).get(PROFILE).content.decode()
    assert f'action="{SIGN_OUT_OTHERS}"' in html and 'href="/accounts/tokens/"' in html and "(1 active)" in html
    form = login(alice).get(reverse("accounts:password_change")).content.decode()
    assert 'name="revoke_tokens"' in form
