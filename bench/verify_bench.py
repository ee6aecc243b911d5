"""Official-channel verifier speed: `safety.channels.parse` and `Matcher.resemblance` against a
registry of 200 official channels (the work of one lookup once the per-process snapshot is
built; the snapshot costs no query while the registry is unchanged).

The registry is synthetic: 40 brands, each with a domain, an email address, a hotline, a
Telegram account and an X account. Queries are a mix of official channels in other notations,
look-alikes of them (homoglyphs, punycode, typos, added words, subdomain tricks, similar
numbers) and unrelated channels. Prints p50/p99 in microseconds per step, median over rounds.

    .venv/bin/python bench/verify_bench.py [--rounds 5]
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

BRANDS = [
    "bitpie",
    "coinvault",
    "safewallet",
    "tokenhub",
    "chainkeep",
    "hashbank",
    "ledgerly",
    "cryptonest",
    "walletpro",
    "satoshibox",
    "etherdock",
    "blockbay",
    "minthaus",
    "stackpay",
    "keyforge",
    "nodepark",
    "vaultline",
    "coinharbor",
    "zhibao",
    "qianbao",
    "huobiwallet",
    "okwallet",
    "tronkeep",
    "solbox",
    "polyvault",
    "arbikeep",
    "optimint",
    "basecamp",
    "zksafe",
    "starkbox",
    "cosmoskey",
    "dotwallet",
    "avaxhub",
    "nearnest",
    "aptoskey",
    "suibox",
    "tonvault",
    "xrpdock",
    "adapark",
    "ltcbank",
]


def registry() -> list[tuple[str, str, str]]:
    out = []
    for i, brand in enumerate(BRANDS):
        out += [
            ("domain", f"{brand}.com", ""),
            ("email", f"support@{brand}.com", ""),
            ("phone", f"+86 400 {100 + i:03d} {1000 + i * 7:04d}", ""),
            ("handle", f"@{brand}", "telegram"),
            ("handle", f"@{brand}_official", "x"),
        ]
    return out


def queries(rng: random.Random) -> list[str]:
    out = []
    for i, brand in enumerate(BRANDS):
        out += [
            f"https://www.{brand}.com/download?utm_source=ad",
            f"0086-400-{100 + i:03d}-{1000 + i * 7:04d}",
            brand.replace("i", "і", 1) + ".com",  # Cyrillic і
            f"{brand}-support.com",
            f"{brand}客服.com",
            f"{brand}.com.help-desk.io",
            brand[:-1] + brand[-1] * 2 + ".com",
            f"+86 400 {100 + i:03d} {1000 + i * 7 + 1:04d}",
            f"https://t.me/{brand}_help",
            f"{brand}@gmail.com",
            f"unrelated{rng.randrange(10**6)}.net",
            f"+1 212 555 {rng.randrange(10**4):04d}",
        ]
    rng.shuffle(out)
    return out


def pct(values: list[float], p: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, round(p / 100 * (len(values) - 1)))]


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rounds", type=int, default=5)
    args = ap.parse_args()
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "safedesk.settings")
    import django

    django.setup()
    from safedesk.safety import channels

    officials = [channels.parse(v, kind=k, platform=p or None) for k, v, p in registry()]
    started = time.perf_counter()
    matcher = channels.Matcher(officials)
    build_ms = (time.perf_counter() - started) * 1000
    rng = random.Random(4)
    texts = queries(rng)
    rows: dict[str, list[tuple[float, float]]] = {"parse": [], "resemblance": [], "both": []}
    flagged = 0
    for _ in range(args.rounds):
        parse_t, match_t, both_t = [], [], []
        flagged = 0
        for text in texts:
            a = time.perf_counter()
            try:
                channel = channels.parse(text)
            except channels.NotAChannel:
                continue
            b = time.perf_counter()
            found = matcher.resemblance(channel)
            c = time.perf_counter()
            flagged += found is not None
            parse_t.append((b - a) * 1e6)
            match_t.append((c - b) * 1e6)
            both_t.append((c - a) * 1e6)
        for name, values in (("parse", parse_t), ("resemblance", match_t), ("both", both_t)):
            rows[name].append((pct(values, 50), pct(values, 99)))
    print(f"officials: {len(officials)}, queries: {len(texts)}, flagged as look-alikes: {flagged}")
    print(f"Matcher built in {build_ms:.0f} ms (first build loads the confusables data)")
    for name, values in rows.items():
        p50 = statistics.median(v[0] for v in values)
        p99 = statistics.median(v[1] for v in values)
        print(f"{name:12s} p50 {p50:7.1f} µs   p99 {p99:7.1f} µs   (median of {args.rounds} rounds)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
