"""`safedesk shield eval --data PATH [--json]`: the secret shield's precision, recall and speed
on labelled messages (safety.evaluation)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from safedesk.safety.evaluation import evaluate


def _pct(value: float | None) -> str:
    return "—" if value is None else f"{value * 100:.2f} %"


class Command(BaseCommand):
    help = "Measure the secret shield on labelled messages."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        ev = sub.add_parser("eval", help="precision, recall, false positives and time per message")
        ev.add_argument("--data", required=True, help="secret_shield_synth JSONL, or plain text (one message per line)")
        ev.add_argument("--json", action="store_true", help="print one JSON object")

    def handle(self, *args: Any, **options: Any) -> None:
        path = Path(options["data"])
        if not path.is_file():
            raise CommandError(f"no such file: {path}")
        try:
            result = evaluate(path).as_dict()
        except (ValueError, KeyError, TypeError) as exc:
            raise CommandError(f"{path} is neither the JSONL format nor plain text: {exc}") from exc
        if options["json"]:
            self.stdout.write(json.dumps(result, ensure_ascii=False))
            return
        w = self.stdout.write
        w(f"messages: {result['messages']}")
        w(f"recall on secrets: {_pct(result['recall_secret'])}")
        w(f"false-positive rate on messages without a secret: {_pct(result['fp_rate_not_secret'])}")
        w(f"ambiguous messages redacted: {_pct(result['redacted_ambiguous'])}")
        w(f"time per message: p50 {result['p50_ms']} ms, p99 {result['p99_ms']} ms")
        for name, row in result["per_type"].items():
            w(
                f"  {name:16s} secrets {row['secrets']:4d}  found {row['found']:4d}  false findings "
                f"{row['false_findings']:3d}  precision {_pct(row['precision'])}  recall {_pct(row['recall'])}  "
                f"F1 {_pct(row['f1'])}"
            )
        if result["missed_ids"]:
            w("missed: " + ", ".join(result["missed_ids"]))
        if result["flagged_ids"]:
            w("flagged without a secret: " + ", ".join(result["flagged_ids"]))
