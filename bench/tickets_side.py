"""The parts of the tickets benchmark that run inside Django (called by tickets_bench.py with the
environment of the mode under test). Each step prints one line `RESULT {json}`.

    python bench/tickets_side.py seed N           # N tickets (~2.1 messages each), users, SLA set-up
    python bench/tickets_side.py sessions         # signed-in sessions: the agent (past TOTP), a customer
    python bench/tickets_side.py refs 200         # 200 ticket references spread over the data
    python bench/tickets_side.py counts           # tickets, messages, audit events, jobs (ready / done)
    python bench/tickets_side.py queries          # SQL queries per benchmarked request, in-process
    python bench/tickets_side.py explain          # the inbox and API list plans (PostgreSQL: EXPLAIN ANALYZE)

The seed mirrors the peer's data mix (../shared/bench/peer-django-helpdesk/seed.py): ten support
topics with the same weights, 40 % Chinese / 35 % English / 25 % mixed text, 55 % active, 5 %
reopened, 25 % solved, 15 % closed, about 2.1 messages per ticket (the request, an agent reply on
about half, a closing note on solved and closed ones), dates spread over 180 days. The wording is
this project's own. Rows are written with bulk_create through the models (like the peer's seed),
with the SLA fields the services would set: the policy of the ticket's priority, and first
response and resolution due times counted in the default calendar's business hours.
"""

from __future__ import annotations

import json
import os
import random
import sys
import time
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
sys.path.insert(0, str(HERE))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "safedesk.settings")

import django  # noqa: E402

django.setup()

from django.db import connection, transaction  # noqa: E402
from django.test import Client  # noqa: E402
from django.utils import timezone  # noqa: E402
from ticket_corpus import SEED, TOPICS, ticket_text  # noqa: E402

from safedesk.accounts.models import Role, Team, TeamMembership, User  # noqa: E402
from safedesk.lib import businesstime  # noqa: E402
from safedesk.lib.db import refresh_planner_statistics  # noqa: E402
from safedesk.lib.ids import ALPHABET  # noqa: E402
from safedesk.tickets import services  # noqa: E402
from safedesk.tickets.models import (  # noqa: E402
    BusinessCalendar,
    Channel,
    Message,
    MessageKind,
    SlaPolicy,
    Status,
    Ticket,
)

AGENT_EMAIL = "bench-agent@bench.safedesk.test"
CUSTOMER_EMAIL = "bench-customer@bench.safedesk.test"
PASSWORD = "bench-only password 0123456789"  # noqa: S105  (loopback benchmark users only)


def _ref(rng: random.Random) -> str:
    return "T-" + "".join(rng.choice(ALPHABET) for _ in range(8))


def _staff(email: str, role: str, name: str) -> User:
    from django_otp.plugins.otp_totp.models import TOTPDevice

    user = User.objects.filter(email=email).first()
    if user is None:
        user = User.objects.create_user(
            email, PASSWORD, role=role, display_name=name, email_verified_at=timezone.now(), language="en"
        )
    TOTPDevice.objects.get_or_create(user=user, name="default", defaults={"confirmed": True})
    return user


def seed(count: int) -> dict[str, Any]:
    t0 = time.perf_counter()
    rng = random.Random(SEED)
    services.set_up_default_sla(actor=None)
    policies = {p.priority: p for p in SlaPolicy.objects.filter(active=True, category="")}
    calendar = BusinessCalendar.objects.get(is_default=True).calendar()
    agents = [_staff(AGENT_EMAIL, Role.AGENT, "Bench Agent")] + [
        _staff(f"bench-agent{i}@bench.safedesk.test", Role.AGENT, f"Agent {i}") for i in range(1, 6)
    ]
    teams = []
    for name in ("Payments", "Accounts", "Security"):
        team, _ = Team.objects.get_or_create(name=f"Bench {name}")
        teams.append(team)
        for agent in agents:
            TeamMembership.objects.get_or_create(team=team, user=agent)
    # About three tickets per customer (so the ticket page's "other tickets" is not empty).
    n_customers = max(200, count // 3)
    existing = set(User.objects.filter(email__startswith="bench-c").values_list("email", flat=True))
    customers = [
        User(email=f"bench-c{i}@example.com", role=Role.CUSTOMER, language="zh-hans" if i % 2 else "en")
        for i in range(n_customers)
        if f"bench-c{i}@example.com" not in existing
    ]
    for user in customers:
        user.set_unusable_password()
    User.objects.bulk_create(customers, batch_size=2000)
    customer_ids = list(
        User.objects.filter(email__startswith="bench-c", role=Role.CUSTOMER).values_list("id", flat=True)
    )
    users_s = time.perf_counter() - t0

    # Due times depend only on (priority, created minute): cache the business-time arithmetic.
    due_cache: dict[tuple[int, datetime, int | None], datetime | None] = {}

    def due(priority: int, start: datetime, minutes: int | None) -> datetime | None:
        if minutes is None:
            return None
        key = (priority, start.replace(second=0, microsecond=0), minutes)
        if key not in due_cache:
            due_cache[key] = businesstime.add_business_time(calendar, key[1], timedelta(minutes=minutes))
        return due_cache[key]

    now = timezone.now()
    span = 180 * 86400
    refs: set[str] = set(Ticket.objects.values_list("ref", flat=True))
    agent_ids = [a.pk for a in agents]
    made_tickets = made_messages = 0
    t1 = time.perf_counter()
    batch = 5000
    for start in range(0, count, batch):
        rows: list[Ticket] = []
        texts: list[tuple[str, str, str, str]] = []
        for i in range(start, min(count, start + batch)):
            topic, lang, subject, body, reply = ticket_text(rng)
            created = now - timedelta(seconds=span) + timedelta(seconds=int(span * i / max(1, count)))
            created += timedelta(seconds=rng.randint(0, 600))
            status = rng.choices(["active", "reopened", "solved", "closed"], weights=[55, 5, 25, 15])[0]
            replied = status in {"solved", "closed", "reopened"} or rng.random() < 0.5
            priority = rng.choices([1, 2, 3, 4], weights=[10, 60, 20, 10])[0]
            policy = policies.get(priority)
            ref = _ref(rng)
            while ref in refs:
                ref = _ref(rng)
            refs.add(ref)
            if status == "active":
                st = Status.OPEN if replied else rng.choice([Status.NEW, Status.NEW, Status.PENDING, Status.ON_HOLD])
            elif status == "reopened":
                st = Status.OPEN
            else:
                st = Status.SOLVED if status == "solved" else Status.CLOSED
            done = st in {Status.SOLVED, Status.CLOSED}
            first_response = created + timedelta(hours=1) if replied else None
            updated = created + timedelta(hours=rng.randint(1, 96)) if (replied or done) else created
            ticket = Ticket(
                ref=ref,
                requester_id=rng.choice(customer_ids),
                subject=subject,
                category=TOPICS[topic][1],
                priority=priority,
                status=st,
                team=teams[list(TOPICS).index(topic) % len(teams)] if rng.random() < 0.8 else None,
                assignee_id=rng.choice(agent_ids) if (replied or rng.random() < 0.3) else None,
                tags=[topic] if rng.random() < 0.3 else [],
                language="zh-hans" if lang == "zh" else "en",
                channel=rng.choices([Channel.WEB, Channel.GUEST, Channel.API, Channel.PHONE], weights=[60, 20, 15, 5])[
                    0
                ],
                confirmed_at=created,
                first_response_at=first_response,
                solved_at=updated if done else None,
                closed_at=updated if st == Status.CLOSED else None,
                message_count=1 + int(replied) + int(done),
                sla_policy=policy,
                sla_paused_at=updated if st == Status.PENDING else None,
            )
            if policy is not None and not done:
                ticket.first_response_due = (
                    due(priority, created, policy.first_response_minutes) if first_response is None else None
                )
                ticket.resolution_due = due(priority, created, policy.resolution_minutes)
                # Deadlines already past were recorded as breached by the sweep long ago (a live
                # desk has no months-old backlog of unrecorded breaches for the sweep to chew on).
                targets = (("first_response", ticket.first_response_due), ("resolution", ticket.resolution_due))
                ticket.sla_breached = [name for name, d in targets if d is not None and d <= now]
                if st != Status.PENDING:
                    pending = [d for name, d in targets if d is not None and name not in ticket.sla_breached]
                    ticket.sla_due_at = min(pending) if pending else None
            rows.append(ticket)
            texts.append((body, reply if replied else "", st, updated.isoformat()))
        with transaction.atomic():
            Ticket.objects.bulk_create(rows, batch_size=1000)
            if connection.vendor != "postgresql":  # bulk_create sets the ids on PostgreSQL only
                ids = dict(Ticket.objects.filter(ref__in=[r.ref for r in rows]).values_list("ref", "id"))
                for r in rows:
                    r.pk = ids[r.ref]
            msgs: list[Message] = []
            for ticket, (body, reply, st, _upd) in zip(rows, texts, strict=True):
                msgs.append(
                    Message(ticket_id=ticket.pk, author_id=ticket.requester_id, kind=MessageKind.PUBLIC, body=body)
                )
                if reply:
                    msgs.append(
                        Message(
                            ticket_id=ticket.pk,
                            author_id=ticket.assignee_id or agent_ids[0],
                            kind=MessageKind.PUBLIC,
                            body=reply,
                        )
                    )
                if st in {Status.SOLVED, Status.CLOSED}:
                    msgs.append(
                        Message(
                            ticket_id=ticket.pk,
                            author_id=ticket.assignee_id or agent_ids[0],
                            kind=MessageKind.EVENT,
                            body="",
                            event="status_changed",
                            data={"from": Status.OPEN, "to": st},
                        )
                    )
            Message.objects.bulk_create(msgs, batch_size=2000)
            # created_at/updated_at are auto fields: give them the generated history afterwards.
            made_tickets += len(rows)
            made_messages += len(msgs)
        if count >= 100_000 and (start // batch) % 20 == 0:
            print(f"seeded {made_tickets:,} tickets", file=sys.stderr, flush=True)
    insert_s = time.perf_counter() - t1
    t2 = time.perf_counter()
    _backdate(count, span, now)
    backdate_s = time.perf_counter() - t2
    t3 = time.perf_counter()
    refresh_planner_statistics()
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("VACUUM ANALYZE tickets_ticket")
            cursor.execute("VACUUM ANALYZE tickets_message")
    analyze_s = time.perf_counter() - t3
    return {
        "tickets": made_tickets,
        "messages": made_messages,
        "messages_per_ticket": round(made_messages / max(1, made_tickets), 2),
        "customers": len(customer_ids),
        "users_s": round(users_s, 2),
        "insert_s": round(insert_s, 2),
        "tickets_per_s": round(made_tickets / insert_s, 1) if insert_s else 0.0,
        "backdate_s": round(backdate_s, 2),
        "analyze_s": round(analyze_s, 2),
        "status_mix": dict(sorted((s, Ticket.objects.filter(status=s).count()) for s in Status.values)),
    }


def _backdate(count: int, span: int, now: datetime) -> None:
    """created_at/updated_at are auto fields (now); spread them over 180 days in id order, the
    order the tickets were generated in, with one UPDATE per table."""
    first = Ticket.objects.order_by("id").values_list("id", flat=True).first() or 0
    last = Ticket.objects.order_by("-id").values_list("id", flat=True).first() or 0
    start = now - timedelta(seconds=span)
    width = max(1, last - first)
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                "UPDATE tickets_ticket SET created_at = %s + (id - %s) * (%s::float / %s) * interval '1 second',"
                " updated_at = %s + (id - %s) * (%s::float / %s) * interval '1 second' + interval '2 hours'",
                [start, first, span, width, start, first, span, width],
            )
            cursor.execute(
                "UPDATE tickets_message m SET created_at = t.created_at + (m.id % 3) * interval '1 hour'"
                " FROM tickets_ticket t WHERE t.id = m.ticket_id"
            )
        else:
            base = start.timestamp()
            stamp = "strftime('%Y-%m-%d %H:%M:%f', %s + (id - %s) * (%s * 1.0 / %s)"
            cursor.execute(
                f"UPDATE tickets_ticket SET created_at = {stamp}, 'unixepoch'),"  # noqa: S608  (a constant)
                f" updated_at = {stamp} + 7200, 'unixepoch')",
                [base, first, span, width, base, first, span, width],
            )
            cursor.execute(
                "UPDATE tickets_message SET created_at = (SELECT strftime('%Y-%m-%d %H:%M:%f', t.created_at,"
                " '+' || (tickets_message.id % 3) || ' hours') FROM tickets_ticket t"
                " WHERE t.id = tickets_message.ticket_id)"
            )
    del count


def _session(user: User) -> str:
    """A real session for `user` (the configured session engine), past the second factor for staff
    (django-otp's device key in the session, as after a TOTP check)."""
    from django_otp import DEVICE_ID_SESSION_KEY
    from django_otp.plugins.otp_totp.models import TOTPDevice

    client = Client()
    client.force_login(user)
    device = TOTPDevice.objects.filter(user=user, confirmed=True).first()
    if device is not None:
        session = client.session
        session[DEVICE_ID_SESSION_KEY] = device.persistent_id
        session.save()
    return str(client.cookies["sessionid"].value)


def sessions() -> dict[str, Any]:
    agent = User.objects.get(email=AGENT_EMAIL)
    customer = User.objects.filter(email=CUSTOMER_EMAIL).first()
    if customer is None:
        customer = User.objects.create_user(
            CUSTOMER_EMAIL,
            PASSWORD,
            role=Role.CUSTOMER,
            display_name="Bench Customer",
            email_verified_at=timezone.now(),
        )
    return {"agent": _session(agent), "customer": _session(customer)}


def refs(n: int) -> dict[str, Any]:
    ids = list(Ticket.objects.filter(confirmed_at__isnull=False).order_by("id").values_list("ref", flat=True))
    step = max(1, len(ids) // n)
    return {"refs": [ids[(i * step * 7919) % len(ids)] for i in range(n)]}


def counts() -> dict[str, Any]:
    from django_tasks_db.models import DBTaskResult

    from safedesk.audit.models import AuditEvent

    return {
        "tickets": Ticket.objects.count(),
        "messages": Message.objects.count(),
        "audit": AuditEvent.objects.count(),
        "jobs": DBTaskResult.objects.count(),
        "jobs_ready": DBTaskResult.objects.ready().count(),
        "jobs_done": DBTaskResult.objects.filter(status="SUCCESSFUL").count(),
        "jobs_failed": DBTaskResult.objects.filter(status="FAILED").count(),
    }


def queries() -> dict[str, Any]:
    """SQL queries per benchmarked request, measured in-process with the test client (the same
    middleware and views as over HTTP); also the milliseconds of one warm request."""
    from django.db import reset_queries
    from django.test.utils import CaptureQueriesContext

    del reset_queries
    agent = User.objects.get(email=AGENT_EMAIL)
    customer = User.objects.get(email=CUSTOMER_EMAIL)
    ref = refs(1)["refs"][0]
    a = Client()
    a.cookies["sessionid"] = _session(agent)
    c = Client(enforce_csrf_checks=False)
    c.cookies["sessionid"] = _session(customer)
    g = Client()
    out: dict[str, Any] = {}
    rng = random.Random(SEED + 5)
    cases: list[tuple[str, Any]] = [
        ("inbox", lambda: a.get("/agent/tickets/?view=all")),
        ("api_list", lambda: a.get("/api/v1/tickets?view=all")),
        ("detail", lambda: a.get(f"/agent/tickets/{ref}/")),
        ("api_detail", lambda: a.get(f"/api/v1/tickets/{ref}")),
        (
            "guest_submit",
            lambda: g.post(
                "/tickets/new/",
                {
                    "email": f"bench-g{rng.randint(0, 10**9)}@example.com",
                    "subject": "Withdrawal stuck",
                    "body": "It is stuck.",
                },
            ),
        ),
        (
            "api_submit",
            lambda: c.post(
                "/api/v1/tickets",
                {"subject": "Deposit missing", "body": "Not credited."},
                content_type="application/json",
            ),
        ),
    ]
    with transaction.atomic():
        for name, call in cases:
            call()  # warm
            with CaptureQueriesContext(connection) as ctx:
                t = time.perf_counter()
                response = call()
                ms = (time.perf_counter() - t) * 1000
            out[name] = {
                "status": response.status_code,
                "queries": len(ctx.captured_queries),
                "ms": round(ms, 2),
                "sql": [q["sql"][:160] for q in ctx.captured_queries] if os.environ.get("BENCH_SQL") else None,
            }
        transaction.set_rollback(True)
    return out


def explain() -> dict[str, Any]:
    """Plans of the two list queries as the selectors run them."""
    from safedesk.tickets import selectors

    agent = User.objects.get(email=AGENT_EMAIL)
    flt = selectors.clean_filter({"view": "all"})
    out: dict[str, Any] = {}
    qs = (
        Ticket.objects.filter(confirmed_at__isnull=False, status__in=["new", "open", "pending", "on_hold"])
        .select_related("requester", "assignee", "team")
        .order_by("-id")[:26]
    )
    analyze = connection.vendor == "postgresql"
    out["inbox_all"] = qs.explain(analyze=True) if analyze else qs.explain()
    t = time.perf_counter()
    selectors.inbox(agent, flt)
    out["inbox_all_ms"] = round((time.perf_counter() - t) * 1000, 2)
    mine = selectors.clean_filter({"view": "mine"})
    t = time.perf_counter()
    selectors.inbox(agent, mine)
    out["inbox_mine_ms"] = round((time.perf_counter() - t) * 1000, 2)
    return out


if __name__ == "__main__":
    step = sys.argv[1]
    if step == "seed":
        result: object = seed(int(sys.argv[2]))
    elif step == "sessions":
        result = sessions()
    elif step == "refs":
        result = refs(int(sys.argv[2]))
    elif step == "counts":
        result = counts()
    elif step == "queries":
        result = queries()
    elif step == "explain":
        result = explain()
    else:
        raise SystemExit(f"unknown step {step}")
    print("RESULT " + json.dumps(result, ensure_ascii=False, default=str))
