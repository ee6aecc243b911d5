"""The only writers of accounts state. Each function is one transaction that also writes its
audit event; emails leave through tasks enqueued in that transaction (safedesk.jobs.enqueue).

Unverified accounts: a customer who signed up can sign in at once and use the help center, but
`email_verified_at` stays empty until the emailed link is confirmed. The profile shows a notice
with a "send the link again" button, and features that would email the address or act on the
account's behalf (tickets, recovery) must check `User.email_verified_at` themselves.
"""

from __future__ import annotations

import base64
import functools
import re
import secrets
import unicodedata
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.contrib.auth.hashers import make_password
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import IntegrityError, models, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_otp import match_token
from django_otp.plugins.otp_totp.models import TOTPDevice

from safedesk.accounts import apikeys, tasks, tokens
from safedesk.accounts.models import STAFF_ROLES, ApiToken, Availability, Role, Scope, Team, TeamMembership, User
from safedesk.audit.services import record
from safedesk.jobs.enqueue import enqueue
from safedesk.lib import confusables, ratelimit, secretscan
from safedesk.lib.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from safedesk.lib.text import clean_text

_LANGUAGES = {code for code, _name in settings.LANGUAGES}


def normalize_email(email: str) -> str:
    return User.objects.normalize_email(clean_text(email, field="email", max_length=254, multiline=False)).lower()


def _clean_display_name(value: str, *, reserved_allowed: bool = False) -> str:
    # One line: CR/LF and other controls are removed, so the name can never break a header. A
    # name is written text: a recovery phrase or key pasted into it is replaced (the secret
    # shield's scanner; this layer sits below safety).
    name = secretscan.redact(clean_text(value, field="display_name", max_length=120, multiline=False))[0][:120]
    if not reserved_allowed and claims_to_be_staff(name):
        raise InvalidInput(
            _(
                "A display name cannot say that you are staff or official (such as “support”, “admin”, "
                "“官方” or “客服”, or a check mark): only messages from our team carry that mark. Choose "
                "another name."
            ),
            code="display_name_reserved",
            field="display_name",
        )
    return name


# ---- names only staff may carry (CASES.md B12 T68) ---------------------------------------------
# Staff messages carry a "verified staff" mark that the page draws from the author's role; a
# customer or guest must not get the same effect from a name ("Official Support", "客服-小王",
# "✔ Admin"). Names are compared as people read them: NFKC, case folded, accents dropped,
# letters of other alphabets that look Latin read as Latin (confusable-homoglyphs' table), digits
# and signs that stand for letters read as letters ("Supp0rt", "$taff", "adrnin").

# Long words are looked for in all the name's letters joined ("Sup port", "s.u.p.p.o.r.t");
# short ones, which hide in ordinary words when spaces are dropped ("Chris Taffy"), within one
# word, or within letters written one or two at a time ("s t a f f", "ad mi n").
_RESERVED_LONG = ("official", "support", "moderator", "verified", "safedesk", "helpdesk", "customerservice")
_RESERVED_SHORT = ("admin", "staff")
_RESERVED_HAN = (
    "官方",
    "客服",
    "管理员",
    "管理員",
    "工作人员",
    "工作人員",
    "认证",
    "認證",
    "技术支持",
    "技術支持",
    "客户服务",
    "客戶服務",
    "版主",
    "审核员",
    "審核員",
)
# Check marks, ballot boxes with one, and what is used for one (√).
_CHECK_MARKS = frozenset("\u2713\u2714\u2611\u2705\u221a\U0001f5f8\U0001f5f9\U00010102")
# Read alike on both sides (the name and the reserved word): l, 1, | and ! as i, and so on.
_AS_LETTERS = str.maketrans("01l|!34@5$7+", "oiiiieaasstt")
_HAN = re.compile("[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")


_LATIN_NAME = re.compile(r"LATIN (?:SMALL |CAPITAL )?LETTER (?:SMALL CAPITAL |TURNED |REVERSED )?([A-Z])\b")


@functools.cache
def _as_latin(char: str) -> str:
    """One character as the Latin letter it looks like, if it does (ᴀ, ѕ, ο), else itself."""
    if char.isascii():
        return char
    found = confusables.ascii_table().get(ord(char))
    if found is not None and not _HAN.match(char):
        return found
    named = _LATIN_NAME.match(unicodedata.name(char, ""))
    return named.group(1).lower() if named else char


def _read_as_latin(text: str) -> str:
    decomposed = unicodedata.normalize("NFD", unicodedata.normalize("NFKC", text).casefold())
    kept = (ch for ch in decomposed if unicodedata.category(ch) not in {"Mn", "Me", "Cf"})
    return "".join(_as_latin(ch) for ch in kept).translate(_AS_LETTERS).replace("rn", "m")


@functools.cache
def _reserved_forms() -> tuple[tuple[str, ...], tuple[str, ...]]:
    return tuple(_read_as_latin(w) for w in _RESERVED_LONG), tuple(_read_as_latin(w) for w in _RESERVED_SHORT)


def claims_to_be_staff(name: str) -> bool:
    """Does this display name claim to be staff, support or official? (Staff names are not
    checked: the mark comes from their role.)"""
    plain = unicodedata.normalize("NFKC", name)
    if any(ch in _CHECK_MARKS for ch in plain):
        return True
    han = "".join(_HAN.findall(plain))
    if any(word in han for word in _RESERVED_HAN):
        return True
    words = re.findall("[a-z]+", _read_as_latin(plain))
    long_words, short_words = _reserved_forms()
    joined = "".join(words)
    if any(word in joined for word in long_words):
        return True
    spelled: list[str] = []  # runs of words of one or two letters, joined
    run = ""
    for word in words:
        if len(word) <= 2:
            run += word
            continue
        spelled.append(run)
        run = ""
    spelled.append(run)
    return any(word in part for word in short_words for part in (*words, *spelled))


ANTI_PHISHING_CODE = re.compile(r"[\w\u3400-\u9fff -]{4,32}")


def clean_anti_phishing_code(value: str) -> str:
    """4 to 32 letters, digits (any script), spaces or hyphens: no links, no markup, nothing an
    email client would turn into something else."""
    text = clean_text(value, field="anti_phishing_code", max_length=32, allow_empty=True, multiline=False)
    if text and (not ANTI_PHISHING_CODE.fullmatch(text) or "_" in text):
        raise InvalidInput(
            _("Use 4 to 32 letters, digits, spaces or hyphens."),
            code="invalid_anti_phishing_code",
            field="anti_phishing_code",
        )
    return text


def _clean_language(value: str) -> str:
    if value not in _LANGUAGES:
        raise InvalidInput(_("This language is not available."), code="invalid_language", field="language")
    return value


def check_password_rules(password: str, *, user: User) -> None:
    try:
        validate_password(password, user=user)
    except ValidationError as exc:
        raise InvalidInput(" ".join(str(m) for m in exc.messages), code="weak_password", field="password") from exc


@dataclass(frozen=True)
class SignUpResult:
    """What happened, for tests and logs only: views must answer the same in both cases."""

    created: bool
    user: User


def sign_up(*, email: str, password: str, display_name: str, language: str, ip: str = "") -> SignUpResult:
    """Create a customer and email a verification link; for an address already registered,
    email its owner a notice instead. The caller gets no hint which one happened."""
    address = normalize_email(email)
    name = _clean_display_name(display_name)
    lang = language if language in _LANGUAGES else settings.LANGUAGE_CODE
    # Spent before the existence check so that both paths count alike.
    ratelimit.hit("signup-ip", ip or "unknown", limit=20, window=3600)
    ratelimit.hit("signup-email", address, limit=3, window=3600)
    check_password_rules(password, user=User(email=address, display_name=name))
    with transaction.atomic():
        existing = User.objects.select_for_update().filter(email=address).first()
        if existing is None:
            try:
                with transaction.atomic():
                    user = User.objects.create_user(
                        address, password, display_name=name, language=lang, role=Role.CUSTOMER
                    )
            except IntegrityError:
                # A concurrent sign-up won the race: treat it like an existing address.
                existing = User.objects.get(email=address)
            else:
                record("accounts.signed_up", actor=user, target=user, data={"language": lang}, ip=ip)
                enqueue(tasks.send_verification_email, str(user.public_id))
                return SignUpResult(created=True, user=user)
        # Hash anyway: the time taken must not tell that the address exists.
        make_password(password)
        record("accounts.signup_existing_address", actor="anonymous", target=existing, ip=ip)
        enqueue(tasks.send_signup_attempt_notice, str(existing.public_id))
        return SignUpResult(created=False, user=existing)


def resend_verification(user: User, *, ip: str = "") -> None:
    ratelimit.hit("verify-resend", str(user.pk), limit=3, window=3600)
    if user.email_verified_at is not None:
        return
    with transaction.atomic():
        record("accounts.verification_resent", actor=user, target=user, ip=ip)
        enqueue(tasks.send_verification_email, str(user.public_id))


def verify_email(token: str, *, ip: str = "") -> User:
    invalid = InvalidInput(
        _("This confirmation link is invalid, expired or already used."), code="verification_invalid"
    )
    parsed = tokens.read_verify_token(token)
    if parsed is None:
        raise invalid
    public_id, state = parsed
    with transaction.atomic():
        user = User.objects.select_for_update().filter(public_id=public_id, is_active=True).first()
        if user is None or not tokens.state_matches(user, state):
            raise invalid
        user.email_verified_at = timezone.now()
        user.save(update_fields=["email_verified_at"])
        record("accounts.email_verified", actor=user, target=user, ip=ip)
    return user


def set_password(
    user: User, *, password: str, actor: User | None, via: str, revoke_tokens: bool = False, ip: str = ""
) -> User:
    """Change the password. Every other session of the user stops working at its next request
    (Django checks the session's password hash); the caller keeps its own session with
    `update_session_auth_hash`. API tokens keep working unless `revoke_tokens` (docs/sessions.md)."""
    check_password_rules(password, user=user)
    with transaction.atomic():
        locked = User.objects.select_for_update().get(pk=user.pk)
        locked.set_password(password)
        locked.save(update_fields=["password"])
        record("accounts.password_changed", actor=actor or locked, target=locked, data={"via": via}, ip=ip)
        if revoke_tokens:
            _revoke_all(locked, actor=actor or locked, reason="password_changed", ip=ip)
        enqueue(tasks.send_password_changed_notice, str(locked.public_id))
    user.password = locked.password
    return user


def sign_out_other_sessions(user: User, *, actor: User, ip: str = "") -> User:
    """Every session of the user made before now stops working at its next request, whatever
    the session backend; the caller keeps its own with `update_session_auth_hash`."""
    with transaction.atomic():
        locked = User.objects.select_for_update().get(pk=user.pk)
        locked.session_epoch = secrets.token_hex(16)
        locked.save(update_fields=["session_epoch"])
        record("accounts.other_sessions_signed_out", actor=actor, target=locked, ip=ip)
    user.session_epoch = locked.session_epoch
    return user


def request_password_reset(email: str, *, ip: str = "") -> None:
    """Email a reset link if the address belongs to an active account; silently nothing
    otherwise (the view answers the same either way)."""
    try:
        address = normalize_email(email)
    except InvalidInput:
        return
    ratelimit.hit("reset-ip", ip or "unknown", limit=20, window=3600)
    ratelimit.hit("reset-email", address, limit=3, window=3600)
    with transaction.atomic():
        user = User.objects.filter(email=address, is_active=True).first()
        if user is None or not user.may_reset_password():
            return
        record("accounts.password_reset_requested", actor="anonymous", target=user, ip=ip)
        enqueue(tasks.send_password_reset_email, str(user.public_id))


def set_language(user: User, *, language: str, actor: User) -> User:
    lang = _clean_language(language)
    with transaction.atomic():
        locked = User.objects.select_for_update().get(pk=user.pk)
        if locked.language != lang:
            before = locked.language
            locked.language = lang
            locked.save(update_fields=["language"])
            record("accounts.language_changed", actor=actor, target=locked, data={"from": before, "to": lang})
    user.language = lang
    return user


def update_profile(
    user: User, *, display_name: str, language: str, actor: User, ip: str = "", anti_phishing_code: str | None = None
) -> User:
    """The profile page's fields. `anti_phishing_code` None leaves it as it is; the audit event
    says it was set, changed or cleared, never what it is."""
    name = _clean_display_name(display_name, reserved_allowed=user.role in STAFF_ROLES)
    lang = _clean_language(language)
    code = clean_anti_phishing_code(anti_phishing_code) if anti_phishing_code is not None else None
    with transaction.atomic():
        locked = User.objects.select_for_update().get(pk=user.pk)
        changes: dict[str, dict[str, str]] = {}
        if locked.display_name != name:
            changes["display_name"] = {"from": locked.display_name, "to": name}
            locked.display_name = name
        if locked.language != lang:
            changes["language"] = {"from": locked.language, "to": lang}
            locked.language = lang
        fields = list(changes)
        if code is not None and locked.anti_phishing_code != code:
            # Whether there is one, never what it is (and under a key the audit log keeps).
            changes["anti_phishing"] = {"from": _state(locked.anti_phishing_code), "to": _state(code)}
            locked.anti_phishing_code = code
            fields.append("anti_phishing_code")
        if changes:
            locked.save(update_fields=fields)
            record("accounts.profile_updated", actor=actor, target=locked, data=changes, ip=ip)
    user.display_name, user.language = name, lang
    if code is not None:
        user.anti_phishing_code = code
    return user


def _state(code: str) -> str:
    return "set" if code else "none"


def note_signed_in(user: User, *, ip: str = "") -> None:
    with transaction.atomic():
        record("accounts.signed_in", actor=user, target=user, ip=ip)


def note_signed_out(user: User, *, ip: str = "") -> None:
    with transaction.atomic():
        record("accounts.signed_out", actor=user, target=user, ip=ip)


# Two-factor authentication (TOTP) --------------------------------------------------------


def has_confirmed_device(user: User) -> bool:
    return TOTPDevice.objects.filter(user=user, confirmed=True).exists()


def pending_device(user: User) -> TOTPDevice | None:
    return TOTPDevice.objects.filter(user=user, confirmed=False).order_by("-id").first()


def start_totp_setup(user: User, *, ip: str = "") -> TOTPDevice:
    """A fresh, unconfirmed authenticator key. Only for accounts without a confirmed one: adding
    a second factor to an account that has one needs that one first (not offered yet)."""
    with transaction.atomic():
        User.objects.select_for_update().get(pk=user.pk)
        if has_confirmed_device(user):
            raise Conflict(_("Two-factor authentication is already set up."), code="totp_exists")
        # A key shown earlier but never confirmed is discarded: only the newest one can be confirmed.
        TOTPDevice.objects.filter(user=user, confirmed=False).delete()
        device = TOTPDevice.objects.create(user=user, name="default", confirmed=False)
        record("accounts.totp_setup_started", actor=user, target=user, ip=ip)
    return device


def _otp_throttle(user: User, ip: str) -> None:
    ratelimit.hit("otp-user", str(user.pk), limit=5, window=300)
    ratelimit.hit("otp-ip", ip or "unknown", limit=20, window=300)


def _otp_refused(user: User, verb: str, ip: str) -> InvalidInput:
    with transaction.atomic():
        record(verb, actor=user, target=user, ip=ip)
    return InvalidInput(_("The code is not correct. Check your authenticator app and try again."), code="otp_invalid")


def confirm_totp_device(user: User, *, token: str, ip: str = "") -> TOTPDevice:
    _otp_throttle(user, ip)
    device = pending_device(user)
    if device is None:
        raise NotFound(_("Start the set-up again: no key is waiting for confirmation."), code="totp_not_started")
    # verify_token saves its own throttle state; it must not be rolled back with a refusal.
    if not device.verify_token(token.strip()):
        raise _otp_refused(user, "accounts.totp_confirm_failed", ip)
    with transaction.atomic():
        device.confirmed = True
        device.save(update_fields=["confirmed"])
        record("accounts.totp_confirmed", actor=user, target=user, data={"device": device.name}, ip=ip)
    return device


def check_second_factor(user: User, *, token: str, ip: str = "") -> TOTPDevice:
    _otp_throttle(user, ip)
    device = match_token(user, token.strip())
    if not isinstance(device, TOTPDevice) or not device.confirmed:
        raise _otp_refused(user, "accounts.otp_failed", ip)
    with transaction.atomic():
        record("accounts.otp_verified", actor=user, target=user, ip=ip)
    return device


# Availability (staff presence) -------------------------------------------------------------


def set_availability(user: User, *, availability: str, actor: User, ip: str = "") -> User:
    """A staff member switches between available, away and offline; a supervisor may switch
    someone else (an agent who left without doing it). Automatic assignment picks only the
    available ones."""
    if availability not in Availability.values:
        raise InvalidInput(_("Choose available, away or offline."), code="invalid_availability", field="availability")
    if not (actor.is_active and actor.role in STAFF_ROLES):
        raise PermissionDenied()
    if actor.pk != user.pk and not actor.has_role(Role.SUPERVISOR):
        raise PermissionDenied()
    with transaction.atomic():
        locked = User.objects.select_for_update().filter(pk=user.pk).first()
        if locked is None or locked.role not in STAFF_ROLES:
            raise NotFound()
        previous = locked.availability
        if previous != availability:
            locked.availability = availability
            locked.availability_changed_at = timezone.now()
            locked.save(update_fields=["availability", "availability_changed_at"])
            record(
                "accounts.availability_changed",
                actor=actor,
                target=locked,
                data={"from": previous, "to": availability},
                ip=ip,
            )
    user.availability, user.availability_changed_at = locked.availability, locked.availability_changed_at
    return locked


# Teams (administrators only) --------------------------------------------------------------


def _require_admin(actor: User) -> None:
    if not actor.has_role(Role.ADMIN):
        raise PermissionDenied()


def create_team(*, name: str, actor: User) -> Team:
    _require_admin(actor)
    clean = clean_text(name, field="name", max_length=100, multiline=False)
    with transaction.atomic():
        if Team.objects.filter(name=clean).exists():
            raise Conflict(_("A team with this name already exists."), code="team_exists")
        team = Team.objects.create(name=clean)
        record("accounts.team_created", actor=actor, target=team, data={"name": clean})
    return team


def rename_team(team: Team, *, name: str, actor: User) -> Team:
    _require_admin(actor)
    clean = clean_text(name, field="name", max_length=100, multiline=False)
    with transaction.atomic():
        locked = Team.objects.select_for_update().get(pk=team.pk)
        if locked.name != clean:
            if Team.objects.filter(name=clean).exclude(pk=locked.pk).exists():
                raise Conflict(_("A team with this name already exists."), code="team_exists")
            record("accounts.team_renamed", actor=actor, target=locked, data={"from": locked.name, "to": clean})
            locked.name = clean
            locked.save(update_fields=["name"])
    team.name = clean
    return team


def add_team_member(team: Team, user: User, *, actor: User) -> TeamMembership:
    _require_admin(actor)
    with transaction.atomic():
        membership, created = TeamMembership.objects.get_or_create(team=team, user=user)
        if created:
            record("accounts.team_member_added", actor=actor, target=team, data={"user": str(user.public_id)})
    return membership


def remove_team_member(team: Team, user: User, *, actor: User) -> None:
    _require_admin(actor)
    with transaction.atomic():
        deleted, _counts = TeamMembership.objects.filter(team=team, user=user).delete()
        if deleted:
            record("accounts.team_member_removed", actor=actor, target=team, data={"user": str(user.public_id)})


def user_by_public_id(public_id: str) -> User | None:
    try:
        key = uuid.UUID(str(public_id))
    except ValueError:
        return None
    return User.objects.filter(public_id=key).first()


def totp_secret(device: TOTPDevice) -> str:
    """The key as authenticator apps expect it when typed in: base32 without padding."""
    return base64.b32encode(device.bin_key).decode("ascii").rstrip("=")


# API tokens ---------------------------------------------------------------------------------

MAX_ACTIVE_TOKENS = 25
TOKEN_NAME_LENGTH = 100
# How stale `last_used_at` may get: one write a minute per token, not one per request.
LAST_USED_RESOLUTION = timedelta(minutes=1)


@dataclass(frozen=True)
class NewApiToken:
    token: ApiToken
    secret: str  # the whole token, to show once; it is stored nowhere


def clean_scopes(scopes: Iterable[Any]) -> list[str]:
    chosen = sorted({str(s) for s in scopes})
    if not chosen:
        raise InvalidInput(_("Choose at least one permission."), code="scopes_required", field="scopes")
    if any(s not in Scope.values for s in chosen):
        raise InvalidInput(_("Choose from the listed permissions."), code="invalid_scope", field="scopes")
    return chosen


def token_expiry(days: Any, *, now: datetime) -> datetime | None:
    """The expiry for a lifetime of `days` (None: the configured default). Zero days means
    never, allowed only when SAFEDESK_API_TOKEN_MAX_DAYS is 0."""
    longest = int(settings.SAFEDESK_API_TOKEN_MAX_DAYS)
    if days in (None, ""):
        days = settings.SAFEDESK_API_TOKEN_DAYS
    try:
        count = int(days)
    except (TypeError, ValueError, OverflowError):
        count = -1
    if count == 0 and longest <= 0:
        return None
    if count < 1 or (longest > 0 and count > longest):
        message = (
            _("Choose an expiry from 1 to %(max)d days.") % {"max": longest}
            if longest > 0
            else str(_("Choose an expiry of at least one day, or none."))
        )
        raise InvalidInput(message, code="invalid_expiry", field="expires_in_days")
    return now + timedelta(days=count)


def create_api_token(
    user: User, *, name: str, scopes: Iterable[Any], expires_in_days: Any = None, second_factor: bool, ip: str = ""
) -> NewApiToken:
    """A new token for `user`, made by the user themselves. Staff need `second_factor` (the
    session that asks has passed TOTP). The result carries the token once; only its SHA-256
    is stored. The owner is told by email (without the name they chose)."""
    if user.is_staff_role and not second_factor:
        raise PermissionDenied(
            _("Confirm your sign-in with your authenticator app before creating an API token."), code="otp_required"
        )
    clean_name = clean_text(name, field="name", max_length=TOKEN_NAME_LENGTH, multiline=False)
    chosen = clean_scopes(scopes)
    now = timezone.now()
    expires_at = token_expiry(expires_in_days, now=now)
    ratelimit.hit("api-token-create", str(user.pk), limit=10, window=3600)
    with transaction.atomic():
        owner = User.objects.select_for_update().get(pk=user.pk)
        if not owner.is_active:
            raise PermissionDenied()
        active = ApiToken.objects.filter(user=owner, revoked_at__isnull=True).exclude(expires_at__lte=now).count()
        if active >= MAX_ACTIVE_TOKENS:
            raise Conflict(
                _("You have %(max)d active API tokens, the most allowed. Revoke one first.")
                % {"max": MAX_ACTIVE_TOKENS},
                code="too_many_tokens",
            )
        for _attempt in range(3):
            key = apikeys.generate()
            try:
                with transaction.atomic():
                    token = ApiToken.objects.create(
                        user=owner,
                        name=clean_name,
                        key_id=key.key_id,
                        secret_hash=key.digest,
                        scopes=chosen,
                        second_factor=second_factor,
                        created_at=now,
                        created_ip=ip[:64],
                        expires_at=expires_at,
                    )
                break
            except IntegrityError:
                # Two tokens drew the same key id (about 1 in 3.6e15): draw again.
                continue
        else:
            raise Conflict(code="token_collision")
        record(
            "accounts.api_token_created",
            actor=owner,
            target=token,
            data={
                "name": clean_name,
                "label": token.label,
                "scopes": chosen,
                "expires_at": expires_at.isoformat() if expires_at else None,
            },
            ip=ip,
        )
        enqueue(tasks.send_api_token_created_notice, str(token.public_id))
    return NewApiToken(token=token, secret=key.token)


def _may_manage(token: ApiToken, actor: User) -> bool:
    return token.user_id == actor.pk or actor.has_role(Role.ADMIN)


def revoke_api_token(token: ApiToken, *, actor: User, ip: str = "") -> ApiToken:
    """Revoke one token: its owner, or an administrator. Revoking a revoked token changes nothing."""
    if not _may_manage(token, actor):
        raise NotFound()
    with transaction.atomic():
        locked = ApiToken.objects.select_for_update().get(pk=token.pk)
        if locked.revoked_at is None:
            locked.revoked_at = timezone.now()
            locked.revoked_by = actor
            locked.save(update_fields=["revoked_at", "revoked_by"])
            record(
                "accounts.api_token_revoked",
                actor=actor,
                target=locked,
                data={"label": locked.label, "owner": locked.user.email, "by_owner": locked.user_id == actor.pk},
                ip=ip,
            )
    token.revoked_at, token.revoked_by = locked.revoked_at, locked.revoked_by
    return token


def _revoke_all(user: User, *, actor: User, reason: str, ip: str) -> int:
    now = timezone.now()
    # Locked one by one, in id order, like revoke_api_token (so the two never deadlock).
    active = list(ApiToken.objects.select_for_update().filter(user=user, revoked_at__isnull=True).order_by("id"))
    for token in active:
        token.revoked_at, token.revoked_by = now, actor
        token.save(update_fields=["revoked_at", "revoked_by"])
    if active:
        record(
            "accounts.api_tokens_revoked",
            actor=actor,
            target=user,
            data={"count": len(active), "labels": [t.label for t in active], "reason": reason},
            ip=ip,
        )
    return len(active)


def revoke_all_api_tokens(user: User, *, actor: User, reason: str = "requested", ip: str = "") -> int:
    """Revoke every active token of `user` (the user, or an administrator). Returns how many."""
    if user.pk != actor.pk and not actor.has_role(Role.ADMIN):
        raise PermissionDenied()
    with transaction.atomic():
        return _revoke_all(user, actor=actor, reason=reason, ip=ip)


def note_api_token_used(token: ApiToken, *, ip: str, now: datetime | None = None) -> None:
    """Stamp the last use, at most once a minute per token. Bookkeeping, not a change anyone
    made, so it is not audited. The conditional UPDATE is atomic on its own: of several
    concurrent requests only one writes, and none waits on a row lock."""
    moment = now or timezone.now()
    last = token.last_used_at
    if last is not None and moment - last < LAST_USED_RESOLUTION:
        return
    stale = moment - LAST_USED_RESOLUTION
    updated = (
        ApiToken.objects.filter(pk=token.pk)
        .filter(models.Q(last_used_at__isnull=True) | models.Q(last_used_at__lte=stale))
        .update(last_used_at=moment, last_used_ip=ip[:64])
    )
    if updated:
        token.last_used_at, token.last_used_ip = moment, ip[:64]
