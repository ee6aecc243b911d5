"""Help center API (articles list/detail/search). Being built under issue #2."""

from __future__ import annotations

from ninja import Router

router = Router(tags=["articles"])
