"""Writers of the safety app: the official channel registry (administrators), the known-scam list
and scam reports (staff). Every change is audited in its own transaction and bumps the registry
version, so that every process's verifier snapshot (`safety.verifier`) is rebuilt on its next
lookup."""

from __future__ import annotations

import hashlib
import hmac
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from safedesk.accounts.models import Role, User
from safedesk.audit.services import record
from safedesk.lib.errors import Conflict, InvalidInput, PermissionDenied
from safedesk.lib.text import clean_text
from safedesk.safety import channels
from safedesk.safety.models import (
    ChannelChange,
    ChannelKind,
    KnownScam,
    OfficialChannel,
    ReportStatus,
    ScamReport,
)
from safedesk.safety.shield import shield_text

REGISTRY_VERSION_KEY = "safety:registry:version"
MAX_LABEL = 200
MAX_NOTE = 500
_SIGNING_SALT = b"safedesk.safety.registry.v1"


# ---- signing -----------------------------------------------------------------------------------


def _signing_key() -> bytes:
    return hashlib.sha256(_SIGNING_SALT + settings.SECRET_KEY.encode()).digest()


def _moment(when: datetime | None) -> str:
    return "" if when is None else when.astimezone(UTC).isoformat(timespec="microseconds")


def sign(entry: OfficialChannel) -> str:
    """HMAC-SHA256 of what makes an entry official: its channel and its validity."""
    message = "\n".join(
        [
            entry.kind,
            entry.value,
            _moment(entry.valid_from),
            _moment(entry.valid_until),
            "1" if entry.include_subdomains else "0",
        ]
    )
    return hmac.new(_signing_key(), message.encode(), hashlib.sha256).hexdigest()


def signature_holds(entry: OfficialChannel) -> bool:
    return hmac.compare_digest(entry.signature, sign(entry))


def _bump_registry() -> None:
    """A new registry version now (this process's next lookup, inside the same transaction,
    sees the change) and again after the commit (a process that rebuilt its snapshot in
    between, from rows not committed yet, rebuilds it once more)."""

    def bump() -> None:
        cache.set(REGISTRY_VERSION_KEY, uuid.uuid4().hex, timeout=None)

    bump()
    transaction.on_commit(bump)


# ---- registry ----------------------------------------------------------------------------------


def require_admin(actor: User) -> None:
    if not actor.has_role(Role.ADMIN):
        raise PermissionDenied(_("Only administrators may change the official channel registry."))


def _require_staff(actor: User) -> None:
    if not actor.is_staff_role:
        raise PermissionDenied()


@dataclass(frozen=True)
class ChannelInput:
    kind: Any
    value: Any
    label_en: Any
    label_zh: Any
    platform: Any = ""
    include_subdomains: bool = False
    valid_from: datetime | None = None
    valid_until: datetime | None = None


def _kind(value: Any) -> str:
    if not isinstance(value, str) or value not in ChannelKind.values:
        raise InvalidInput(_("Choose what kind of channel this is."), code="invalid_kind", field="kind")
    return value


def _label(value: Any, field: str) -> str:
    text = clean_text(value if isinstance(value, str) else "", field=field, max_length=MAX_LABEL, multiline=False)
    return shield_text(text)[:MAX_LABEL]


def _validity(valid_from: datetime | None, valid_until: datetime | None) -> tuple[datetime, datetime | None]:
    start = valid_from or timezone.now()
    if timezone.is_naive(start) or (valid_until is not None and timezone.is_naive(valid_until)):
        raise InvalidInput(_("Give dates with a time zone."), code="invalid_validity", field="valid_from")
    if valid_until is not None and valid_until <= start:
        raise InvalidInput(
            _("The end of the validity must come after its start."), code="invalid_validity", field="valid_until"
        )
    return start, valid_until


def _snapshot(entry: OfficialChannel) -> dict[str, Any]:
    return {
        "kind": entry.kind,
        "platform": entry.platform,
        "value": entry.value,
        "label_en": entry.label_en,
        "label_zh": entry.label_zh,
        "include_subdomains": entry.include_subdomains,
        "valid_from": _moment(entry.valid_from),
        "valid_until": _moment(entry.valid_until),
    }


def _parse(kind: str, raw: Any, platform: Any) -> channels.Channel:
    return channels.parse(
        raw if isinstance(raw, str) else "",
        kind=kind,
        platform=(platform or None) if isinstance(platform, str) else None,
        region=settings.SAFEDESK_PHONE_REGION,
    )


def _changed(entry: OfficialChannel, what: str, before: dict[str, Any], actor: User, ip: str) -> None:
    entry.signature = sign(entry)
    entry.save()
    after = _snapshot(entry)
    ChannelChange.objects.create(channel=entry, what=what, before=before, after=after, actor=actor)
    record(f"safety.official_{what}", actor=actor, target=entry, target_ref=str(entry.public_id), data=after, ip=ip)
    _bump_registry()


def add_official_channel(data: ChannelInput, *, actor: User, ip: str = "") -> OfficialChannel:
    """Adds a channel to the registry, or gives an ended entry of the same channel a new
    validity (one row per channel keeps one history)."""
    require_admin(actor)
    kind = _kind(data.kind)
    parsed = _parse(kind, data.value, data.platform)
    label_en, label_zh = _label(data.label_en, "label_en"), _label(data.label_zh, "label_zh")
    start, end = _validity(data.valid_from, data.valid_until)
    with transaction.atomic():
        if KnownScam.objects.filter(kind=parsed.kind, value=parsed.value, withdrawn_at__isnull=True).exists():
            raise Conflict(
                _("This channel is on the known-scam list. Take it off the list first."), code="channel_is_known_scam"
            )
        entry = OfficialChannel.objects.select_for_update().filter(kind=parsed.kind, value=parsed.value).first()
        now = timezone.now()
        if entry is not None and (entry.valid_until is None or entry.valid_until > now):
            raise Conflict(_("This channel is in the registry already."), code="channel_exists")
        what = ChannelChange.What.ADDED if entry is None else ChannelChange.What.CHANGED
        before = {} if entry is None else _snapshot(entry)
        if entry is None:
            entry = OfficialChannel(kind=parsed.kind, value=parsed.value, created_by=actor)
        entry.platform = parsed.platform
        entry.display = parsed.display
        entry.slug = parsed.slug
        entry.label_en, entry.label_zh = label_en, label_zh
        entry.include_subdomains = bool(data.include_subdomains) and parsed.kind == ChannelKind.DOMAIN
        entry.valid_from, entry.valid_until = start, end
        try:
            with transaction.atomic():
                _changed(entry, what, before, actor, ip)
        except IntegrityError:
            raise Conflict(_("This channel is in the registry already."), code="channel_exists") from None
    return entry


def update_official_channel(
    entry: OfficialChannel,
    *,
    label_en: Any,
    label_zh: Any,
    include_subdomains: bool,
    valid_until: datetime | None,
    actor: User,
    ip: str = "",
) -> OfficialChannel:
    require_admin(actor)
    labels = _label(label_en, "label_en"), _label(label_zh, "label_zh")
    with transaction.atomic():
        entry = OfficialChannel.objects.select_for_update().get(pk=entry.pk)
        _validity(entry.valid_from, valid_until)
        before = _snapshot(entry)
        entry.label_en, entry.label_zh = labels
        entry.include_subdomains = bool(include_subdomains) and entry.kind == ChannelKind.DOMAIN
        entry.valid_until = valid_until
        _changed(entry, ChannelChange.What.CHANGED, before, actor, ip)
    return entry


def end_official_channel(entry: OfficialChannel, *, actor: User, ip: str = "") -> OfficialChannel:
    """From now on the channel is no longer official (the verifier says so, and when it was)."""
    require_admin(actor)
    with transaction.atomic():
        entry = OfficialChannel.objects.select_for_update().get(pk=entry.pk)
        now = timezone.now()
        if entry.valid_until is not None and entry.valid_until <= now:
            raise Conflict(_("This channel is no longer official already."), code="channel_ended")
        before = _snapshot(entry)
        entry.valid_until = max(now, entry.valid_from)
        _changed(entry, ChannelChange.What.ENDED, before, actor, ip)
    return entry


# ---- known scams and reports -------------------------------------------------------------------


def _note(value: Any) -> str:
    text = clean_text(value if isinstance(value, str) else "", field="note", max_length=MAX_NOTE, allow_empty=True)
    return shield_text(text)[:MAX_NOTE]


def _refuse_if_official(parsed: channels.Channel) -> None:
    if OfficialChannel.objects.filter(kind=parsed.kind, value=parsed.value).exists():
        raise Conflict(
            _("This channel is in the official registry: it cannot be listed as a scam."), code="channel_is_official"
        )


def _list(parsed: channels.Channel, note: str, actor: User) -> KnownScam:
    listed = KnownScam.objects.filter(kind=parsed.kind, value=parsed.value, withdrawn_at__isnull=True).first()
    if listed is not None:
        return listed
    scam = KnownScam.objects.create(
        kind=parsed.kind,
        platform=parsed.platform,
        value=parsed.value,
        display=parsed.display,
        note=note,
        confirmed_by=actor,
    )
    _bump_registry()
    return scam


def list_known_scam(
    kind: Any, value: Any, *, note: Any = "", platform: Any = "", actor: User, ip: str = ""
) -> KnownScam:
    """Staff put a channel on the public known-scam list directly (say, one seen in the wild)."""
    _require_staff(actor)
    parsed = _parse(_kind(kind), value, platform)
    text = _note(note)
    with transaction.atomic():
        _refuse_if_official(parsed)
        scam = _list(parsed, text, actor)
        record(
            "safety.scam_listed",
            actor=actor,
            target=scam,
            target_ref=str(scam.public_id),
            data={"kind": scam.kind, "value": scam.value},
            ip=ip,
        )
    return scam


def withdraw_known_scam(scam: KnownScam, *, actor: User, ip: str = "") -> KnownScam:
    _require_staff(actor)
    with transaction.atomic():
        scam = KnownScam.objects.select_for_update().get(pk=scam.pk)
        if scam.withdrawn_at is not None:
            raise Conflict(_("This channel was taken off the list already."), code="scam_withdrawn")
        scam.withdrawn_at = timezone.now()
        scam.save(update_fields=["withdrawn_at"])
        record(
            "safety.scam_withdrawn",
            actor=actor,
            target=scam,
            target_ref=str(scam.public_id),
            data={"kind": scam.kind, "value": scam.value},
            ip=ip,
        )
        _bump_registry()
    return scam


MAX_REPORTED = 500


def clean_reported(value: Any) -> str:
    text = clean_text(
        value if isinstance(value, str) else "", field="reported", max_length=MAX_REPORTED, multiline=False
    )
    return shield_text(text)[:MAX_REPORTED]


def clean_where_seen(value: Any) -> str:
    text = clean_text(
        value if isinstance(value, str) else "", field="where_seen", max_length=MAX_NOTE, allow_empty=True
    )
    return shield_text(text)[:MAX_NOTE]


def record_scam_report(*, ticket_ref: str, reported: str, where_seen: str) -> ScamReport:
    """The safety side of a scam report; `tickets.scam_services` calls it inside the transaction
    that creates the report's ticket. `reported` and `where_seen` are cleaned and shielded
    already (`clean_reported`, `clean_where_seen`)."""
    try:
        parsed: channels.Channel | None = channels.parse(reported, region=settings.SAFEDESK_PHONE_REGION)
    except InvalidInput:
        parsed = None
    return ScamReport.objects.create(
        ticket_ref=ticket_ref,
        reported=reported,
        where_seen=where_seen,
        kind=parsed.kind if parsed else "",
        platform=parsed.platform if parsed else "",
        value=parsed.value if parsed else "",
        display=parsed.display if parsed else "",
    )


def decide_scam_report(report: ScamReport, *, confirmed: bool, note: Any = "", actor: User, ip: str = "") -> ScamReport:
    """Staff confirm a report (its channel goes on the known-scam list) or reject it."""
    _require_staff(actor)
    text = _note(note)
    with transaction.atomic():
        report = ScamReport.objects.select_for_update().get(pk=report.pk)
        if report.status != ReportStatus.NEW:
            raise Conflict(_("This report was decided already."), code="report_decided")
        if confirmed:
            if not report.value:
                raise InvalidInput(
                    _("What was reported is not a phone number, address, account or link we can list."),
                    code="report_unlisted",
                )
            parsed = channels.Channel(
                kind=report.kind, value=report.value, display=report.display, platform=report.platform
            )
            _refuse_if_official(parsed)
            report.known_scam = _list(parsed, text, actor)
        report.status = ReportStatus.CONFIRMED if confirmed else ReportStatus.REJECTED
        report.decided_at = timezone.now()
        report.decided_by = actor
        report.save(update_fields=["known_scam", "status", "decided_at", "decided_by"])
        record(
            "safety.scam_report_decided",
            actor=actor,
            target=report,
            target_ref=report.ticket_ref,
            data={"status": report.status, "kind": report.kind, "value": report.value},
            ip=ip,
        )
    return report
