from django.urls import reverse

from safedesk.accounts.tests.helpers import verbs
from safedesk.audit.models import AuditEvent


def test_it_saves_the_language_preference_and_changes_the_page_language(login, alice, settings) -> None:
    client = login(alice)
    response = client.post(reverse("accounts:set_language"), {"language": "zh-hans", "next": "/accounts/profile/"})
    assert response["Location"] == "/accounts/profile/"
    alice.refresh_from_db()
    assert alice.language == "zh-hans"
    page = client.get("/accounts/profile/")
    assert '<html lang="zh-hans">' in page.content.decode()
    event = AuditEvent.objects.get(verb="accounts.language_changed")
    assert event.actor == alice
    assert event.data == {"from": "", "to": "zh-hans"}


def test_it_uses_the_saved_language_on_a_new_device(login, alice) -> None:
    alice.language = "zh-hans"
    alice.save(update_fields=["language"])
    page = login(alice).get("/accounts/profile/")
    assert '<html lang="zh-hans">' in page.content.decode()


def test_it_ignores_an_unknown_language(login, alice) -> None:
    client = login(alice)
    client.post(reverse("accounts:set_language"), {"language": "xx"})
    alice.refresh_from_db()
    assert alice.language == ""
    assert not AuditEvent.objects.filter(verb="accounts.language_changed").exists()


def test_it_updates_the_profile_through_services(login, alice) -> None:
    client = login(alice)
    response = client.post(reverse("accounts:profile"), {"display_name": "  Alice  Liddell ", "language": "en"})
    assert response["Location"] == reverse("accounts:profile")
    alice.refresh_from_db()
    assert (alice.display_name, alice.language) == ("Alice Liddell", "en")
    event = AuditEvent.objects.get(verb="accounts.profile_updated")
    assert event.data["display_name"] == {"from": "Alice", "to": "Alice Liddell"}
    # Saving the same values again records nothing.
    client.post(reverse("accounts:profile"), {"display_name": "Alice Liddell", "language": "en"})
    assert verbs(verb="accounts.profile_updated") == ["accounts.profile_updated"]


def test_it_refuses_a_control_character_name(login, alice) -> None:
    client = login(alice)
    response = client.post(reverse("accounts:profile"), {"display_name": "bad\x00name", "language": "en"})
    assert response.status_code == 200
    alice.refresh_from_db()
    assert alice.display_name == "Alice"


def test_it_sends_guests_to_sign_in(client) -> None:
    assert client.get(reverse("accounts:profile"))["Location"].startswith(reverse("accounts:login"))


def test_a_display_name_with_a_private_key_is_saved_without_it(login, alice) -> None:
    wif = "L1RrrnXkcKut5DEMwtDthjwRcTTwED36thyL1DebVrKuwvohjMNi"
    client = login(alice)
    client.post(reverse("accounts:profile"), {"display_name": f"Alice {wif}", "language": "en"})
    alice.refresh_from_db()
    assert wif not in alice.display_name and alice.display_name.startswith("Alice [")
    assert wif not in str(AuditEvent.objects.get(verb="accounts.profile_updated").data)
