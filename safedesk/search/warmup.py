"""Load what requests need before the first one arrives: the segmenter's dictionary (search)
and the secret scanner's wordlists (lib.secretscan, which every written text passes)."""

from __future__ import annotations


def warm_up() -> None:
    from safedesk.lib import secretscan
    from safedesk.search import tokenize

    tokenize.warm_up()
    secretscan.warm_up()
