"""Tickets (SPEC §2): fields, constraints and the status state machine. Only
`safedesk.tickets.services` writes these rows."""

from __future__ import annotations

import uuid
from typing import Any

from django.core.cache import cache
from django.db import models, transaction
from django.utils.translation import gettext_lazy as _

from safedesk.accounts.models import Team, User
from safedesk.lib import businesstime
from safedesk.lib.uploads import KINDS


class Category(models.TextChoices):
    ACCOUNT = "account", _("Account")
    SECURITY = "security", _("Security")
    DEPOSIT = "deposit", _("Deposit")
    WITHDRAWAL = "withdrawal", _("Withdrawal")
    TRADING = "trading", _("Trading")
    FEES = "fees", _("Fees")
    TECHNICAL = "technical", _("Technical fault")
    COMPLAINT = "complaint", _("Complaint")
    PERSONAL_INFO = "personal_info", _("Personal information change")
    FROZEN = "frozen_assets", _("Frozen assets")
    SCAM_REPORT = "scam_report", _("Scam report")
    OTHER = "other", _("Other")


class Priority(models.IntegerChoices):
    LOW = 1, _("Low")
    NORMAL = 2, _("Normal")
    HIGH = 3, _("High")
    URGENT = 4, _("Urgent")


class Status(models.TextChoices):
    NEW = "new", _("New")
    OPEN = "open", _("Open")
    PENDING = "pending", _("Pending customer")
    ON_HOLD = "on_hold", _("On hold")
    SOLVED = "solved", _("Solved")
    CLOSED = "closed", _("Closed")


class Channel(models.TextChoices):
    WEB = "web", _("Web form")
    GUEST = "guest", _("Web form (guest)")
    AGENT = "agent", _("Created by an agent")
    PHONE = "phone", _("Phone")
    API = "api", _("API")
    EMAIL = "email", _("Email")
    CHAT = "chat", _("Chat")
    FORUM = "forum", _("Forum")


# The state machine (docs/tickets.md). Statuses an agent may set from each status; "solved" is
# reopened by the customer's reply or by an agent; "closed" is final for agents and customers (a
# later message starts a new ticket) — only a supervisor upholding an appeal reopens it.
AGENT_TRANSITIONS: dict[str, frozenset[str]] = {
    Status.NEW: frozenset({Status.OPEN, Status.PENDING, Status.ON_HOLD, Status.SOLVED}),
    Status.OPEN: frozenset({Status.PENDING, Status.ON_HOLD, Status.SOLVED}),
    Status.PENDING: frozenset({Status.OPEN, Status.ON_HOLD, Status.SOLVED}),
    Status.ON_HOLD: frozenset({Status.OPEN, Status.PENDING, Status.SOLVED}),
    Status.SOLVED: frozenset({Status.OPEN, Status.CLOSED}),
    Status.CLOSED: frozenset(),
}
ACTIVE_STATUSES = frozenset({Status.NEW, Status.OPEN, Status.PENDING, Status.ON_HOLD})
DONE_STATUSES = frozenset({Status.SOLVED, Status.CLOSED})


def agent_may_set(current: str, target: str) -> bool:
    return target in AGENT_TRANSITIONS.get(current, frozenset())


# The SLA clocks read calendars, team settings and policies on every new ticket; sla.py keeps
# them per process under the token stored at this cache key.
SLA_SETUP_CACHE_KEY = "tickets:sla-setup"


class SlaSetupQuerySet(models.QuerySet[Any]):
    """Bulk writes of SLA set-up rows drop the shared token too (as `SlaSetupRow.save` does)."""

    def update(self, **kwargs: Any) -> int:
        count = super().update(**kwargs)
        if not set(kwargs) <= self.model.not_sla_fields:
            forget_sla_setup()
        return count

    def delete(self) -> tuple[int, dict[str, int]]:
        deleted = super().delete()
        forget_sla_setup()
        return deleted


class SlaSetupRow(models.Model):
    """A row of the SLA set-up: saving or deleting one drops the shared token, now and again at
    commit, so that no process keeps counting with what it read before the change."""

    objects = SlaSetupQuerySet.as_manager()

    class Meta:
        abstract = True

    # Columns no SLA count reads (the round-robin pointer moves with every automatic assignment).
    not_sla_fields: frozenset[str] = frozenset()

    def save(self, *args: Any, **kwargs: Any) -> None:
        super().save(*args, **kwargs)
        fields = kwargs.get("update_fields")
        if fields is None or not set(fields) <= self.not_sla_fields:
            forget_sla_setup()

    def delete(self, *args: Any, **kwargs: Any) -> tuple[int, dict[str, int]]:
        deleted = super().delete(*args, **kwargs)
        forget_sla_setup()
        return deleted


def forget_sla_setup() -> None:
    cache.delete(SLA_SETUP_CACHE_KEY)
    transaction.on_commit(lambda: cache.delete(SLA_SETUP_CACHE_KEY))


class BusinessCalendar(SlaSetupRow):
    """Business hours for SLA clocks: a time zone, weekly hours and holidays (local dates)."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    name = models.CharField(_("name"), max_length=100, unique=True)
    tz = models.CharField(_("time zone"), max_length=64, default="Asia/Shanghai")
    # {"mon": ["09:00-18:00"], ..., "sat": []}: see lib.businesstime.Calendar.from_spec.
    weekly = models.JSONField(_("weekly hours"), default=dict)
    holidays = models.JSONField(_("holidays"), default=list, blank=True)
    # The calendar of teams without their own (at most one default).
    is_default = models.BooleanField(_("default"), default=False)

    class Meta:
        verbose_name = _("business calendar")
        verbose_name_plural = _("business calendars")
        constraints = [
            models.UniqueConstraint(
                fields=["is_default"], condition=models.Q(is_default=True), name="one_default_calendar"
            )
        ]

    def __str__(self) -> str:
        return self.name

    def calendar(self) -> businesstime.Calendar:
        return businesstime.Calendar.from_spec(self.tz, self.weekly, self.holidays)


class AssignmentMode(models.TextChoices):
    MANUAL = "manual", _("Manual")
    ROUND_ROBIN = "round_robin", _("Round-robin")
    LEAST_LOADED = "least_loaded", _("Least loaded")


AUTOMATIC_MODES = frozenset({AssignmentMode.ROUND_ROBIN, AssignmentMode.LEAST_LOADED})


class TeamSettings(SlaSetupRow):
    """Ticket settings of a team (the accounts app owns teams; tickets owns how they work)."""

    team = models.OneToOneField(Team, on_delete=models.CASCADE, related_name="ticket_settings")
    calendar = models.ForeignKey(BusinessCalendar, on_delete=models.PROTECT, null=True, blank=True)
    assignment_mode = models.CharField(
        _("assignment"), max_length=16, choices=AssignmentMode.choices, default=AssignmentMode.MANUAL
    )
    # Round-robin pointer: the member who got the team's last ticket. The next one goes to the
    # first eligible member after them in a stable order (user id). It is read and moved only
    # with this row locked, so two tickets arriving at once cannot take the same turn.
    round_robin_last = models.ForeignKey(User, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    not_sla_fields = frozenset({"round_robin_last"})

    class Meta:
        verbose_name = _("team settings")
        verbose_name_plural = _("team settings")

    def __str__(self) -> str:
        return str(self.team)


class TeamCategory(models.Model):
    """New tickets of this category go to this team (each category to at most one team)."""

    category = models.CharField(_("category"), max_length=32, choices=Category.choices, unique=True)
    team = models.ForeignKey(Team, on_delete=models.CASCADE, related_name="ticket_categories")

    def __str__(self) -> str:
        return f"{self.category} → {self.team_id}"


class AgentSettings(models.Model):
    """Ticket settings of one staff member: the most active tickets automatic assignment may
    give them (empty = no cap; manual assignment is never capped)."""

    user = models.OneToOneField(User, on_delete=models.PROTECT, related_name="ticket_settings")
    max_active_tickets = models.PositiveIntegerField(_("most active tickets"), null=True, blank=True)

    def __str__(self) -> str:
        return str(self.user_id)


class SlaPolicy(SlaSetupRow):
    """Targets in business minutes for tickets of one priority and/or category (empty = any).
    The most specific active policy applies: priority and category, then priority, then
    category, then the catch-all."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    name = models.CharField(_("name"), max_length=100)
    priority = models.PositiveSmallIntegerField(_("priority"), choices=Priority.choices, null=True, blank=True)
    category = models.CharField(_("category"), max_length=32, choices=Category.choices, blank=True)
    first_response_minutes = models.PositiveIntegerField(_("first response (minutes)"), null=True, blank=True)
    next_response_minutes = models.PositiveIntegerField(_("next response (minutes)"), null=True, blank=True)
    resolution_minutes = models.PositiveIntegerField(_("resolution (minutes)"), null=True, blank=True)
    # An appeal against a ticket of this policy must be decided within this many business
    # minutes of the default calendar (the supervisors' queue is not a team's).
    appeal_minutes = models.PositiveIntegerField(_("appeal decision (minutes)"), null=True, blank=True)
    # Clock minutes before a due time at which the people working the ticket are warned.
    warning_minutes = models.PositiveIntegerField(_("warning lead time (minutes)"), null=True, blank=True)
    active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("SLA policy")
        verbose_name_plural = _("SLA policies")
        constraints = [
            models.UniqueConstraint(
                fields=["priority", "category"], condition=models.Q(active=True), name="one_active_sla_per_scope"
            )
        ]

    def __str__(self) -> str:
        return self.name


class Ticket(models.Model):
    ref = models.CharField(_("reference"), max_length=16, unique=True)
    # PROTECT: people are never deleted out from under their requests (ARCHITECTURE.md, 5).
    requester = models.ForeignKey(User, on_delete=models.PROTECT, related_name="tickets")
    subject = models.CharField(_("subject"), max_length=200)
    category = models.CharField(_("category"), max_length=32, choices=Category.choices, default=Category.OTHER)
    priority = models.PositiveSmallIntegerField(_("priority"), choices=Priority.choices, default=Priority.NORMAL)
    status = models.CharField(_("status"), max_length=16, choices=Status.choices, default=Status.NEW)
    team = models.ForeignKey(Team, on_delete=models.PROTECT, null=True, blank=True, related_name="tickets")
    assignee = models.ForeignKey(User, on_delete=models.PROTECT, null=True, blank=True, related_name="assigned_tickets")
    tags = models.JSONField(_("tags"), default=list, blank=True)
    language = models.CharField(_("language"), max_length=16, default="zh-hans")
    channel = models.CharField(_("channel"), max_length=16, choices=Channel.choices, default=Channel.WEB)
    # A guest's ticket is held until the guest opens the link we emailed; held tickets are not
    # worked and not shown in any inbox.
    confirmed_at = models.DateTimeField(_("confirmed"), null=True, blank=True)
    confirm_nonce = models.CharField(max_length=32, blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)
    first_response_at = models.DateTimeField(_("first response"), null=True, blank=True)
    solved_at = models.DateTimeField(_("solved"), null=True, blank=True)
    closed_at = models.DateTimeField(_("closed"), null=True, blank=True)
    rating = models.PositiveSmallIntegerField(_("rating"), null=True, blank=True)
    rating_comment = models.TextField(_("rating comment"), blank=True)
    rated_at = models.DateTimeField(_("rated"), null=True, blank=True)
    merged_into = models.ForeignKey("self", on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    message_count = models.PositiveIntegerField(default=0)
    # SLA: due times of the targets not yet met (None when met, paused or without a policy),
    # their earliest not yet breached one (what the sweep and "breaching soon" read), the
    # start of a pause (pending customer), and the targets already breached.
    sla_policy = models.ForeignKey(SlaPolicy, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    first_response_due = models.DateTimeField(_("first response due"), null=True, blank=True)
    next_response_due = models.DateTimeField(_("next response due"), null=True, blank=True)
    resolution_due = models.DateTimeField(_("resolution due"), null=True, blank=True)
    sla_due_at = models.DateTimeField(_("next SLA deadline"), null=True, blank=True)
    sla_paused_at = models.DateTimeField(null=True, blank=True)
    sla_breached = models.JSONField(default=list, blank=True)
    # Warnings before a breach: the targets warned about in their current clock cycle, and when
    # the next warning is due (what the sweep reads; None when nothing is left to warn about).
    sla_warned = models.JSONField(default=list, blank=True)
    sla_warn_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("ticket")
        verbose_name_plural = _("tickets")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(rating__isnull=True) | models.Q(rating__gte=1, rating__lte=5),
                name="ticket_rating_range",
            ),
        ]
        # Inbox views page by id (newest first) within a filter: each index serves one view.
        indexes = [
            models.Index(fields=["status", "-id"], name="ticket_status_idx"),
            models.Index(fields=["assignee", "status", "-id"], name="ticket_assignee_idx"),
            models.Index(fields=["team", "status", "-id"], name="ticket_team_idx"),
            models.Index(fields=["requester", "-id"], name="ticket_requester_idx"),
            models.Index(
                fields=["sla_due_at"], name="ticket_sla_due_idx", condition=models.Q(sla_due_at__isnull=False)
            ),
            models.Index(
                fields=["sla_warn_at"], name="ticket_sla_warn_idx", condition=models.Q(sla_warn_at__isnull=False)
            ),
        ]

    def __str__(self) -> str:
        return self.ref

    @property
    def is_held(self) -> bool:
        return self.confirmed_at is None

    # Django's generated get_FOO_display() rebuilds the whole choices mapping on every call;
    # lists call these for every row. Same result, one dictionary lookup.
    def get_status_display(self) -> str:  # type: ignore[no-redef]  # (django-stubs declares it)
        return _label(Status, self.status)

    def get_priority_display(self) -> str:  # type: ignore[no-redef]  # (django-stubs declares it)
        return _label(Priority, self.priority)

    def get_category_display(self) -> str:  # type: ignore[no-redef]  # (django-stubs declares it)
        return _label(Category, self.category)

    def get_channel_display(self) -> str:  # type: ignore[no-redef]  # (django-stubs declares it)
        return _label(Channel, self.channel)


def _label(choices: Any, value: Any) -> str:
    try:
        return str(choices(value).label)
    except ValueError:
        return str(value)


class MessageKind(models.TextChoices):
    PUBLIC = "public", _("Public reply")
    INTERNAL = "internal", _("Internal note")
    EVENT = "event", _("Event")


class Message(models.Model):
    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="messages")
    author = models.ForeignKey(User, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    kind = models.CharField(_("kind"), max_length=16, choices=MessageKind.choices, default=MessageKind.PUBLIC)
    body = models.TextField(_("message"))
    # For events: a stable code (status_changed, assigned, rated, appealed, ...) and its data.
    event = models.CharField(max_length=32, blank=True)
    data = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(_("sent"), auto_now_add=True)

    class Meta:
        verbose_name = _("message")
        verbose_name_plural = _("messages")
        indexes = [models.Index(fields=["ticket", "id"], name="ticket_message_idx")]

    def __str__(self) -> str:
        return f"{self.ticket_id}:{self.kind}"


class ChainLink(models.Model):
    """A transaction hash or address the customer linked to the ticket (format-checked)."""

    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="chain_links")
    kind = models.CharField(max_length=16)
    network = models.CharField(max_length=16, blank=True)
    value = models.CharField(max_length=128)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["ticket", "value"], name="ticket_chain_link_unique")]
        indexes = [models.Index(fields=["value"], name="ticket_chain_value_idx")]

    def __str__(self) -> str:
        return self.value


class AppealStatus(models.TextChoices):
    OPEN = "open", _("Open")
    UPHELD = "upheld", _("Upheld")
    REJECTED = "rejected", _("Rejected")


class Appeal(models.Model):
    """A customer's appeal (上诉) against how a ticket was solved: a supervisor decides."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="appeals")
    reason = models.TextField(_("reason"))
    status = models.CharField(_("status"), max_length=16, choices=AppealStatus.choices, default=AppealStatus.OPEN)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    decided_by = models.ForeignKey(User, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    decided_at = models.DateTimeField(_("decided"), null=True, blank=True)
    decision = models.TextField(_("decision"), blank=True)
    # The appeal queue's own SLA (the ticket's policy, `appeal_minutes`): when a decision is due,
    # when supervisors are warned, and when each of those emails went out (once each).
    due_at = models.DateTimeField(_("decision due"), null=True, blank=True)
    warn_at = models.DateTimeField(null=True, blank=True)
    warned_at = models.DateTimeField(null=True, blank=True)
    breached_at = models.DateTimeField(_("overdue since"), null=True, blank=True)

    class Meta:
        verbose_name = _("appeal")
        verbose_name_plural = _("appeals")
        # One open appeal per ticket at a time.
        constraints = [
            models.UniqueConstraint(fields=["ticket"], condition=models.Q(status="open"), name="ticket_one_open_appeal")
        ]
        indexes = [
            models.Index(fields=["status", "id"], name="appeal_queue_idx"),
            models.Index(fields=["status", "due_at"], name="appeal_due_idx"),
        ]

    def __str__(self) -> str:
        return f"appeal on {self.ticket_id}"


class ScanState(models.TextChoices):
    NOT_SCANNED = "not_scanned", _("Not scanned")  # no scanner is configured: served as it is
    PENDING = "pending", _("Pending scan")  # held, not served, until the scanner answers
    CLEAN = "clean", _("Clean")
    BLOCKED = "blocked", _("Blocked by scanner")  # its bytes are deleted; the row says what happened


SERVABLE_SCAN_STATES = frozenset({ScanState.NOT_SCANNED, ScanState.CLEAN})


class Attachment(models.Model):
    """A file on a message, checked by `safedesk.lib.uploads` before it was stored. The bytes live
    in Django's default storage under `storage_name` (random, never the client's name); they are
    served only by the authorising download views."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="attachments")
    message = models.ForeignKey(Message, on_delete=models.CASCADE, related_name="attachments")
    # PROTECT: people are never deleted out from under their data (ARCHITECTURE.md, 5).
    uploader = models.ForeignKey(User, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    storage_name = models.CharField(max_length=200, unique=True)
    original_name = models.CharField(_("file name"), max_length=255)
    size = models.PositiveBigIntegerField(_("size"))
    content_type = models.CharField(_("type"), max_length=100)
    kind = models.CharField(max_length=16)
    sha256 = models.CharField(max_length=64)
    scan_state = models.CharField(_("scan"), max_length=16, choices=ScanState.choices, default=ScanState.NOT_SCANNED)
    scan_signature = models.CharField(max_length=200, blank=True)
    scanned_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(_("uploaded"), auto_now_add=True)

    class Meta:
        verbose_name = _("attachment")
        verbose_name_plural = _("attachments")
        indexes = [
            models.Index(fields=["message", "id"], name="attachment_message_idx"),
            models.Index(fields=["id"], name="attachment_pending_idx", condition=models.Q(scan_state="pending")),
        ]

    def __str__(self) -> str:
        return self.original_name

    @property
    def servable(self) -> bool:
        return self.scan_state in SERVABLE_SCAN_STATES

    @property
    def kind_label(self) -> str:
        kind = KINDS.get(self.kind)
        return kind.label if kind else self.kind


class Macro(models.Model):
    """A canned reply in both languages (Markdown), optionally with a status to set and tags to
    add when an agent applies it. Shared macros (no owner) are kept by supervisors and admins;
    a personal macro belongs to one agent and only they see it."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    name = models.CharField(_("name"), max_length=100)
    body_zh = models.TextField(_("reply (简体中文)"), blank=True)
    body_en = models.TextField(_("reply (English)"), blank=True)
    set_status = models.CharField(_("set status"), max_length=16, choices=Status.choices, blank=True)
    add_tags = models.JSONField(_("add tags"), default=list, blank=True)
    # PROTECT: a personal macro stays with its author's record; nobody's data goes with a person.
    owner = models.ForeignKey(User, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    active = models.BooleanField(_("active"), default=True)
    usage_count = models.PositiveIntegerField(_("times used"), default=0)
    created_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        verbose_name = _("macro")
        verbose_name_plural = _("macros")
        constraints = [
            models.UniqueConstraint(
                fields=["name"],
                condition=models.Q(owner__isnull=True, active=True),
                name="macro_shared_name_unique",
            ),
            models.UniqueConstraint(
                fields=["owner", "name"],
                condition=models.Q(owner__isnull=False, active=True),
                name="macro_personal_name_unique",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def is_shared(self) -> bool:
        return self.owner_id is None

    def body_for(self, language: str) -> str:
        """The reply in the ticket's language, else the other one (either may be empty)."""
        first, second = (self.body_en, self.body_zh) if language == "en" else (self.body_zh, self.body_en)
        return first or second


class SavedView(models.Model):
    """An inbox filter an agent saved under a name. Personal (only its owner sees it) unless a
    supervisor shares it with a team, whose members then see it too."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    name = models.CharField(_("name"), max_length=60)
    owner = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    # SET_NULL: a removed team leaves the view to its owner instead of taking it away.
    team = models.ForeignKey(Team, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    # The inbox query parameters (view, status, priority, category, team, assignee, tag, q),
    # checked by selectors.clean_filter when saved and again when opened.
    params = models.JSONField(default=dict)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        verbose_name = _("saved view")
        verbose_name_plural = _("saved views")
        constraints = [models.UniqueConstraint(fields=["owner", "name"], name="saved_view_name_unique")]

    def __str__(self) -> str:
        return self.name
