"""Scam reports (issue #4): anyone reports a suspicious channel with where it was seen and a
screenshot; it becomes a ticket in the scam-report category; staff confirm it from the ticket
page and the channel goes on the public known-scam list the verifier answers from. The subject
of the ticket (and so of every email about it) is fixed text, never what was reported."""

from __future__ import annotations

import io
from typing import Any

import pytest
from PIL import Image

from safedesk.audit.models import AuditEvent
from safedesk.lib.errors import Conflict
from safedesk.safety import verifier
from safedesk.safety.models import KnownScam, ReportStatus, ScamReport
from safedesk.tickets.models import Attachment, Category, Message, Ticket

pytestmark = pytest.mark.django_db


def _png() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (8, 8), "red").save(out, format="PNG")
    return out.getvalue()


def test_a_customer_reports_a_fake_number_with_a_screenshot_and_staff_confirm_it(
    alice: Any, agent_sam: Any, login: Any, media_dir: Any
) -> None:
    customer = login(alice)
    screenshot = io.BytesIO(_png())
    screenshot.name = "ad.png"
    response = customer.post(
        "/report-scam/",
        {
            "reported": "+86 138 0013 8000",
            "where_seen": "a search ad",
            "details": "They asked for my 12 words",
            "files": screenshot,
        },
    )
    assert response.status_code == 303, response.content
    ticket = Ticket.objects.get()
    assert ticket.category == Category.SCAM_REPORT
    assert "138" not in ticket.subject  # fixed text, never what was reported
    assert Attachment.objects.filter(message__ticket=ticket).count() == 1
    report = ScamReport.objects.get()
    assert (report.ticket_ref, report.kind, report.value) == (ticket.ref, "phone", "+8613800138000")
    assert verifier.verify("+86 138 0013 8000").status == "unknown"

    agent = login(agent_sam)
    page = agent.get(f"/agent/tickets/{ticket.ref}/").content.decode()
    assert "scam-report" in page and "+86 138" in page
    response = agent.post(f"/agent/tickets/{ticket.ref}/scam-report/", {"decision": "confirm", "note": "fake hotline"})
    assert response.status_code == 303
    report.refresh_from_db()
    assert report.status == ReportStatus.CONFIRMED and report.known_scam is not None
    assert verifier.verify("0086 138-0013-8000").status == "scam"
    assert Message.objects.filter(ticket=ticket, kind="internal").exists()
    assert AuditEvent.objects.filter(verb="safety.scam_report_decided", target_ref=ticket.ref).exists()
    public = login(alice).get("/verify/scams/").content.decode()
    assert "fake hotline" in public
    # Decided once.
    response = agent.post(f"/agent/tickets/{ticket.ref}/scam-report/", {"decision": "reject"})
    assert response.status_code == 409
    assert KnownScam.objects.count() == 1


def test_a_guest_reports_and_the_report_waits_for_the_emailed_link(client: Any, media_dir: Any) -> None:
    response = client.post("/report-scam/", {"email": "guest@example.org", "reported": "bitpie-help.io"})
    assert response.status_code == 303
    ticket = Ticket.objects.get()
    assert ticket.is_held and ticket.category == Category.SCAM_REPORT
    assert ScamReport.objects.get().value == "bitpie-help.io"


def test_a_report_keeps_no_recovery_phrase(alice: Any, login: Any, media_dir: Any) -> None:
    from mnemonic import Mnemonic

    phrase = Mnemonic("english").generate(128)
    login(alice).post("/report-scam/", {"reported": "bitpie-help.io", "where_seen": phrase, "details": phrase})
    report = ScamReport.objects.get()
    ticket = Ticket.objects.get()
    body = Message.objects.get(ticket=ticket).body
    for word in phrase.split()[:4]:
        assert f" {word} " not in f" {report.where_seen} "
    assert phrase not in body and phrase not in report.where_seen


def test_a_report_that_is_no_channel_can_be_rejected_but_not_listed(alice: Any, agent_sam: Any, login: Any) -> None:
    login(alice).post("/report-scam/", {"reported": "someone in a group chat"})
    ticket = Ticket.objects.get()
    report = ScamReport.objects.get()
    assert report.value == ""
    agent = login(agent_sam)
    response = agent.post(f"/agent/tickets/{ticket.ref}/scam-report/", {"decision": "confirm"})
    assert response.status_code == 400
    assert not KnownScam.objects.exists()
    response = agent.post(f"/agent/tickets/{ticket.ref}/scam-report/", {"decision": "reject"})
    assert response.status_code == 303
    report.refresh_from_db()
    assert report.status == ReportStatus.REJECTED


def test_customers_cannot_decide_reports(alice: Any, login: Any) -> None:
    customer = login(alice)
    customer.post("/report-scam/", {"reported": "bitpie-help.io"})
    ticket = Ticket.objects.get()
    response = customer.post(f"/agent/tickets/{ticket.ref}/scam-report/", {"decision": "confirm"})
    assert response.status_code == 403
    assert ScamReport.objects.get().status == ReportStatus.NEW


def test_an_empty_report_is_refused_and_nothing_is_kept(alice: Any, login: Any) -> None:
    response = login(alice).post("/report-scam/", {"reported": "  "})
    assert response.status_code == 400
    assert not Ticket.objects.exists() and not ScamReport.objects.exists()


def test_an_official_channel_reported_as_a_scam_cannot_be_confirmed(
    alice: Any, agent_sam: Any, admin_root: Any, login: Any
) -> None:
    from safedesk.safety import services as safety_services
    from safedesk.tickets import scam_services

    safety_services.add_official_channel(
        safety_services.ChannelInput(kind="domain", value="bitpie.com", label_en="website", label_zh="官网"),
        actor=admin_root,
    )
    login(alice).post("/report-scam/", {"reported": "https://bitpie.com"})
    ticket = Ticket.objects.get()
    with pytest.raises(Conflict):
        scam_services.decide_scam_report(ticket, confirmed=True, actor=agent_sam)
    assert verifier.verify("bitpie.com").status == "official"
