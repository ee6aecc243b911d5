"""The malware-scanner hook (CASES.md T19): off by default; with a scanner configured every new
file waits for it and is not served; infected files are blocked (bytes deleted, a placeholder
in the thread); a scanner outage keeps files pending until the periodic rescan gets an answer."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from safedesk.audit.models import AuditEvent
from safedesk.jobs.periodic import registered
from safedesk.lib import uploads
from safedesk.lib.tests import samples
from safedesk.lib.tests.scanners import EICAR, FlakyScanner
from safedesk.tickets import services
from safedesk.tickets.models import Attachment, ScanState, Ticket

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("media_dir")]

EICAR_SCANNER = "safedesk.lib.tests.scanners.EicarScanner"
DOWN_SCANNER = "safedesk.lib.tests.scanners.DownScanner"
FLAKY_SCANNER = "safedesk.lib.tests.scanners.FlakyScanner"


@pytest.fixture
def flaky() -> Iterator[type[FlakyScanner]]:
    FlakyScanner.up = False
    yield FlakyScanner
    FlakyScanner.up = False


def _ticket(user: Any) -> Ticket:
    return services.submit_ticket(user, services.TicketInput(subject="Deposit", body="Missing"))


def _url(ticket: Ticket, attachment: Attachment) -> str:
    return f"/tickets/{ticket.ref}/files/{attachment.public_id}/"


def test_it_serves_files_unscanned_when_no_scanner_is_configured(alice: Any, login: Any, settings: Any) -> None:
    assert settings.SAFEDESK_UPLOAD_SCANNER == ""
    assert uploads.scanner() is None
    ticket = _ticket(alice)
    services.add_reply(ticket, "test file", actor=alice, files=[("eicar.txt", EICAR)])
    attachment = Attachment.objects.get()
    assert attachment.scan_state == ScanState.NOT_SCANNED
    assert login(alice).get(_url(ticket, attachment)).status_code == 200


def test_it_blocks_the_eicar_file_from_the_portal_and_shows_a_placeholder(
    alice: Any,
    agent_sam: Any,
    login: Any,
    settings: Any,
    media_dir: Path,
    run_tasks: Callable[[], int],
    django_capture_on_commit_callbacks: Any,
) -> None:
    settings.SAFEDESK_UPLOAD_SCANNER = EICAR_SCANNER
    ticket = _ticket(alice)
    customer = login(alice)
    response = customer.post(
        f"/tickets/{ticket.ref}/reply/",
        {
            "body": "two files",
            "files": [
                SimpleUploadedFile("eicar.txt", EICAR, content_type="text/plain"),
                SimpleUploadedFile("shot.png", samples.png(), content_type="image/png"),
            ],
        },
    )
    assert response.status_code == 303
    infected, clean = Attachment.objects.order_by("id")
    # Until the scanner has answered, neither file is served.
    assert infected.scan_state == clean.scan_state == ScanState.PENDING
    for row in (infected, clean):
        held = customer.get(_url(ticket, row))
        assert held.status_code == 409 and 'data-code="scan_pending"' in held.content.decode()
    # The bytes of a blocked file are deleted once its new state is committed.
    with django_capture_on_commit_callbacks(execute=True):
        assert run_tasks() >= 2
    infected.refresh_from_db()
    clean.refresh_from_db()
    assert infected.scan_state == ScanState.BLOCKED and infected.scan_signature == "Eicar-Test-Signature"
    assert clean.scan_state == ScanState.CLEAN
    # The infected bytes are gone; the clean file is served.
    assert samples.files_under(media_dir) == {clean.storage_name}
    assert customer.get(_url(ticket, clean)).status_code == 200
    blocked = login(agent_sam).get(_url(ticket, infected))
    assert blocked.status_code == 409 and 'data-code="blocked_by_scanner"' in blocked.content.decode()
    page = login(agent_sam).get(f"/agent/tickets/{ticket.ref}/").content.decode()
    assert 'data-placeholder="blocked"' in page and "Blocked by scanner" in page
    assert _url(ticket, infected) not in page and _url(ticket, clean) in page
    [event] = AuditEvent.objects.filter(verb="ticket.attachment_blocked")
    assert event.target_ref == ticket.ref and event.data["signature"] == "Eicar-Test-Signature"
    assert AuditEvent.objects.filter(verb="ticket.attachment_scanned").count() == 1


def test_it_blocks_the_eicar_file_from_the_api(
    alice: Any, login: Any, settings: Any, run_tasks: Callable[[], int]
) -> None:
    settings.SAFEDESK_UPLOAD_SCANNER = EICAR_SCANNER
    ticket = _ticket(alice)
    client = login(alice)
    created = client.post(
        f"/api/v1/tickets/{ticket.ref}/attachments", {"files": [SimpleUploadedFile("eicar.com.txt", EICAR)]}
    ).json()
    [pending] = created["attachments"]
    assert pending["scan_state"] == "pending" and pending["download_url"] is None
    run_tasks()
    after = client.get(f"/api/v1/tickets/{ticket.ref}/attachments/{pending['public_id']}").json()
    assert after["scan_state"] == "blocked" and after["download_url"] is None
    content = client.get(f"/api/v1/tickets/{ticket.ref}/attachments/{pending['public_id']}/content")
    assert content.status_code == 409 and content.json()["code"] == "blocked_by_scanner"


def test_it_holds_files_while_the_scanner_is_down(
    alice: Any, login: Any, settings: Any, media_dir: Path, run_tasks: Callable[[], int]
) -> None:
    settings.SAFEDESK_UPLOAD_SCANNER = DOWN_SCANNER
    ticket = _ticket(alice)
    services.add_reply(ticket, "file", actor=alice, files=[("a.txt", b"hello")])
    run_tasks()
    attachment = Attachment.objects.get()
    assert attachment.scan_state == ScanState.PENDING and attachment.scanned_at is None
    assert samples.files_under(media_dir) == {attachment.storage_name}
    response = login(alice).get(_url(ticket, attachment))
    assert response.status_code == 409
    page = login(alice).get(f"/tickets/{ticket.ref}/").content.decode()
    assert 'data-placeholder="pending"' in page and _url(ticket, attachment) not in page


def test_it_rescans_pending_files_when_the_scanner_is_back(
    alice: Any, login: Any, settings: Any, flaky: type[FlakyScanner], run_tasks: Callable[[], int]
) -> None:
    settings.SAFEDESK_UPLOAD_SCANNER = FLAKY_SCANNER
    ticket = _ticket(alice)
    services.add_reply(ticket, "files", actor=alice, files=[("ok.txt", b"hello"), ("eicar.txt", EICAR)])
    run_tasks()
    assert set(Attachment.objects.values_list("scan_state", flat=True)) == {ScanState.PENDING}
    assert services.rescan_pending() == 0  # still down
    flaky.up = True
    assert services.rescan_pending() == 2
    states = dict(Attachment.objects.values_list("original_name", "scan_state"))
    assert states == {"ok.txt": ScanState.CLEAN, "eicar.txt": ScanState.BLOCKED}
    assert services.rescan_pending() == 0  # nothing is scanned twice
    assert "tickets.rescan_attachments" in {job.name for job in registered()}


def test_it_stops_holding_files_when_scanning_is_turned_off(alice: Any, settings: Any) -> None:
    settings.SAFEDESK_UPLOAD_SCANNER = DOWN_SCANNER
    ticket = _ticket(alice)
    services.add_reply(ticket, "file", actor=alice, files=[("a.txt", b"hello")])
    settings.SAFEDESK_UPLOAD_SCANNER = ""
    assert services.rescan_pending() == 1
    assert Attachment.objects.get().scan_state == ScanState.NOT_SCANNED
