import datetime as dt

import time_machine
from django.core.management import CommandError, call_command
from django.urls import reverse
from django.utils import timezone
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.plugins.otp_totp.models import TOTPDevice

from safedesk.accounts.tests.helpers import current_code, sign_in, verbs

AUDIT = "/agent/audit/"


def test_it_keeps_staff_pages_closed_until_the_code_is_checked(client, agent_sam) -> None:
    response = sign_in(client, "sam@example.com", next=AUDIT)
    assert response.status_code == 302
    assert response["Location"] == f"{reverse('accounts:otp_verify')}?next=%2Fagent%2Faudit%2F"
    assert client.get(AUDIT)["Location"] == reverse("accounts:otp_verify")

    device = TOTPDevice.objects.get(user=agent_sam)
    verified = client.post(reverse("accounts:otp_verify"), {"code": current_code(device), "next": AUDIT})
    assert verified.status_code == 302
    assert verified["Location"] == AUDIT
    assert client.get(AUDIT).status_code == 200
    assert verbs(actor=agent_sam)[-2:] == ["accounts.signed_in", "accounts.otp_verified"]


def test_it_refuses_a_wrong_code(client, agent_sam) -> None:
    device = TOTPDevice.objects.get(user=agent_sam)
    with time_machine.travel(timezone.now(), tick=False) as traveller:
        sign_in(client, "sam@example.com")
        good = current_code(device)
        wrong = f"{(int(good) + 1) % 1_000_000:06d}"
        refused = client.post(reverse("accounts:otp_verify"), {"code": wrong})
        assert refused.status_code == 200
        assert "not correct" in refused.content.decode()
        assert client.get(AUDIT).status_code == 302
        assert "accounts.otp_failed" in verbs(actor=agent_sam)
        # django-otp throttles the device for a moment after a failure.
        traveller.shift(dt.timedelta(seconds=5))
        device.refresh_from_db()
        ok = client.post(reverse("accounts:otp_verify"), {"code": current_code(device)})
        assert ok.status_code == 302
        assert client.get(AUDIT).status_code == 200


def test_it_rate_limits_code_guessing(client, agent_sam) -> None:
    sign_in(client, "sam@example.com")
    statuses = [client.post(reverse("accounts:otp_verify"), {"code": "000000"}).status_code for _ in range(6)]
    assert statuses[-1] == 429


def test_it_walks_staff_without_an_authenticator_through_set_up(client, make_user) -> None:
    kim = make_user("kim", "supervisor")
    TOTPDevice.objects.filter(user=kim).delete()
    sign_in(client, "kim@example.com", next=AUDIT)
    step = client.get(f"{reverse('accounts:otp_verify')}?next={AUDIT}")
    assert step["Location"] == f"{reverse('accounts:otp_setup')}?next=%2Fagent%2Faudit%2F"
    assert client.get(AUDIT).status_code == 302

    # Making a key is a POST; the page then shows the secret and the otpauth URI as text.
    assert client.get(reverse("accounts:otp_setup")).status_code == 200
    assert not TOTPDevice.objects.filter(user=kim).exists()
    client.post(reverse("accounts:otp_setup"), {"action": "start", "next": AUDIT})
    device = TOTPDevice.objects.get(user=kim, confirmed=False)
    page = client.get(f"{reverse('accounts:otp_setup')}?next={AUDIT}").content.decode()
    assert "otpauth://totp/" in page
    import base64

    assert base64.b32encode(device.bin_key).decode().rstrip("=") in page
    assert "http" not in page.split("otpauth://")[0].split("<main")[-1]  # no external QR service

    bad = client.post(reverse("accounts:otp_setup"), {"action": "confirm", "code": "123", "next": AUDIT})
    assert bad.status_code == 200
    confirmed = client.post(
        reverse("accounts:otp_setup"), {"action": "confirm", "code": current_code(device), "next": AUDIT}
    )
    assert confirmed["Location"] == AUDIT
    device.refresh_from_db()
    assert device.confirmed
    assert client.get(AUDIT).status_code == 200
    assert {"accounts.totp_setup_started", "accounts.totp_confirmed"} <= set(verbs(actor=kim))
    # Once set up, the key is not shown again and no new one can be made without the code.
    assert client.get(reverse("accounts:otp_setup"))["Location"] == reverse("accounts:profile")


def test_it_does_not_let_a_password_alone_replace_an_authenticator(client, agent_sam) -> None:
    sign_in(client, "sam@example.com")
    response = client.post(reverse("accounts:otp_setup"), {"action": "start"})
    assert response["Location"] == reverse("accounts:otp_verify")
    assert TOTPDevice.objects.filter(user=agent_sam).count() == 1


def test_it_does_not_ask_customers_for_a_code(client, alice) -> None:
    response = sign_in(client, "alice@example.com")
    assert response["Location"] == reverse("helpcenter:home")


def test_it_forbids_staff_pages_to_customers(login, alice) -> None:
    assert login(alice).get(AUDIT).status_code == 403


def test_it_prints_the_demo_code_from_the_command(agent_sam, capsys) -> None:
    device = TOTPDevice.objects.create(user=agent_sam, name="demo", confirmed=True)
    call_command("totp", "SAM@example.com")
    assert capsys.readouterr().out.strip() == current_code(device)


def test_it_refuses_the_command_without_a_demo_device(alice, agent_sam) -> None:
    import pytest

    for email in ("alice@example.com", "sam@example.com", "nobody@example.com"):
        with pytest.raises(CommandError):
            call_command("totp", email)


def test_it_closes_staff_pages_when_the_verified_device_goes_away(login, agent_sam, supervisor_ada) -> None:
    """A session stays past the second factor only while its device exists, is confirmed and
    belongs to the signed-in person (the middleware reads the device by key on each request)."""
    inbox = reverse("tickets:inbox")
    client = login(agent_sam)
    assert client.get(inbox).status_code == 200
    device = TOTPDevice.objects.get(user=agent_sam, confirmed=True)

    TOTPDevice.objects.filter(pk=device.pk).update(confirmed=False)
    assert client.get(inbox).status_code == 302
    TOTPDevice.objects.filter(pk=device.pk).update(confirmed=True)
    client = login(agent_sam)
    assert client.get(inbox).status_code == 200

    TOTPDevice.objects.filter(pk=device.pk).update(user=supervisor_ada)
    assert client.get(inbox).status_code == 302
    TOTPDevice.objects.filter(pk=device.pk).update(user=agent_sam)
    client = login(agent_sam)
    assert client.get(inbox).status_code == 200

    TOTPDevice.objects.filter(pk=device.pk).delete()
    assert client.get(inbox).status_code == 302
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = "otp_totp.totpdevice/not-a-number"
    session.save()
    assert client.get(inbox).status_code == 302
    session[DEVICE_ID_SESSION_KEY] = "no_such_app.device/1"
    session.save()
    assert client.get(inbox).status_code == 302


def test_it_signs_out_a_deactivated_account_on_its_next_request(login, agent_sam, alice) -> None:
    for user, page in ((agent_sam, reverse("tickets:inbox")), (alice, reverse("tickets:list"))):
        client = login(user)
        assert client.get(page).status_code == 200
        type(user).objects.filter(pk=user.pk).update(is_active=False)
        response = client.get(page)
        assert response.status_code == 302 and reverse("accounts:login") in response["Location"]
