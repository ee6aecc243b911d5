"""`safedesk shield eval`: the secret shield's figures on labelled messages."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

PHRASE = "legal winner thank year wave sausage worth useful legal winner thank yellow"
TXID = "4a5e1e4baab89f3a32518a88c31bc87f618f76673e2cc77ab2127b7afdeda33b"


def _run(*args: str) -> str:
    out = io.StringIO()
    call_command("shield", "eval", *args, stdout=out)
    return out.getvalue()


def test_it_reports_recall_false_positives_and_time_per_type(tmp_path: Path) -> None:
    text = f"please check {PHRASE} thanks"
    start = text.index(PHRASE)
    records = [
        {
            "id": "a",
            "label": "secret",
            "text": text,
            "spans": [{"type": "bip39_mnemonic", "start": start, "end": start + len(PHRASE), "label": "secret"}],
        },
        {"id": "b", "label": "not_secret", "text": "where is my deposit?", "spans": []},
        {
            "id": "c",
            "label": "ambiguous",
            "text": f"txid {TXID}",
            "spans": [{"type": "txid", "start": 5, "end": 69, "label": "ambiguous"}],
        },
        {
            "id": "d",
            "label": "secret",
            "text": "my key is not here",
            "spans": [{"type": "wif", "start": 0, "end": 2, "label": "secret"}],
        },
    ]
    data = tmp_path / "set.jsonl"
    data.write_text("\n".join(json.dumps(r) for r in records) + "\n", encoding="utf-8")
    report = json.loads(_run("--data", str(data), "--json"))
    assert set(report) >= {
        "recall_secret",
        "fp_rate_not_secret",
        "redacted_ambiguous",
        "per_type",
        "p50_ms",
        "p99_ms",
        "messages",
    }
    assert report["messages"] == 4
    assert report["recall_secret"] == 0.5  # the phrase found, the made-up "wif" span not
    assert report["missed_ids"] == ["d"]
    assert report["fp_rate_not_secret"] == 0.0 and report["redacted_ambiguous"] == 0.0
    assert report["per_type"]["bip39_mnemonic"]["recall"] == 1.0
    assert report["p99_ms"] >= report["p50_ms"] > 0
    human = _run("--data", str(data))
    assert "recall on secrets: 50.00 %" in human and "missed: d" in human


def test_a_plain_file_counts_every_line_as_a_message_without_a_secret(tmp_path: Path) -> None:
    data = tmp_path / "plain.txt"
    data.write_text(f"hello\n花呗怎么还款\n{PHRASE}\n", encoding="utf-8")
    report = json.loads(_run("--data", str(data), "--json"))
    assert report["messages"] == 3 and report["recall_secret"] is None
    assert report["fp_rate_not_secret"] == pytest.approx(1 / 3)
    assert report["flagged_ids"] == ["line-3"]


def test_a_missing_file_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(CommandError, match="no such file"):
        _run("--data", str(tmp_path / "nope.jsonl"))
