"""The optional files origin (CASES.md T16): with SAFEDESK_FILES_ORIGIN set, downloads are
redirected to short-lived links on that other host, bound to the user and the file and checked
again there; that host serves nothing else, and the desk's host does not serve those links. A
system check warns in scale-out mode when no files origin is set."""

from __future__ import annotations

import dataclasses
from datetime import timedelta
from typing import Any
from urllib.parse import urlsplit

import pytest
import time_machine
from django.conf import settings as django_settings
from django.test import Client
from django.utils import timezone

from safedesk.lib import checks
from safedesk.lib.tests import samples
from safedesk.tickets import services
from safedesk.tickets.models import Attachment, Ticket

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("media_dir")]

FILES_HOST = "files.safedesk-usercontent.test"


@pytest.fixture
def files_origin(settings: Any) -> str:
    settings.SAFEDESK_FILES_ORIGIN = f"http://{FILES_HOST}"
    settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, FILES_HOST]
    return str(settings.SAFEDESK_FILES_ORIGIN)


def _ticket(user: Any) -> tuple[Ticket, Attachment]:
    ticket = services.submit_ticket(
        user, services.TicketInput(subject="Deposit", body="Missing"), files=[("收据.pdf", samples.pdf())]
    )
    return ticket, ticket.attachments.get()


def _link(client: Client, ticket: Ticket, attachment: Attachment) -> str:
    response = client.get(f"/tickets/{ticket.ref}/files/{attachment.public_id}/")
    assert response.status_code == 302, response.content
    assert response["Cache-Control"] == "private, no-store"
    return str(response["Location"])


def _fetch(link: str) -> Any:
    parts = urlsplit(link)
    return Client().get(parts.path, HTTP_HOST=parts.netloc)


def test_it_redirects_downloads_to_a_signed_link_on_the_files_origin(alice: Any, login: Any, files_origin: str) -> None:
    ticket, attachment = _ticket(alice)
    link = _link(login(alice), ticket, attachment)
    assert link.startswith(files_origin + "/files/t/")
    assert str(attachment.public_id) not in link  # signed, not readable as an address
    response = _fetch(link)  # no cookies: the files origin knows nobody
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"].startswith("attachment; ")
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Content-Security-Policy"] == "sandbox; default-src 'none'"
    served = b"".join(response.streaming_content)
    assert served.startswith(b"%PDF-") and len(served) == attachment.size


def test_it_checks_the_user_and_the_file_again_on_the_files_origin(
    alice: Any, login: Any, agent_sam: Any, files_origin: str
) -> None:
    ticket, attachment = _ticket(alice)
    link = _link(login(alice), ticket, attachment)
    tampered = link.replace("/files/t/", "/files/t/x")
    assert _fetch(tampered).status_code == 404
    # A link expires after SAFEDESK_FILES_URL_SECONDS.
    with time_machine.travel(timezone.now() + timedelta(seconds=django_settings.SAFEDESK_FILES_URL_SECONDS + 5)):
        assert _fetch(link).status_code == 404
    # A link stops working when its user can no longer see the file.
    agent_link = _link(login(agent_sam), ticket, attachment)
    assert _fetch(agent_link).status_code == 200
    agent_sam.is_active = False
    agent_sam.save()
    assert _fetch(agent_link).status_code == 404


def test_it_serves_only_signed_links_on_the_files_origin(alice: Any, login: Any, files_origin: str) -> None:
    ticket, attachment = _ticket(alice)
    link = _link(login(alice), ticket, attachment)
    on_files_host = Client(HTTP_HOST=FILES_HOST)
    for path in ("/", "/tickets/new/", f"/tickets/{ticket.ref}/", "/api/v1/tickets", "/admin/"):
        response = on_files_host.get(path)
        assert response.status_code == 404 and response.content == b"", path
    # The signed link is no good on the desk's own host.
    assert login(alice).get(urlsplit(link).path).status_code == 404


def test_it_answers_404_for_files_links_without_a_files_origin(alice: Any, login: Any) -> None:
    ticket, attachment = _ticket(alice)
    assert login(alice).get("/files/t/anything/").status_code == 404
    assert login(alice).get(f"/tickets/{ticket.ref}/files/{attachment.public_id}/").status_code == 200


def test_it_warns_in_scaleout_without_a_files_origin() -> None:
    config = django_settings.CONFIG
    scaleout = dataclasses.replace(config, mode="scaleout", files_origin="")
    assert [p.id for p in checks._files_origin_problems(scaleout)] == ["safedesk.W002"]
    assert checks._files_origin_problems(dataclasses.replace(config, mode="embedded", files_origin="")) == []
    good = dataclasses.replace(
        config, mode="scaleout", site_url="https://help.exchange.example", files_origin="https://exchange-files.example"
    )
    assert checks._files_origin_problems(good) == []
    same = dataclasses.replace(good, files_origin="https://help.exchange.example")
    assert [p.id for p in checks._files_origin_problems(same)] == ["safedesk.E004"]
    sub = dataclasses.replace(good, files_origin="https://files.exchange.example")
    assert [p.id for p in checks._files_origin_problems(sub)] == ["safedesk.W003"]
