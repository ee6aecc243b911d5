"""The official channel verifier: paste anything, learn whether it is official.

`verify(raw)` parses the text (`safety.channels.parse`: phone numbers in any notation, URLs and
domains in Unicode or punycode, email addresses, handles, app-store links, wallet addresses) and
answers, in this order:

1. **official** — the channel is a registry entry valid now whose signature holds (or a
   subdomain of an official domain whose entry says its subdomains are official too);
2. **scam** — staff confirmed it on the known-scam list;
3. **lookalike** — it resembles an official channel (`channels.Matcher`: homoglyphs, punycode,
   typos, added words like support/客服, subdomain tricks, similar numbers);
4. **unknown** — anything else, said plainly: it is NOT an official channel. When it was official
   once, the answer says until when.

Each process keeps a snapshot of the registry and the scam list and rebuilds it when the
registry version in the cache changes (`safety.services` bumps it after every commit), so a
lookup costs no query while nothing changes.
"""

from __future__ import annotations

import logging
import threading
import uuid
from dataclasses import dataclass, field
from datetime import datetime

from django.conf import settings
from django.core.cache import cache
from django.utils import timezone

from safedesk.lib import ratelimit
from safedesk.safety import channels
from safedesk.safety.models import ChannelKind, KnownScam, OfficialChannel
from safedesk.safety.services import REGISTRY_VERSION_KEY, signature_holds

logger = logging.getLogger("safedesk.safety")


class Status:
    OFFICIAL = "official"
    SCAM = "scam"
    LOOKALIKE = "lookalike"
    UNKNOWN = "unknown"


@dataclass(frozen=True)
class Verdict:
    status: str
    channel: channels.Channel
    official: OfficialChannel | None = None  # the entry it is (official), or resembles (lookalike)
    scam: KnownScam | None = None
    reasons: tuple[str, ...] = ()
    former: OfficialChannel | None = None  # unknown, but official until `former.valid_until`


@dataclass
class _Snapshot:
    version: str | None
    entries: list[OfficialChannel]
    by_key: dict[tuple[str, str], OfficialChannel]
    scams: dict[tuple[str, str], KnownScam]
    # Rebuilt lazily per moment of validity: which entries are official at a given time changes
    # without any write (valid_from / valid_until pass).
    matchers: dict[tuple[int, ...], channels.Matcher] = field(default_factory=dict)

    def valid(self, now: datetime) -> list[OfficialChannel]:
        return [e for e in self.entries if e.valid_at(now)]

    def matcher(self, valid: list[OfficialChannel]) -> channels.Matcher:
        key = tuple(e.pk for e in valid)
        found = self.matchers.get(key)
        if found is None:
            found = channels.Matcher([_as_channel(e) for e in valid])
            self.matchers = {key: found}  # only the current set is worth keeping
        return found


_lock = threading.Lock()
_current: _Snapshot | None = None


def _as_channel(entry: OfficialChannel) -> channels.Channel:
    return channels.Channel(
        kind=entry.kind, value=entry.value, display=entry.display, platform=entry.platform, slug=entry.slug
    )


def _load(version: str | None) -> _Snapshot:
    entries = []
    for entry in OfficialChannel.objects.all():
        if signature_holds(entry):
            entries.append(entry)
        else:
            # Written past the services (or the secret key changed): never answered as official.
            logger.warning("official channel %s has a signature that does not hold; ignored", entry.public_id)
    scams = {(s.kind, s.value): s for s in KnownScam.objects.filter(withdrawn_at__isnull=True)}
    return _Snapshot(version, entries, {(e.kind, e.value): e for e in entries}, scams)


def snapshot() -> _Snapshot:
    global _current
    version = cache.get(REGISTRY_VERSION_KEY)
    current = _current
    if current is not None and version is not None and current.version == version:
        return current
    with _lock:
        if _current is not None and version is not None and _current.version == version:
            return _current
        if version is None:
            # No version (a fresh or cleared cache): a new one, so that no snapshot built before
            # is taken for current, and processes agree from now on.
            cache.add(REGISTRY_VERSION_KEY, uuid.uuid4().hex, timeout=None)
            version = cache.get(REGISTRY_VERSION_KEY)
        _current = _load(version)
        return _current


def forget() -> None:
    """Drop this process's snapshot (tests that write rows around the services)."""
    global _current
    with _lock:
        _current = None


def _covering_domain(snap: _Snapshot, host: str, now: datetime) -> OfficialChannel | None:
    labels = host.split(".")
    for i in range(1, len(labels) - 1):
        entry = snap.by_key.get((ChannelKind.DOMAIN, ".".join(labels[i:])))
        if entry is not None and entry.include_subdomains and entry.valid_at(now):
            return entry
    return None


def limit_lookups(client: str) -> None:
    """Page and API share one budget per client (RateLimited, 429): the verifier must not become
    an oracle that a scammer runs a list of look-alike candidates through."""
    ratelimit.hit("verify", client, limit=settings.SAFEDESK_VERIFY_RATE, window=60)


def parse(raw: str) -> channels.Channel:
    return channels.parse(raw, region=settings.SAFEDESK_PHONE_REGION)


def verify(raw: str, *, now: datetime | None = None) -> Verdict:
    """Raises `channels.NotAChannel` (400) for text that is no channel at all."""
    channel = parse(raw)
    return verify_channel(channel, now=now)


def _candidates(snap: _Snapshot, channel: channels.Channel) -> list[tuple[str, str]]:
    if channel.kind == ChannelKind.HANDLE and not channel.platform:
        # "@name" with no platform: the same name on any platform of the registry.
        name = channel.value.split(":", 1)[-1]
        return [k for k in snap.by_key if k[0] == ChannelKind.HANDLE and k[1].split(":", 1)[-1] == name]
    return [(channel.kind, channel.value)]


def verify_channel(channel: channels.Channel, *, now: datetime | None = None) -> Verdict:
    now = now or timezone.now()
    snap = snapshot()
    former = None
    for key in _candidates(snap, channel):
        entry = snap.by_key.get(key)
        if entry is None:
            continue
        if entry.valid_at(now):
            return Verdict(Status.OFFICIAL, channel, official=entry)
        if entry.valid_until is not None and entry.valid_until <= now:
            former = entry
    if channel.kind == ChannelKind.DOMAIN:
        covering = _covering_domain(snap, channel.value, now)
        if covering is not None:
            return Verdict(Status.OFFICIAL, channel, official=covering)
    scam = snap.scams.get((channel.kind, channel.value))
    if scam is not None:
        return Verdict(Status.SCAM, channel, scam=scam, former=former)
    valid = snap.valid(now)
    resemblance = snap.matcher(valid).resemblance(channel) if valid else None
    if resemblance is not None:
        official = snap.by_key.get((resemblance.official.kind, resemblance.official.value))
        return Verdict(Status.LOOKALIKE, channel, official=official, reasons=resemblance.reasons, former=former)
    return Verdict(Status.UNKNOWN, channel, former=former)
