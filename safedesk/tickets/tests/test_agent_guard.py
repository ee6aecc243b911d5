"""The agent guard (CASES.md B12 T66): a public reply or macro that asks the customer for a
recovery phrase, private key, password or 2FA code is refused with the reason and changes
nothing; the attempt is an audit event (what was asked for, never the text); warnings that
tell the customer never to share these pass."""

from __future__ import annotations

from typing import Any

import pytest

from safedesk.audit.models import AuditEvent
from safedesk.safety.guard import AgentGuardRefused, asks_for_secret
from safedesk.tickets import services
from safedesk.tickets.models import Macro, Message

ASKS = [
    ("Please send us your 12 words so we can restore the wallet.", "recovery_phrase"),
    ("To verify the account, reply with your recovery phrase", "recovery_phrase"),
    ("What is your seed phrase?", "recovery_phrase"),
    ("请提供您的助记词，我们帮您找回资产", "recovery_phrase"),
    ("麻烦把私钥发给我核对一下", "private_key"),
    ("Enter your private key in the form below", "private_key"),
    ("Please tell me your login password", "password"),
    ("请告诉我您的交易密码", "password"),
    ("Send me the 2FA code you just received", "two_factor"),
    ("请把短信验证码发给我", "two_factor"),
    ("Kindly provide the Google Authenticator code", "two_factor"),
]
FINE = [
    "We will never ask for your recovery phrase. Do not share it with anyone.",
    "请不要把助记词告诉任何人，客服绝不会索要。",
    "You can reset your password from the sign-in page.",
    "请在登录页面重置密码。",
    "Your withdrawal was sent; the transaction id is in the email.",
    "Never type your private key into a website.",
    "我们已收到您的提币申请，请耐心等待。",
]


@pytest.mark.parametrize(("text", "kind"), ASKS)
def test_it_sees_a_request_for_a_secret(text: str, kind: str) -> None:
    hit = asks_for_secret(text)
    assert hit is not None and hit.kind == kind


@pytest.mark.parametrize("text", FINE)
def test_it_lets_warnings_and_ordinary_replies_through(text: str) -> None:
    assert asks_for_secret(text) is None


def test_a_reply_asking_for_the_phrase_is_refused_changes_nothing_and_is_audited(
    alice: Any, agent_sam: Any, login: Any
) -> None:
    ticket = services.submit_ticket(alice, services.TicketInput(subject="Lost access", body="help"))
    before = Message.objects.count()
    with pytest.raises(AgentGuardRefused) as refused:
        services.reply_as_agent(
            ticket, services.AgentReply(body="Please send your 24 words to restore it."), actor=agent_sam
        )
    assert refused.value.code == "agent_guard"
    assert Message.objects.count() == before
    [event] = AuditEvent.objects.filter(verb="safety.agent_guard")
    assert event.target_ref == ticket.ref and event.data == {"asked_for": "recovery_phrase", "field": "body"}
    assert "24 words" not in str(event.data)
    # Over HTTP: a clear 400 with the reason, in the console's language.
    response = login(agent_sam).post(
        f"/agent/tickets/{ticket.ref}/reply/", {"body": "请提供您的助记词"}, HTTP_ACCEPT_LANGUAGE="en"
    )
    assert response.status_code == 400
    assert "recovery phrase" in response.content.decode()
    assert Message.objects.count() == before
    # An internal note may quote what a customer was asked by someone else.
    services.reply_as_agent(
        ticket, services.AgentReply(body="Scammer told them: send your seed phrase", internal=True), actor=agent_sam
    )
    assert Message.objects.count() == before + 1


def test_a_macro_asking_for_a_code_cannot_be_saved(supervisor_ada: Any) -> None:
    with pytest.raises(AgentGuardRefused):
        services.create_macro(
            services.MacroInput(name="verify", body_en="Please send the 2FA code you received.", body_zh=""),
            shared=True,
            actor=supervisor_ada,
        )
    assert not Macro.objects.exists()
    assert AuditEvent.objects.filter(verb="safety.agent_guard", data__asked_for="two_factor").count() == 1
