"""Load what search needs (the segmenter's dictionary) before the first request arrives."""

from __future__ import annotations


def warm_up() -> None:
    from safedesk.search import tokenize

    tokenize.warm_up()
