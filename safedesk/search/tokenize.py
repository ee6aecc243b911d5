"""Text to search terms. Placeholder until the search seam lands (issue #2)."""

from __future__ import annotations

import jieba


def warm_up() -> None:
    jieba.initialize()
