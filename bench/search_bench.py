"""`make bench`: the help-center search benchmark, side by side with the peer when it is set up.

For each mode — embedded (SQLite, `safedesk serve`, one uvicorn process) and scale-out
(PostgreSQL + Redis, granian with 2 WSGI workers) — it builds a fresh database with the
demo content plus N generated zh/en articles, then reports:
  * index build time,
  * search latency in-process (p50/p99 over the labelled query set, 20 repeats),
  * search over HTTP with wrk (1 and 8 connections, R rounds, medians of the rounds),
  * Recall@1 and Recall@3 of bench/queries.tsv among all those articles.
With --peer DIR (a set-up copy of ../shared/bench/peer-django-helpdesk) the peer's KB category
page is measured with the same wrk settings in the same run. Load goes to 127.0.0.1 only, every
wrk run is bounded in time, and only processes this script started are signalled.

    .venv/bin/python bench/search_bench.py [--articles 10000] [--rounds 3] [--peer /tmp/peer]
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
BIN = ROOT / ".venv" / "bin"
PG_ADMIN = "postgresql://root@127.0.0.1:5432/postgres"
PG_DB = "safedesk_bench"


def log(msg: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {msg}", flush=True)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def base_env(data_dir: Path) -> dict[str, str]:
    env = {
        k: v for k, v in os.environ.items() if not k.startswith("SAFEDESK_") and k not in {"DATABASE_URL", "REDIS_URL"}
    }
    env.update({"SAFEDESK_DATA_DIR": str(data_dir), "SAFEDESK_SEARCH_RATE": "0", "SAFEDESK_LOG_LEVEL": "WARNING"})
    return env


def mode_env(mode: str, data_dir: Path) -> dict[str, str]:
    env = base_env(data_dir)
    if mode == "scaleout":
        env.update(
            {
                "SAFEDESK_MODE": "scaleout",
                "DATABASE_URL": f"postgresql://root@127.0.0.1:5432/{PG_DB}",
                "REDIS_URL": "redis://127.0.0.1:6379/7",
                "SAFEDESK_SECRET_KEY": "bench-only-secret-key-" + "x" * 40,
            }
        )
    else:
        env["SAFEDESK_MODE"] = "embedded"
    return env


def reset_postgres() -> None:
    import psycopg

    with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {PG_DB} WITH (FORCE)")
        conn.execute(f"CREATE DATABASE {PG_DB}")


def django_step(env: dict[str, str], *args: str) -> dict[str, Any]:
    out = subprocess.run(
        [str(BIN / "python"), str(HERE / "django_side.py"), *args], env=env, capture_output=True, text=True, check=True
    ).stdout
    line = next(line for line in out.splitlines() if line.startswith("RESULT "))
    return json.loads(line[len("RESULT ") :])


def wait_http(url: str, timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=5) as resp:
                if resp.status == 200:
                    return
        except OSError:
            time.sleep(0.3)
    raise SystemExit(f"{url} did not answer in {timeout} s")


def start_server(mode: str, env: dict[str, str], port: int) -> subprocess.Popen[bytes]:
    if mode == "scaleout":
        # granian's WSGI interface, as docs/deploy-scaleout.md runs it: 2 worker processes, each
        # calling Django from one thread (like a sync worker; ADR 0007).
        cmd = [
            str(BIN / "granian"),
            "--interface",
            "wsgi",
            "--workers",
            "2",
            "--blocking-threads",
            "1",
            "--runtime-threads",
            "1",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--log-level",
            "warning",
            "safedesk.wsgi:application",
        ]
    else:
        cmd = [str(BIN / "safedesk"), "serve", "--no-worker", "--port", str(port)]
    return subprocess.Popen(cmd, env=env, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def stop(proc: subprocess.Popen[bytes]) -> None:
    proc.send_signal(signal.SIGTERM)
    try:
        proc.wait(timeout=30)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


def wrk(base: str, paths_file: Path, conns: int, seconds: int) -> dict[str, Any]:
    env = dict(os.environ, SAFEDESK_BENCH_PATHS=str(paths_file))
    out = subprocess.run(
        ["wrk", "-t1", f"-c{conns}", f"-d{seconds}s", "--timeout", "10s", "-s", str(HERE / "paths.lua"), base],
        env=env,
        capture_output=True,
        text=True,
        check=True,
        timeout=seconds + 60,
    ).stdout
    line = next(line for line in out.splitlines() if line.startswith("RESULT "))
    r = json.loads(line[len("RESULT ") :])
    r["rps"] = r["requests"] / (r["duration_us"] / 1e6)
    return r


def vm_check() -> float:
    """A fixed pure-Python loop (ms, best of 3): how fast this VM is right now."""
    best = float("inf")
    for _ in range(3):
        t = time.perf_counter()
        x = 0
        for i in range(1_000_000):
            x += i % 7
        best = min(best, time.perf_counter() - t)
    return round(best * 1000, 1)


def warm(base: str, paths: Path) -> None:
    """Request every path once (and check it answers 200) before anything is timed."""
    for path in paths.read_text(encoding="utf-8").split():
        with urllib.request.urlopen(base + path, timeout=30) as resp:
            if resp.status != 200:
                raise SystemExit(f"{path} answered {resp.status}")


def measure(label: str, base: str, paths: Path, rounds: int, lat_s: int, load_s: int) -> dict[str, Any]:
    runs: dict[int, list[dict[str, Any]]] = {1: [], 8: []}
    for _ in range(rounds):
        for conns, secs in ((1, lat_s), (8, load_s)):
            time.sleep(1)
            runs[conns].append(wrk(base, paths, conns, secs))
    result: dict[str, Any] = {"label": label}
    for conns, rs in runs.items():
        result[f"c{conns}"] = {
            "rps": round(statistics.median(r["rps"] for r in rs), 1),
            "p50_ms": round(statistics.median(r["p50_us"] for r in rs) / 1000, 2),
            "p99_ms": round(statistics.median(r["p99_us"] for r in rs) / 1000, 2),
            "errors": sum(r["non2xx"] + r["socket_errors"] for r in rs),
            "requests": sum(r["requests"] for r in rs),
            "rounds_rps": [round(r["rps"], 1) for r in rs],
        }
    log(
        f"{label}: 1 conn p99 {result['c1']['p99_ms']} ms, 8 conns p99 {result['c8']['p99_ms']} ms, "
        f"{result['c8']['rps']} req/s"
    )
    return result


def search_paths(work: Path) -> tuple[Path, Path]:
    rows = (HERE / "queries.tsv").read_text(encoding="utf-8").splitlines()[1:]
    api, html = [], []
    for row in rows:
        lang, query, _ = row.split("\t")
        q = urllib.parse.urlencode({"q": query, "lang": lang})
        api.append(f"/api/v1/articles/search?{q}")
        html.append(f"/help/search/?{urllib.parse.urlencode({'q': query})}")
    (work / "api.txt").write_text("\n".join(api) + "\n", encoding="utf-8")
    (work / "html.txt").write_text("\n".join(html) + "\n", encoding="utf-8")
    return work / "api.txt", work / "html.txt"


def run_mode(mode: str, args: argparse.Namespace, work: Path) -> dict[str, Any]:
    data_dir = work / f"data-{mode}"
    data_dir.mkdir()
    env = mode_env(mode, data_dir)
    if mode == "scaleout":
        reset_postgres()
    subprocess.run([str(BIN / "safedesk"), "migrate", "-v", "0"], env=env, check=True, cwd=ROOT)
    django_step(env, "demo")
    recall_demo = django_step(env, "recall")
    log(f"{mode}: demo content only: Recall@1 {recall_demo['recall_at_1']}, Recall@3 {recall_demo['recall_at_3']}")
    log(f"{mode}: seeding {args.articles} articles")
    seeded = django_step(env, "seed", str(args.articles))
    log(f"{mode}: {seeded}")
    # In-process latency is the search itself: the result cache is off for this step.
    inproc = django_step(dict(env, SAFEDESK_SEARCH_CACHE_SECONDS="0"), "inproc")
    log(f"{mode}: in-process {inproc}")
    recall = django_step(env, "recall")
    log(f"{mode}: Recall@1 {recall['recall_at_1']}, Recall@3 {recall['recall_at_3']}")
    api_paths, html_paths = search_paths(work)
    http = []
    for cache_seconds, variants in (
        ("300", [("API search", api_paths), ("search page (HTML)", html_paths)]),
        ("0", [("API search, result cache off", api_paths)]),
    ):
        port = free_port()
        proc = start_server(mode, dict(env, SAFEDESK_SEARCH_CACHE_SECONDS=cache_seconds), port)
        base = f"http://127.0.0.1:{port}"
        try:
            wait_http(base + "/api/v1/articles/search?q=fee")
            for label, paths in variants:
                warm(base, paths)
                http.append(measure(f"{mode} {label}", base, paths, args.rounds, args.lat_s, args.load_s))
        finally:
            stop(proc)
    return {"mode": mode, "seed": seeded, "inproc": inproc, "recall_demo": recall_demo, "recall": recall, "http": http}


def run_peer(args: argparse.Namespace, work: Path) -> dict[str, Any]:
    peer = Path(args.peer)
    truth = json.loads((peer / "site" / "seed_truth_sqlite.json").read_text(encoding="utf-8"))
    paths = work / "peer.txt"
    paths.write_text("\n".join(f"/helpdesk/kb/{s}/" for s in truth["kb_category_slug"].values()) + "\n")
    port = free_port()
    proc = subprocess.Popen(
        [
            str(peer / ".venv" / "bin" / "gunicorn"),
            "--chdir",
            str(peer / "site"),
            "--workers",
            "2",
            "-b",
            f"127.0.0.1:{port}",
            "--log-level",
            "warning",
            "hdbench.wsgi:application",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        wait_http(base + "/helpdesk/kb/")
        warm(base, paths)
        return measure(
            "peer KB category page (django-helpdesk, SQLite, gunicorn 2)",
            base,
            paths,
            args.rounds,
            args.lat_s,
            args.load_s,
        )
    finally:
        stop(proc)


def markdown(report: dict[str, Any]) -> str:
    m = report["machine"]
    lines = [
        f"Run {report['date']} on {m['cores']} cores ({m['cpu']}), Python {m['python']}; "
        f"{report['articles']:,} generated articles (40 % zh, 35 % en, 25 % both) + the demo content; "
        f"wrk 1 thread, {report['lat_s']} s at 1 connection and {report['load_s']} s at 8, "
        f"{report['rounds']} rounds (medians). VM check before/after: {report['vm_before']}/{report['vm_after']} ms.",
        "",
        "| mode | index build | docs/s | in-process p50 / p99 ms (result cache off) "
        "| Recall@1 / @3, demo content | Recall@1 / @3, among all |",
        "| --- | ---: | ---: | ---: | ---: | ---: |",
    ]
    for r in report["modes"]:
        s, i, rc, rd = r["seed"], r["inproc"], r["recall"], r["recall_demo"]
        lines.append(
            f"| {r['mode']} | {s['index_build_s']} s ({s['indexed_documents']:,} docs) | {s['index_docs_per_s']:,} | "
            f"{i['p50_ms']} / {i['p99_ms']} | {rd['recall_at_1']:.1%} / {rd['recall_at_3']:.1%} "
            f"| {rc['recall_at_1']:.1%} / {rc['recall_at_3']:.1%} |"
        )
    lines += [
        "",
        "| HTTP | 1 conn req/s | 1 conn p50 / p99 ms | 8 conns req/s | 8 conns p50 / p99 ms | errors |",
        "| --- | ---: | ---: | ---: | ---: | ---: |",
    ]
    rows = [h for r in report["modes"] for h in r["http"]] + ([report["peer"]] if report.get("peer") else [])
    for h in rows:
        c1, c8 = h["c1"], h["c8"]
        lines.append(
            f"| {h['label']} | {c1['rps']} | {c1['p50_ms']} / {c1['p99_ms']} | {c8['rps']} | "
            f"{c8['p50_ms']} / {c8['p99_ms']} | {c1['errors'] + c8['errors']} |"
        )
    return "\n".join(lines) + "\n"


def write_doc(block: str) -> None:
    doc = ROOT / "docs" / "benchmarks.md"
    text = doc.read_text(encoding="utf-8")
    begin, end = "<!-- BEGIN search_bench -->", "<!-- END search_bench -->"
    new = f"{begin}\n{block}{end}"
    text = re.sub(re.escape(begin) + ".*?" + re.escape(end), lambda _m: new, text, flags=re.S)
    doc.write_text(text, encoding="utf-8")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--articles", type=int, default=10_000)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--lat-s", type=int, default=10)
    ap.add_argument("--load-s", type=int, default=15)
    ap.add_argument("--modes", default="embedded,scaleout")
    ap.add_argument("--peer", default="", help="a set-up copy of the peer's bench dir (setup.sh + seed.py run)")
    ap.add_argument("--no-doc", action="store_true", help="do not rewrite the block in docs/benchmarks.md")
    args = ap.parse_args()
    if shutil.which("wrk") is None:
        raise SystemExit("wrk is not installed: apt-get install wrk")
    report: dict[str, Any] = {
        "date": dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "machine": {
            "cores": os.cpu_count(),
            "cpu": platform.processor() or platform.machine(),
            "python": platform.python_version(),
        },
        "articles": args.articles,
        "rounds": args.rounds,
        "lat_s": args.lat_s,
        "load_s": args.load_s,
        "vm_before": vm_check(),
        "modes": [],
    }
    cpu = Path("/proc/cpuinfo")
    if cpu.exists():
        names = re.findall(r"model name\s*:\s*(.+)", cpu.read_text())
        if names:
            report["machine"]["cpu"] = names[0].strip()
    with tempfile.TemporaryDirectory(prefix="safedesk-bench-") as tmp:
        work = Path(tmp)
        for mode in args.modes.split(","):
            report["modes"].append(run_mode(mode, args, work))
        if args.peer:
            report["peer"] = run_peer(args, work)
    report["vm_after"] = vm_check()
    out = ROOT / "bench" / "out"
    out.mkdir(exist_ok=True)
    stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%d-%H%M")
    (out / f"search-{stamp}.json").write_text(json.dumps(report, indent=2, ensure_ascii=False), encoding="utf-8")
    block = markdown(report)
    print(block)
    if not args.no_doc:
        write_doc(block)
    return 0


if __name__ == "__main__":
    sys.exit(main())
