"""How well the shield does on labelled messages (`safedesk shield eval`).

Input: the `secret_shield_synth` JSONL format (one object per line: `label`, `text`, `spans` with
`type`, `start`, `end`, `label`), or plain UTF-8 text, one message per line, every line taken as
containing no secret. A labelled secret counts as found when no character of it survives; a
finding counts against precision when it touches no span labelled secret or ambiguous.
"""

from __future__ import annotations

import json
import statistics
import time
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from safedesk.lib import secretscan

# The data's span types and the scanner's kinds that answer them.
_ANSWERS = {
    "bip39_mnemonic": {secretscan.MNEMONIC, secretscan.PARTIAL},
    "bip39_seed_hex": {secretscan.SEED_HEX},
    "bip32_xprv": {secretscan.XPRV},
    "wif": {secretscan.WIF},
    "hex_privkey": {secretscan.HEX_KEY},
}


@dataclass
class _Tally:
    found: int = 0
    missed: int = 0
    false_findings: int = 0

    def row(self) -> dict[str, Any]:
        recall = self.found / (self.found + self.missed) if self.found + self.missed else None
        flagged = self.found + self.false_findings
        precision = self.found / flagged if flagged else None
        f1 = (
            2 * precision * recall / (precision + recall)
            if precision is not None and recall is not None and precision + recall
            else None
        )
        return {
            "secrets": self.found + self.missed,
            "found": self.found,
            "missed": self.missed,
            "false_findings": self.false_findings,
            "precision": precision,
            "recall": recall,
            "f1": f1,
        }


@dataclass
class Report:
    messages: int = 0
    secrets: int = 0
    secrets_found: int = 0
    not_secret: int = 0
    not_secret_flagged: int = 0
    ambiguous: int = 0
    ambiguous_flagged: int = 0
    per_type: dict[str, _Tally] = field(default_factory=lambda: defaultdict(_Tally))
    times_ms: list[float] = field(default_factory=list)
    missed: list[str] = field(default_factory=list)  # ids of records with a surviving secret
    flagged: list[str] = field(default_factory=list)  # ids of not-secret records with a finding

    def as_dict(self) -> dict[str, Any]:
        times = sorted(self.times_ms)
        return {
            "messages": self.messages,
            "recall_secret": self.secrets_found / self.secrets if self.secrets else None,
            "fp_rate_not_secret": self.not_secret_flagged / self.not_secret if self.not_secret else None,
            "redacted_ambiguous": self.ambiguous_flagged / self.ambiguous if self.ambiguous else None,
            "per_type": {name: tally.row() for name, tally in sorted(self.per_type.items())},
            "p50_ms": round(statistics.median(times), 4) if times else None,
            "p99_ms": round(times[min(len(times) - 1, int(len(times) * 0.99))], 4) if times else None,
            "missed_ids": self.missed[:50],
            "flagged_ids": self.flagged[:50],
        }


def _records(path: Path) -> list[dict[str, Any]]:
    lines = path.read_text(encoding="utf-8").splitlines()
    first = next((line for line in lines if line.strip()), "")
    if first.startswith("{"):
        try:
            json.loads(first)
        except ValueError:
            pass
        else:
            return [json.loads(line) for line in lines if line.strip()]
    return [
        {"id": f"line-{n + 1}", "label": "not_secret", "text": line, "spans": []}
        for n, line in enumerate(lines)
        if line.strip()
    ]


def evaluate(path: Path) -> Report:
    report = Report()
    secretscan.warm_up()
    for record in _records(path):
        text = str(record.get("text", ""))
        t = time.perf_counter()
        findings = secretscan.scan(text)
        report.times_ms.append((time.perf_counter() - t) * 1000)
        report.messages += 1
        covered = [False] * len(text)
        for f in findings:
            for i in range(f.start, f.end):
                covered[i] = True
        spans = record.get("spans") or []
        label = record.get("label", "not_secret")
        if label == "not_secret":
            report.not_secret += 1
            if findings:
                report.not_secret_flagged += 1
                report.flagged.append(str(record.get("id")))
        elif label == "ambiguous":
            report.ambiguous += 1
            report.ambiguous_flagged += bool(findings)
        any_missed = False
        for span in spans:
            if span.get("label", label) != "secret":
                continue
            kind = str(span["type"])
            whole = all(covered[span["start"] : span["end"]])
            report.secrets += 1
            report.secrets_found += whole
            tally = report.per_type[kind]
            if whole:
                tally.found += 1
            else:
                tally.missed += 1
                any_missed = True
        if any_missed:
            report.missed.append(str(record.get("id")))
        keep = [s for s in spans if s.get("label", label) in ("secret", "ambiguous")]
        for f in findings:
            if not any(f.start < s["end"] and s["start"] < f.end for s in keep):
                kind = next((t for t, kinds in _ANSWERS.items() if f.kind in kinds), f.kind)
                report.per_type[kind].false_findings += 1
    return report
