import pytest
from django.test import Client
from django.urls import reverse


@pytest.mark.parametrize(
    "name", ["accounts:login", "accounts:signup", "accounts:password_reset", "accounts:set_language"]
)
def test_it_refuses_anonymous_posts_without_a_csrf_token(db, name) -> None:
    client = Client(enforce_csrf_checks=True)
    assert client.post(reverse(name), {"email": "a@example.com", "username": "a@example.com"}).status_code == 403


@pytest.mark.parametrize(
    "name",
    [
        "accounts:profile",
        "accounts:password_change",
        "accounts:logout",
        "accounts:resend_verification",
        "accounts:otp_setup",
    ],
)
def test_it_refuses_signed_in_posts_without_a_csrf_token(login, alice, name) -> None:
    client = login(alice, Client(enforce_csrf_checks=True))
    assert client.post(reverse(name), {"display_name": "x", "language": "en"}).status_code == 403


def test_it_accepts_a_post_with_the_token(login, alice) -> None:
    client = login(alice, Client(enforce_csrf_checks=True))
    client.get(reverse("accounts:profile"))
    token = client.cookies["csrftoken"].value
    response = client.post(
        reverse("accounts:profile"), {"display_name": "Al", "language": "en"}, HTTP_X_CSRFTOKEN=token
    )
    assert response.status_code == 302
