"""The agent guard's second part (CASES.md B12 T66): staff replies and macros that ask a customer
for remote access to their device, or that link outside the desk and the official domains, are
refused and change nothing; every refusal is audited and emailed to every active supervisor and
administrator (who, which ticket, what kind, when; never the refused text)."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

import pytest
from django.conf import settings
from django_tasks_db.models import DBTaskResult

from safedesk.audit.models import AuditEvent
from safedesk.safety import guard
from safedesk.safety.guard import AgentGuardRefused, asks_for_secret, links_outside
from safedesk.tickets import services
from safedesk.tickets.models import Attachment, Macro, Message, MessageKind

REMOTE_ASKS = [
    "Please install AnyDesk so that I can fix it for you.",
    "Can you share your screen with me on TeamViewer?",
    "Open QuickSupport and give me the ID it shows",
    "Download RustDesk and send me the code",
    "请下载向日葵远程控制软件，我帮您操作",
    "麻烦打开ToDesk，把设备代码发给我",
    "请安装AnyDesk并告诉我连接码",
    "请开启共享屏幕，我看一下您的钱包",
]
REMOTE_FINE = [
    "We will never ask for remote access to your device.",
    "请不要安装任何远程控制软件，客服绝不会要求远程协助。",
    "Never let anyone take over your computer with AnyDesk or TeamViewer.",
]
OUTSIDE = "https://bitpie-help.io/login"


def _written() -> int:
    """Messages people wrote (replies and notes), without the events a reply may add."""
    return Message.objects.exclude(kind=MessageKind.EVENT).count()


def _ticket(alice: Any) -> Any:
    return services.submit_ticket(alice, services.TicketInput(subject="Lost access", body="help"))


@pytest.mark.parametrize("text", REMOTE_ASKS)
def test_it_sees_a_request_for_remote_access(text: str) -> None:
    hit = asks_for_secret(text)
    assert hit is not None and hit.kind == "remote_access"


@pytest.mark.parametrize("text", REMOTE_FINE)
def test_it_lets_warnings_about_remote_access_through(text: str) -> None:
    assert asks_for_secret(text) is None


@pytest.mark.parametrize(
    ("text", "hosts"),
    [
        ("Log in at bitpie-help.io/login to restore it", ["bitpie-help.io"]),
        ("see https://x.y/z and www.foo.com.", ["x.y", "www.foo.com"]),
        ("请访问bitpie-help.io登录", ["bitpie-help.io"]),  # no space around a domain in Chinese text
        ("请访问 bitpie-help。io", ["bitpie-help.io"]),  # the ideographic full stop is a dot to browsers
        ("Open ｂｉｔｐｉｅ．ｉｏ or bitpie-help[.]io", ["bitpie.io", "bitpie-help.io"]),
        ("https://desk.example.com@evil.io/x", ["evil.io"]),  # what is before @ is not the host
        ("打开 钱包.中国 看看", ["xn--uir314m.xn--fiqs8s"]),
        ("Write to recovery@bitpie-help.io", ["bitpie-help.io"]),
        ("Send wallet.log, e.g. from v1.2.3, logged in from 1.2.3.4", []),
    ],
)
def test_it_finds_the_hosts_a_text_links_to(text: str, hosts: list[str]) -> None:
    assert links_outside(text, lambda host: False) == hosts


def test_a_remote_access_reply_is_refused_audited_and_changes_nothing(alice: Any, agent_sam: Any, login: Any) -> None:
    ticket = _ticket(alice)
    before = _written()
    with pytest.raises(AgentGuardRefused) as refused:
        services.reply_as_agent(ticket, services.AgentReply(body=REMOTE_ASKS[0]), actor=agent_sam)
    assert refused.value.code == "agent_guard"
    assert "remote access" in str(refused.value.message)
    [event] = AuditEvent.objects.filter(verb="safety.agent_guard")
    assert event.target_ref == ticket.ref and event.data == {"asked_for": "remote_access", "field": "body"}
    response = login(agent_sam).post(
        f"/agent/tickets/{ticket.ref}/reply/", {"body": REMOTE_ASKS[4]}, HTTP_ACCEPT_LANGUAGE="en"
    )
    assert response.status_code == 400
    assert "remote access" in response.content.decode()
    assert _written() == before
    services.reply_as_agent(ticket, services.AgentReply(body=REMOTE_FINE[0]), actor=agent_sam)
    assert _written() == before + 1


def test_a_link_outside_the_allow_list_is_refused_and_nothing_is_stored(
    alice: Any, agent_sam: Any, login: Any, media_dir: Any
) -> None:
    ticket = _ticket(alice)
    before = _written()
    client = login(agent_sam)
    response = client.post(
        f"/agent/tickets/{ticket.ref}/reply/",
        {"body": f"Please restore your wallet at {OUTSIDE} today.", "files": []},
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert response.status_code == 400
    page = response.content.decode()
    assert "official domains" in page and "bitpie-help.io" in page
    with pytest.raises(AgentGuardRefused) as refused:
        services.add_reply(
            ticket,
            "Use bitpie-help.io or write to help@wallet-support.io",
            actor=agent_sam,
            files=[("steps.txt", b"steps")],
        )
    assert refused.value.code == "agent_guard_link"
    assert "bitpie-help.io, wallet-support.io" in str(refused.value.message)
    assert _written() == before
    assert not Attachment.objects.exists() and not any(p.is_file() for p in media_dir.rglob("*"))
    events = list(AuditEvent.objects.filter(verb="safety.agent_guard_link").order_by("id"))
    assert [e.data for e in events] == [
        {"hosts": ["bitpie-help.io"], "field": "body"},
        {"hosts": ["bitpie-help.io", "wallet-support.io"], "field": "body"},
    ]
    assert all(e.target_ref == ticket.ref and "restore" not in str(e.data) for e in events)
    # An internal note is not for the customer: colleagues may share what a scammer sent.
    services.add_reply(ticket, f"The scammer sent {OUTSIDE}", actor=agent_sam, internal=True)
    assert _written() == before + 1


def test_links_to_the_desk_and_to_the_allow_list_pass(
    alice: Any, agent_sam: Any, supervisor_ada: Any, settings: Any
) -> None:
    settings.SITE_URL = "https://help.safedesk.com.cn"
    settings.SAFEDESK_LINK_ALLOWLIST = ("wallet.example.org",)
    settings.DEFAULT_FROM_EMAIL = "Safedesk <support@safedesk.com.cn>"
    ticket = _ticket(alice)
    before = _written()
    for body in (
        f"See {settings.SITE_URL}/tickets/{ticket.ref}/ for the status.",
        "The guide is at help.safedesk.com.cn/kb/withdrawals",
        "Download the app from https://wallet.example.org/download or www.wallet.example.org.",
        "You can also write to support@safedesk.com.cn (the desk's own address).",
    ):
        services.reply_as_agent(ticket, services.AgentReply(body=body), actor=agent_sam)
    assert _written() == before + 4
    services.create_macro(
        services.MacroInput(name="download", body_en="Get it from https://wallet.example.org/download"),
        shared=True,
        actor=supervisor_ada,
    )
    with pytest.raises(AgentGuardRefused) as refused:
        services.create_macro(
            services.MacroInput(name="phish", body_zh="请到 wallet-example.org 下载"), shared=True, actor=supervisor_ada
        )
    assert refused.value.code == "agent_guard_link"
    assert Macro.objects.count() == 1
    assert not AuditEvent.objects.filter(verb="safety.agent_guard_link", target_ref=ticket.ref).exists()


def test_supervisors_and_admins_are_emailed_about_a_refusal(
    alice: Any,
    agent_sam: Any,
    supervisor_ada: Any,
    admin_root: Any,
    make_user: Any,
    smtp_server: Any,
    run_tasks: Any,
) -> None:
    away = make_user("gone", "supervisor")
    away.is_active = False
    away.save(update_fields=["is_active"])
    ticket = _ticket(alice)
    run_tasks()
    smtp_server.clear()
    refused_text = f"Please install AnyDesk, then log in at {OUTSIDE}"
    with pytest.raises(AgentGuardRefused):
        services.reply_as_agent(ticket, services.AgentReply(body=refused_text), actor=agent_sam)
    # The alert is a job written with the audit event; its arguments are public ids only.
    [job] = DBTaskResult.objects.filter(task_path__endswith="alert_supervisors_of_guard")
    assert "AnyDesk" not in str(job.args_kwargs) and OUTSIDE not in str(job.args_kwargs)
    run_tasks()
    assert sorted(r for m in smtp_server.messages for r in m.rcpt_tos) == sorted(
        [supervisor_ada.email, admin_root.email]
    )
    [mail] = smtp_server.to(supervisor_ada.email)
    assert mail.subject == f"[{ticket.ref}] The agent guard refused a staff message"
    assert agent_sam.email in mail.text and ticket.ref in mail.text
    assert str(guard.EXPLANATIONS["remote_access"]) in mail.text
    assert "Please install" not in mail.text and "bitpie" not in mail.text and "bitpie" not in mail.html
    site = urlsplit(settings.SITE_URL).netloc
    assert mail.links() and all(urlsplit(link).netloc == site for link in mail.links())

    # A link refusal: the email says what kind, and names no host (it is in the audit log).
    smtp_server.clear()
    with pytest.raises(AgentGuardRefused):
        services.reply_as_agent(ticket, services.AgentReply(body=f"Log in at {OUTSIDE}"), actor=agent_sam)
    run_tasks()
    [mail] = smtp_server.to(admin_root.email)
    assert "links outside the help desk" in mail.text and "bitpie" not in mail.text

    # A macro has no ticket: the subject says so, and says nothing a customer wrote.
    smtp_server.clear()
    with pytest.raises(AgentGuardRefused):
        services.create_macro(
            services.MacroInput(name="verify", body_en="Please send the 2FA code you received."),
            shared=False,
            actor=agent_sam,
        )
    run_tasks()
    [mail] = smtp_server.to(supervisor_ada.email)
    assert mail.subject == "The agent guard refused a staff macro"
    assert str(guard.EXPLANATIONS["two_factor"]) in mail.text and "2FA code you received" not in mail.text


def test_the_alert_is_in_each_supervisors_language(
    alice: Any, agent_sam: Any, supervisor_ada: Any, smtp_server: Any, run_tasks: Any
) -> None:
    supervisor_ada.language = "zh-hans"
    supervisor_ada.save(update_fields=["language"])
    ticket = _ticket(alice)
    run_tasks()
    smtp_server.clear()
    with pytest.raises(AgentGuardRefused):
        services.reply_as_agent(ticket, services.AgentReply(body="请提供您的助记词"), actor=agent_sam)
    run_tasks()
    [mail] = smtp_server.to(supervisor_ada.email)
    assert '<html lang="zh-hans">' in mail.html


def test_a_text_naming_many_hosts_keeps_the_audit_event_and_the_refusal_short(alice: Any, agent_sam: Any) -> None:
    ticket = _ticket(alice)
    body = " ".join(f"https://restore{n}.io/" for n in range(25))
    with pytest.raises(AgentGuardRefused) as refused:
        services.reply_as_agent(ticket, services.AgentReply(body=body), actor=agent_sam)
    assert str(refused.value.message).count(".io") == guard.SHOWN_HOSTS
    [event] = AuditEvent.objects.filter(verb="safety.agent_guard_link")
    assert event.data["hosts"] == [f"restore{n}.io" for n in range(services.AUDITED_HOSTS)]
    assert event.data["more_hosts"] == 25 - services.AUDITED_HOSTS


def test_the_same_refusal_again_is_audited_but_emailed_once(
    alice: Any, agent_sam: Any, supervisor_ada: Any, smtp_server: Any, run_tasks: Any
) -> None:
    ticket = _ticket(alice)
    run_tasks()
    smtp_server.clear()
    for _ in range(5):
        with pytest.raises(AgentGuardRefused):
            services.reply_as_agent(ticket, services.AgentReply(body="Send me your seed phrase"), actor=agent_sam)
    run_tasks()
    assert AuditEvent.objects.filter(verb="safety.agent_guard", target_ref=ticket.ref).count() == 5
    assert len(smtp_server.to(supervisor_ada.email)) == 1
