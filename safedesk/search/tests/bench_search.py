"""Search latency at 10,000 indexed articles (issue #2). Not a test: run it by hand.

    .venv/bin/python -m safedesk.search.tests.bench_search [count]
    DATABASE_URL=postgresql://root@127.0.0.1:5432/search_dev .venv/bin/python -m safedesk.search.tests.bench_search

It builds a throw-away test database (in memory for SQLite, test_<name> for PostgreSQL), bulk
indexes `count` synthetic articles plus the realistic corpus, and prints p50/p99 per query.
"""

from __future__ import annotations

import os
import statistics
import sys
import time


def say(line: str) -> None:
    sys.stdout.write(line + "\n")


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "safedesk.settings")
    import django

    django.setup()
    from django.db import connection
    from django.test.utils import setup_test_environment

    from safedesk.search import selectors, tokenize
    from safedesk.search.tests.corpus import index_corpus, index_synthetic

    count = int(sys.argv[1]) if len(sys.argv) > 1 else 10_000
    setup_test_environment()
    old_name = connection.creation.create_test_db(verbosity=0, autoclobber=True, serialize=False)
    try:
        tokenize.warm_up()
        started = time.perf_counter()
        index_synthetic(count)
        index_corpus()
        indexed = time.perf_counter() - started
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("ANALYZE search_searchdocument")
        say(f"{connection.vendor}: indexed {count} documents in {indexed:.1f} s")
        queries = [
            ("fee", None),
            ("fee", "en"),
            ("账户", "zh-hans"),
            ("账户锁定", "zh-hans"),
            ("account locked", "en"),
            ("withdrawal fee", "en"),
            ("提币手续费", "zh-hans"),
            ("2FA lost", "en"),
            ("谷歌验证器丢了", None),
            ("deposit not arrived", "en"),
            ("password reset email", "en"),
            ("充值 到账", "zh-hans"),
        ]
        everything: list[float] = []
        for query, lang in queries:
            for _ in range(20):
                selectors.search(query, lang=lang)
            timings: list[float] = []
            for _ in range(200):
                t0 = time.perf_counter()
                selectors.search(query, lang=lang)
                timings.append((time.perf_counter() - t0) * 1000)
            timings.sort()
            everything.extend(timings)
            p50 = statistics.median(timings)
            p99 = timings[int(len(timings) * 0.99) - 1]
            say(f"  {query!r:28} lang={lang!s:8} p50 {p50:6.2f} ms  p99 {p99:6.2f} ms")
        everything.sort()
        p50 = statistics.median(everything)
        p99 = everything[int(len(everything) * 0.99) - 1]
        say(f"  all queries: p50 {p50:.2f} ms  p99 {p99:.2f} ms")
        timings = []
        for prefix in ("wi", "with", "withdr", "acc", "账", "账户", "fee sc"):
            for _ in range(50):
                t0 = time.perf_counter()
                selectors.suggest(prefix, lang="en")
                timings.append((time.perf_counter() - t0) * 1000)
        timings.sort()
        p50, p99 = statistics.median(timings), timings[int(len(timings) * 0.99) - 1]
        say(f"  suggest: p50 {p50:.2f} ms  p99 {p99:.2f} ms")
    finally:
        connection.creation.destroy_test_db(old_name, verbosity=0)


if __name__ == "__main__":
    main()
