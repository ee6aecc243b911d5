"""The parts of the search benchmark that run inside Django (called by search_bench.py with the
environment of the mode under test). Prints one JSON line per step.

    python bench/django_side.py demo        # the demo help-center content
    python bench/django_side.py seed N      # N generated articles, index build time
    python bench/django_side.py inproc      # in-process search latency over the query set
    python bench/django_side.py recall      # Recall@1 / Recall@3 of the labelled query set
"""

from __future__ import annotations

import csv
import json
import os
import statistics
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
sys.path.insert(0, str(HERE))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "safedesk.settings")

import django  # noqa: E402

django.setup()

import corpus  # noqa: E402
from django.db import transaction  # noqa: E402
from django.utils import timezone  # noqa: E402

from safedesk.helpcenter import services as hc_services  # noqa: E402
from safedesk.helpcenter.models import Article, ArticleTranslation, Category, Status  # noqa: E402
from safedesk.helpcenter.selectors import article_url  # noqa: E402
from safedesk.lib.db import refresh_planner_statistics  # noqa: E402
from safedesk.lib.markdown import to_plain  # noqa: E402
from safedesk.search import selectors as search  # noqa: E402
from safedesk.search import services as search_services  # noqa: E402

DEMO = HERE.parent / "safedesk" / "demo" / "content"


def load_queries() -> list[tuple[str, str, set[str]]]:
    with (HERE / "queries.tsv").open(encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh, delimiter="\t"))
    return [(r["lang"], r["query"], set(r["expected"].split("|"))) for r in rows]


def demo() -> dict[str, float | int]:
    imported = hc_services.import_articles(DEMO, actor=None)
    refresh_planner_statistics()
    return {"demo_translations_created": imported.created, "errors": len(imported.errors)}


def seed(count: int) -> dict[str, float | int]:
    t0 = time.perf_counter()
    generated = list(corpus.generate(count))
    now = timezone.now()
    with transaction.atomic():
        cats = {}
        for topic, _title, _kw in corpus.TOPICS_EN:
            cats[topic], _ = Category.objects.get_or_create(
                slug=f"bench-{topic}", defaults={"name_zh_hans": topic, "name_en": topic, "position": 100}
            )
        Article.objects.bulk_create(
            [Article(key=g.key, category=cats[g.category], tags=[g.category]) for g in generated], batch_size=1000
        )
        ids = dict(Article.objects.filter(key__startswith="bench-").values_list("key", "id"))
        rows = []
        for g in generated:
            for lang, title, body in g.translations():
                rows.append(
                    ArticleTranslation(
                        article_id=ids[g.key],
                        lang=lang,
                        title=title,
                        slug=f"{g.key}-{lang}",
                        body=body,
                        status=Status.PUBLISHED,
                        published_at=now,
                    )
                )
        ArticleTranslation.objects.bulk_create(rows, batch_size=1000)
    insert_s = time.perf_counter() - t0
    t1 = time.perf_counter()
    docs = (
        search_services.DocumentInput(
            kind="article",
            key=tr.article.key,
            lang=tr.lang,
            title=tr.title,
            body=to_plain(tr.body),
            url=article_url(tr.slug),
            tags=" ".join(tr.article.tags),
        )
        for tr in ArticleTranslation.objects.filter(article__key__startswith="bench-").select_related("article")
    )
    indexed = search_services.index_many(docs)
    index_s = time.perf_counter() - t1
    refresh_planner_statistics()  # what a deployment does after a bulk import
    return {
        "generated_articles": count,
        "generated_translations": len(rows),
        "indexed_documents": indexed,
        "insert_s": round(insert_s, 2),
        "index_build_s": round(index_s, 2),
        "index_docs_per_s": round(indexed / index_s, 1) if index_s else 0.0,
    }


def inproc(repeats: int = 20) -> dict[str, float | int]:
    queries = load_queries()
    for lang, q, _ in queries:  # warm up caches, the segmenter and the database pages
        search.search(q, lang=lang, limit=10)
    times: list[float] = []
    for _ in range(repeats):
        for lang, q, _ in queries:
            t = time.perf_counter()
            search.search(q, lang=lang, limit=10)
            times.append((time.perf_counter() - t) * 1000)
    times.sort()
    return {
        "searches": len(times),
        "p50_ms": round(statistics.median(times), 3),
        "p99_ms": round(times[int(len(times) * 0.99) - 1], 3),
        "max_ms": round(times[-1], 3),
    }


def recall() -> dict[str, object]:
    queries = load_queries()
    at1 = at3 = 0
    misses = []
    for lang, q, expected in queries:
        keys = [h.key for h in search.search(q, lang=lang, limit=3).hits]
        at1 += bool(keys[:1] and keys[0] in expected)
        hit3 = bool(expected & set(keys))
        at3 += hit3
        if not hit3:
            misses.append({"lang": lang, "query": q, "expected": sorted(expected), "got": keys})
    n = len(queries)
    return {"queries": n, "recall_at_1": round(at1 / n, 4), "recall_at_3": round(at3 / n, 4), "misses": misses}


if __name__ == "__main__":
    step = sys.argv[1]
    if step == "demo":
        out: object = demo()
    elif step == "seed":
        out = seed(int(sys.argv[2]))
    elif step == "inproc":
        out = inproc()
    elif step == "recall":
        out = recall()
    else:
        raise SystemExit(f"unknown step {step}")
    print("RESULT " + json.dumps(out, ensure_ascii=False))
