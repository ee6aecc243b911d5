"""Macros: bilingual canned replies with a fixed set of variables, shared (kept by supervisors)
or personal, inserted into the reply box, counted when sent, audited, and inert markup."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client

from safedesk.audit.models import AuditEvent
from safedesk.lib.errors import InvalidInput, NotFound, PermissionDenied
from safedesk.tickets import macros, selectors, services
from safedesk.tickets.models import Macro, Message, Status, Ticket

pytestmark = pytest.mark.django_db

SCRIPT = '<script>alert(1)</script><img src=x onerror="alert(2)"> [x](javascript:alert(3))'


def _ticket(user: Any, *, language: str = "zh-hans", subject: str = "Deposit missing") -> Ticket:
    return services.submit_ticket(
        user, services.TicketInput(subject=subject, body="I sent USDT an hour ago.", language=language)
    )


def _macro(actor: Any, name: str = "Deposit check", *, shared: bool = True, **fields: Any) -> Macro:
    data = {
        "body_zh": "您好 {{ customer.name }}，我们正在核查 {{ ticket.ref }}。\n\n—— {{ agent.name }}",
        "body_en": "Hello {{ customer.name }}, we are checking {{ ticket.ref }}.\n\n— {{ agent.name }}",
        **fields,
    }
    return services.create_macro(services.MacroInput(name=name, **data), shared=shared, actor=actor)


def _state() -> tuple[int, int, int]:
    return Macro.objects.count(), Message.objects.count(), AuditEvent.objects.count()


# ---- variables ---------------------------------------------------------------------------------


def test_it_fills_only_the_known_variables_and_never_runs_a_template(alice: Any, agent_sam: Any) -> None:
    ticket = _ticket(alice, language="en")
    values = macros.values_for(ticket, agent_sam)
    text = macros.fill(
        "{{ticket.ref}} {{ ticket.url }} {{ ticket.status }} {{ customer.name }} {{ agent.name }} "
        "{{ ticket.subject }} {% load static %} {{ settings.SECRET_KEY }}",
        values,
    )
    assert text.startswith(f"{ticket.ref} http://") and f"/tickets/{ticket.ref}/" in text
    assert " New Alice Sam " in text
    # Not offered, so left exactly as written: nothing of the customer's request is echoed.
    assert "{{ ticket.subject }} {% load static %} {{ settings.SECRET_KEY }}" in text
    assert "Deposit missing" not in text


def test_it_uses_the_customer_name_only_once_the_address_is_verified(
    make_user: Callable[..., Any], agent_sam: Any
) -> None:
    stranger = make_user("stranger", verified=False)
    stranger.display_name = "CALL +1 800 555 0100 NOW"
    stranger.save(update_fields=["display_name"])
    ticket = _ticket(stranger, language="en")
    assert macros.values_for(ticket, agent_sam)["customer.name"] == "customer"
    ticket.language = "zh-hans"
    assert macros.values_for(ticket, agent_sam)["customer.name"] == "用户"


def test_it_refuses_unknown_variables_and_empty_macros(supervisor_ada: Any) -> None:
    before = _state()
    with pytest.raises(InvalidInput) as unknown:
        _macro(supervisor_ada, body_en="Your subject was {{ ticket.subject }}")
    assert unknown.value.code == "unknown_variable" and "ticket.subject" in str(unknown.value.message)
    with pytest.raises(InvalidInput) as empty:
        _macro(supervisor_ada, body_zh=" ", body_en="")
    assert empty.value.code == "macro_body_required"
    with pytest.raises(InvalidInput) as status:
        _macro(supervisor_ada, set_status="archived")
    assert status.value.code == "invalid_status"
    assert _state() == before


# ---- who keeps which macros ----------------------------------------------------------------------


def test_it_lets_supervisors_keep_shared_macros_and_agents_only_personal_ones(
    agent_sam: Any, supervisor_ada: Any, make_user: Callable[..., Any]
) -> None:
    shared = _macro(supervisor_ada, "Shared one")
    with pytest.raises(PermissionDenied):
        _macro(agent_sam, "Agent tries shared", shared=True)
    personal = _macro(agent_sam, "Sam's own", shared=False)
    assert personal.owner == agent_sam and shared.owner is None
    other_agent = make_user("kim", "agent")
    assert [m.name for m in selectors.macros_for(agent_sam)] == ["Shared one", "Sam's own"]
    assert [m.name for m in selectors.macros_for(other_agent)] == ["Shared one"]
    # Someone else's personal macro answers like one that does not exist.
    with pytest.raises(NotFound):
        selectors.access_macro(other_agent, personal.public_id)
    with pytest.raises(NotFound):
        services.update_macro(personal, services.MacroInput(name="Mine now", body_en="x"), actor=other_agent)
    # Agents use shared macros but do not change them.
    with pytest.raises(PermissionDenied):
        services.update_macro(shared, services.MacroInput(name="Changed", body_en="x"), actor=agent_sam)
    with pytest.raises(PermissionDenied):
        services.set_macro_active(shared, False, actor=agent_sam)
    assert Macro.objects.get(pk=shared.pk).name == "Shared one" and Macro.objects.get(pk=shared.pk).active


def test_it_keeps_names_unique_among_active_macros(supervisor_ada: Any, agent_sam: Any) -> None:
    first = _macro(supervisor_ada, "Refund")
    with pytest.raises(InvalidInput) as taken:
        _macro(supervisor_ada, "Refund")
    assert taken.value.code == "macro_name_taken"
    # A personal macro may share a shared one's name; a deactivated name is free again.
    _macro(agent_sam, "Refund", shared=False)
    services.set_macro_active(first, False, actor=supervisor_ada)
    again = _macro(supervisor_ada, "Refund")
    with pytest.raises(InvalidInput) as clash:
        services.set_macro_active(first, True, actor=supervisor_ada)
    assert clash.value.code == "macro_name_taken" and again.active


def test_it_audits_every_macro_change(supervisor_ada: Any) -> None:
    macro = _macro(supervisor_ada)
    services.update_macro(
        macro, services.MacroInput(name="Deposit check v2", body_en="Checking {{ ticket.ref }}."), actor=supervisor_ada
    )
    services.set_macro_active(macro, False, actor=supervisor_ada)
    services.set_macro_active(macro, True, actor=supervisor_ada)
    verbs = list(AuditEvent.objects.filter(target_type="tickets.macro").order_by("id").values_list("verb", flat=True))
    assert verbs == ["macro.created", "macro.updated", "macro.deactivated", "macro.activated"]


# ---- applying a macro --------------------------------------------------------------------------


def test_it_gives_the_reply_box_the_macro_in_the_tickets_language(
    alice: Any, bob: Any, agent_sam: Any, supervisor_ada: Any, login: Callable[..., Client]
) -> None:
    macro = _macro(supervisor_ada, set_status="pending", add_tags=["deposit", "checking"])
    only_en = _macro(supervisor_ada, "English only", body_zh="", body_en="Hi {{ customer.name }}")
    chinese, english = _ticket(alice), _ticket(bob, language="en")
    client = login(agent_sam)
    before = _state()
    body = client.get(f"/agent/tickets/{chinese.ref}/macros/{macro.public_id}/").json()
    assert body["body"] == f"您好 Alice，我们正在核查 {chinese.ref}。\n\n—— Sam"
    assert body["status"] == "pending" and body["tags"] == ["deposit", "checking"]
    body = client.get(f"/agent/tickets/{english.ref}/macros/{macro.public_id}/").json()
    assert body["body"].startswith(f"Hello Bob, we are checking {english.ref}.")
    # Only English written: a Chinese ticket gets the English text rather than nothing.
    assert client.get(f"/agent/tickets/{chinese.ref}/macros/{only_en.public_id}/").json()["body"] == "Hi Alice"
    # Reading a macro changes nothing and counts nothing.
    assert _state() == before and Macro.objects.get(pk=macro.pk).usage_count == 0


def test_it_fills_the_reply_box_without_javascript_too(
    alice: Any, agent_sam: Any, supervisor_ada: Any, login: Callable[..., Client]
) -> None:
    macro = _macro(supervisor_ada, set_status="pending", add_tags=["deposit"])
    ticket = _ticket(alice)
    page = login(agent_sam).get(f"/agent/tickets/{ticket.ref}/?macro={macro.public_id}").content.decode()
    assert f"您好 Alice，我们正在核查 {ticket.ref}。" in page
    assert f'name="macro" value="{macro.public_id}"' in page
    assert '<option value="pending" selected>' in page and 'value="deposit"' in page


def test_it_sends_a_macro_reply_sets_status_and_tags_and_counts_the_use(
    alice: Any, agent_sam: Any, supervisor_ada: Any, login: Callable[..., Client]
) -> None:
    macro = _macro(supervisor_ada, set_status="pending", add_tags=["deposit"])
    ticket = _ticket(alice)
    client = login(agent_sam)
    text = client.get(f"/agent/tickets/{ticket.ref}/macros/{macro.public_id}/").json()["body"]
    response = client.post(
        f"/agent/tickets/{ticket.ref}/reply/",
        {
            "body": text + "\n\n(edited by Sam)",
            "internal": "0",
            "macro": str(macro.public_id),
            "status": "pending",
            "add_tags": "deposit, usdt",
        },
    )
    assert response.status_code == 303
    ticket.refresh_from_db()
    assert ticket.status == Status.PENDING and ticket.tags == ["deposit", "usdt"]
    reply = Message.objects.filter(ticket=ticket, kind="public").order_by("-id").first()
    assert reply is not None and reply.body.endswith("(edited by Sam)") and reply.author == agent_sam
    assert Macro.objects.get(pk=macro.pk).usage_count == 1
    applied = AuditEvent.objects.get(verb="ticket.macro_applied")
    assert applied.target_ref == ticket.ref and applied.data["macro"] == str(macro.public_id)
    assert {"ticket.replied", "ticket.status_changed", "ticket.updated"} <= set(
        AuditEvent.objects.filter(target_ref=ticket.ref).values_list("verb", flat=True)
    )


def test_it_sends_nothing_when_the_status_the_reply_asks_for_is_refused(
    alice: Any, agent_sam: Any, supervisor_ada: Any, login: Callable[..., Client]
) -> None:
    macro = _macro(supervisor_ada)
    ticket = _ticket(alice)
    client = login(agent_sam)
    before = (*_state(), Macro.objects.get(pk=macro.pk).usage_count)
    response = client.post(
        f"/agent/tickets/{ticket.ref}/reply/",
        {"body": "Draft kept", "internal": "0", "macro": str(macro.public_id), "status": "new"},
    )
    assert response.status_code == 409 and 'data-code="invalid_transition"' in response.content.decode()
    assert "Draft kept" in response.content.decode()
    assert (*_state(), Macro.objects.get(pk=macro.pk).usage_count) == before
    assert Ticket.objects.get(pk=ticket.pk).status == Status.NEW


def test_it_refuses_a_macro_the_agent_may_not_use(
    alice: Any, agent_sam: Any, make_user: Callable[..., Any], supervisor_ada: Any, login: Callable[..., Client]
) -> None:
    kim = make_user("kim", "agent")
    private = _macro(kim, "Kim's", shared=False)
    retired = _macro(supervisor_ada, "Old")
    services.set_macro_active(retired, False, actor=supervisor_ada)
    ticket = _ticket(alice)
    client = login(agent_sam)
    before = _state()
    for macro in (private, retired):
        assert client.get(f"/agent/tickets/{ticket.ref}/macros/{macro.public_id}/").status_code == 404
        response = client.post(
            f"/agent/tickets/{ticket.ref}/reply/", {"body": "x", "internal": "0", "macro": str(macro.public_id)}
        )
        assert response.status_code == 404
    assert client.get(f"/agent/tickets/{ticket.ref}/macros/not-a-uuid/").status_code == 404
    assert _state() == before
    # Customers never reach macros.
    assert login(alice).get(f"/agent/tickets/{ticket.ref}/macros/{retired.public_id}/").status_code == 403


# ---- pages ---------------------------------------------------------------------------------------


def test_it_lets_a_supervisor_manage_macros_in_the_console(supervisor_ada: Any, login: Callable[..., Client]) -> None:
    client = login(supervisor_ada)
    assert client.get("/agent/macros/new/").status_code == 200
    response = client.post(
        "/agent/macros/new/",
        {
            "name": "Withdrawal delay",
            "scope": "shared",
            "body_zh": "**您好**，{{ customer.name }}",
            "body_en": "**Hello**, {{ customer.name }}",
            "set_status": "pending",
            "add_tags": "withdrawal, delay",
        },
    )
    assert response.status_code == 303
    macro = Macro.objects.get(name="Withdrawal delay")
    assert macro.owner is None and macro.add_tags == ["withdrawal", "delay"] and macro.set_status == "pending"
    listing = client.get("/agent/macros/").content.decode()
    assert "<strong>Hello</strong>" in listing and "Withdrawal delay" in listing
    edit = f"/agent/macros/{macro.public_id}/"
    assert client.get(edit).status_code == 200
    assert client.post(edit, {"name": "Withdrawal delayed", "body_en": "Hi"}).status_code == 303
    assert Macro.objects.get(pk=macro.pk).name == "Withdrawal delayed"
    assert client.post(edit + "active/", {"active": "0"}).status_code == 303
    assert not Macro.objects.get(pk=macro.pk).active
    preview = client.post("/agent/macros/preview/", {"body_zh": "# 标题", "body_en": "*hi*"})
    assert "<h1>标题</h1>" in preview.content.decode() and "<em>hi</em>" in preview.content.decode()


def test_it_refuses_bad_macro_forms_and_changes_nothing(
    agent_sam: Any, supervisor_ada: Any, login: Callable[..., Client]
) -> None:
    shared = _macro(supervisor_ada)
    client = login(agent_sam)
    before = _state()
    response = client.post("/agent/macros/new/", {"name": "Shared?", "scope": "shared", "body_en": "x"})
    assert response.status_code == 403
    response = client.post("/agent/macros/new/", {"name": "", "body_en": "x"})
    assert response.status_code == 400 and 'data-code="required"' in response.content.decode()
    response = client.post("/agent/macros/new/", {"name": "Leak", "body_en": "{{ customer.email }}"})
    assert response.status_code == 400 and 'data-code="unknown_variable"' in response.content.decode()
    assert client.get(f"/agent/macros/{shared.public_id}/").status_code == 403
    assert client.post(f"/agent/macros/{shared.public_id}/", {"name": "Mine", "body_en": "x"}).status_code == 403
    assert client.post(f"/agent/macros/{shared.public_id}/active/", {"active": "0"}).status_code == 403
    assert client.get("/agent/macros/00000000-0000-0000-0000-000000000000/").status_code == 404
    assert client.get("/agent/macros/new/active/").status_code == 405
    assert _state() == before
    assert Macro.objects.get(pk=shared.pk).name == "Deposit check"


def test_it_keeps_script_in_a_macro_inert_wherever_it_is_shown(
    alice: Any, agent_sam: Any, supervisor_ada: Any, admin_root: Any, login: Callable[..., Client]
) -> None:
    macro = _macro(supervisor_ada, "Evil " + SCRIPT[:40], body_zh=SCRIPT, body_en=SCRIPT)
    ticket = _ticket(alice)
    admin = login(admin_root)
    pages = [
        admin.get("/agent/macros/").content.decode(),
        admin.get(f"/agent/macros/{macro.public_id}/").content.decode(),
        admin.get(f"/agent/tickets/{ticket.ref}/").content.decode(),
        admin.get(f"/agent/tickets/{ticket.ref}/?macro={macro.public_id}").content.decode(),
        admin.post("/agent/macros/preview/", {"body_en": SCRIPT}).content.decode(),
    ]
    for page in pages:
        assert "<script>alert" not in page and "<img src=x" not in page and 'href="javascript:' not in page
    # The JSON the reply box receives is text, put in with .value (static/safedesk/console.js).
    response = admin.get(f"/agent/tickets/{ticket.ref}/macros/{macro.public_id}/")
    assert response["Content-Type"] == "application/json" and response.json()["body"] == SCRIPT
    # Sent as a reply, it shows escaped in the thread for the customer too.
    services.reply_as_agent(ticket, services.AgentReply(body=SCRIPT, macro=macro), actor=agent_sam)
    customer_page = login(alice).get(f"/tickets/{ticket.ref}/").content.decode()
    assert "<script>alert" not in customer_page and "&lt;script&gt;alert(1)&lt;/script&gt;" in customer_page


def test_it_keeps_the_queries_of_the_macro_pages_bounded(
    alice: Any, supervisor_ada: Any, agent_sam: Any, login: Callable[..., Client], django_assert_max_num_queries: Any
) -> None:
    for i in range(15):
        _macro(supervisor_ada, f"Shared {i}")
        _macro(agent_sam, f"Mine {i}", shared=False)
    ticket = _ticket(alice)
    client = login(agent_sam)
    # Session, user, OTP device and the page's own reads: the same for 30 macros as for 3.
    with django_assert_max_num_queries(6):
        assert client.get("/agent/macros/").status_code == 200
    macro = Macro.objects.filter(owner=agent_sam).first()
    assert macro is not None
    with django_assert_max_num_queries(6):
        assert client.get("/agent/macros/new/").status_code == 200
    with django_assert_max_num_queries(8):
        assert client.get(f"/agent/macros/{macro.public_id}/").status_code == 200
    with django_assert_max_num_queries(8):
        assert client.get(f"/agent/tickets/{ticket.ref}/macros/{macro.public_id}/").status_code == 200
    with django_assert_max_num_queries(16):
        assert client.get(f"/agent/tickets/{ticket.ref}/").status_code == 200
