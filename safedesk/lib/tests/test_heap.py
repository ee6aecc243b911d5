"""`lib.heap.settle`: what is loaded at start-up is frozen out of collections, and young
collections wait for more allocations."""

from __future__ import annotations

import gc

from safedesk.lib import heap


def test_it_freezes_the_loaded_heap_and_raises_the_young_threshold() -> None:
    before = gc.get_threshold()
    frozen_before = gc.get_freeze_count()
    try:
        heap.settle()
        assert gc.get_freeze_count() > max(frozen_before, 10_000)  # a Django process holds many
        assert gc.get_threshold() == (heap.YOUNG_THRESHOLD, before[1], before[2])
        # Collections still run and free new garbage.
        cycle: list[object] = []
        cycle.append(cycle)
        del cycle
        assert gc.collect() >= 1
    finally:
        gc.unfreeze()
        gc.set_threshold(*before)
