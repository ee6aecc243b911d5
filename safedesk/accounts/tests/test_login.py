import datetime as dt
import re

import pytest
import time_machine
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from safedesk.accounts.tests.helpers import sign_in, verbs

OFF_SITE = [
    "https://evil.example",
    "//evil.example",
    "/\\evil.example",
    "https:evil.example",
    "%2F%2Fevil.example",
    "http://testserver.evil.example/",
    " //evil.example",
    "/\t/evil.example",
]


@pytest.mark.parametrize("target", OFF_SITE)
def test_it_never_redirects_off_site_after_sign_in(client, alice, target) -> None:
    form = client.get(reverse("accounts:login"), {"next": target})
    assert '<input type="hidden" name="next" value="">' in form.content.decode()
    response = sign_in(client, "alice@example.com", next=target)
    assert response.status_code == 302
    assert response["Location"] == reverse("helpcenter:home")


@pytest.mark.parametrize("target", OFF_SITE)
def test_it_never_redirects_off_site_after_a_language_switch(client, target) -> None:
    response = client.post(reverse("accounts:set_language"), {"language": "en", "next": target})
    assert response["Location"] == "/"


def test_it_follows_an_in_site_next(client, alice) -> None:
    response = sign_in(client, "alice@example.com", next="/accounts/profile/?tab=1")
    assert response["Location"] == "/accounts/profile/?tab=1"
    assert "accounts.signed_in" in verbs(actor=alice)


def _normalised(response) -> str:
    html = response.content.decode()
    html = re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', "", html)
    return html.replace("nobody@example.com", "EMAIL").replace("alice@example.com", "EMAIL")


def test_it_answers_the_same_for_an_unknown_address_and_a_wrong_password(client, alice) -> None:
    unknown = sign_in(client, "nobody@example.com", "wrong password 1234")
    wrong = sign_in(client, "alice@example.com", "wrong password 1234")
    assert unknown.status_code == wrong.status_code == 200
    assert _normalised(unknown) == _normalised(wrong)


def test_it_throttles_repeated_failures_and_lets_the_owner_in_after_the_cool_off(client, alice) -> None:
    with time_machine.travel(timezone.now(), tick=False) as traveller:
        statuses = [sign_in(client, "alice@example.com", "wrong password 1234").status_code for _ in range(6)]
        assert statuses[:4] == [200] * 4
        assert statuses[-1] == 429
        locked = sign_in(client, "alice@example.com")
        assert locked.status_code == 429
        assert int(locked["Retry-After"]) == 15 * 60
        assert "login_throttled" in locked.content.decode()
        json_locked = client.post(
            reverse("accounts:login"),
            {"username": "alice@example.com", "password": "x"},
            HTTP_ACCEPT="application/json",
        )
        assert json_locked.status_code == 429
        assert json_locked.json()["code"] == "login_throttled"

        traveller.shift(dt.timedelta(minutes=16))
        response = sign_in(client, "alice@example.com")
        assert response.status_code == 302
        assert client.get(reverse("accounts:profile")).status_code == 200


def test_it_throttles_one_address_trying_many_accounts(client, alice, bob) -> None:
    for n in range(5):
        sign_in(client, f"nobody{n}@example.com", "wrong password 1234")
    assert sign_in(client, "bob@example.com").status_code == 429


def test_it_signs_out_only_by_post(alice) -> None:
    client = Client()
    sign_in(client, "alice@example.com")
    assert client.get(reverse("accounts:logout")).status_code == 405
    assert client.post(reverse("accounts:logout")).status_code == 302
    assert client.get(reverse("accounts:profile")).status_code == 302
    assert "accounts.signed_out" in verbs(actor=alice)


def test_it_counts_an_address_in_any_case_as_one_account(rf) -> None:
    from safedesk.accounts.views import axes_username

    request = rf.post("/accounts/login/", {"username": " Alice@Example.COM "})
    assert axes_username(request, None) == "alice@example.com"
    assert axes_username(request, {"username": "BOB@example.com"}) == "bob@example.com"
