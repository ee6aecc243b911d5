"""The secret shield: the one gate every inbound text passes before it is stored, logged,
indexed or sent (ARCHITECTURE.md, convention 6). `shield_text(text)` returns the text with every
recovery phrase and private key (`lib.secretscan`) replaced by a marker. Services call it at
their boundary; `collect()` counts what one request had removed, by kind, so that audit data
keeps only counts and the sender is told (`safety.middleware.SecretNoticeMiddleware`). Layers
below this app (search, uploads, accounts) call `lib.secretscan.redact` directly, which counts
into the same `collect()`.
"""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from safedesk.lib import secretscan
from safedesk.lib.secretscan import collect

__all__ = ["WARNING", "collect", "shield_text"]

WARNING = _(
    "We removed what looked like a recovery phrase or a private key from what you sent, and did "
    "not keep it. Our support will never ask you for it. If you have shared it anywhere, move "
    "your funds to a new wallet now."
)


def shield_text(text: str) -> str:
    return secretscan.redact(text)[0]
