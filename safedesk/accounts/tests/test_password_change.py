from django.test import Client
from django.urls import reverse

from safedesk.accounts.tests.helpers import PASSWORD, sign_in, verbs

NEW_PASSWORD = "granite lighthouse marmalade 19"


def test_it_signs_out_other_sessions_and_keeps_this_one(alice, smtp_server, run_tasks) -> None:
    laptop, phone = Client(), Client()
    sign_in(laptop, "alice@example.com")
    sign_in(phone, "alice@example.com")
    assert phone.get(reverse("accounts:profile")).status_code == 200

    response = laptop.post(
        reverse("accounts:password_change"),
        {"old_password": PASSWORD, "new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD},
    )
    assert response["Location"] == reverse("accounts:profile")
    assert laptop.get(reverse("accounts:profile")).status_code == 200
    assert phone.get(reverse("accounts:profile")).status_code == 302
    alice.refresh_from_db()
    assert alice.check_password(NEW_PASSWORD)
    assert "accounts.password_changed" in verbs(actor=alice)
    assert all("granite" not in str(data) for data in alice_audit_data(alice))
    run_tasks()
    assert [m.subject for m in smtp_server.to("alice@example.com")] == ["Your password was changed"]


def alice_audit_data(alice):
    from safedesk.audit.models import AuditEvent

    return list(AuditEvent.objects.filter(actor=alice).values_list("data", flat=True))


def test_it_asks_for_the_current_password(login, alice) -> None:
    client = login(alice)
    response = client.post(
        reverse("accounts:password_change"),
        {"old_password": "not it at all 123", "new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD},
    )
    assert response.status_code == 200
    alice.refresh_from_db()
    assert alice.check_password(PASSWORD)


def test_it_applies_the_password_rules(login, alice) -> None:
    client = login(alice)
    response = client.post(
        reverse("accounts:password_change"),
        {"old_password": PASSWORD, "new_password1": "alice@example", "new_password2": "alice@example"},
    )
    assert response.status_code == 200
    alice.refresh_from_db()
    assert alice.check_password(PASSWORD)
