"""The secret shield at the tickets' boundary (CASES.md B12 T62, T64): a recovery phrase or key
in a subject, body, reply, rating comment, appeal or file name is replaced before it is stored;
the sender is warned in their language; audit events keep counts only; emails, the search
index and logs never see it."""

from __future__ import annotations

import io
import logging
from typing import Any

from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from mnemonic import Mnemonic

from safedesk.audit.models import AuditEvent
from safedesk.lib import secretscan
from safedesk.search.models import SearchDocument
from safedesk.tickets import services
from safedesk.tickets.models import Attachment, Message, Status, Ticket

PHRASE = "legal winner thank year wave sausage worth useful legal winner thank yellow"  # BIP39 vector
ZH_PHRASE = Mnemonic("chinese_simplified").to_mnemonic(bytes(range(16)))
WIF = "L1RrrnXkcKut5DEMwtDthjwRcTTwED36thyL1DebVrKuwvohjMNi"
MARKER = secretscan.MARKERS[secretscan.MNEMONIC]
WARNING_EN = "Our support will never ask you for it."
WARNING_ZH = "我们的客服绝不会向您索要"


def _nowhere(*secrets: str) -> None:
    """No stored row, audit event or search document holds any of `secrets`."""
    for secret in secrets:
        for ticket in Ticket.objects.all():
            assert secret not in ticket.subject and secret not in (ticket.rating_comment or "")
        assert not Message.objects.filter(body__contains=secret).exists()
        assert not Attachment.objects.filter(original_name__contains=secret).exists()
        assert not SearchDocument.objects.filter(body__contains=secret).exists()
        assert not SearchDocument.objects.filter(title__contains=secret).exists()
        for event in AuditEvent.objects.all():
            assert secret not in str(event.data) and secret not in event.target_ref


def test_a_guest_form_with_a_phrase_stores_the_marker_and_warns_the_guest(
    db: Any, client: Client, smtp_server: Any, run_tasks: Any
) -> None:
    response = client.post(
        "/tickets/new/",
        {
            "email": "guest@example.com",
            "subject": f"help {WIF}",
            "body": f"my words: {PHRASE}\nthanks",
            "language": "en",
        },
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert response.status_code == 303
    assert response["Safedesk-Notice"] == "secret_removed"
    page = client.get(response["Location"], HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert WARNING_EN in page
    ticket = Ticket.objects.get()
    assert ticket.subject == f"help {secretscan.MARKERS[secretscan.WIF]}"
    assert ticket.messages.get().body == f"my words: {MARKER}\nthanks"
    created = AuditEvent.objects.get(verb="ticket.created", target_ref=ticket.ref)
    assert created.data["shield_removed"] == [[secretscan.MNEMONIC, 1], [secretscan.WIF, 1]]
    run_tasks()
    assert smtp_server.messages
    for mail in smtp_server.messages:
        assert PHRASE not in mail.text and WIF not in mail.text and WIF not in mail.subject
    _nowhere(PHRASE, WIF, "legal winner thank year")


def test_the_warning_is_in_the_senders_language(db: Any, client: Client) -> None:
    response = client.post(
        "/tickets/new/",
        {"email": "guest@example.com", "subject": "提币", "body": f"助记词 {ZH_PHRASE}", "language": "zh-hans"},
        HTTP_ACCEPT_LANGUAGE="zh-hans",
    )
    assert response.status_code == 303
    page = client.get(response["Location"], HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    assert WARNING_ZH in page
    _nowhere(ZH_PHRASE)


def test_replies_ratings_appeals_and_file_names_are_shielded(
    alice: Any, login: Any, agent_sam: Any, media_dir: Any
) -> None:
    ticket = services.submit_ticket(alice, services.TicketInput(subject="Withdrawal", body="stuck"))
    client = login(alice)
    name = f"{PHRASE}.txt"
    response = client.post(
        f"/tickets/{ticket.ref}/reply/",
        {"body": f"here: {PHRASE}", "files": [SimpleUploadedFile(name, b"log", content_type="text/plain")]},
    )
    assert response.status_code in (302, 303), response.content
    assert response["Safedesk-Notice"] == "secret_removed"
    reply = ticket.messages.order_by("-id").first()
    assert reply is not None and reply.body == f"here: {MARKER}"
    assert Attachment.objects.get().original_name == f"{MARKER}.txt"
    services.change_status(ticket, Status.SOLVED, actor=agent_sam)
    ticket.refresh_from_db()
    services.rate_ticket(ticket, 2, f"you asked for {WIF}", actor=alice)
    services.appeal_ticket(ticket, f"appeal {PHRASE}", actor=alice)
    ticket.refresh_from_db()
    assert WIF not in (ticket.rating_comment or "")
    _nowhere(PHRASE, WIF)


def test_the_api_shields_and_says_so_in_a_header(alice: Any, login: Any) -> None:
    client = login(alice)
    response = client.post(
        "/api/v1/tickets", {"subject": "key", "body": f"private key {WIF}"}, content_type="application/json"
    )
    assert response.status_code == 201, response.content
    assert response["Safedesk-Notice"] == "secret_removed"
    assert WIF not in response.content.decode()
    _nowhere(WIF)


def test_text_without_secrets_is_stored_as_written_and_nobody_is_warned(db: Any, client: Client) -> None:
    txid = "4a5e1e4baab89f3a32518a88c31bc87f618f76673e2cc77ab2127b7afdeda33b"
    body = f"txid {txid} to bc1qar0srrr7xfkvy5l643lydnw9re59gtzzwf5mdq"
    response = client.post("/tickets/new/", {"email": "guest@example.com", "subject": "Deposit", "body": body})
    assert response.status_code == 303 and "Safedesk-Notice" not in response
    assert Ticket.objects.get().messages.get().body == body
    assert "shield_removed" not in AuditEvent.objects.get(verb="ticket.created").data


def test_log_records_pass_the_shield(db: Any) -> None:
    handler = next(h for h in logging.getLogger("safedesk").handlers if any(f for f in h.filters))
    stream = io.StringIO()
    old = handler.setStream(stream)  # type: ignore[attr-defined]
    try:
        log = logging.getLogger("safedesk.tickets")
        log.warning("customer wrote %s", PHRASE)
        try:
            raise ValueError(f"bad input {WIF}")
        except ValueError:
            log.exception("failed")
    finally:
        handler.setStream(old)  # type: ignore[attr-defined]
    written = stream.getvalue()
    assert "customer wrote" in written and "ValueError" in written
    assert PHRASE not in written and WIF not in written and MARKER in written
