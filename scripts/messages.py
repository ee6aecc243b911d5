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
    subprocess.run(
        [SAFEDESK, "makemessages", "-l", "zh_Hans", "-l", "en", "--no-obsolete", "--no-location", *ignore_args],
        cwd=PKG,
        check=True,
    )
    en = PKG / "locale" / "en" / "LC_MESSAGES" / "django.po"
    subprocess.run(["msgen", "--no-wrap", "-o", str(en), str(en)], check=True)
    zh = PKG / "locale" / "zh_Hans" / "LC_MESSAGES" / "django.po"
    stats = subprocess.run(
        ["msgfmt", "--statistics", "-o", "/dev/null", str(zh)], capture_output=True, text=True, check=False
    )
    print("zh_Hans:", stats.stderr.strip())
    subprocess.run([SAFEDESK, "compilemessages", "-v", "0"], cwd=PKG, check=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
