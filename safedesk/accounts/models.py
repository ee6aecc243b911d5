"""People, roles and teams. A custom user model from the first migration."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import datetime
from typing import Any

from django.conf import settings
from django.contrib.auth.base_user import AbstractBaseUser, BaseUserManager
from django.contrib.auth.models import PermissionsMixin
from django.db import models
from django.utils import timezone
from django.utils.crypto import salted_hmac
from django.utils.translation import gettext_lazy as _


class Role(models.TextChoices):
    CUSTOMER = "customer", _("Customer")
    AGENT = "agent", _("Agent")
    SUPERVISOR = "supervisor", _("Supervisor")
    ADMIN = "admin", _("Administrator")


class Availability(models.TextChoices):
    """Whether a staff member takes new work now. Automatic assignment (tickets, and chat later)
    only picks people who are available; away and offline differ only in what colleagues read."""

    AVAILABLE = "available", _("Available")
    AWAY = "away", _("Away")
    OFFLINE = "offline", _("Offline")


STAFF_ROLES = frozenset({Role.AGENT, Role.SUPERVISOR, Role.ADMIN})
# Each role includes the powers of the ones before it.
ROLE_RANK = {Role.CUSTOMER: 0, Role.AGENT: 1, Role.SUPERVISOR: 2, Role.ADMIN: 3}


class UserManager(BaseUserManager["User"]):
    use_in_migrations = True

    def create_user(self, email: str, password: str | None = None, **extra: Any) -> User:
        if not email:
            raise ValueError("email is required")
        user = self.model(email=self.normalize_email(email).lower(), **extra)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_superuser(self, email: str, password: str | None = None, **extra: Any) -> User:
        extra.setdefault("role", Role.ADMIN)
        extra.setdefault("is_superuser", True)
        extra.setdefault("email_verified_at", timezone.now())
        return self.create_user(email, password, **extra)

    def active_staff(self) -> models.QuerySet[User]:
        """Active agents, supervisors and admins by email: the assignee menus on console pages.
        Written as "not a customer" so that both databases answer from the partial index
        `user_staff_email_idx` (with `role IN (...)` SQLite's planner, misled by the few role
        values, walked the whole user table: 1.5 ms at 3,000 customers)."""
        return self.filter(is_active=True).exclude(role=Role.CUSTOMER).order_by("email")


class User(AbstractBaseUser, PermissionsMixin):
    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    email = models.EmailField(_("email address"), unique=True)
    display_name = models.CharField(_("display name"), max_length=120, blank=True)
    role = models.CharField(_("role"), max_length=16, choices=Role.choices, default=Role.CUSTOMER)
    language = models.CharField(_("language"), max_length=10, blank=True)
    # A phrase the customer chose; every email we send them shows it, so that an email without
    # it is not from us (set on the profile page; never written to the audit log).
    anti_phishing_code = models.CharField(_("anti-phishing code"), max_length=32, blank=True)
    is_active = models.BooleanField(_("active"), default=True)
    email_verified_at = models.DateTimeField(_("email verified at"), null=True, blank=True)
    date_joined = models.DateTimeField(_("joined"), default=timezone.now)
    # Part of every session's auth hash once set: changing it signs out every session that was
    # made before (services.sign_out_other_sessions), with any session backend, at the next request.
    session_epoch = models.CharField(max_length=64, blank=True, default="", editable=False)
    # Staff presence, switched by the person in the console header (customers keep the default,
    # which means nothing for them). Available by default, so that a desk which turns on
    # automatic assignment does not find everyone silently skipped.
    availability = models.CharField(
        _("availability"), max_length=16, choices=Availability.choices, default=Availability.AVAILABLE
    )
    availability_changed_at = models.DateTimeField(_("availability changed"), null=True, blank=True)

    objects = UserManager()

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS = []  # noqa: RUF012  (Django's own declaration)

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")
        # Staff lists (the assignee menu on every ticket page) filter by role among all
        # customers: without it, 43 ms of a sequential scan at 333,000 customers.
        indexes = [
            models.Index(fields=["role", "email"], name="user_role_email_idx"),
            models.Index(fields=["email"], condition=~models.Q(role="customer"), name="user_staff_email_idx"),
        ]

    def __str__(self) -> str:
        return self.display_name or self.email

    @property
    def is_staff(self) -> bool:
        """Django admin access: administrators only."""
        return self.role == Role.ADMIN

    @property
    def is_staff_role(self) -> bool:
        return self.role in STAFF_ROLES

    def may_reset_password(self) -> bool:
        """Accounts with a password, and password-less ones whose address was proven (a guest who
        confirmed a ticket by email sets a first password this way)."""
        return self.is_active and (self.has_usable_password() or self.email_verified_at is not None)

    def has_role(self, role: str) -> bool:
        return ROLE_RANK.get(Role(self.role), 0) >= ROLE_RANK[Role(role)]

    # Django stores this hash in the session at sign-in and compares it on every request; a
    # mismatch signs the session out. Accounts that never used "sign out other sessions" keep
    # Django's own hash, so sessions made before the epoch existed stay valid.
    def _epoch_hash(self, secret: str | bytes | None = None) -> str:
        return salted_hmac(
            "safedesk.accounts.User.session", f"{self.password}|{self.session_epoch}", secret=secret, algorithm="sha256"
        ).hexdigest()

    def get_session_auth_hash(self) -> str:
        if not self.session_epoch:
            return super().get_session_auth_hash()
        return self._epoch_hash()

    def get_session_auth_fallback_hash(self) -> Iterator[str]:
        if not self.session_epoch:
            yield from super().get_session_auth_fallback_hash()
            return
        for fallback in settings.SECRET_KEY_FALLBACKS:
            yield self._epoch_hash(secret=fallback)


class Team(models.Model):
    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    name = models.CharField(_("name"), max_length=100, unique=True)
    members = models.ManyToManyField(User, through="TeamMembership", related_name="teams")

    class Meta:
        verbose_name = _("team")
        verbose_name_plural = _("teams")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class TeamMembership(models.Model):
    team = models.ForeignKey(Team, on_delete=models.CASCADE)
    # PROTECT: leaving a team is a service action, never a side effect of deleting a person.
    user = models.ForeignKey(User, on_delete=models.PROTECT)
    joined_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["team", "user"], name="team_membership_unique")]

    def __str__(self) -> str:
        return f"{self.user} in {self.team}"


class Scope(models.TextChoices):
    """What an API token may do; every API operation needs exactly one of these (docs/api.md)."""

    TICKETS_READ = "tickets:read", _("Read tickets: list them and open one with its thread")
    TICKETS_WRITE = "tickets:write", _("Write tickets: create, reply, change the status, rate and appeal")
    ARTICLES_READ = "articles:read", _("Read published help-center articles and search them")
    SAFETY_READ = "safety:read", _("Verify channels and read the official-channel and known-scam lists")
    SAFETY_WRITE = "safety:write", _("Change the official-channel registry (administrators) and the known-scam list")


class ApiToken(models.Model):
    """A bearer credential for the API. Only the SHA-256 of the whole token is stored; the
    token itself is shown once, when it is made. It acts as its user with the user's current
    role and status, never beyond its scopes."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    # PROTECT: a person's tokens are revoked by a service, never removed with them.
    user = models.ForeignKey(User, on_delete=models.PROTECT, related_name="api_tokens")
    name = models.CharField(_("name"), max_length=100)
    # The non-secret middle part of `sdk_<key_id>_<secret>`: finds the row without scanning,
    # and lets people and secret scanners tell tokens apart.
    key_id = models.CharField(max_length=16, unique=True, editable=False)
    secret_hash = models.CharField(max_length=64, editable=False)
    scopes = models.JSONField(_("scopes"), default=list)
    # Whether it was made from a session past the second factor: a customer's token stops
    # working if the account later becomes staff (staff tokens need that step).
    second_factor = models.BooleanField(default=False, editable=False)
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    created_ip = models.CharField(max_length=64, blank=True)
    expires_at = models.DateTimeField(_("expires"), null=True, blank=True)
    last_used_at = models.DateTimeField(_("last used"), null=True, blank=True)
    last_used_ip = models.CharField(max_length=64, blank=True)
    revoked_at = models.DateTimeField(_("revoked"), null=True, blank=True)
    revoked_by = models.ForeignKey(User, null=True, blank=True, on_delete=models.PROTECT, related_name="+")

    class Meta:
        verbose_name = _("API token")
        verbose_name_plural = _("API tokens")
        ordering = ["-id"]
        indexes = [models.Index(fields=["user", "revoked_at"], name="apitoken_user_revoked")]

    def __str__(self) -> str:
        return f"{self.name} ({self.label})"

    @property
    def label(self) -> str:
        """How lists name the token: its non-secret prefix."""
        return f"sdk_{self.key_id}_…"

    def is_expired(self, now: datetime | None = None) -> bool:
        return self.expires_at is not None and self.expires_at <= (now or timezone.now())

    def is_usable(self, now: datetime | None = None) -> bool:
        return self.revoked_at is None and not self.is_expired(now) and self.user.is_active

    def allows(self, scope: str) -> bool:
        return isinstance(self.scopes, list) and scope in self.scopes
