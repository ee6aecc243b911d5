"""Safety API: the verifier and the public lists (anyone, rate-limited like the page), and the
registry and known-scam writes (staff, `safety:write`).

Verifying is a POST with the text in the body: what people paste stays out of URLs and access
logs, and it is never stored.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.http import HttpRequest
from django.utils import translation
from ninja import Router, Schema
from ninja.responses import Status as HttpStatus

from safedesk.accounts.apiauth import api_auth, api_user, public_api_auth
from safedesk.accounts.models import Scope
from safedesk.lib.net import client_ip
from safedesk.safety import answers, selectors, services, verifier
from safedesk.safety.models import KnownScam, OfficialChannel

router = Router(tags=["safety"])
PUBLIC: dict[str, Any] = {"openapi_extra": {"x-scope": Scope.SAFETY_READ.value, "x-public": True}}
WRITE: dict[str, Any] = {"openapi_extra": {"x-scope": Scope.SAFETY_WRITE.value}}


class VerifyIn(Schema):
    query: str


class ChannelOut(Schema):
    id: str
    kind: str
    platform: str
    value: str
    display: str
    label_en: str
    label_zh: str
    include_subdomains: bool
    valid_from: datetime
    valid_until: datetime | None


class ChannelIn(Schema):
    kind: str
    value: str
    label_en: str
    label_zh: str
    platform: str = ""
    include_subdomains: bool = False
    valid_from: datetime | None = None
    valid_until: datetime | None = None


class ChannelPatch(Schema):
    """Only what is sent changes (`valid_until: null` removes the end of the validity)."""

    label_en: str | None = None
    label_zh: str | None = None
    include_subdomains: bool | None = None
    valid_until: datetime | None = None


class ScamOut(Schema):
    id: str
    kind: str
    platform: str
    value: str
    display: str
    note: str
    confirmed_at: datetime


class ScamIn(Schema):
    kind: str
    value: str
    platform: str = ""
    note: str = ""


def _channel(entry: OfficialChannel) -> ChannelOut:
    return ChannelOut(
        id=str(entry.public_id),
        kind=entry.kind,
        platform=entry.platform,
        value=entry.value,
        display=entry.display,
        label_en=entry.label_en,
        label_zh=entry.label_zh,
        include_subdomains=entry.include_subdomains,
        valid_from=entry.valid_from,
        valid_until=entry.valid_until,
    )


def _scam(scam: KnownScam) -> ScamOut:
    return ScamOut(
        id=str(scam.public_id),
        kind=scam.kind,
        platform=scam.platform,
        value=scam.value,
        display=scam.display,
        note=scam.note,
        confirmed_at=scam.confirmed_at,
    )


@router.post("/verify", auth=public_api_auth(Scope.SAFETY_READ), **PUBLIC)
def verify(request: HttpRequest, body: VerifyIn) -> dict[str, Any]:
    """Is this phone number, link, domain, email address, account or wallet address official?
    `status` is `official`, `scam`, `lookalike` or `unknown`; `answers` has the answer in both
    languages. 400 `unrecognised_channel` (or a more precise code) for text that is no channel."""
    verifier.limit_lookups(client_ip(request))
    verdict = verifier.verify(body.query)
    return answers.as_json(verdict, first=translation.get_language() or "en")


@router.get("/official-channels", auth=public_api_auth(Scope.SAFETY_READ), response=list[ChannelOut], **PUBLIC)
def official_channels(request: HttpRequest) -> list[ChannelOut]:
    """The official channels valid now."""
    return [_channel(e) for e in selectors.official_now()]


@router.get("/known-scams", auth=public_api_auth(Scope.SAFETY_READ), response=list[ScamOut], **PUBLIC)
def known_scams(request: HttpRequest) -> list[ScamOut]:
    return [_scam(s) for s in selectors.known_scams()]


@router.post("/official-channels", auth=api_auth(Scope.SAFETY_WRITE), response={201: ChannelOut}, **WRITE)
def add_official_channel(request: HttpRequest, body: ChannelIn) -> HttpStatus[ChannelOut]:
    """Administrators: a new registry entry (409 `channel_exists` when it is listed and valid)."""
    entry = services.add_official_channel(
        services.ChannelInput(**body.dict()), actor=api_user(request), ip=client_ip(request)
    )
    return HttpStatus(201, _channel(entry))


@router.patch("/official-channels/{public_id}", auth=api_auth(Scope.SAFETY_WRITE), response=ChannelOut, **WRITE)
def change_official_channel(request: HttpRequest, public_id: str, body: ChannelPatch) -> ChannelOut:
    user = api_user(request)
    services.require_admin(user)
    entry = selectors.official_entry(public_id)
    sent = body.dict(exclude_unset=True)
    entry = services.update_official_channel(
        entry,
        label_en=sent.get("label_en", entry.label_en),
        label_zh=sent.get("label_zh", entry.label_zh),
        include_subdomains=bool(sent.get("include_subdomains", entry.include_subdomains)),
        valid_until=sent.get("valid_until", entry.valid_until),
        actor=user,
        ip=client_ip(request),
    )
    return _channel(entry)


@router.post("/official-channels/{public_id}/end", auth=api_auth(Scope.SAFETY_WRITE), response=ChannelOut, **WRITE)
def end_official_channel(request: HttpRequest, public_id: str) -> ChannelOut:
    """Administrators: the channel is no longer official from now on."""
    user = api_user(request)
    services.require_admin(user)
    return _channel(
        services.end_official_channel(selectors.official_entry(public_id), actor=user, ip=client_ip(request))
    )


@router.post("/known-scams", auth=api_auth(Scope.SAFETY_WRITE), response={201: ScamOut}, **WRITE)
def list_known_scam(request: HttpRequest, body: ScamIn) -> HttpStatus[ScamOut]:
    """Staff: put a channel on the public known-scam list."""
    scam = services.list_known_scam(
        body.kind, body.value, platform=body.platform, note=body.note, actor=api_user(request), ip=client_ip(request)
    )
    return HttpStatus(201, _scam(scam))
