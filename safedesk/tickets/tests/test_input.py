"""Bad input changes nothing: every refusal has a stable code and leaves no rows behind."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest

from safedesk.accounts.models import User
from safedesk.audit.models import AuditEvent
from safedesk.lib.errors import InvalidInput
from safedesk.tickets import services
from safedesk.tickets.models import ChainLink, Message, Priority, Ticket
from safedesk.tickets.services import TicketInput

EVM_TX = "0x5c504ed432cb51138bcf09aa5e8a410dd4a1e204ef84bfed1be16dfba1b22060"
BTC_TX = "a1075db55d416d3ca199f55b6084e2115b9345e16c5cf302fc80e9d5fbf5d48d"
EVM_ADDRESS = "0x52908400098527886E0F7030069857D2E4169EE7"
BTC_LEGACY = "1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNa"
BECH32 = "bc1qar0srrr7xfkvy5l643lydnw9re59gtzzwf5mdq"
TRON = "TR7NHqjeKQxGTCi8q8ZY4pL8otSzgjLj6t"
SOLANA = "So11111111111111111111111111111111111111112"

GOOD = {"subject": "Withdrawal pending", "body": "My withdrawal has been pending since Monday."}


def _counts() -> tuple[int, int, int, int]:
    return (Ticket.objects.count(), Message.objects.count(), ChainLink.objects.count(), AuditEvent.objects.count())


@contextmanager
def _refused(code: str) -> Iterator[None]:
    before = _counts()
    users = User.objects.count()
    with pytest.raises(InvalidInput) as refused:
        yield
    assert refused.value.code == code
    assert _counts() == before
    assert User.objects.count() == users


def _input(**changes: Any) -> TicketInput:
    return TicketInput(**{**GOOD, **changes})


BAD_TICKETS: list[tuple[dict[str, Any], str]] = [
    ({"subject": ""}, "required"),
    ({"subject": "   \n\t "}, "required"),
    ({"subject": "x" * 201}, "too_long"),
    ({"body": ""}, "required"),
    ({"body": "x" * 20_001}, "too_long"),
    ({"subject": "Help\x00me"}, "invalid_characters"),
    ({"body": "Please\x00help"}, "invalid_characters"),
    ({"body": "broken \ud800 surrogate"}, "invalid_characters"),
    ({"body": "bad \ufffd bytes"}, "invalid_encoding"),
    ({"subject": None}, "invalid_input"),
    ({"subject": 42}, "invalid_input"),
    ({"subject": ["Help"]}, "invalid_input"),
    ({"body": {"text": "Help"}}, "invalid_input"),
    ({"body": b"bytes"}, "invalid_input"),
    ({"category": "lottery"}, "invalid_category"),
    ({"category": ["deposit"]}, "invalid_category"),
    ({"language": "fr"}, "invalid_lang"),
    ({"chain_links": ["0x123"]}, "invalid_chain_link"),
    ({"chain_links": [EVM_TX, "0x123"]}, "invalid_chain_link"),
    ({"chain_links": ["my wallet"]}, "invalid_chain_link"),
    ({"chain_links": [BTC_LEGACY[:-1] + "b"]}, "invalid_chain_link"),
    ({"chain_links": ["0x" + "a" * 200]}, "invalid_chain_link"),
    ({"chain_links": [EVM_TX, 42]}, "invalid_input"),
    ({"chain_links": {"tx": EVM_TX}}, "invalid_list"),
    ({"chain_links": [f"0x{n:064x}" for n in range(11)]}, "too_many_chain_links"),
]


@pytest.mark.parametrize(("changes", "code"), BAD_TICKETS)
def test_it_refuses_bad_customer_tickets_and_stores_nothing(alice: Any, changes: dict[str, Any], code: str) -> None:
    with _refused(code):
        services.submit_ticket(alice, _input(**changes))


@pytest.mark.parametrize(("changes", "code"), BAD_TICKETS)
def test_it_refuses_bad_guest_tickets_and_stores_nothing(db: Any, changes: dict[str, Any], code: str) -> None:
    with _refused(code):
        services.submit_guest_ticket("newcomer@example.com", _input(**changes))
    assert not User.objects.filter(email="newcomer@example.com").exists()


@pytest.mark.parametrize(
    ("address", "code"),
    [
        ("not-an-email", "invalid_email"),
        ("a@", "invalid_email"),
        ("@example.com", "invalid_email"),
        ("a b@example.com", "invalid_email"),
        ("alice@exa mple.com", "invalid_email"),
        ("", "required"),
        ("x" * 250 + "@example.com", "too_long"),
        ("a\x00b@example.com", "invalid_characters"),
        (None, "invalid_input"),
        (7, "invalid_input"),
        (["alice@example.com"], "invalid_input"),
    ],
)
def test_it_refuses_an_invalid_guest_email(db: Any, address: Any, code: str) -> None:
    with _refused(code):
        services.submit_guest_ticket(address, _input())


def test_it_refuses_header_injection_in_a_guest_email(db: Any) -> None:
    with _refused("invalid_email"):
        services.submit_guest_ticket("victim@example.com\r\nBcc: many@example.com", _input())


@pytest.mark.parametrize(
    ("field", "value", "code"),
    [
        ("priority", "whenever", "invalid_priority"),
        ("priority", 9, "invalid_priority"),
        ("priority", 0, "invalid_priority"),
        ("tags", [f"tag{n}" for n in range(21)], "too_many_tags"),
        ("tags", ["x" * 41], "too_long"),
        ("tags", [1], "invalid_input"),
        ("tags", {"a": 1}, "invalid_list"),
    ],
)
def test_it_refuses_bad_agent_fields_and_stores_nothing(
    alice: Any, agent_sam: Any, field: str, value: Any, code: str
) -> None:
    with _refused(code):
        services.create_ticket_for_customer("alice@example.com", _input(**{field: value}), actor=agent_sam)
    ticket = services.submit_ticket(alice, _input())
    with _refused(code):
        services.update_fields(ticket, actor=agent_sam, **{field: value})
    stored = Ticket.objects.get(pk=ticket.pk)
    assert (stored.priority, stored.tags) == (Priority.NORMAL, [])


def test_it_refuses_bad_replies_and_stores_nothing(alice: Any, agent_sam: Any) -> None:
    ticket = services.submit_ticket(alice, _input())
    for body, code in (
        ("", "required"),
        ("x" * 20_001, "too_long"),
        ("a\x00b", "invalid_characters"),
        (5, "invalid_input"),
    ):
        for actor in (alice, agent_sam):
            with _refused(code):
                services.add_reply(ticket, body, actor=actor)
    assert Ticket.objects.get(pk=ticket.pk).message_count == 1


def test_it_accepts_the_limits_exactly(alice: Any) -> None:
    ticket = services.submit_ticket(alice, _input(subject="s" * 200, body="b" * 20_000))
    assert len(ticket.subject) == 200
    assert len(Message.objects.get(ticket=ticket).body) == 20_000


def test_it_cleans_what_it_stores(alice: Any) -> None:
    ticket = services.submit_ticket(
        alice, _input(subject="  Deposit\n missing \u202e ", body="  Line one\r\nLine two  ", category="")
    )
    assert ticket.subject == "Deposit missing"
    assert Message.objects.get(ticket=ticket).body == "Line one\nLine two"
    assert ticket.category == "other"


def test_it_ignores_priority_and_tags_from_customers(alice: Any) -> None:
    ticket = services.submit_ticket(alice, _input(priority="urgent", tags=["vip"]))
    assert (ticket.priority, ticket.tags) == (Priority.NORMAL, [])


def test_it_stores_valid_chain_links_with_kind_and_network(alice: Any) -> None:
    links = [EVM_TX.upper().replace("0X", "0x"), BTC_TX, EVM_ADDRESS, BTC_LEGACY, BECH32.upper(), TRON, SOLANA, ""]
    ticket = services.submit_ticket(alice, _input(chain_links=links))
    stored = [(c.kind, c.network, c.value) for c in ChainLink.objects.filter(ticket=ticket).order_by("id")]
    assert stored == [
        ("tx", "evm", EVM_TX),
        ("tx", "", BTC_TX),
        ("address", "evm", EVM_ADDRESS.lower()),
        ("address", "bitcoin", BTC_LEGACY),
        ("address", "bitcoin", BECH32),
        ("address", "tron", TRON),
        ("address", "solana", SOLANA),
    ]
    [event] = AuditEvent.objects.filter(verb="ticket.created", target_ref=ticket.ref)
    assert event.actor == alice


def test_it_accepts_links_one_per_line_and_drops_duplicates(alice: Any) -> None:
    ticket = services.submit_ticket(
        alice, _input(chain_links=f"  {EVM_TX}\n{TRON}\n\n{EVM_TX.upper().replace('0X', '0x')}\n")
    )
    assert sorted(ChainLink.objects.filter(ticket=ticket).values_list("value", flat=True)) == sorted([EVM_TX, TRON])


def test_it_accepts_ten_links_but_not_eleven(alice: Any) -> None:
    ten = [f"0x{n:064x}" for n in range(10)]
    ticket = services.submit_ticket(alice, _input(chain_links=ten))
    assert ChainLink.objects.filter(ticket=ticket).count() == 10
    with _refused("too_many_chain_links"):
        services.submit_ticket(alice, _input(chain_links=[*ten, BTC_LEGACY]))
