"""Secret shield speed on 2 KB messages (issue #4: p99 ≤ 2 ms for a 2 KB message).

Builds messages of 2,048 UTF-8 bytes from the public evaluation data (BANKING77 texts, AFQMC
sentences; read from ../shared/data, never copied), plain and with a secret inserted (a 24-word
phrase, spaced or written together, a WIF key, a hex key), and times `lib.secretscan.redact` on
each, in rounds; prints p50/p99 per kind of message and over all, median over the rounds.

    .venv/bin/python bench/shield_bench.py [--data ../shared/data] [--rounds 5] [--messages 400]
"""

from __future__ import annotations

import argparse
import csv
import os
import random
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def fill(sentences: list[str], rng: random.Random, size: int = 2048) -> str:
    out = ""
    while True:
        s = rng.choice(sentences)
        if len((out + s).encode()) > size:
            break
        out += s + (" " if s[-1:].isascii() else "")
    return out


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--data", default=str(ROOT.parent / "shared" / "data"))
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--messages", type=int, default=400)
    args = ap.parse_args()
    data = Path(args.data)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "safedesk.settings")
    from mnemonic import Mnemonic

    from safedesk.lib import secretscan

    with (data / "banking77" / "train.csv").open(encoding="utf-8") as f:
        english = [row["text"] for row in csv.DictReader(f)]
    chinese = [
        part
        for line in (data / "afqmc" / "train.tsv").read_text(encoding="utf-8").splitlines()
        for part in line.split("\t")[:2]
    ]
    rng = random.Random(7)
    zh = Mnemonic("chinese_simplified")
    en = Mnemonic("english")
    secrets = {
        "phrase_en": lambda: en.generate(256),
        "phrase_zh_joined": lambda: zh.generate(256).replace(" ", ""),
        "wif": lambda: "L1RrrnXkcKut5DEMwtDthjwRcTTwED36thyL1DebVrKuwvohjMNi",
        "hex": lambda: f"{rng.getrandbits(256):064x}",
    }
    messages: dict[str, list[str]] = {"plain_en": [], "plain_zh": [], "secret": []}
    for _ in range(args.messages):
        messages["plain_en"].append(fill(english, rng))
        messages["plain_zh"].append(fill(chinese, rng))
        carrier = fill(chinese if rng.random() < 0.5 else english, rng, 1900)
        at = rng.randrange(len(carrier))
        messages["secret"].append(carrier[:at] + " " + rng.choice(list(secrets.values()))() + " " + carrier[at:])
    secretscan.warm_up()
    rows: dict[str, list[tuple[float, float]]] = {k: [] for k in [*messages, "all"]}
    for _ in range(args.rounds):
        every: list[float] = []
        for kind, texts in messages.items():
            times = []
            for text in texts:
                t = time.perf_counter()
                secretscan.redact(text)
                times.append((time.perf_counter() - t) * 1000)
            every += times
            times.sort()
            rows[kind].append((statistics.median(times), times[int(len(times) * 0.99)]))
        every.sort()
        rows["all"].append((statistics.median(every), every[int(len(every) * 0.99)]))
    sizes = {k: statistics.mean(len(t.encode()) for t in v) for k, v in messages.items()}
    # Plain 2 KB messages are a harder test of false positives than single sentences: each has
    # about fifty times as many windows of list words.
    flagged = {k: sum(bool(secretscan.scan(t)) for t in messages[k]) for k in ("plain_en", "plain_zh")}
    missed = sum(not secretscan.scan(t) for t in messages["secret"])
    print(f"{args.rounds} rounds, {args.messages} messages of each kind; medians over rounds (ms)")
    print(f"  plain messages with a finding: {flagged}; messages with a secret and no finding: {missed}")
    for kind, values in rows.items():
        p50 = statistics.median(v[0] for v in values)
        p99 = statistics.median(v[1] for v in values)
        size = f"{sizes[kind]:.0f} B" if kind in sizes else ""
        print(
            f"  {kind:10s} {size:>7s}  p50 {p50:.3f}  p99 {p99:.3f}  "
            f"(p99 per round: {', '.join(f'{v[1]:.3f}' for v in values)})"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
