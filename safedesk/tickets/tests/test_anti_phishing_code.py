"""The anti-phishing code (CASES.md B12 T68): a customer sets a phrase on the profile page and
every email we send them shows it; the audit log says it was set, never what it is."""

from __future__ import annotations

from typing import Any

from django.urls import reverse

from safedesk.audit.models import AuditEvent
from safedesk.tickets import services as ticket_services

CODE = "blue heron 42"


def _set(client: Any, code: str) -> Any:
    return client.post(
        reverse("accounts:profile"), {"display_name": "Alice", "language": "en", "anti_phishing_code": code}
    )


def test_every_email_shows_the_code_the_customer_set(
    login: Any, alice: Any, client: Any, smtp_server: Any, run_tasks: Any
) -> None:
    assert _set(login(alice), CODE).status_code == 302
    alice.refresh_from_db()
    assert alice.anti_phishing_code == CODE
    ticket_services.submit_ticket(alice, ticket_services.TicketInput(subject="Deposit", body="missing"))
    client.post(reverse("accounts:password_reset"), {"email": alice.email})
    run_tasks()
    mails = smtp_server.to(alice.email)
    assert len(mails) >= 2
    for mail in mails:
        assert f"Your anti-phishing code: {CODE}" in mail.text
        assert CODE in mail.html
    [event] = AuditEvent.objects.filter(verb="accounts.profile_updated")
    assert event.data["anti_phishing"] == {"from": "none", "to": "set"}
    assert CODE not in str(event.data)


def test_a_code_that_is_not_plain_words_is_refused_and_nothing_changes(login: Any, alice: Any) -> None:
    client = login(alice)
    for bad in ("http://evil.example", "<b>hi</b>", "abc", "x" * 40):
        response = _set(client, bad)
        assert response.status_code == 200  # the form again, with the reason
        alice.refresh_from_db()
        assert alice.anti_phishing_code == ""
    assert not AuditEvent.objects.filter(verb="accounts.profile_updated").exists()


def test_emails_without_a_code_say_nothing_about_one(alice: Any, smtp_server: Any, run_tasks: Any) -> None:
    ticket_services.submit_ticket(alice, ticket_services.TicketInput(subject="Deposit", body="missing"))
    run_tasks()
    [mail] = smtp_server.to(alice.email)
    assert "anti-phishing" not in mail.text


def test_emails_link_only_to_the_desk_whatever_the_customer_wrote(
    login: Any, alice: Any, agent_sam: Any, client: Any, smtp_server: Any, run_tasks: Any, settings: Any
) -> None:
    """CASES.md T68: official email never carries a link outside the allow-list, even when the
    ticket it is about holds one (a scammer's own request, or one quoting a scam site)."""
    from email.utils import parseaddr

    from safedesk.safety import guard, selectors

    assert _set(login(alice), CODE).status_code == 302
    ticket = ticket_services.submit_ticket(
        alice,
        ticket_services.TicketInput(
            subject="Visit bitpie-help.io now", body="They sent me to https://bitpie-help.io/login and evil.example.io"
        ),
    )
    ticket_services.reply_as_agent(
        ticket, ticket_services.AgentReply(body=f"Please read {settings.SITE_URL}/ for the steps."), actor=agent_sam
    )
    ticket_services.change_status(ticket, "solved", actor=agent_sam)
    client.post(reverse("accounts:password_reset"), {"email": alice.email})
    run_tasks()
    own = parseaddr(settings.DEFAULT_FROM_EMAIL)[1].rpartition("@")[2]

    def allowed(host: str) -> bool:
        return selectors.link_host_allowed(host) or host == own

    mails = smtp_server.to(alice.email)
    assert len(mails) >= 3
    for mail in mails:
        assert CODE in mail.text
        for part in (mail.subject, mail.text, mail.html):
            assert guard.links_outside(part, allowed) == [], (mail.subject, part)
