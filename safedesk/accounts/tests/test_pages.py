import re

import pytest
from django.test import Client
from django.urls import reverse

from safedesk.accounts.tests.helpers import sign_in

PUBLIC = [
    "accounts:login",
    "accounts:signup",
    "accounts:signup_done",
    "accounts:password_reset",
    "accounts:password_reset_done",
    "accounts:password_reset_complete",
]


def _assert_csp_friendly(html: str) -> None:
    # No inline scripts or styles: the CSP allows only our own files.
    assert not re.search(r"<script(?![^>]*\bsrc=)", html)
    assert " style=" not in html and "<style" not in html


@pytest.mark.parametrize("name", PUBLIC)
def test_it_renders_the_public_pages(db, name) -> None:
    response = Client().get(reverse(name))
    assert response.status_code == 200
    _assert_csp_friendly(response.content.decode())


@pytest.mark.parametrize("name", ["accounts:profile", "accounts:password_change"])
def test_it_renders_the_signed_in_pages(login, alice, name) -> None:
    response = login(alice).get(reverse(name))
    assert response.status_code == 200
    _assert_csp_friendly(response.content.decode())


def test_it_renders_the_second_factor_page(client, agent_sam) -> None:
    sign_in(client, "sam@example.com")
    response = client.get(reverse("accounts:otp_verify"))
    assert response.status_code == 200
    _assert_csp_friendly(response.content.decode())


def test_it_renders_the_verification_page(client) -> None:
    response = client.get(reverse("accounts:verify_email", kwargs={"token": "abc:def"}))
    assert response.status_code == 200
    _assert_csp_friendly(response.content.decode())
