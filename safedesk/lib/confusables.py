"""Characters of other alphabets that look like ASCII letters or digits, from the Unicode
confusables data that confusable-homoglyphs bundles (nothing is fetched). Shared by the
look-alike detector of the verifier (`safety.channels`) and the display-name rule that keeps
customers from passing for staff (`accounts.services`), so both read "раураl" the same way."""

from __future__ import annotations

import unicodedata
from functools import cache


def strip_marks(text: str) -> str:
    return "".join(c for c in unicodedata.normalize("NFD", text) if unicodedata.category(c) not in ("Mn", "Cf"))


@cache
def ascii_table() -> dict[int, str]:
    """`str.translate` table: a non-ASCII character (also without its diacritics) -> the ASCII
    letters or digits it is listed as looking like, lower case."""
    # Imported here: the package reads a 900 kB JSON file at import time.
    from confusable_homoglyphs.confusables import confusables_data

    def norm(text: str) -> str:
        return unicodedata.normalize("NFKC", text.replace("\u200e", "").replace("\u200f", "")).casefold()

    latin = set("abcdefghijklmnopqrstuvwxyz0123456789|")
    votes: dict[str, dict[str, int]] = {}
    for key, glyphs in confusables_data.items():
        left = norm(key)
        if len(left) != 1:
            continue
        for glyph in glyphs:
            right = norm(glyph["c"])
            if not right:
                continue
            if left.isascii() and left in latin and len(right) == 1 and not right.isascii():
                source, target = right, left
            elif not left.isascii() and all(c in latin for c in right):
                source, target = left, right
            else:
                continue
            # Diacritics are stripped before the table applies, so index the stripped form too.
            for src in {source, strip_marks(source)}:
                if len(src) == 1 and not src.isascii():
                    counts = votes.setdefault(src, {})
                    counts[target] = counts.get(target, 0) + 1
    table: dict[int, str] = {}
    for source, counts in votes.items():
        # The representative most often listed; shorter and then later letters break ties so that
        # the choice does not depend on JSON order.
        best = max(counts.items(), key=lambda item: (item[1], -len(item[0]), item[0]))[0]
        table[ord(source)] = best
    return table
