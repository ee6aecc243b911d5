"""The secret shield: the one gate every inbound text passes before it is stored, logged,
indexed or sent (ARCHITECTURE.md, convention 6). `shield(text)` returns the text with every
recovery phrase and private key (`lib.secretscan`) replaced by a marker, and what was found
(kind and span, never the secret). Services call it at their boundary; audit data keeps only
`counts_of(...)`; `collect()` counts what one request had removed, so that its sender is told
(`safety.middleware.SecretNoticeMiddleware`). Layers below this app (search, uploads) call
`lib.secretscan.redact` directly, which counts into the same `collect()`.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

from django.utils.translation import gettext_lazy as _

from safedesk.lib import secretscan
from safedesk.lib.secretscan import Finding, collect

__all__ = ["WARNING", "Shielded", "collect", "counts_of", "shield", "shield_text"]

WARNING = _(
    "We removed what looked like a recovery phrase or a private key from what you sent, and did "
    "not keep it. Our support will never ask you for it. If you have shared it anywhere, move "
    "your funds to a new wallet now."
)


@dataclass(frozen=True)
class Shielded:
    text: str
    findings: tuple[Finding, ...]  # spans in the text as it was given

    @property
    def removed(self) -> int:
        return len(self.findings)


def shield(text: str) -> Shielded:
    redacted, findings = secretscan.redact(text)
    return Shielded(redacted, tuple(findings))


def shield_text(text: str) -> str:
    return secretscan.redact(text)[0]


def counts_of(*results: Shielded) -> dict[str, int]:
    """Audit data: how many of each kind were removed (never what)."""
    total: Counter[str] = Counter()
    for r in results:
        total.update(f.kind for f in r.findings)
    return dict(total)
