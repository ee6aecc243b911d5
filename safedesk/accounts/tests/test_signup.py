import datetime as dt

import time_machine
from django.urls import reverse
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from safedesk.accounts.models import User
from safedesk.accounts.tests.helpers import path_of, sign_in, verbs

NEW_PASSWORD = "purple elephant umbrella 77"


def _sign_up(client, email="carol@example.com", name="Carol", password=NEW_PASSWORD, **extra):
    return client.post(
        reverse("accounts:signup"),
        {"email": email, "display_name": name, "password1": password, "password2": password},
        **extra,
    )


def test_it_signs_up_and_verifies_through_the_emailed_link(client, smtp_server, run_tasks, settings) -> None:
    settings.SITE_URL = "https://desk.example.com"
    response = _sign_up(client)
    assert response.status_code == 302
    assert response["Location"] == reverse("accounts:signup_done")
    # Nothing is sent inside the request: the job row waits for the worker.
    assert smtp_server.messages == []
    assert DBTaskResult.objects.ready().count() == 1
    user = User.objects.get(email="carol@example.com")
    assert user.email_verified_at is None
    assert user.check_password(NEW_PASSWORD)

    assert run_tasks() == 1
    [mail] = smtp_server.to("carol@example.com")
    assert mail.subject == "Confirm your email address"
    assert mail.rcpt_tos == ["carol@example.com"]
    [link] = [link for link in mail.links() if "/verify/" in link]
    assert link.startswith("https://desk.example.com/accounts/verify/")
    assert link in mail.html

    page = client.get(path_of(link))
    assert page.status_code == 200
    user.refresh_from_db()
    assert user.email_verified_at is None  # opening the link changes nothing
    confirmed = client.post(path_of(link))
    assert confirmed.status_code == 302
    user.refresh_from_db()
    assert user.email_verified_at is not None
    # Single use.
    again = client.post(path_of(link))
    assert again.status_code == 400
    assert "verification_invalid" in again.content.decode()
    assert verbs(target_ref=str(user.public_id)) == ["accounts.signed_up", "accounts.email_verified"]


def test_it_answers_the_same_for_an_address_already_registered(client, alice, smtp_server, run_tasks) -> None:
    fresh = _sign_up(client, email="dave@example.com")
    taken = _sign_up(client, email="ALICE@example.com", name="Someone else")
    assert (fresh.status_code, fresh["Location"]) == (taken.status_code, taken["Location"])
    assert set(fresh.cookies) == set(taken.cookies)
    assert User.objects.filter(email="alice@example.com").count() == 1
    alice.refresh_from_db()
    assert alice.display_name == "Alice"

    run_tasks()
    [notice] = smtp_server.to("alice@example.com")
    assert notice.subject == "Someone tried to sign up with your email address"
    assert "/verify/" not in notice.text
    assert "accounts.signup_existing_address" in verbs(target_ref=str(alice.public_id))


def test_it_lets_an_unverified_customer_sign_in_with_a_notice(client, make_user) -> None:
    make_user("erin", verified=False)
    assert sign_in(client, "erin@example.com").status_code == 302
    page = client.get(reverse("accounts:profile"))
    assert "not confirmed yet" in page.content.decode()


def test_it_expires_verification_links_after_a_day(client, smtp_server, run_tasks) -> None:
    with time_machine.travel(timezone.now(), tick=False) as traveller:
        _sign_up(client)
        run_tasks()
        [link] = [link for link in smtp_server.messages[0].links() if "/verify/" in link]
        traveller.shift(dt.timedelta(hours=24, minutes=1))
        assert client.post(path_of(link)).status_code == 400
    assert User.objects.get(email="carol@example.com").email_verified_at is None


def test_it_refuses_weak_or_mismatched_passwords(client, smtp_server, run_tasks) -> None:
    weak = _sign_up(client, password="12345678")
    assert weak.status_code == 200
    mismatch = client.post(
        reverse("accounts:signup"),
        {"email": "f@example.com", "display_name": "F", "password1": NEW_PASSWORD, "password2": NEW_PASSWORD + "x"},
    )
    assert mismatch.status_code == 200
    assert not User.objects.exists()
    assert run_tasks() == 0


def test_it_keeps_header_injection_out_of_emails(client, smtp_server, run_tasks) -> None:
    _sign_up(client, name="x\r\nBcc: victim@evil.example\r\nContent-Type: text/html")
    run_tasks()
    [mail] = smtp_server.messages
    assert mail.rcpt_tos == ["carol@example.com"]
    assert mail.message["Bcc"] is None
    user = User.objects.get(email="carol@example.com")
    assert "\n" not in user.display_name and "\r" not in user.display_name


def test_it_escapes_the_display_name_in_html_emails(client, smtp_server, run_tasks) -> None:
    _sign_up(client, name="<script>alert(1)</script>")
    run_tasks()
    [mail] = smtp_server.messages
    assert "<script>" not in mail.html
    assert "&lt;script&gt;" in mail.html
    assert "<script>alert(1)</script>" in mail.text


def test_it_writes_emails_in_the_language_of_the_sign_up(client, smtp_server, run_tasks, settings) -> None:
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "zh-hans"
    _sign_up(client)
    assert User.objects.get(email="carol@example.com").language == "zh-hans"
    run_tasks()
    [mail] = smtp_server.messages
    assert '<html lang="zh-hans">' in mail.html


def test_it_resends_the_link_only_while_unverified(client, make_user, smtp_server, run_tasks, login) -> None:
    erin = make_user("erin", verified=False)
    client = login(erin)
    assert client.post(reverse("accounts:resend_verification")).status_code == 302
    run_tasks()
    assert len(smtp_server.to("erin@example.com")) == 1
    assert client.get(reverse("accounts:resend_verification")).status_code == 405
