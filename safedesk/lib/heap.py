"""Keep the cyclic garbage collector's pauses out of request latency.

A web process holds a few hundred thousand long-lived objects once Django, the apps, the
templates and the segmenter's dictionary are loaded. With CPython's default thresholds a full
collection, which visits every one of them, runs every few requests and takes tens of
milliseconds: the tail of a page's latency (p99 several times p50 even at one connection).
`settle()` runs once a server process has loaded everything: it collects what start-up left
behind and freezes the rest (`gc.freeze()`: moved to a permanent generation that collections
skip; nothing there is freed, which is right for modules, classes and caches that live as long
as the process), and it lets the youngest generation grow larger before a collection, so that a
request's short-lived objects are mostly freed by reference counting before one runs.
"""

from __future__ import annotations

import gc

YOUNG_THRESHOLD = 2_000  # allocations less deallocations before a young collection (default 700)


def settle() -> None:
    gc.collect()
    gc.freeze()
    _, older, oldest = gc.get_threshold()
    gc.set_threshold(YOUNG_THRESHOLD, older, oldest)
