"""Who else has a ticket open in the console: "Ada is viewing" / "Ada is replying".

Presence is a heartbeat kept in Django's cache (local memory embedded, Redis scaled out, so it
works across every web process of a scaled-out desk), never in the database and never in the
audit log: it is seconds-old, throwaway state. Each ticket has one cache entry mapping an
agent's public id to their state and the time of their last beat; entries older than
`PRESENCE_TTL` are ignored and dropped. Two agents beating at the same instant may overwrite
each other's entry once; the next beat (every `HEARTBEAT_SECONDS`) puts it back, which is the
precision a "someone else is here" hint needs. Real-time presence over websockets comes with
the live work of issue #5.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

from django.core.cache import cache
from django.utils.translation import gettext as _

VIEWING = "viewing"
REPLYING = "replying"
STATES = (VIEWING, REPLYING)
HEARTBEAT_SECONDS = 10
PRESENCE_TTL = 30
MAX_AGENTS = 50  # entries kept per ticket: a bound on what one cache value holds


@dataclass(frozen=True)
class Presence:
    agent: str  # public id
    name: str
    state: str

    @property
    def text(self) -> str:
        if self.state == REPLYING:
            return _("%(name)s is replying") % {"name": self.name}
        return _("%(name)s is viewing") % {"name": self.name}


def _key(ref: str) -> str:
    return f"presence:ticket:{ref}"


def _fresh(entries: Any, now: float) -> dict[str, list[Any]]:
    if not isinstance(entries, dict):
        return {}
    return {
        agent: value
        for agent, value in entries.items()
        if isinstance(value, list) and len(value) == 3 and now - float(value[2]) < PRESENCE_TTL
    }


def _name(user: Any) -> str:
    return str(user.display_name or user.email)


def beat(ref: str, user: Any, state: str) -> list[Presence]:
    """Records that `user` has ticket `ref` open (viewing, or typing a reply) and returns the
    other agents who have it open."""
    if state not in STATES:
        state = VIEWING
    now = time.time()
    entries = _fresh(cache.get(_key(ref)), now)
    entries[str(user.public_id)] = [state, _name(user), now]
    if len(entries) > MAX_AGENTS:
        newest = sorted(entries.items(), key=lambda item: float(item[1][2]), reverse=True)[:MAX_AGENTS]
        entries = dict(newest)
    cache.set(_key(ref), entries, timeout=PRESENCE_TTL)
    return _others(entries, user)


def leave(ref: str, user: Any) -> None:
    """The agent closed the page: others stop seeing them at once instead of after the TTL."""
    entries = _fresh(cache.get(_key(ref)), time.time())
    if entries.pop(str(user.public_id), None) is not None:
        cache.set(_key(ref), entries, timeout=PRESENCE_TTL)


def others(ref: str, user: Any) -> list[Presence]:
    return _others(_fresh(cache.get(_key(ref)), time.time()), user)


def _others(entries: dict[str, list[Any]], user: Any) -> list[Presence]:
    me = str(user.public_id)
    found = [Presence(agent, str(value[1]), str(value[0])) for agent, value in entries.items() if agent != me]
    # Replying first: that is the one that can collide with a reply.
    return sorted(found, key=lambda p: (p.state != REPLYING, p.name.lower()))
