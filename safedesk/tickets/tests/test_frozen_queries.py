"""Frozen queries (`safedesk.lib.db.Frozen`): the SQL of a queryset shape is compiled once and
later runs bind new values. Each frozen read of the console must give what the queryset it was
frozen from gives through the ORM, on SQLite and on PostgreSQL."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.db import connection
from django.test.utils import CaptureQueriesContext

from safedesk.accounts.models import Team, User
from safedesk.lib import db as libdb
from safedesk.lib.db import Frozen
from safedesk.tickets import selectors, services
from safedesk.tickets.models import Status, Ticket

pytestmark = pytest.mark.django_db

ROW_FIELDS = ("pk", "ref", "subject", "status", "priority", "category", "created_at", "updated_at", "sla_due_at")


def _row(t: Ticket) -> tuple[Any, ...]:
    """What a list row shows of a ticket and of the people and team attached to it."""
    people = tuple(
        None if p is None else (p.pk, p.public_id, p.email, p.display_name, p.role) for p in (t.requester, t.assignee)
    )
    team = None if t.team is None else (t.team.pk, t.team.public_id, t.team.name)
    return (*(getattr(t, f) for f in ROW_FIELDS), t.sla_breached, people, team)


@pytest.fixture
def desk(alice: Any, bob: Any, agent_sam: Any, make_user: Any) -> dict[str, Any]:
    other = make_user("olga", "agent")
    team = Team.objects.create(name="Payments")
    team.members.add(agent_sam)
    made = []
    for i in range(9):
        customer = alice if i % 2 else bob
        ticket = services.submit_ticket(customer, services.TicketInput(subject=f"提币 {i} stuck", body="Pending."))
        if i % 3 == 0:
            services.assign_ticket(ticket, assignee=agent_sam, team=team, actor=agent_sam)
        elif i % 3 == 1:
            services.assign_ticket(ticket, assignee=other, actor=other)
        if i == 4:
            services.change_status(ticket, "solved", actor=other)
        made.append(ticket)
    return {"sam": agent_sam, "other": other, "team": team, "tickets": made}


def test_it_gives_the_orm_result_for_every_frozen_inbox_shape(desk: dict[str, Any]) -> None:
    sam = desk["sam"]
    for view in selectors._FROZEN_VIEWS:
        for statuses in ((), ("solved",), ("open", "new")):
            flt = selectors.InboxFilter(view=view, statuses=statuses)
            active = statuses or tuple(str(s) for s in selectors.ACTIVE_STATUSES)
            for size in (2, 25):
                frozen = selectors.inbox(sam, flt, limit=size)
                orm = list(selectors._inbox_page_query(view, active, False, size, sam.pk, 0))
                assert [_row(t) for t in frozen.tickets] == [_row(t) for t in orm[:size]], (view, statuses, size)
                assert frozen.next_after == (orm[size - 1].ref if len(orm) > size else None)
                if frozen.next_after:
                    after = Ticket.objects.get(ref=frozen.next_after).pk
                    second = selectors.inbox(sam, flt, after=frozen.next_after, limit=size)
                    orm2 = list(selectors._inbox_page_query(view, active, True, size, sam.pk, after))
                    assert [_row(t) for t in second.tickets] == [_row(t) for t in orm2[:size]]
    # Some views must have had rows, or the comparison above compared empty lists only.
    assert len(selectors.inbox(sam, selectors.InboxFilter(view="all")).tickets) == 8
    assert len(selectors.inbox(sam, selectors.InboxFilter(view="mine")).tickets) == 3
    assert len(selectors.inbox(sam, selectors.InboxFilter(view="team")).tickets) == 3
    assert len(selectors.inbox(sam, selectors.InboxFilter(view="unassigned")).tickets) == 3


def test_it_compiles_a_shape_once_and_reads_it_in_one_query(desk: dict[str, Any]) -> None:
    sam, other = desk["sam"], desk["other"]
    flt = selectors.InboxFilter(view="mine")
    selectors.inbox(sam, flt)
    before = selectors._inbox_pages.compilations
    with CaptureQueriesContext(connection) as ctx:
        mine = selectors.inbox(sam, flt)
        theirs = selectors.inbox(other, flt)  # the same shape, another viewer bound into it
    assert selectors._inbox_pages.compilations == before
    assert len(ctx.captured_queries) == 2
    assert {t.assignee_id for t in mine.tickets} == {sam.pk}
    assert {t.assignee_id for t in theirs.tickets} == {other.pk}
    # The statuses of a shape are a set: another order or a repeat is the same compiled shape.
    selectors.inbox(sam, selectors.InboxFilter(view="mine", statuses=("open", "new")))
    compiled = selectors._inbox_pages.compilations
    selectors.inbox(sam, selectors.InboxFilter(view="mine", statuses=("new", "open", "new")))
    assert selectors._inbox_pages.compilations == compiled


def test_it_leaves_unloaded_fields_deferred_and_loads_them_on_access(desk: dict[str, Any]) -> None:
    ticket = selectors.inbox(desk["sam"], selectors.InboxFilter(view="mine")).tickets[0]
    deferred = ticket.get_deferred_fields()
    assert "merged_into_id" in deferred and "ref" not in deferred
    with CaptureQueriesContext(connection) as ctx:
        assert ticket.merged_into_id is None
    assert len(ctx.captured_queries) == 1
    assert ticket._state.adding is False and ticket._state.db == "default"
    # An instance from a frozen query saves like one from the ORM.
    ticket.subject = "renamed"
    ticket.save(update_fields=["subject"])
    assert Ticket.objects.get(pk=ticket.pk).subject == "renamed"


def test_it_reads_the_console_menus_and_side_lists_like_the_orm(desk: dict[str, Any], alice: Any) -> None:
    sam = desk["sam"]
    assert selectors.staff_options() == list(User.objects.active_staff().values_list("public_id", "email"))
    assert selectors.team_options() == [(desk["team"].public_id, "Payments")]
    assert [(u.pk, u.email, u.availability) for u in selectors.assignee_choices()] == [
        (u.pk, u.email, u.availability) for u in User.objects.active_staff()
    ]
    ticket = desk["tickets"][1]
    others = selectors.other_tickets_of(ticket, limit=3)
    expected = list(
        Ticket.objects.filter(requester=ticket.requester, confirmed_at__isnull=False)
        .exclude(pk=ticket.pk)
        .order_by("-id")[:3]
    )
    assert [(t.ref, t.subject, t.status) for t in others] == [(t.ref, t.subject, t.status) for t in expected]
    assert len(others) == 3
    assert selectors.other_tickets_of(ticket, limit=1)[0].ref == expected[0].ref
    assert selectors.saved_views_for(sam) == []
    assert selectors.saved_views_for(alice) == []


def test_it_reads_a_ticket_for_its_page_like_the_orm(desk: dict[str, Any], alice: Any, bob: Any) -> None:
    from safedesk.lib.errors import NotFound

    mine = desk["tickets"][1]  # alice's, assigned to olga
    assert mine.requester_id == alice.pk
    for viewer in (desk["sam"], alice):
        for related in (selectors.TICKET_RELATED, selectors.AGENT_PAGE_RELATED, ()):
            got = selectors.access_ticket(viewer, mine.ref, related=related)
            want = Ticket.objects.select_related(*related).get(pk=mine.pk)
            assert _row(got) == _row(want)
            assert got.__dict__.keys() >= {f.attname for f in Ticket._meta.concrete_fields}
            assert set(got._state.fields_cache) == set(want._state.fields_cache)
    # the customer shape filters by requester: bob is refused alice's ticket, as any probe is
    with pytest.raises(NotFound):
        selectors.access_ticket(bob, mine.ref)
    # the write path locks through the ORM and gives the same row
    from django.db import transaction

    with transaction.atomic():
        locked = selectors.access_ticket(desk["sam"], mine.ref, for_write=True)
    assert _row(locked) == _row(selectors.access_ticket(desk["sam"], mine.ref))


def test_it_refuses_slots_it_cannot_bind() -> None:
    with pytest.raises(ImproperlyConfigured):
        Frozen(lambda when: Ticket.objects.filter(created_at__lt=when), float)(1.0)
    # A value the ORM transforms on its way to the SQL never reaches it as the marker.
    lost: Frozen[Ticket] = Frozen(lambda n: Ticket.objects.filter(subject__icontains=n), str)
    with pytest.raises(ImproperlyConfigured):
        lost("x")
    # A slot on a column too narrow for the marker (a small integer) cannot be bound either.
    narrow: Frozen[Ticket] = Frozen(lambda p: Ticket.objects.filter(priority=p), int)
    with pytest.raises(ImproperlyConfigured):
        narrow(2)
    frozen: Frozen[Ticket] = Frozen(lambda pk: Ticket.objects.filter(pk=pk), int)
    with pytest.raises(TypeError):
        frozen("1")
    assert frozen(-1) == []


def test_it_keeps_a_bounded_number_of_shapes(desk: dict[str, Any], monkeypatch: Any) -> None:
    monkeypatch.setattr(libdb, "MAX_SHAPES", 2)
    frozen: Frozen[Ticket] = Frozen(lambda size, pk: Ticket.objects.filter(pk__gt=pk).order_by("id")[:size], int)
    for size in (1, 2, 3, 4):
        assert len(frozen(0, key=size, build_args=(size,))) == size
    assert len(frozen._compiled) == 2 and frozen.compilations == 4
    frozen(0, key=4, build_args=(4,))
    assert frozen.compilations == 5  # not kept: compiled again
    frozen(0, key=1, build_args=(1,))
    assert frozen.compilations == 5  # kept


def test_it_reads_statuses_with_their_labels(desk: dict[str, Any]) -> None:
    solved = selectors.inbox(desk["sam"], selectors.InboxFilter(view="all", statuses=("solved",))).tickets
    assert [t.get_status_display() for t in solved] == [Status.SOLVED.label]
