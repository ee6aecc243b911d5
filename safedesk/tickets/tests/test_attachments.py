"""Ticket attachments on the pages: uploads with new requests (signed in and guest), replies and
internal notes; downloads only through the authorising view, with download-only headers
(CASES.md T14-T16); refused uploads change nothing — rows and the files under MEDIA_ROOT —
(T15, T16, T18); a bounded number of queries on a thread full of files."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from safedesk.audit.models import AuditEvent
from safedesk.lib.errors import SafedeskError
from safedesk.lib.tests import samples
from safedesk.tickets import services
from safedesk.tickets.models import Attachment, Message, MessageKind, ScanState, Ticket

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("media_dir")]

TEXT = "提币 0.5 BTC 一直在处理中。\nThe withdrawal is still pending.\n".encode()


def upload(name: str, data: bytes, content_type: str = "application/octet-stream") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, data, content_type=content_type)


def submit(user: Any, files: list[tuple[str, bytes]] = (), **extra: Any) -> Ticket:  # type: ignore[assignment]
    return services.submit_ticket(
        user, services.TicketInput(subject="Withdrawal pending", body="Since Monday.", **extra), files=files
    )


def state(media: Path) -> tuple[int, int, int, int, set[str]]:
    return (
        Ticket.objects.count(),
        Message.objects.count(),
        Attachment.objects.count(),
        AuditEvent.objects.count(),
        samples.files_under(media),
    )


@contextmanager
def unchanged(media: Path) -> Iterator[None]:
    before = state(media)
    yield
    assert state(media) == before


def body(response: Any) -> bytes:
    # Reading the stream to its end closes the response (the test client's wrapper does it
    # without ending the test's database connection).
    return b"".join(response.streaming_content)


def url(ticket: Ticket, attachment: Attachment) -> str:
    return f"/tickets/{ticket.ref}/files/{attachment.public_id}/"


# ---- uploading ---------------------------------------------------------------------------------


def test_it_attaches_files_to_a_new_request_from_the_form(alice: Any, login: Any, media_dir: Path) -> None:
    client = login(alice)
    response = client.post(
        "/tickets/new/",
        {
            "subject": "提币一直在处理中",
            "body": "截图在附件里",
            "category": "withdrawal",
            "files": [upload("../../截图 1.png", samples.png(), "image/png"), upload("wallet.log", TEXT, "text/plain")],
        },
    )
    assert response.status_code == 303, response.content
    ticket = Ticket.objects.get(requester=alice)
    shot, log = Attachment.objects.filter(ticket=ticket).order_by("id")
    assert (shot.original_name, shot.content_type, shot.size) == ("截图 1.png", "image/png", len(samples.png()))
    assert (log.original_name, log.content_type) == ("wallet.log", "text/plain; charset=utf-8")
    assert shot.message == log.message == ticket.messages.get()
    assert shot.uploader == alice and shot.scan_state == ScanState.NOT_SCANNED
    # Stored under server-made names inside MEDIA_ROOT only; nothing of the client's name.
    assert samples.files_under(media_dir) == {shot.storage_name, log.storage_name}
    for row in (shot, log):
        assert "截图" not in row.storage_name and "." not in row.storage_name.rsplit("/", 1)[1]
    page = client.get(response["Location"]).content.decode()
    assert "截图 1.png" in page and url(ticket, shot) in page and url(ticket, log) in page


def test_it_attaches_files_to_a_guest_request_held_until_confirmed(client: Client, media_dir: Path) -> None:
    response = client.post(
        "/tickets/new/",
        {
            "email": "guest@example.com",
            "subject": "Locked out",
            "body": "Help",
            "files": [upload("id.pdf", samples.pdf())],
        },
    )
    assert response.status_code == 303 and response["Location"] == "/tickets/new/sent/"
    ticket = Ticket.objects.get()
    [attachment] = ticket.attachments.all()
    assert ticket.is_held and attachment.content_type == "application/pdf"
    assert samples.files_under(media_dir) == {attachment.storage_name}


def test_it_keeps_no_files_for_an_address_that_cannot_have_requests(
    client: Client, agent_sam: Any, media_dir: Path
) -> None:
    before = samples.files_under(media_dir)
    response = client.post(
        "/tickets/new/",
        {"email": agent_sam.email, "subject": "Hi", "body": "x", "files": [upload("a.txt", TEXT)]},
    )
    assert response.status_code == 303 and response["Location"] == "/tickets/new/sent/"
    assert Attachment.objects.count() == 0 and samples.files_under(media_dir) == before


def test_it_lets_a_customer_reply_with_files_only(alice: Any, login: Any) -> None:
    ticket = submit(alice)
    response = login(alice).post(
        f"/tickets/{ticket.ref}/reply/", {"body": "", "files": [upload("more.png", samples.png())]}
    )
    assert response.status_code == 303
    message = ticket.messages.order_by("-id").first()
    assert message is not None and message.body == "" and message.attachments.get().original_name == "more.png"


def test_it_refuses_a_reply_with_neither_text_nor_files(alice: Any, login: Any, media_dir: Path) -> None:
    ticket = submit(alice)
    with unchanged(media_dir):
        response = login(alice).post(f"/tickets/{ticket.ref}/reply/", {"body": "  "})
    assert response.status_code == 400 and 'data-code="required"' in response.content.decode()


def test_it_never_shows_an_internal_notes_files_to_the_customer(
    alice: Any, agent_sam: Any, login: Any, media_dir: Path
) -> None:
    ticket = submit(alice)
    agent = login(agent_sam)
    assert (
        agent.post(
            f"/agent/tickets/{ticket.ref}/reply/",
            {"body": "KYC check", "internal": "1", "files": [upload("kyc-notes.txt", TEXT)]},
        ).status_code
        == 303
    )
    assert (
        agent.post(
            f"/agent/tickets/{ticket.ref}/reply/",
            {"body": "Here is the guide", "internal": "0", "files": [upload("guide.pdf", samples.pdf())]},
        ).status_code
        == 303
    )
    note = Attachment.objects.get(original_name="kyc-notes.txt")
    guide = Attachment.objects.get(original_name="guide.pdf")
    assert note.message.kind == MessageKind.INTERNAL and guide.message.kind == MessageKind.PUBLIC
    customer = login(alice)
    page = customer.get(f"/tickets/{ticket.ref}/").content.decode()
    assert "guide.pdf" in page and "kyc-notes.txt" not in page and str(note.public_id) not in page
    assert customer.get(url(ticket, note)).status_code == 404
    assert customer.get(url(ticket, guide)).status_code == 200
    agent_page = agent.get(f"/agent/tickets/{ticket.ref}/").content.decode()
    assert "kyc-notes.txt" in agent_page and "guide.pdf" in agent_page
    assert agent.get(url(ticket, note)).status_code == 200


def test_it_lets_an_agent_open_a_ticket_with_files(agent_sam: Any, login: Any) -> None:
    response = login(agent_sam).post(
        "/agent/tickets/new/",
        {
            "email": "caller@example.com",
            "subject": "Phone call",
            "body": "Called about a deposit",
            "files": [upload("call.txt", TEXT)],
        },
    )
    assert response.status_code == 303
    assert Attachment.objects.get().uploader == agent_sam


# ---- refusals change nothing (T15, T16, T18) ---------------------------------------------------


BAD_FILES = [
    ("evil.png", b"\x89PNG\r\n\x1a\n<html><script>alert(1)</script></html>", "file_active_content"),
    ("logo.svg", b'<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"/>', "file_type_not_allowed"),
    ("logo.png", b'<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"/>', "file_active_content"),
    (".htaccess", b"AddType application/x-httpd-php .png\n", "file_type_not_allowed"),
    ("shell.php", b"<?php echo 1; ?>", "file_type_not_allowed"),
    ("app.js", b"fetch('/agent/')", "file_type_not_allowed"),
    ("setup.exe", b"MZ\x90\x00" + b"\x00" * 100, "file_type_not_allowed"),
    ("flood.png", samples.huge_png(50_000, 50_000), "image_too_large"),
    ("bomb.zip", samples.zip_bomb(20), "zip_ratio"),
    ("slip.zip", samples.zip_of({"../../../etc/cron.d/x": b"* * * * * root id"}), "zip_unsafe_path"),
    ("empty.txt", b"", "empty_file"),
]


@pytest.mark.parametrize(("name", "data", "code"), BAD_FILES)
def test_it_refuses_bad_files_on_a_new_request_and_stores_nothing(
    alice: Any, login: Any, media_dir: Path, name: str, data: bytes, code: str
) -> None:
    client = login(alice)
    with unchanged(media_dir):
        response = client.post(
            "/tickets/new/",
            {"subject": "Look", "body": "See file", "files": [upload("ok.txt", TEXT), upload(name, data)]},
        )
    assert response.status_code in {400, 413}
    page = response.content.decode()
    assert f'data-code="{code}"' in page
    assert 'value="Look"' in page  # the form again, with what was typed


@pytest.mark.parametrize(("name", "data", "code"), BAD_FILES[:4])
def test_it_refuses_bad_files_on_replies_and_notes_and_stores_nothing(
    alice: Any, agent_sam: Any, login: Any, media_dir: Path, name: str, data: bytes, code: str
) -> None:
    ticket = submit(alice)
    for client, path, extra in (
        (login(alice), f"/tickets/{ticket.ref}/reply/", {}),
        (login(agent_sam), f"/agent/tickets/{ticket.ref}/reply/", {"internal": "1"}),
        (login(agent_sam), f"/agent/tickets/{ticket.ref}/reply/", {"internal": "0"}),
    ):
        with unchanged(media_dir):
            response = client.post(path, {"body": "see file", "files": [upload(name, data)], **extra})
        assert response.status_code == 400 and f'data-code="{code}"' in response.content.decode()


def test_it_refuses_hostile_names_through_the_service_and_writes_nothing_outside_storage(
    alice: Any, media_dir: Path, tmp_path: Path
) -> None:
    outside = {p for p in tmp_path.rglob("*") if not p.is_relative_to(media_dir)}
    ticket = submit(
        alice,
        files=[
            ("../../etc/passwd", TEXT),
            ("..\\..\\x", TEXT),
            ("%2e%2e%2f", TEXT),
            ("/tmp/x", TEXT),
            ("a" * 300 + ".txt", TEXT),
            ("CON", TEXT),
            ("name\r\n.txt", TEXT),
        ],
    )
    names = list(ticket.attachments.order_by("id").values_list("original_name", flat=True))
    assert names == ["passwd.txt", "x.txt", "%2e%2e%2f.txt", "x.txt", "a" * 116 + ".txt", "_CON.txt", "name.txt"]
    assert {p for p in tmp_path.rglob("*") if not p.is_relative_to(media_dir)} == outside
    assert len(samples.files_under(media_dir)) == 7
    with unchanged(media_dir), pytest.raises(SafedeskError) as refused:
        submit(alice, files=[("ok.txt", TEXT), ("a.txt\x00.php", TEXT)])
    assert refused.value.code == "file_type_not_allowed"


def test_it_refuses_2000_tiny_files_in_one_request_with_a_clear_400(alice: Any, login: Any, media_dir: Path) -> None:
    client = login(alice)
    with unchanged(media_dir):
        response = client.post(
            "/tickets/new/",
            {"subject": "Many", "body": "files", "files": [upload(f"{n}.txt", b"x") for n in range(2000)]},
        )
    assert response.status_code == 400
    assert 'data-code="too_many_files"' in response.content.decode()


def test_it_refuses_one_file_more_than_allowed(alice: Any, login: Any, media_dir: Path, settings: Any) -> None:
    ticket = submit(alice)
    with unchanged(media_dir):
        response = login(alice).post(
            f"/tickets/{ticket.ref}/reply/",
            {"body": "x", "files": [upload(f"{n}.txt", b"x") for n in range(settings.SAFEDESK_UPLOAD_MAX_FILES + 1)]},
        )
    assert response.status_code == 400 and 'data-code="too_many_files"' in response.content.decode()


def test_it_refuses_an_oversized_file_while_reading_the_request(
    alice: Any, login: Any, media_dir: Path, settings: Any
) -> None:
    settings.SAFEDESK_UPLOAD_MAX_FILE_BYTES = 100_000
    ticket = submit(alice)
    with unchanged(media_dir):
        response = login(alice).post(
            f"/tickets/{ticket.ref}/reply/", {"body": "big", "files": [upload("big.txt", b"a" * 100_001)]}
        )
    assert response.status_code == 413
    page = response.content.decode()
    assert 'data-code="file_too_large"' in page and "big" in page


def test_it_refuses_files_too_large_together(alice: Any, login: Any, media_dir: Path, settings: Any) -> None:
    settings.SAFEDESK_UPLOAD_MAX_FILE_BYTES = 100_000
    settings.SAFEDESK_UPLOAD_MAX_MESSAGE_BYTES = 150_000
    ticket = submit(alice)
    with unchanged(media_dir):
        response = login(alice).post(
            f"/tickets/{ticket.ref}/reply/",
            {"body": "two", "files": [upload("1.txt", b"a" * 90_000), upload("2.txt", b"b" * 90_000)]},
        )
    assert response.status_code == 413 and 'data-code="attachments_too_large"' in response.content.decode()
    # A body that cannot fit at all is refused before it is read.
    with unchanged(media_dir):
        response = login(alice).post(
            f"/tickets/{ticket.ref}/reply/",
            {"body": "x" * 100, "files": [upload(f"{n}.txt", b"c" * 90_000) for n in range(8)]},
        )
    assert response.status_code == 413


# ---- downloading (T14, T16) --------------------------------------------------------------------


def test_it_serves_a_file_as_a_download_the_browser_may_not_run(alice: Any, login: Any) -> None:
    ticket = submit(alice, files=[("截图 1.png", samples.png())])
    attachment = ticket.attachments.get()
    response = login(alice).get(url(ticket, attachment))
    assert response.status_code == 200
    assert response["Content-Type"] == "image/png"
    assert response["Content-Disposition"] == (
        "attachment; filename=\"1.png\"; filename*=UTF-8''%E6%88%AA%E5%9B%BE%201.png"
    )
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Content-Security-Policy"] == "sandbox; default-src 'none'"
    assert response["Cache-Control"] == "private, no-store"
    assert body(response) == samples.png()


def test_it_serves_text_that_looks_like_script_as_plain_text_never_as_script(alice: Any, login: Any) -> None:
    ticket = submit(alice, files=[("payload.txt", b"fetch('/agent/').then(r => r.text())\n")])
    attachment = ticket.attachments.get()
    client = login(alice)
    response = client.get(url(ticket, attachment))
    assert response["Content-Type"] == "text/plain; charset=utf-8"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Content-Disposition"].startswith("attachment;")
    body(response)
    # Our pages allow scripts only from the static path, never from the download path.
    policy = client.get(f"/tickets/{ticket.ref}/")["Content-Security-Policy"]
    script_src = next(p for p in policy.split(";") if p.strip().startswith("script-src")).split()[1:]
    assert script_src == ["http://testserver/static/"]


def test_it_answers_404_to_everyone_who_may_not_see_the_file(
    alice: Any, bob: Any, agent_sam: Any, login: Any, make_user: Any, client: Client
) -> None:
    ticket = submit(alice, files=[("statement.pdf", samples.pdf())])
    attachment = ticket.attachments.get()
    other = submit(bob, files=[("bob.txt", TEXT)])
    bobs = other.attachments.get()
    path = url(ticket, attachment)
    # Signed out: 404 (not a redirect to sign in), like a file that does not exist.
    assert client.get(path).status_code == 404
    assert login(bob).get(path).status_code == 404
    # Another ticket's file under my ticket, and my file under another ticket: both are checked.
    assert login(alice).get(f"/tickets/{ticket.ref}/files/{bobs.public_id}/").status_code == 404
    assert login(bob).get(f"/tickets/{other.ref}/files/{attachment.public_id}/").status_code == 404
    for made_up in ("00000000-0000-0000-0000-000000000000", "1", "..%2f..%2fsettings.py", str(attachment.pk)):
        assert login(alice).get(f"/tickets/{ticket.ref}/files/{made_up}/").status_code == 404
    # Staff who have not passed their second factor see nothing either.
    unverified = Client()
    unverified.force_login(agent_sam)
    assert unverified.get(path).status_code == 404
    assert login(agent_sam).get(path).status_code == 200
    deactivated = make_user("gone")
    gone_ticket = submit(deactivated, files=[("x.txt", TEXT)])
    gone_client = login(deactivated)
    deactivated.is_active = False
    deactivated.save()
    assert gone_client.get(url(gone_ticket, gone_ticket.attachments.get())).status_code == 404


def test_it_hides_the_files_of_a_held_guest_request(client: Client, agent_sam: Any, login: Any, make_user: Any) -> None:
    guest = make_user("guest")
    held = services.submit_guest_ticket(
        guest.email, services.TicketInput(subject="Held", body="x"), files=[("id.png", samples.png())]
    )
    assert held is not None and held.is_held
    path = url(held, held.attachments.get())
    for who in (login(guest), login(agent_sam), client):
        assert who.get(path).status_code == 404


def test_it_serves_nothing_from_the_media_directory(alice: Any, login: Any, settings: Any) -> None:
    ticket = submit(alice, files=[("a.txt", TEXT)])
    stored = ticket.attachments.get().storage_name
    client = login(alice)
    for path in (
        f"/media/{stored}",
        f"{settings.MEDIA_URL}{stored}",
        "/media/",
        settings.MEDIA_URL,
        f"/static/../media/{stored}",
    ):
        assert client.get(path).status_code == 404, path


def test_it_says_why_a_pending_or_blocked_file_cannot_be_downloaded(alice: Any, login: Any) -> None:
    ticket = submit(alice, files=[("a.txt", TEXT), ("b.txt", TEXT)])
    pending, blocked = ticket.attachments.order_by("id")
    Attachment.objects.filter(pk=pending.pk).update(scan_state=ScanState.PENDING)
    Attachment.objects.filter(pk=blocked.pk).update(scan_state=ScanState.BLOCKED)
    client = login(alice)
    first = client.get(url(ticket, pending))
    assert first.status_code == 409 and 'data-code="scan_pending"' in first.content.decode()
    second = client.get(url(ticket, blocked))
    assert second.status_code == 409 and 'data-code="blocked_by_scanner"' in second.content.decode()
    page = client.get(f"/tickets/{ticket.ref}/").content.decode()
    assert 'data-placeholder="pending"' in page and 'data-placeholder="blocked"' in page
    assert url(ticket, pending) not in page and url(ticket, blocked) not in page


# ---- query budget ------------------------------------------------------------------------------


def test_it_reads_a_thread_full_of_files_in_a_bounded_number_of_queries(
    alice: Any, agent_sam: Any, login: Any, django_assert_max_num_queries: Any
) -> None:
    ticket = submit(alice, files=[("first.png", samples.png())])
    for n in range(12):
        services.add_reply(ticket, f"Reply {n}", actor=alice, files=[(f"{n}.txt", TEXT), (f"{n}.png", samples.png())])
        services.add_reply(ticket, f"Note {n}", actor=agent_sam, internal=True, files=[(f"note{n}.txt", TEXT)])
    customer = login(alice)
    agent = login(agent_sam)
    with django_assert_max_num_queries(13):
        page = customer.get(f"/tickets/{ticket.ref}/")
    assert page.status_code == 200 and page.content.decode().count('class="attachment"') == 25
    with django_assert_max_num_queries(17):
        page = agent.get(f"/agent/tickets/{ticket.ref}/")
    assert page.status_code == 200 and page.content.decode().count('class="attachment"') == 37
