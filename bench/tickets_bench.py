"""`make bench`, second part: the tickets benchmark (issue #3), side by side with the peer.

For each mode — embedded (SQLite, `safedesk serve`: one uvicorn process with its job worker
thread) and scale-out (PostgreSQL + Redis, granian with 2 WSGI workers and one
`safedesk worker` process) — it seeds a database once (10,000 tickets with ~21,000 messages by
default; see bench/tickets_side.py for the data mix), then for each round restores that
database, starts the server and measures with wrk (1 thread; 1 connection for --lat-s seconds,
then 8 connections for --load-s seconds; medians over the rounds):

  * public submission: the guest web form, `POST /tickets/new/` done anonymously with a CSRF
    cookie and token, bodies rotated over 200 generated requests from 200 guest addresses;
  * a signed-in customer's `POST /api/v1/tickets` (session cookie and CSRF header);
  * the agent inbox page `/agent/tickets/?view=all`;
  * `GET /api/v1/tickets?view=all` as the agent (page 1, 25 tickets);
  * the agent ticket page `/agent/tickets/<ref>/`, rotated over 200 references.

The agent is a real staff user past TOTP (a session holding django-otp's device key). Before
anything is timed, each endpoint is checked for its expected status (200, 201; a redirect to a
sign-in page fails the run) and every submission path for one new ticket. Between
measurements the script waits until the server's processes are idle. Submissions must be
accepted, so the run raises SAFEDESK_TICKET_RATE (tickets per client per hour) for the
benchmark's server processes only. In scale-out mode the guest form is measured a second time
with the job worker stopped, and the time the worker then takes to drain the queued jobs is
reported. Load goes to 127.0.0.1 only, every wrk run is bounded in time, and only processes
this script started are signalled.

    .venv/bin/python bench/tickets_bench.py [--tickets 10000] [--rounds 3] [--modes embedded,scaleout]
        [--peer bench/out/peer] [--lat-s 10] [--load-s 20] [--no-doc]
    .venv/bin/python bench/tickets_bench.py --tickets 1000000 --modes scaleout --rounds 1 --reads-only
"""

from __future__ import annotations

import argparse
import datetime as dt
import http.client
import json
import os
import platform
import re
import shutil
import signal
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.parse
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
BIN = ROOT / ".venv" / "bin"
sys.path.insert(0, str(HERE))

import search_bench as sb  # noqa: E402  (shared helpers: env per mode, vm_check, server start/stop)

PG_DB = "safedesk_bench_tickets"
PG_TEMPLATE = "safedesk_bench_tickets_seed"
RATE = "100000000"  # SAFEDESK_TICKET_RATE for the benchmark's server processes only
HOST = "127.0.0.1"
log = sb.log


# ---- processes -------------------------------------------------------------------------------


def mode_env(mode: str, data_dir: Path, db: str = PG_DB) -> dict[str, str]:
    env = sb.mode_env(mode, data_dir)
    if mode == "scaleout":
        env["DATABASE_URL"] = f"postgresql://root@127.0.0.1:5432/{db}"
        env["REDIS_URL"] = "redis://127.0.0.1:6379/8"
    env["SAFEDESK_TICKET_RATE"] = RATE
    return env


def side(env: dict[str, str], *args: str) -> dict[str, Any]:
    proc = subprocess.run(
        [str(BIN / "python"), str(HERE / "tickets_side.py"), *args], env=env, capture_output=True, text=True
    )
    if proc.returncode != 0:
        raise SystemExit(f"tickets_side.py {' '.join(args)} failed:\n{proc.stderr[-3000:]}")
    line = next(line for line in proc.stdout.splitlines() if line.startswith("RESULT "))
    return json.loads(line[len("RESULT ") :])  # type: ignore[no-any-return]


def pg(sql: str) -> None:
    import psycopg

    with psycopg.connect(sb.PG_ADMIN, autocommit=True) as conn:
        conn.execute(sql)


def children(pid: int) -> list[int]:
    out: list[int] = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(stat[1]) == pid:
                out.append(int(entry.name))
    return out


def cpu_ticks(pids: list[int]) -> int:
    total = 0
    for p in pids:
        try:
            f = Path(f"/proc/{p}/stat").read_text().rsplit(")", 1)[1].split()
            total += int(f[11]) + int(f[12])
        except (OSError, IndexError):
            pass
    return total


class Server:
    """The web server of one mode (and in scale-out the job worker), started by this script."""

    def __init__(self, mode: str, env: dict[str, str], port: int) -> None:
        self.mode, self.env, self.port = mode, env, port
        self.web: subprocess.Popen[bytes] | None = None
        self.worker: subprocess.Popen[bytes] | None = None

    def start(self, *, worker: bool = True) -> None:
        self.web = sb.start_server(self.mode, self.env, self.port)
        sb.wait_http(f"http://{HOST}:{self.port}/tickets/new/")
        if self.mode == "scaleout":
            deadline = time.monotonic() + 30
            while len(children(self.web.pid)) < 2 and time.monotonic() < deadline:
                time.sleep(0.2)
            if worker:
                self.start_worker()

    def start_worker(self) -> None:
        self.worker = subprocess.Popen(
            [str(BIN / "safedesk"), "worker", "--interval", "0.5"],
            env=self.env,
            cwd=ROOT,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )

    def stop_worker(self) -> None:
        if self.worker is not None:
            sb.stop(self.worker)
            self.worker = None

    def pids(self) -> list[int]:
        pids = []
        if self.web is not None:
            pids += [self.web.pid, *children(self.web.pid)]
        if self.worker is not None:
            pids.append(self.worker.pid)
        return pids

    def idle(self, max_s: float = 120) -> float:
        """Wait until the server's processes stop using CPU (requests wrk abandoned, jobs)."""
        t0 = time.monotonic()
        last, quiet = cpu_ticks(self.pids()), 0
        while time.monotonic() - t0 < max_s:
            time.sleep(0.25)
            now = cpu_ticks(self.pids())
            quiet = quiet + 1 if now - last <= 1 else 0
            last = now
            if quiet >= 4:
                break
        return round(time.monotonic() - t0, 2)

    def stop(self) -> None:
        self.stop_worker()
        if self.web is not None:
            sb.stop(self.web)
            self.web = None


# ---- HTTP checks ----------------------------------------------------------------------------


def request(
    port: int, method: str, path: str, *, body: str | None = None, headers: dict[str, str] | None = None
) -> tuple[int, dict[str, str], str]:
    """One request without following redirects (a redirect to sign-in must show as a 302)."""
    conn = http.client.HTTPConnection(HOST, port, timeout=60)
    try:
        conn.request(method, path, body=body.encode() if body is not None else None, headers=headers or {})
        resp = conn.getresponse()
        return resp.status, {k.lower(): v for k, v in resp.getheaders()}, resp.read().decode("utf-8", "replace")
    finally:
        conn.close()


def cookie_value(headers: dict[str, str], name: str) -> str:
    found = re.search(rf"{name}=([^;]+)", headers.get("set-cookie", ""))
    if not found:
        raise SystemExit(f"no {name} cookie in {headers}")
    return found.group(1)


def expect(port: int, method: str, path: str, want: int, **kw: Any) -> str:
    status, _h, text = request(port, method, path, **kw)
    if status != want:
        raise SystemExit(f"{method} {path}: HTTP {status}, expected {want}: {text[:300]!r}")
    return text


# ---- wrk -------------------------------------------------------------------------------------


def wrk(port: int, work: Path, name: str, plan: dict[str, Any], conns: int, seconds: int) -> dict[str, Any]:
    paths = work / f"{name}.paths"
    paths.write_text("\n".join(plan["paths"]) + "\n", encoding="utf-8")
    env = dict(os.environ, SAFEDESK_BENCH_PATHS=str(paths), SAFEDESK_BENCH_METHOD=plan["method"])
    env["SAFEDESK_BENCH_BODIES"] = ""
    env["SAFEDESK_BENCH_LOCATION"] = plan.get("location", "")
    if plan.get("bodies"):
        bodies = work / f"{name}.bodies"
        bodies.write_text("\n".join(plan["bodies"]) + "\n", encoding="utf-8")
        env["SAFEDESK_BENCH_BODIES"] = str(bodies)
    cmd = ["wrk", "-t1", f"-c{conns}", f"-d{seconds}s", "--timeout", "10s", "-s", str(HERE / "tickets.lua")]
    for header in plan["headers"]:
        cmd += ["-H", header]
    cmd.append(f"http://{HOST}:{port}/")
    out = subprocess.run(cmd, env=env, capture_output=True, text=True, check=True, timeout=seconds + 60).stdout
    line = next(line for line in out.splitlines() if line.startswith("RESULT "))
    r: dict[str, Any] = json.loads(line[len("RESULT ") :])
    r["rps"] = r["requests"] / (r["duration_us"] / 1e6)
    # Anything but the expected answer (a 2xx, or the form's 303 to its page) is an error.
    r["errors"] = r["requests"] - r["expected"] + r["socket_errors"]
    return r


# ---- one mode --------------------------------------------------------------------------------


def prepare(mode: str, args: argparse.Namespace, work: Path) -> dict[str, Any]:
    """Migrate and seed once; the seeded database is the template every round starts from."""
    data_dir = work / f"data-{mode}"
    data_dir.mkdir()
    env = mode_env(mode, data_dir, db=PG_TEMPLATE)
    if mode == "scaleout":
        pg(f"DROP DATABASE IF EXISTS {PG_DB} WITH (FORCE)")
        pg(f"DROP DATABASE IF EXISTS {PG_TEMPLATE} WITH (FORCE)")
        pg(f"CREATE DATABASE {PG_TEMPLATE}")
    subprocess.run([str(BIN / "safedesk"), "migrate", "-v", "0"], env=env, check=True, cwd=ROOT)
    log(f"{mode}: seeding {args.tickets:,} tickets")
    seeded = side(env, "seed", str(args.tickets))
    log(f"{mode}: {seeded}")
    sessions = side(env, "sessions")
    refs = side(env, "refs", "200")["refs"]
    queries = side(env, "queries")
    log(f"{mode}: queries per request { ({k: v['queries'] for k, v in queries.items()}) }")
    explain = side(env, "explain")
    if mode == "embedded":
        # Fold the WAL into the main file so that each round's copy is one file.
        with sqlite3.connect(data_dir / "safedesk.sqlite3") as conn:
            conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    return {
        "data_dir": data_dir,
        "seed": seeded,
        "sessions": sessions,
        "refs": refs,
        "queries": queries,
        "explain": explain,
    }


def restore(mode: str, prepared: dict[str, Any], work: Path, round_no: int) -> dict[str, str]:
    """A fresh copy of the seeded database for this round; returns the round's environment."""
    if mode == "scaleout":
        pg(f"DROP DATABASE IF EXISTS {PG_DB} WITH (FORCE)")
        pg(f"CREATE DATABASE {PG_DB} TEMPLATE {PG_TEMPLATE}")
        data_dir = prepared["data_dir"]
    else:
        data_dir = work / f"data-{mode}-round{round_no}"
        shutil.rmtree(data_dir, ignore_errors=True)
        data_dir.mkdir()
        with (
            sqlite3.connect(prepared["data_dir"] / "safedesk.sqlite3") as src,
            sqlite3.connect(data_dir / "safedesk.sqlite3") as dst,
        ):
            src.backup(dst)
        shutil.copy(prepared["data_dir"] / "secret_key", data_dir / "secret_key")
    env = mode_env(mode, data_dir)
    if mode == "scaleout":
        subprocess.run(["redis-cli", "-n", "8", "FLUSHDB"], check=False, capture_output=True)
    return env


def plans(port: int, prepared: dict[str, Any], args: argparse.Namespace) -> dict[str, dict[str, Any]]:
    """What each wrk run sends, built from real pages: the guest's CSRF cookie and form token,
    the customer's CSRF cookie; then every endpoint is checked once."""
    sys.path.insert(0, str(HERE))
    import random

    import ticket_corpus as text

    agent_cookie = f"sessionid={prepared['sessions']['agent']}"
    status, headers, form = request(port, "GET", "/tickets/new/")
    if status != 200 or 'name="email"' not in form:
        raise SystemExit(f"the guest form did not render ({status})")
    guest_csrf = cookie_value(headers, "csrftoken")
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', form)
    if token is None:
        raise SystemExit("no CSRF token in the guest form")
    customer_cookie = f"sessionid={prepared['sessions']['customer']}"
    status, headers, _ = request(port, "GET", "/tickets/new/", headers={"Cookie": customer_cookie})
    if status != 200:
        raise SystemExit(f"the customer's form did not render ({status})")
    customer_csrf = cookie_value(headers, "csrftoken")
    rng = random.Random(text.SEED + 2)
    form_bodies, api_bodies = [], []
    for i in range(200):
        _topic, lang, subject, body, _reply = text.ticket_text(rng)
        form_bodies.append(
            urllib.parse.urlencode(
                {
                    "csrfmiddlewaretoken": token.group(1),
                    "email": f"bench-guest{i}@example.com",
                    "subject": subject,
                    "body": body,
                    "language": "zh-hans" if lang == "zh" else "en",
                }
            )
        )
        api_bodies.append(json.dumps({"subject": subject, "body": body}, ensure_ascii=False))
    detail = [f"/agent/tickets/{ref}/" for ref in prepared["refs"]]
    out: dict[str, dict[str, Any]] = {
        "inbox": {
            "label": "agent inbox page /agent/tickets/?view=all",
            "method": "GET",
            "paths": ["/agent/tickets/?view=all"],
            "headers": [f"Cookie: {agent_cookie}"],
        },
        "api_list": {
            "label": "API list GET /api/v1/tickets?view=all (page 1, agent)",
            "method": "GET",
            "paths": ["/api/v1/tickets?view=all"],
            "headers": [f"Cookie: {agent_cookie}"],
        },
        "detail": {
            "label": "agent ticket page /agent/tickets/<ref>/ (200 refs)",
            "method": "GET",
            "paths": detail,
            "headers": [f"Cookie: {agent_cookie}"],
        },
    }
    if not args.reads_only:
        out["submit_form"] = {
            "label": "public submission, guest web form POST /tickets/new/",
            "method": "POST",
            "paths": ["/tickets/new/"],
            "bodies": form_bodies,
            "headers": [f"Cookie: csrftoken={guest_csrf}", "Content-Type: application/x-www-form-urlencoded"],
            "creates": True,
            "location": "/tickets/new/sent/",  # post/redirect/get: the 303 is the answer
        }
        out["submit_api"] = {
            "label": "signed-in customer POST /api/v1/tickets",
            "method": "POST",
            "paths": ["/api/v1/tickets"],
            "bodies": api_bodies,
            "headers": [
                f"Cookie: {customer_cookie}; csrftoken={customer_csrf}",
                f"X-CSRFToken: {customer_csrf}",
                "Content-Type: application/json",
            ],
            "creates": True,
        }
    if args.only:
        keep = set(args.only.split(","))
        out = {name: p for name, p in out.items() if name in keep}
    # Check every endpoint answers as it should before anything is timed.
    inbox = expect(port, "GET", "/agent/tickets/?view=all", 200, headers={"Cookie": agent_cookie})
    if inbox.count("/agent/tickets/T-") < 25:
        raise SystemExit("the inbox page lists fewer than 25 tickets")
    listed = json.loads(expect(port, "GET", "/api/v1/tickets?view=all", 200, headers={"Cookie": agent_cookie}))
    if len(listed["results"]) != 25:
        raise SystemExit(f"the API list returned {len(listed['results'])} tickets")
    for path in detail[:20]:
        expect(port, "GET", path, 200, headers={"Cookie": agent_cookie})
    return out


def check_submissions(port: int, env: dict[str, str], plan: dict[str, dict[str, Any]]) -> None:
    """One request of each submission endpoint must create exactly one ticket and answer as a
    browser expects: the guest form with a 303 to the "check your email" page (which is then
    fetched, as a browser would), the API with a 201 and the new ticket."""
    for name, want, marker in (("submit_form", 303, "Check your email"), ("submit_api", 201, '"ref"')):
        if name not in plan:
            continue
        p = plan[name]
        before = side(env, "counts")["tickets"]
        hdrs = dict(h.split(": ", 1) for h in p["headers"])
        status, headers, text = request(port, "POST", p["paths"][0], body=p["bodies"][0], headers=hdrs)
        if status != want:
            raise SystemExit(f"{name}: HTTP {status}, expected {want}: {text[:300]!r}")
        if status == 303:
            text = expect(port, "GET", headers.get("location", ""), 200, headers={"Accept-Language": "en"})
        if marker not in text:
            raise SystemExit(f"{name}: the response is not the expected page: {text[:300]!r}")
        if side(env, "counts")["tickets"] != before + 1:
            raise SystemExit(f"{name}: the check request did not create exactly one ticket")


def measure(server: Server, work: Path, name: str, p: dict[str, Any], args: argparse.Namespace) -> dict[str, Any]:
    runs = {}
    for conns, secs in ((1, args.lat_s), (8, args.load_s)):
        server.idle()
        r = wrk(server.port, work, name, p, conns, secs)
        r["idle_after_s"] = server.idle()
        runs[f"c{conns}"] = r
        log(
            f"  {name:12s} c={conns}: {r['rps']:7.1f} req/s  p50 {r['p50_us'] / 1000:7.2f} ms  "
            f"p99 {r['p99_us'] / 1000:7.2f} ms  errors {r['errors']} (3xx {r['s3xx']}, 4xx/5xx {r['non2xx']})"
        )
    return runs


def one_round(mode: str, prepared: dict[str, Any], args: argparse.Namespace, work: Path, n: int) -> dict[str, Any]:
    env = restore(mode, prepared, work, n)
    port = sb.free_port()
    server = Server(mode, env, port)
    result: dict[str, Any] = {"round": n + 1, "vm_before": sb.vm_check(), "endpoints": {}}
    server.start()
    try:
        plan = plans(port, prepared, args)
        check_submissions(port, env, plan)
        server.idle()
        for name, p in plan.items():
            before = side(env, "counts") if p.get("creates") else None
            runs = measure(server, work, name, p, args)
            if before is not None:
                after = side(env, "counts")
                runs["tickets_created"] = after["tickets"] - before["tickets"]
                runs["requests_sent"] = runs["c1"]["requests"] + runs["c8"]["requests"]
            result["endpoints"][name] = runs
        if mode == "scaleout" and "submit_form" in plan:
            # The same load with the job worker stopped: what the background work costs, and how
            # long one worker then takes to send what queued up.
            server.stop_worker()
            server.idle()
            before = side(env, "counts")
            r = wrk(port, work, "submit_form_noworker", plan["submit_form"], 8, args.load_s)
            queued = side(env, "counts")
            t0 = time.monotonic()
            server.start_worker()
            while side(env, "counts")["jobs_ready"] > 0 and time.monotonic() - t0 < 600:
                time.sleep(1)
            drain = time.monotonic() - t0
            r["jobs_queued"] = queued["jobs_ready"]
            r["drain_s"] = round(drain, 1)
            r["drain_jobs_per_s"] = round(queued["jobs_ready"] / drain, 1) if drain else 0.0
            r["tickets_created"] = queued["tickets"] - before["tickets"]
            log(
                f"  submit_form without the worker c=8: {r['rps']:.1f} req/s p99 {r['p99_us'] / 1000:.2f} ms; "
                f"{r['jobs_queued']} jobs drained in {r['drain_s']} s ({r['drain_jobs_per_s']} jobs/s)"
            )
            result["endpoints"]["submit_form_noworker"] = {"c8": r}
        result["counts"] = side(env, "counts")
    finally:
        server.stop()
    result["vm_after"] = sb.vm_check()
    return result


def run_mode(mode: str, args: argparse.Namespace, work: Path) -> dict[str, Any]:
    prepared = prepare(mode, args, work)
    rounds = []
    for n in range(args.rounds):
        log(f"{mode}: round {n + 1}/{args.rounds}")
        rounds.append(one_round(mode, prepared, args, work, n))
    prepared.pop("data_dir")
    prepared.pop("sessions")
    return {"mode": mode, **prepared, "rounds": rounds, "summary": summarize(rounds)}


def summarize(rounds: list[dict[str, Any]]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for name in rounds[0]["endpoints"]:
        for conns in ("c1", "c8"):
            rs = [r["endpoints"][name][conns] for r in rounds if conns in r["endpoints"][name]]
            if not rs:
                continue
            row = {
                "rps": round(statistics.median(r["rps"] for r in rs), 1),
                "p50_ms": round(statistics.median(r["p50_us"] for r in rs) / 1000, 2),
                "p99_ms": round(statistics.median(r["p99_us"] for r in rs) / 1000, 2),
                "errors": sum(r["errors"] for r in rs),
                "requests": sum(r["requests"] for r in rs),
                "rounds_rps": [round(r["rps"], 1) for r in rs],
            }
            if "drain_s" in rs[0]:
                row["drain_s"] = statistics.median(r["drain_s"] for r in rs)
                row["jobs_queued"] = statistics.median(r["jobs_queued"] for r in rs)
                row["drain_jobs_per_s"] = statistics.median(r["drain_jobs_per_s"] for r in rs)
            out.setdefault(name, {})[conns] = row
        created = [r["endpoints"][name].get("tickets_created") for r in rounds]
        if created[0] is not None:
            out[name]["tickets_created"] = created
            out[name]["requests_sent"] = [r["endpoints"][name]["requests_sent"] for r in rounds]
    return out


# ---- the peer --------------------------------------------------------------------------------


def run_peer(args: argparse.Namespace) -> dict[str, Any]:
    """The peer's own harness (bench.py), unchanged, on its SQLite data, right after ours."""
    peer = Path(args.peer).resolve()
    cmd = [str(peer / ".venv" / "bin" / "python"), str(peer / "bench.py"), "--rounds", str(args.peer_rounds)]
    cmd += ["--port", str(sb.free_port()), "--no-md"]
    log(f"peer: {' '.join(cmd[1:])}")
    subprocess.run(cmd, cwd=peer, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, timeout=7200)
    res = json.loads((peer / "results.json").read_text(encoding="utf-8"))
    agg = res["aggregate"]
    keep = {
        "submit_form": "public submission, web form POST",
        "submit_api": "REST API ticket POST (staff session)",
        "list_page": "agent ticket list page (HTML shell)",
        "list_data": "agent ticket list data (DataTables JSON)",
        "api_list": "REST API ticket list, page 1",
        "ticket_detail": "agent ticket detail page",
    }
    rows = {}
    for key, label in keep.items():
        if key in agg:
            rows[key] = {"label": label, **agg[key]}
    return {
        "date": res["meta"]["date"],
        "rounds": args.peer_rounds,
        "cpu_calibration_ms": res["meta"]["cpu_calibration_ms"],
        "rows": rows,
    }


# ---- report ----------------------------------------------------------------------------------

LABELS = {
    "submit_form": "public submission (guest web form POST)",
    "submit_api": "signed-in customer POST /api/v1/tickets",
    "inbox": "agent inbox page (view=all)",
    "api_list": "API list page 1 (view=all, agent)",
    "detail": "agent ticket page (200 refs)",
    "submit_form_noworker": "guest web form POST, job worker stopped",
}


def markdown(report: dict[str, Any]) -> str:
    m = report["machine"]
    per_round = ", ".join(f"{r['vm_before']}/{r['vm_after']}" for mr in report["modes"] for r in mr["rounds"])
    lines = [
        f"Run {report['date']} on {m['cores']} cores ({m['cpu']}), Python {m['python']}; "
        f"{report['tickets']:,} generated tickets; wrk 1 thread, {report['lat_s']} s at 1 connection and "
        f"{report['load_s']} s at 8, {report['rounds']} round(s) (medians), each round on a fresh copy of the seeded "
        f"database with a fresh server. VM check before/after: {report['vm_before']}/{report['vm_after']} ms "
        f"(per round: {per_round}).",
        "",
        "| mode | seeded | messages / ticket | bulk insert tickets/s "
        "| SQL queries: guest form · API POST · inbox · API list · ticket page |",
        "| --- | ---: | ---: | ---: | --- |",
    ]
    for r in report["modes"]:
        s, q = r["seed"], r["queries"]
        lines.append(
            f"| {r['mode']} | {s['tickets']:,} tickets, {s['messages']:,} messages | {s['messages_per_ticket']} | "
            f"{s['tickets_per_s']:,} | {q['guest_submit']['queries']} · {q['api_submit']['queries']} · "
            f"{q['inbox']['queries']} · {q['api_list']['queries']} · {q['detail']['queries']} |"
        )
    lines += [
        "",
        "| mode | endpoint | 1 conn req/s | 1 conn p50 / p99 ms | 8 conns req/s | 8 conns p50 / p99 ms | errors "
        "| tickets created / requests |",
        "| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for r in report["modes"]:
        for name, row in r["summary"].items():
            c1, c8 = row.get("c1"), row["c8"]
            created = ""
            if "tickets_created" in row:
                created = f"{sum(row['tickets_created']):,} / {sum(row['requests_sent']):,}"
            if "drain_s" in c8:
                created = (
                    f"{c8['jobs_queued']:,.0f} jobs queued, drained in {c8['drain_s']:.2f} s "
                    f"({c8['drain_jobs_per_s']:.1f} jobs/s)"
                )
            lat1 = f"{c1['p50_ms']} / {c1['p99_ms']}" if c1 else "—"
            lines.append(
                f"| {r['mode']} | {LABELS[name]} | {c1['rps'] if c1 else '—'} | "
                f"{lat1} | {c8['rps']} | {c8['p50_ms']} / {c8['p99_ms']} | "
                f"{(c1['errors'] if c1 else 0) + c8['errors']} | {created} |"
            )
    peer = report.get("peer")
    if peer:
        for row in peer["rows"].values():
            c1 = next(x for x in row["runs"] if x["conns"] == 1) if "runs" in row else row.get("c1")
            c8 = next(x for x in row["runs"] if x["conns"] == 8) if "runs" in row else row.get("c8")
            if not c1 or not c8:
                continue
            lines.append(
                f"| peer, SQLite, gunicorn 2 | {row['label']} | {c1['rps']} | {c1['p50_ms']} / {c1['p99_ms']} | "
                f"{c8['rps']} | {c8['p50_ms']} / {c8['p99_ms']} | {c1.get('errors', 0) + c8.get('errors', 0)} | |"
            )
        lines.append("")
        lines.append(
            f"Peer: django-helpdesk 2.6.1 measured by its own harness (`bench.py --rounds {peer['rounds']}`) "
            f"right after, on the same machine, {peer['date']}; its VM checks (a different loop, ms): "
            f"{peer['cpu_calibration_ms']}."
        )
    return "\n".join(lines) + "\n"


def write_doc(block: str, tag: str) -> None:
    doc = ROOT / "docs" / "benchmarks.md"
    text = doc.read_text(encoding="utf-8")
    begin, end = f"<!-- BEGIN {tag} -->", f"<!-- END {tag} -->"
    new = f"{begin}\n{block}{end}"
    if begin in text:
        text = re.sub(re.escape(begin) + ".*?" + re.escape(end), lambda _m: new, text, flags=re.S)
    else:
        text = text.rstrip("\n") + "\n\n" + new + "\n"
    doc.write_text(text, encoding="utf-8")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--tickets", type=int, default=10_000)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--lat-s", type=int, default=10)
    ap.add_argument("--load-s", type=int, default=20)
    ap.add_argument("--modes", default="embedded,scaleout")
    ap.add_argument("--reads-only", action="store_true", help="only the inbox, API list and ticket page")
    ap.add_argument("--peer", default="", help="a set-up copy of the peer (bash bench/peer.sh prints one)")
    ap.add_argument("--peer-rounds", type=int, default=1)
    ap.add_argument("--no-doc", action="store_true", help="do not rewrite the block in docs/benchmarks.md")
    ap.add_argument("--only", default="", help="comma-separated endpoints to time (e.g. submit_form); implies --no-doc")
    args = ap.parse_args()
    if shutil.which("wrk") is None:
        raise SystemExit("wrk is not installed: apt-get install wrk")
    if args.tickets > 100_000 and "embedded" in args.modes.split(","):
        raise SystemExit("more than 100,000 tickets: PostgreSQL only (--modes scaleout)")
    cpu = Path("/proc/cpuinfo")
    names = re.findall(r"model name\s*:\s*(.+)", cpu.read_text()) if cpu.exists() else []
    report: dict[str, Any] = {
        "date": dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "machine": {
            "cores": os.cpu_count(),
            "cpu": names[0].strip() if names else (platform.processor() or platform.machine()),
            "python": platform.python_version(),
        },
        "command": " ".join(sys.argv),
        "tickets": args.tickets,
        "rounds": args.rounds,
        "lat_s": args.lat_s,
        "load_s": args.load_s,
        "vm_before": sb.vm_check(),
        "modes": [],
    }
    with tempfile.TemporaryDirectory(prefix="safedesk-tickets-bench-") as tmp:
        work = Path(tmp)
        for mode in args.modes.split(","):
            report["modes"].append(run_mode(mode, args, work))
    out = ROOT / "bench" / "out"
    out.mkdir(exist_ok=True)
    stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%d-%H%M")
    raw = out / f"tickets-{stamp}.json"
    report["vm_after"] = sb.vm_check()
    raw.write_text(json.dumps(report, indent=2, ensure_ascii=False), encoding="utf-8")  # kept if the peer fails
    if args.peer:
        report["peer"] = run_peer(args)
        report["vm_after"] = sb.vm_check()
        raw.write_text(json.dumps(report, indent=2, ensure_ascii=False), encoding="utf-8")
    block = markdown(report)
    print(block)
    if not args.no_doc and not args.only:
        write_doc(block, "tickets_bench_1m" if args.tickets > 100_000 else "tickets_bench")
    return 0


if __name__ == "__main__":
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(1))  # finally-blocks stop the servers
    sys.exit(main())
