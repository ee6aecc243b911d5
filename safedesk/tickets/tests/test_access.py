"""Who may see which ticket (`selectors.access_ticket`) and the agent inbox: views, filters,
search and keyset pagination."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from safedesk.lib.errors import InvalidInput, NotFound
from safedesk.tickets import selectors, services
from safedesk.tickets.models import Status, Ticket
from safedesk.tickets.selectors import InboxFilter

TX_HASH = "0x5c504ed432cb51138bcf09aa5e8a410dd4a1e204ef84bfed1be16dfba1b22060"
EVM_ADDRESS = "0x52908400098527886E0F7030069857D2E4169EE7"


def _ticket(requester: Any, subject: str = "Deposit not credited", **fields: Any) -> Ticket:
    return services.submit_ticket(
        requester, services.TicketInput(subject=subject, body="I sent coins yesterday.", **fields)
    )


def _guest_ticket(address: str = "guest@example.com") -> Ticket:
    ticket = services.submit_guest_ticket(address, services.TicketInput(subject="Help", body="Locked out."))
    assert ticket is not None
    return ticket


def _refs(page: selectors.Page) -> list[str]:
    return [t.ref for t in page.tickets]


def test_it_shows_customers_only_their_own_tickets(alice: Any, bob: Any, mallory: Any) -> None:
    mine = _ticket(alice)
    assert selectors.access_ticket(alice, mine.ref) == mine
    for other in (bob, mallory):
        with pytest.raises(NotFound):
            selectors.access_ticket(other, mine.ref)


def test_it_gets_a_ticket_for_writing_with_the_same_rules(alice: Any, mallory: Any, agent_sam: Any) -> None:
    mine = _ticket(alice)
    assert selectors.access_ticket(alice, mine.ref, for_write=True) == mine
    assert selectors.access_ticket(agent_sam, mine.ref, for_write=True) == mine
    with pytest.raises(NotFound):
        selectors.access_ticket(mallory, mine.ref, for_write=True)


def test_it_hides_held_guest_tickets_from_everyone(
    mallory: Any, make_user: Callable[..., Any], agent_sam: Any, admin_root: Any
) -> None:
    guest = make_user("guest")
    held = _guest_ticket("guest@example.com")
    assert held.requester == guest and held.is_held
    for user in (mallory, guest, agent_sam, admin_root):
        with pytest.raises(NotFound):
            selectors.access_ticket(user, held.ref)


def test_it_shows_staff_every_confirmed_ticket(alice: Any, bob: Any, agent_sam: Any, supervisor_ada: Any) -> None:
    tickets = [_ticket(alice), _ticket(bob)]
    for staff in (agent_sam, supervisor_ada):
        for ticket in tickets:
            assert selectors.access_ticket(staff, ticket.ref) == ticket


def test_it_accepts_a_lowercase_ref_body(alice: Any) -> None:
    ticket = _ticket(alice)
    assert selectors.access_ticket(alice, "T-" + ticket.ref[2:].lower()) == ticket


@pytest.mark.parametrize(
    "ref",
    [
        "",
        None,
        42,
        "T-",
        "T-123",
        "T-ABCDEFGHJ",
        "X-ABCDEFGH",
        "T-ABC/EFGH",
        "T-ABCD EFG",
        "T-ABCD%EFG",
        ["T-ABCDEFGH"],
    ],
)
def test_it_answers_not_found_for_malformed_refs(alice: Any, agent_sam: Any, ref: Any) -> None:
    _ticket(alice)
    for user in (alice, agent_sam):
        with pytest.raises(NotFound):
            selectors.access_ticket(user, ref)


def test_it_answers_not_found_for_unknown_refs_and_inactive_users(alice: Any, agent_sam: Any) -> None:
    ticket = _ticket(alice)
    with pytest.raises(NotFound):
        selectors.access_ticket(agent_sam, "T-00000000")
    alice.is_active = False
    alice.save()
    with pytest.raises(NotFound):
        selectors.access_ticket(alice, ticket.ref)


def test_it_lists_a_customers_own_confirmed_tickets(alice: Any, bob: Any) -> None:
    mine = [_ticket(alice, f"Question {n}") for n in range(3)]
    _ticket(bob)
    _guest_ticket("alice@example.com")  # held: someone used alice's address as a guest
    page = selectors.customer_tickets(alice)
    assert _refs(page) == [t.ref for t in reversed(mine)]
    assert page.next_after is None


def test_it_splits_the_inbox_into_mine_unassigned_and_all(alice: Any, agent_sam: Any, supervisor_ada: Any) -> None:
    for_sam = _ticket(alice, "For Sam")
    for_ada = _ticket(alice, "For Ada")
    nobody = _ticket(alice, "Nobody's")
    solved = _ticket(alice, "Already solved")
    _guest_ticket()
    services.assign_ticket(for_sam, assignee=agent_sam, actor=supervisor_ada)
    services.assign_ticket(for_ada, assignee=supervisor_ada, actor=supervisor_ada)
    services.change_status(solved, Status.SOLVED, actor=agent_sam)

    assert _refs(selectors.inbox(agent_sam, InboxFilter(view="mine"))) == [for_sam.ref]
    assert _refs(selectors.inbox(supervisor_ada, InboxFilter(view="mine"))) == [for_ada.ref]
    assert _refs(selectors.inbox(agent_sam, InboxFilter(view="unassigned"))) == [nobody.ref]
    # Active statuses by default; done ones on request; held guest tickets never.
    assert _refs(selectors.inbox(agent_sam, InboxFilter(view="all"))) == [nobody.ref, for_ada.ref, for_sam.ref]
    everything = InboxFilter(view="all", statuses=tuple(Status.values))
    assert _refs(selectors.inbox(agent_sam, everything)) == [solved.ref, nobody.ref, for_ada.ref, for_sam.ref]


def test_it_filters_the_inbox_by_status_priority_and_category(alice: Any, agent_sam: Any) -> None:
    deposit = _ticket(alice, "Deposit", category="deposit")
    fees = _ticket(alice, "Fees", category="fees")
    urgent = _ticket(alice, "Account hacked", category="security")
    services.update_fields(urgent, priority="urgent", actor=agent_sam)
    services.change_status(fees, Status.PENDING, actor=agent_sam)

    def refs(**kwargs: Any) -> list[str]:
        return _refs(selectors.inbox(agent_sam, InboxFilter(view="all", **kwargs)))

    assert refs(statuses=("pending",)) == [fees.ref]
    assert refs(statuses=("new", "pending")) == [urgent.ref, fees.ref, deposit.ref]
    assert refs(priority=4) == [urgent.ref]
    assert refs(priority=2) == [fees.ref, deposit.ref]
    assert refs(category="deposit") == [deposit.ref]
    assert refs(category="security", priority=4) == [urgent.ref]
    assert refs(category="deposit", statuses=("pending",)) == []


def test_it_filters_the_inbox_by_tag(alice: Any, agent_sam: Any) -> None:
    vip = _ticket(alice, "VIP")
    vipish = _ticket(alice, "Similar tag")
    plain = _ticket(alice, "Plain")
    services.update_fields(vip, tags=["vip", "refund"], actor=agent_sam)
    services.update_fields(vipish, tags=["vip-lounge"], actor=agent_sam)

    def refs(tag: str) -> list[str]:
        return _refs(selectors.inbox(agent_sam, InboxFilter(view="all", tag=tag)))

    assert refs("vip") == [vip.ref]
    assert refs("refund") == [vip.ref]
    assert refs("vip-lounge") == [vipish.ref]
    assert refs("lounge") == []
    assert plain.ref not in refs("vip")


def test_it_filters_the_inbox_by_a_chinese_tag(alice: Any, agent_sam: Any) -> None:
    refund = _ticket(alice, "Refund")
    services.update_fields(refund, tags=["退款"], actor=agent_sam)
    assert _refs(selectors.inbox(agent_sam, InboxFilter(view="all", tag="退款"))) == [refund.ref]


def test_it_searches_the_inbox_by_subject_ref_and_linked_hash(alice: Any, agent_sam: Any) -> None:
    withdrawal = _ticket(alice, "Withdrawal to Ledger wallet stuck")
    linked = _ticket(alice, "Where are my coins", chain_links=[TX_HASH.upper().replace("0X", "0x")])
    other = _ticket(alice, "Password reset")

    def refs(text: str) -> list[str]:
        return _refs(selectors.inbox(agent_sam, InboxFilter(view="all", text=text)))

    assert refs("ledger") == [withdrawal.ref]
    assert refs("WITHDRAWAL") == [withdrawal.ref]
    assert refs(TX_HASH) == [linked.ref]
    assert refs(TX_HASH.upper().replace("0X", "0x")) == [linked.ref]
    assert refs(other.ref.lower()) == [other.ref]
    assert refs("nothing matches this") == []


def test_it_finds_a_linked_evm_address_whatever_its_case(alice: Any, agent_sam: Any) -> None:
    linked = _ticket(alice, "Sent to the wrong address", chain_links=[EVM_ADDRESS])
    for text in (EVM_ADDRESS, EVM_ADDRESS.lower()):
        assert _refs(selectors.inbox(agent_sam, InboxFilter(view="all", text=text))) == [linked.ref]


def test_it_pages_the_inbox_by_ref_without_overlap(alice: Any, agent_sam: Any) -> None:
    made = [_ticket(alice, f"Ticket {n}") for n in range(7)]
    flt = InboxFilter(view="all")
    seen: list[str] = []
    after = None
    pages = 0
    while True:
        page = selectors.inbox(agent_sam, flt, after=after, limit=3)
        pages += 1
        assert not set(_refs(page)) & set(seen)
        seen += _refs(page)
        if page.next_after is None:
            break
        assert page.next_after == page.tickets[-1].ref
        after = page.next_after
    assert pages == 3
    assert len(page.tickets) == 1
    assert seen == [t.ref for t in reversed(made)]


def test_it_ends_paging_on_an_exactly_full_page(alice: Any, agent_sam: Any) -> None:
    made = [_ticket(alice, f"Ticket {n}") for n in range(4)]
    first = selectors.inbox(agent_sam, InboxFilter(view="all"), limit=2)
    last = selectors.inbox(agent_sam, InboxFilter(view="all"), after=first.next_after, limit=2)
    assert _refs(first) + _refs(last) == [t.ref for t in reversed(made)]
    assert last.next_after is None


@pytest.mark.parametrize("after", ["nonsense", "T-00000000", "T-ABC", 12, "T-ABCD%EFG"])
def test_it_refuses_an_invalid_cursor(alice: Any, agent_sam: Any, after: Any) -> None:
    _ticket(alice)
    with pytest.raises(InvalidInput) as refused:
        selectors.inbox(agent_sam, InboxFilter(view="all"), after=after)
    assert refused.value.code == "invalid_cursor"


@pytest.mark.parametrize("limit", [0, -1, 101, "many"])
def test_it_refuses_an_invalid_page_size(alice: Any, agent_sam: Any, limit: Any) -> None:
    _ticket(alice)
    with pytest.raises(InvalidInput) as refused:
        selectors.inbox(agent_sam, InboxFilter(view="all"), limit=limit)
    assert refused.value.code == "invalid_limit"


def test_it_cleans_inbox_filters_from_query_parameters() -> None:
    flt = selectors.clean_filter({"view": "unassigned", "status": "pending", "priority": "3", "q": "  ledger "})
    assert flt == InboxFilter(view="unassigned", statuses=("pending",), priority=3, text="ledger")
    for params, code in (
        ({"view": "everyone"}, "invalid_view"),
        ({"status": "reopened"}, "invalid_status"),
        ({"priority": "9"}, "invalid_priority"),
        ({"category": "lottery"}, "invalid_category"),
        ({"tag": "x" * 41}, "invalid_tag"),
    ):
        with pytest.raises(InvalidInput) as refused:
            selectors.clean_filter(params)
        assert refused.value.code == code
