from django.test import Client
from django.urls import reverse

from safedesk.accounts.tests.helpers import PASSWORD, path_of, sign_in, verbs

NEW_PASSWORD = "granite lighthouse marmalade 19"


def _request_reset(client, email, **extra):
    return client.post(reverse("accounts:password_reset"), {"email": email}, **extra)


def test_it_resets_a_password_end_to_end_through_smtp(client, alice, smtp_server, run_tasks, settings) -> None:
    settings.SITE_URL = "https://desk.example.com"
    response = _request_reset(client, "alice@example.com", HTTP_X_FORWARDED_HOST="evil.example")
    assert response["Location"] == reverse("accounts:password_reset_done")
    assert smtp_server.messages == []
    run_tasks()
    [mail] = smtp_server.to("alice@example.com")
    assert mail.subject == "Reset your password"
    [link] = [link for link in mail.links() if "/password/reset/" in link]
    # The configured address, never the request's Host or X-Forwarded-Host (T71).
    assert link.startswith("https://desk.example.com/accounts/password/reset/")
    assert "evil.example" not in mail.text + mail.html
    # Public ids in links, never integer keys.
    assert path_of(link).split("/")[4] == alice.public_id.hex

    opened = client.get(path_of(link))
    assert opened.status_code == 302  # Django moves the token out of the URL into the session
    form = client.get(opened["Location"])
    assert form.context["validlink"]
    done = client.post(opened["Location"], {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD})
    assert done["Location"] == reverse("accounts:password_reset_complete")

    assert sign_in(Client(), "alice@example.com", PASSWORD).status_code == 200
    assert sign_in(Client(), "alice@example.com", NEW_PASSWORD).status_code == 302
    # The link works once.
    reused = client.get(path_of(link), follow=True)
    assert not reused.context["validlink"]
    assert {"accounts.password_reset_requested", "accounts.password_changed"} <= set(
        verbs(target_ref=str(alice.public_id))
    )
    run_tasks()
    assert [m.subject for m in smtp_server.to("alice@example.com")][-1] == "Your password was changed"


def test_it_answers_the_same_for_an_unknown_address(client, alice, smtp_server, run_tasks) -> None:
    known = _request_reset(client, "alice@example.com")
    unknown = _request_reset(client, "nobody@example.com")
    assert (known.status_code, known["Location"]) == (unknown.status_code, unknown["Location"])
    run_tasks()
    assert [m.rcpt_tos for m in smtp_server.messages] == [["alice@example.com"]]


def test_it_refuses_a_forged_reset_link(client, alice) -> None:
    page = client.get(f"/accounts/password/reset/{alice.public_id.hex}/abc-123/", follow=True)
    assert not page.context["validlink"]
    page = client.get("/accounts/password/reset/not-a-uuid/abc-123/", follow=True)
    assert not page.context["validlink"]


def test_it_refuses_an_unknown_host(client) -> None:
    assert _request_reset(client, "alice@example.com", HTTP_HOST="evil.example").status_code == 400
