"""Idempotent demo setup: logins with passwords generated once into the data dir."""

from __future__ import annotations

import base64
import json
import os
import secrets
from dataclasses import dataclass
from pathlib import Path

import yaml
from django.db import transaction
from django.utils import timezone
from django_otp.plugins.otp_totp.models import TOTPDevice

from safedesk.accounts.models import Role, Team, User
from safedesk.accounts.services import add_team_member, create_team
from safedesk.audit.services import record
from safedesk.helpcenter.services import import_articles
from safedesk.safety.models import OfficialChannel
from safedesk.safety.services import ChannelInput, add_official_channel, list_known_scam
from safedesk.tickets.models import AssignmentMode, Category
from safedesk.tickets.services import MacroInput, set_up_default_macros, set_up_default_sla
from safedesk.tickets.setup_services import save_team_settings

DEMO_DOMAIN = "demo.safedesk.test"
PERSONAS: list[tuple[str, str, str]] = [
    ("alice", "Alice (customer)", Role.CUSTOMER),
    ("bob", "Bob (customer)", Role.CUSTOMER),
    ("sam", "Sam (agent)", Role.AGENT),
    ("ada", "Ada (supervisor)", Role.SUPERVISOR),
    ("root", "Root (admin)", Role.ADMIN),
]


@dataclass(frozen=True)
class DemoLogin:
    email: str
    password: str
    role: str
    totp_secret: str = ""
    totp_uri: str = ""


def _passwords(data_dir: Path) -> dict[str, str]:
    path = data_dir / "demo-logins.json"
    stored: dict[str, str] = {}
    if path.exists():
        stored = json.loads(path.read_text(encoding="utf-8"))
    changed = False
    for handle, _label, _role in PERSONAS:
        if handle not in stored:
            stored[handle] = secrets.token_urlsafe(12)
            changed = True
    if changed:
        data_dir.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(".tmp")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            json.dump(stored, fh, indent=2)
        tmp.replace(path)
    return stored


def ensure_demo_users(data_dir: Path) -> list[DemoLogin]:
    passwords = _passwords(data_dir)
    logins: list[DemoLogin] = []
    with transaction.atomic():
        for handle, label, role in PERSONAS:
            email = f"{handle}@{DEMO_DOMAIN}"
            user = User.objects.filter(email=email).first()
            if user is None:
                user = User.objects.create_user(
                    email, passwords[handle], display_name=label, role=role, email_verified_at=timezone.now()
                )
                record("demo.user_created", actor="demo", target=user, data={"role": role})
            elif not user.check_password(passwords[handle]):
                user.set_password(passwords[handle])
                user.save(update_fields=["password"])
            secret = uri = ""
            if user.is_staff_role:
                device = TOTPDevice.objects.filter(user=user, name="demo").first()
                if device is None:
                    device = TOTPDevice.objects.create(user=user, name="demo", confirmed=True)
                secret = base64.b32encode(device.bin_key).decode("ascii").rstrip("=")
                uri = device.config_url
            logins.append(DemoLogin(email, passwords[handle], role, secret, uri))
    return logins


CONTENT_DIR = Path(__file__).resolve().parent / "content"


def load_demo_content() -> str:
    """Import the demo help-center articles (idempotent: a second run changes nothing)."""
    # Recorded for the demo admin (created just before), or under the label "demo".
    actor = User.objects.filter(email=f"root@{DEMO_DOMAIN}").first() or "demo"
    result = import_articles(CONTENT_DIR, actor=actor)
    if result.errors:
        raise ValueError("demo content does not import cleanly: " + "; ".join(result.errors))
    sla = "SLA policies created" if set_up_default_sla(actor=actor) else "SLA policies kept"
    team = "team Security created" if _set_up_demo_team(actor) else "teams kept"
    made = set_up_default_macros(demo_macros(), actor=actor) if isinstance(actor, User) else 0
    macros = f"{made} macros created" if made else "macros kept"
    registry = "official channels listed" if _set_up_demo_registry(actor) else "official channels kept"
    counts = f"{result.created} created, {result.updated} updated, {result.unchanged} unchanged"
    return f"articles: {counts}; {sla}; {team}; {macros}; {registry}"


def _set_up_demo_team(actor: User | str) -> bool:
    """A Security team (the demo agent and supervisor) that receives security, frozen-assets and
    scam-report tickets in turn, so that routing shows at once. Only on a desk with no team."""
    if not isinstance(actor, User) or Team.objects.exists():
        return False
    with transaction.atomic():
        team = create_team(name="Security", actor=actor)
        for handle in ("sam", "ada"):
            member = User.objects.filter(email=f"{handle}@{DEMO_DOMAIN}").first()
            if member is not None:
                add_team_member(team, member, actor=actor)
        save_team_settings(
            team,
            calendar=None,
            assignment_mode=AssignmentMode.ROUND_ROBIN,
            categories=[Category.SECURITY, Category.FROZEN, Category.SCAM_REPORT],
            actor=actor,
        )
    return True


# The demo desk's own channels. The numbers are from the UK range Ofcom keeps for drama
# (020 7946 0000 to 0999), so that no real line is named official or a scam.
DEMO_OFFICIAL = [
    ("domain", "safedesk.example", "", "Website and help center", "官网与帮助中心"),
    ("email", "support@safedesk.example", "", "Support email", "客服邮箱"),
    ("phone", "+44 20 7946 0958", "", "Customer hotline", "客服热线"),
    ("handle", "@safedesk_demo", "telegram", "Telegram announcements", "电报公告频道"),
]
DEMO_SCAMS = [("phone", "+44 20 7946 0999", "A fake hotline advertised in search results")]


def _set_up_demo_registry(actor: User | str) -> bool:
    """The verifier's demo registry and one known scam. Only on a desk with no registry."""
    if not isinstance(actor, User) or OfficialChannel.objects.exists():
        return False
    with transaction.atomic():
        for kind, value, platform, label_en, label_zh in DEMO_OFFICIAL:
            add_official_channel(
                ChannelInput(
                    kind=kind,
                    value=value,
                    platform=platform,
                    label_en=label_en,
                    label_zh=label_zh,
                    include_subdomains=kind == "domain",
                ),
                actor=actor,
            )
        for kind, value, note in DEMO_SCAMS:
            list_known_scam(kind, value, note=note, actor=actor)
    return True


def demo_macros() -> list[MacroInput]:
    """The demo's shared macros, from content/macros.yaml."""
    entries = yaml.safe_load((CONTENT_DIR / "macros.yaml").read_text(encoding="utf-8"))
    return [
        MacroInput(
            name=e["name"],
            body_zh=e.get("body_zh", ""),
            body_en=e.get("body_en", ""),
            set_status=e.get("set_status", ""),
            add_tags=e.get("add_tags", []),
        )
        for e in entries
    ]
