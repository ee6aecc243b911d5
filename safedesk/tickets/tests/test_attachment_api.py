"""Attachments in the REST API: multipart upload as a reply or note, list, details and content
nested under the ticket (both parent and child checked: CASES.md T45), the same refusals as the
pages with nothing stored, and the same download headers."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from safedesk.lib.tests import samples
from safedesk.tickets import services
from safedesk.tickets.models import Attachment, Message, Ticket

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("media_dir")]

URL = "/api/v1/tickets"
TEXT = "充值没有到账\n".encode()


def _ticket(user: Any, files: list[tuple[str, bytes]] = ()) -> Ticket:  # type: ignore[assignment]
    return services.submit_ticket(user, services.TicketInput(subject="Deposit", body="Missing"), files=files)


def _file(name: str, data: bytes) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, data, content_type="application/octet-stream")


def _state(media: Path) -> tuple[int, int, set[str]]:
    return Message.objects.count(), Attachment.objects.count(), samples.files_under(media)


def test_it_uploads_files_as_a_reply_and_lists_them(alice: Any, login: Any, media_dir: Path) -> None:
    ticket = _ticket(alice)
    client = login(alice)
    response = client.post(
        f"{URL}/{ticket.ref}/attachments",
        {"body": "两张截图", "files": [_file("截图.png", samples.png()), _file("log.txt", TEXT)]},
    )
    assert response.status_code == 201, response.content
    message = response.json()
    assert message["kind"] == "public" and message["body"] == "两张截图"
    shot, log = message["attachments"]
    assert (shot["name"], shot["content_type"], shot["size"]) == ("截图.png", "image/png", len(samples.png()))
    assert shot["scan_state"] == "not_scanned" and shot["message"] == message["public_id"]
    assert shot["download_url"] == f"{URL}/{ticket.ref}/attachments/{shot['public_id']}/content"
    assert not any(isinstance(v, int) and k.endswith("id") for k, v in shot.items())
    listed = client.get(f"{URL}/{ticket.ref}/attachments").json()
    assert [a["public_id"] for a in listed] == [shot["public_id"], log["public_id"]]
    detail = client.get(f"{URL}/{ticket.ref}").json()
    assert detail["messages"][-1]["attachments"] == message["attachments"]
    one = client.get(f"{URL}/{ticket.ref}/attachments/{shot['public_id']}").json()
    assert one == shot
    content = client.get(shot["download_url"])
    assert content.status_code == 200
    assert (
        content["Content-Disposition"]
        == "attachment; filename=\"download.png\"; filename*=UTF-8''%E6%88%AA%E5%9B%BE.png"
    )
    assert content["X-Content-Type-Options"] == "nosniff"
    assert content["Content-Security-Policy"] == "sandbox; default-src 'none'"
    assert b"".join(content.streaming_content) == samples.png()


def test_it_keeps_an_agents_note_files_from_the_customer(alice: Any, agent_sam: Any, login: Any) -> None:
    ticket = _ticket(alice, files=[("public.txt", TEXT)])
    agent = login(agent_sam)
    note = agent.post(f"{URL}/{ticket.ref}/attachments", {"internal": "true", "files": [_file("kyc.txt", TEXT)]})
    assert note.status_code == 201 and note.json()["kind"] == "internal"
    [hidden] = note.json()["attachments"]
    customer = login(alice)
    assert [a["name"] for a in customer.get(f"{URL}/{ticket.ref}/attachments").json()] == ["public.txt"]
    for path in (f"/attachments/{hidden['public_id']}", f"/attachments/{hidden['public_id']}/content"):
        response = customer.get(f"{URL}/{ticket.ref}{path}")
        assert response.status_code == 404 and response.json()["code"] == "not_found"
    assert [a["name"] for a in agent.get(f"{URL}/{ticket.ref}/attachments").json()] == ["public.txt", "kyc.txt"]
    # A customer cannot write internal notes, with files or without.
    refused = customer.post(f"{URL}/{ticket.ref}/attachments", {"internal": "true", "files": [_file("x.txt", TEXT)]})
    assert refused.status_code == 403


def test_it_checks_the_ticket_and_the_file_on_nested_routes(alice: Any, bob: Any, login: Any, client: Client) -> None:
    mine = _ticket(alice, files=[("mine.txt", TEXT)])
    theirs = _ticket(bob, files=[("theirs.txt", TEXT)])
    my_file = mine.attachments.get().public_id
    their_file = theirs.attachments.get().public_id
    alice_client = login(alice)
    not_found = {"code": "not_found", "message": "Nothing was found at this address."}
    for path in (
        f"{URL}/{mine.ref}/attachments/{their_file}",  # my ticket, their file
        f"{URL}/{mine.ref}/attachments/{their_file}/content",
        f"{URL}/{theirs.ref}/attachments/{their_file}",  # their ticket
        f"{URL}/{theirs.ref}/attachments/{my_file}",  # their ticket, my file
        f"{URL}/{theirs.ref}/attachments",
        f"{URL}/{mine.ref}/attachments/00000000-0000-0000-0000-000000000000",
        f"{URL}/{mine.ref}/attachments/{mine.attachments.get().pk}",
    ):
        response = alice_client.get(path)
        assert response.status_code == 404 and response.json() == not_found, path
    before = Attachment.objects.count()
    assert alice_client.post(f"{URL}/{theirs.ref}/attachments", {"files": [_file("x.txt", TEXT)]}).status_code == 404
    assert Attachment.objects.count() == before
    assert client.get(f"{URL}/{mine.ref}/attachments/{my_file}").status_code == 401


@pytest.mark.parametrize(
    ("name", "data", "status", "code"),
    [
        ("evil.png", b"\x89PNG\r\n\x1a\n<html><script>alert(1)</script>", 400, "file_active_content"),
        (".htaccess", b"AddType application/x-httpd-php .png", 400, "file_type_not_allowed"),
        ("flood.png", samples.huge_png(50_000, 50_000), 413, "image_too_large"),
        ("links.zip", samples.zip_of({"../x.txt": b"x"}), 400, "zip_unsafe_path"),
    ],
)
def test_it_refuses_bad_files_and_stores_nothing(
    alice: Any, login: Any, media_dir: Path, name: str, data: bytes, status: int, code: str
) -> None:
    ticket = _ticket(alice)
    before = _state(media_dir)
    response = login(alice).post(f"{URL}/{ticket.ref}/attachments", {"body": "x", "files": [_file(name, data)]})
    assert response.status_code == status and response.json()["code"] == code
    assert _state(media_dir) == before


def test_it_refuses_uploads_without_files_or_with_too_many(alice: Any, login: Any, media_dir: Path) -> None:
    ticket = _ticket(alice)
    client = login(alice)
    before = _state(media_dir)
    empty = client.post(f"{URL}/{ticket.ref}/attachments", {"body": "no files"})
    assert empty.status_code == 400 and empty.json()["code"] == "files_required"
    many = client.post(f"{URL}/{ticket.ref}/attachments", {"files": [_file(f"{n}.txt", b"x") for n in range(2000)]})
    assert many.status_code == 400 and many.json()["code"] == "too_many_files"
    assert _state(media_dir) == before


def test_it_refuses_an_oversized_file_with_413(alice: Any, login: Any, media_dir: Path, settings: Any) -> None:
    settings.SAFEDESK_UPLOAD_MAX_FILE_BYTES = 10_000
    ticket = _ticket(alice)
    before = _state(media_dir)
    response = login(alice).post(f"{URL}/{ticket.ref}/attachments", {"files": [_file("big.txt", b"a" * 10_001)]})
    assert response.status_code == 413 and response.json()["code"] == "file_too_large"
    assert _state(media_dir) == before


def test_it_lists_attachments_in_a_bounded_number_of_queries(
    alice: Any, login: Any, django_assert_max_num_queries: Any
) -> None:
    ticket = _ticket(alice, files=[("a.txt", TEXT)])
    for n in range(10):
        services.add_reply(ticket, "more", actor=alice, files=[(f"{n}.txt", TEXT), (f"{n}.png", samples.png())])
    client = login(alice)
    with django_assert_max_num_queries(8):
        assert len(client.get(f"{URL}/{ticket.ref}/attachments").json()) == 21
    with django_assert_max_num_queries(12):
        assert client.get(f"{URL}/{ticket.ref}").status_code == 200
