"""The official channel registry, its history, the known-scam list and scam reports.

Channels are stored in the canonical form `safety.channels.parse` gives (`value`), so that the
verifier compares like with like; `display` is what people read. Every registry row carries an
HMAC of what makes it official (`signature`, `safety.services.sign`): the verifier trusts only
rows whose signature holds, so a row written past the services (a database edit, an injection)
is not answered as official (CASES.md T67, "a signed server-side allow-list").
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class ChannelKind(models.TextChoices):
    PHONE = "phone", _("Phone number")
    DOMAIN = "domain", _("Website (domain)")
    EMAIL = "email", _("Email address")
    HANDLE = "handle", _("Social or messenger account")
    APP = "app", _("App-store listing")
    ADDRESS = "address", _("Wallet address")


class OfficialChannel(models.Model):
    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    kind = models.CharField(_("kind"), max_length=16, choices=ChannelKind.choices)
    platform = models.CharField(_("platform"), max_length=32, blank=True)
    value = models.CharField(_("value"), max_length=300)
    display = models.CharField(_("shown as"), max_length=300)
    # App Store listings: the app's name in the link, which look-alike listings copy.
    slug = models.CharField(max_length=200, blank=True)
    label_en = models.CharField(_("what it is (English)"), max_length=200)
    label_zh = models.CharField(_("what it is (Chinese)"), max_length=200)
    # Domains only: whether help.example.com is official because example.com is.
    include_subdomains = models.BooleanField(_("subdomains are official too"), default=False)
    valid_from = models.DateTimeField(_("official from"), default=timezone.now)
    valid_until = models.DateTimeField(_("official until"), null=True, blank=True)
    signature = models.CharField(max_length=64, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    class Meta:
        constraints = [models.UniqueConstraint(fields=["kind", "value"], name="one_official_entry_per_channel")]
        ordering = ["kind", "value"]

    def __str__(self) -> str:
        return f"{self.kind}: {self.display}"

    def valid_at(self, when: object) -> bool:
        return self.valid_from <= when and (self.valid_until is None or when < self.valid_until)  # type: ignore[operator]

    def label(self, lang: str) -> str:
        return self.label_zh if lang.startswith("zh") else self.label_en


class ChannelChange(models.Model):
    """One change of a registry entry: what it was and what it became (the history admins
    read). Rows are only ever added."""

    class What(models.TextChoices):
        ADDED = "added", _("Added")
        CHANGED = "changed", _("Changed")
        ENDED = "ended", _("No longer official")

    channel = models.ForeignKey(OfficialChannel, on_delete=models.PROTECT, related_name="changes")
    what = models.CharField(max_length=16, choices=What.choices)
    before = models.JSONField(default=dict)
    after = models.JSONField(default=dict)
    at = models.DateTimeField(default=timezone.now)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+")

    class Meta:
        ordering = ["-at", "-id"]

    def __str__(self) -> str:
        return f"{self.what} {self.channel_id} at {self.at:%Y-%m-%d %H:%M}"


class KnownScam(models.Model):
    """A channel staff confirmed is used by scammers. Public: the verifier and the known-scams
    page show it."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    kind = models.CharField(_("kind"), max_length=16, choices=ChannelKind.choices)
    platform = models.CharField(_("platform"), max_length=32, blank=True)
    value = models.CharField(_("value"), max_length=300)
    display = models.CharField(_("shown as"), max_length=300)
    note = models.CharField(_("what it does"), max_length=500, blank=True)
    confirmed_at = models.DateTimeField(default=timezone.now)
    confirmed_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+")
    # Set when it was taken off the list (a mistake, a number given back); kept for the history.
    withdrawn_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["kind", "value"],
                condition=models.Q(withdrawn_at__isnull=True),
                name="one_listed_scam_per_channel",
            )
        ]
        ordering = ["-confirmed_at", "-id"]

    def __str__(self) -> str:
        return f"{self.kind}: {self.display}"


class ReportStatus(models.TextChoices):
    NEW = "new", _("To be checked")
    CONFIRMED = "confirmed", _("Confirmed scam")
    REJECTED = "rejected", _("Not a scam")


class ScamReport(models.Model):
    """Someone's report of a suspicious channel. The report is worked as a ticket in the
    scam-report category (`ticket_ref`: this app sits below tickets and keeps the reference, not a
    key); confirming it puts the channel on the known-scam list."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    ticket_ref = models.CharField(max_length=16, unique=True)
    # What was reported, after the secret shield; kind/value are empty when it did not parse.
    reported = models.CharField(max_length=500)
    kind = models.CharField(max_length=16, choices=ChannelKind.choices, blank=True)
    platform = models.CharField(max_length=32, blank=True)
    value = models.CharField(max_length=300, blank=True)
    display = models.CharField(max_length=300, blank=True)
    where_seen = models.CharField(max_length=500, blank=True)
    status = models.CharField(max_length=16, choices=ReportStatus.choices, default=ReportStatus.NEW)
    created_at = models.DateTimeField(default=timezone.now)
    decided_at = models.DateTimeField(null=True, blank=True)
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+")
    known_scam = models.ForeignKey(KnownScam, on_delete=models.PROTECT, null=True, blank=True, related_name="reports")

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["status", "created_at"], name="scam_report_queue")]

    def __str__(self) -> str:
        return f"{self.ticket_ref}: {self.display or self.reported}"
