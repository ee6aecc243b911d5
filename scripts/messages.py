"""`make messages`: refresh the zh-Hans and en catalogues from the source, then compile them.

English is the source language, so the en catalogue is filled with msgstr = msgid (msgen);
zh-Hans entries that are new come out empty and are listed, to be translated by hand.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PKG = ROOT / "safedesk"
SAFEDESK = str(ROOT / ".venv" / "bin" / "safedesk")
IGNORE = ["tests", "*/tests/*", "demo/content/*", "static/*"]


def main() -> int:
    ignore_args = [arg for pattern in IGNORE for arg in ("--ignore", pattern)]
    en = PKG / "locale" / "en" / "LC_MESSAGES" / "django.po"
    # English is the source language: its catalogue is made afresh each time (no merge guesses).
    en.unlink(missing_ok=True)
    subprocess.run(
        [SAFEDESK, "makemessages", "-l", "zh_Hans", "-l", "en", "--no-obsolete", "--no-location", *ignore_args],
        cwd=PKG,
        check=True,
    )
    subprocess.run(["msgen", "--no-wrap", "-o", str(en), str(en)], check=True)
    header = en.read_text(encoding="utf-8")
    for placeholder, value in (
        ("PACKAGE VERSION", "safedesk"),
        ("YEAR-MO-DA HO:MI+ZONE", "2026-11-22 00:00+0000"),
        ("Language: \\n", "Language: en\\n"),
        ("FULL NAME <EMAIL@ADDRESS>", "safedesk"),
        ("LANGUAGE <LL@li.org>", "English"),
        ("#, fuzzy\n", ""),
    ):
        header = header.replace(placeholder, value, 1)
    en.write_text(header, encoding="utf-8")
    zh = PKG / "locale" / "zh_Hans" / "LC_MESSAGES" / "django.po"
    stats = subprocess.run(
        ["msgfmt", "--statistics", "-o", "/dev/null", str(zh)], capture_output=True, text=True, check=False
    )
    print("zh_Hans:", stats.stderr.strip())
    subprocess.run([SAFEDESK, "compilemessages", "-v", "0"], cwd=PKG, check=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
