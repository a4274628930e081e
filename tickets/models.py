"""The service desk (SPEC S1–S9, L2, L4): support mailboxes, every message received (kept raw),
tickets with their messages, contractual events and full history, SLA policies and warnings."""

import ipaddress
import secrets
from datetime import UTC, datetime
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator, RegexValidator
from django.db import models
from django.db.models import Case, F, Q, Value, When
from django.db.models.functions import Coalesce, Least, Upper
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy
from django_scopes import ScopedManager

from accounts.models import Organisation
from accounts.roles import AgentLevel


def _random_path(folder: str, suffix: str) -> str:
    # Random names: files are served only through access-checked views (never guessable URLs).
    return f"{folder}/{secrets.token_hex(16)}{suffix}"


def _raw_path(instance: "InboundMessage", filename: str) -> str:
    return _random_path("mail/raw", ".eml")


def _attachment_path(instance: "Attachment", filename: str) -> str:
    return _random_path("mail/attachments", "")


# Only variables meant for mailbox passwords may be named: never DJANGO_SECRET_KEY, DATABASE_URL
# or any other secret of the process, which the poller would send to the configured host.
MAILBOX_ENV_PREFIX = "CSM_MAILBOX_"


def is_loopback(host: str) -> bool:
    """127.0.0.0/8, ::1 and localhost: the only hosts a password may reach without TLS."""
    name = host.strip().lower().rstrip(".")
    if name == "localhost":
        return True
    try:
        return ipaddress.ip_address(name.strip("[]")).is_loopback
    except ValueError:
        return False


class Mailbox(models.Model):
    """A support mailbox polled by the beat task (SPEC S1, L2). The password is stored encrypted
    with a key derived from SECRET_KEY, or read from an environment variable named
    ``CSM_MAILBOX_…``; it travels over TLS to every host but loopback. The model validates both
    (admin, API and the ``mailbox_save`` service call ``full_clean``) and the poller refuses a
    configuration that breaks them."""

    name = models.CharField(_("name"), max_length=100)
    address = models.EmailField(_("support address"), unique=True)
    host = models.CharField(_("IMAP host"), max_length=200)
    port = models.PositiveIntegerField(_("IMAP port"), default=993)
    use_tls = models.BooleanField(_("TLS"), default=True)
    username = models.CharField(_("user"), max_length=200)
    password_encrypted = models.TextField(blank=True)
    password_env = models.CharField(
        _("password from environment variable"),
        max_length=100,
        blank=True,
        help_text=_(
            "Name of an environment variable holding the password, instead of storing it; "
            "it must start with CSM_MAILBOX_."
        ),
        validators=[
            RegexValidator(
                rf"^{MAILBOX_ENV_PREFIX}[A-Z0-9_]+$",
                message=_(
                    "Use an environment variable whose name starts with CSM_MAILBOX_ "
                    "(capital letters, digits and underscores)."
                ),
            )
        ],
    )
    folder = models.CharField(_("folder"), max_length=200, default="INBOX")
    processed_folder = models.CharField(_("processed folder"), max_length=200, default="Processed")
    failed_folder = models.CharField(_("failed folder"), max_length=200, default="Failed")
    active = models.BooleanField(_("active"), default=True)
    uidvalidity = models.BigIntegerField(null=True, blank=True)
    last_polled_at = models.DateTimeField(_("last poll"), null=True, blank=True)
    last_error = models.TextField(_("last error"), blank=True)
    # The poller holding this lease works the mailbox; a dead one's lease runs out (SPEC L4).
    lease_until = models.DateTimeField(null=True, blank=True)
    trusted_authserv_id = models.CharField(
        _("trusted authserv-id"),
        max_length=255,
        blank=True,
        help_text=_(
            "The authserv-id the receiving mail server writes in its Authentication-Results "
            "headers (e.g. mx.example.com). Only its results count; left empty, no message counts "
            "as authenticated and every message is held for confirmation."
        ),
    )

    class Meta:
        ordering = ["name"]
        verbose_name = _("mailbox")
        verbose_name_plural = _("mailboxes")

    def __str__(self) -> str:
        return f"{self.name} <{self.address}>"

    def clean(self) -> None:
        super().clean()
        self.trusted_authserv_id = self.trusted_authserv_id.strip()
        if not self.use_tls and not is_loopback(self.host):
            raise ValidationError(
                {
                    "use_tls": _(
                        "TLS is required: the password may travel in clear text only to this "
                        "machine (localhost, 127.0.0.0/8, ::1)."
                    )
                }
            )

    def check_connection_settings(self) -> None:
        """What the poller checks before sending the password anywhere (defence in depth for a
        row written without ``full_clean``): raises ValidationError."""
        checked = ("host", "port", "use_tls", "password_env")
        self.clean_fields(exclude=[f.name for f in self._meta.fields if f.name not in checked])
        self.clean()


# The desk's lists sort by time left (SPEC S5): running clocks first, nearest resolution
# deadline first, paused ones after (longest paused first), untimed ones last, newest first among
# equals. As one ascending key with no NULLs, so that the indexes below serve the ORDER BY and the
# keyset pages (tickets.selectors.Keyset) start where the last one ended (issue 15).
TIME_BEFORE_ALL = datetime(1, 1, 1, tzinfo=UTC)
TIME_AFTER_ALL = datetime(9999, 12, 31, tzinfo=UTC)


def ticket_list_key() -> tuple:
    return (
        Coalesce("paused_since", Value(TIME_BEFORE_ALL), output_field=models.DateTimeField()),
        Coalesce("resolution_due", Value(TIME_AFTER_ALL), output_field=models.DateTimeField()),
        F("id") * -1,
    )


def _list_index(name: str, *leading: str, open_only: bool = False) -> models.Index:
    return models.Index(
        *(F(field) for field in leading),
        *ticket_list_key(),
        name=name,
        condition=Q(status__in=("new", "open", "waiting")) if open_only else None,
    )


def _while_first_response_pending(field: str) -> Case:
    """``field`` while the first response is awaited, NULL once it was given."""
    return Case(When(first_response_at__isnull=True, then=F(field)), default=None)


def _earliest_running(first_response: str, resolution: str) -> Least:
    """The earlier of the two targets' instants that still run, NULLs skipped on every
    database: PostgreSQL's LEAST skips NULLs, SQLite's MIN (the `make run` database) returns
    NULL if any argument is, so each side falls back to the other."""
    pending = _while_first_response_pending(first_response)
    return Least(Coalesce(pending, F(resolution)), Coalesce(F(resolution), pending))


# Running clocks: open and not paused (waiting on the customer pauses the clock, SPEC S5).
RUNNING = Q(status__in=("new", "open", "waiting"), paused_since__isnull=True)


class Ticket(models.Model):
    class Type(models.TextChoices):
        INCIDENT = "incident", _("Incident")
        SERVICE_REQUEST = "service_request", _("Service request")

    class Category(models.TextChoices):
        MALFUNCTION = "malfunction", _("Malfunction")
        OUTAGE = "outage", _("Outage")
        PASSWORD_RESET = "password_reset", _("Password reset")
        CONFIGURATION = "configuration", _("Ordinary configuration")
        CAMPAIGN = "campaign", _("Scheduling a phishing campaign")
        CONTENT_RELEASE = "content_release", _("Content release")
        CST_ACTIVITY = "cst_activity", _("CST activity request")
        OTHER = "other", _("Other")

    class Priority(models.TextChoices):
        LOW = "low", _("Low")
        NORMAL = "normal", _("Normal")
        HIGH = "high", _("High")
        URGENT = "urgent", _("Urgent")

    class Status(models.TextChoices):
        NEW = "new", pgettext_lazy("ticket", "New")
        OPEN = "open", pgettext_lazy("ticket", "Open")
        WAITING = "waiting", pgettext_lazy("ticket", "Waiting on customer")
        RESOLVED = "resolved", pgettext_lazy("ticket", "Resolved")
        CLOSED = "closed", pgettext_lazy("ticket", "Closed")

    class Outcome(models.TextChoices):
        SOLVED = "solved", _("Solved")
        WORKAROUND = "workaround", _("Solved with a workaround")
        NOT_REPRODUCIBLE = "not_reproducible", _("Not reproducible")
        DUPLICATE = "duplicate", _("Duplicate")
        NO_REPLY = "no_reply", _("No reply from the customer")
        REJECTED = "rejected", _("Out of scope")

    OPEN_STATUSES = (Status.NEW, Status.OPEN, Status.WAITING)

    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="tickets")
    number = models.CharField(_("number"), max_length=20, unique=True, null=True, blank=True)
    subject = models.CharField(_("subject"), max_length=300)
    type = models.CharField(_("type"), max_length=20, choices=Type.choices)
    category = models.CharField(_("category"), max_length=20, choices=Category.choices)
    priority = models.CharField(
        _("priority"), max_length=10, choices=Priority.choices, default=Priority.NORMAL
    )
    level = models.CharField(
        _("level"), max_length=2, choices=AgentLevel.choices, default=AgentLevel.L1
    )
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="owned_tickets",
        verbose_name=_("owner"),
    )
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.NEW
    )
    outcome = models.CharField(_("outcome"), max_length=20, choices=Outcome.choices, blank=True)
    requester = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="requested_tickets",
    )
    requester_email = models.EmailField(_("requester"))
    requester_language = models.CharField(max_length=8, default="it")
    contract = models.ForeignKey(
        "contracts.Contract", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    linked_to = models.ForeignKey(
        "self",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="follow_ups",
        verbose_name=_("follows up"),
    )
    activity_request = models.ForeignKey(
        "activities.ActivityRequest",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="tickets",
    )
    created_at = models.DateTimeField(_("opened"), default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)
    first_response_at = models.DateTimeField(_("first response"), null=True, blank=True)
    resolved_at = models.DateTimeField(_("resolved"), null=True, blank=True)
    closed_at = models.DateTimeField(_("closed"), null=True, blank=True)
    # SLA clock (SPEC S5): targets in support minutes; time waiting on the customer is paused.
    first_response_target = models.PositiveIntegerField(null=True, blank=True)
    resolution_target = models.PositiveIntegerField(null=True, blank=True)
    paused_since = models.DateTimeField(null=True, blank=True)
    paused_minutes = models.PositiveIntegerField(default=0)
    first_response_due = models.DateTimeField(_("first response due"), null=True, blank=True)
    resolution_due = models.DateTimeField(_("resolution due"), null=True, blank=True)
    # The policy's "warn before" (support minutes) and the instants it gives, stored so the
    # "breaching soon" filter and the SLA check are indexed queries with no calendar per row.
    sla_policy = models.ForeignKey(
        "SlaPolicy", on_delete=models.SET_NULL, null=True, blank=True, related_name="tickets"
    )
    warn_before_minutes = models.PositiveIntegerField(null=True, blank=True)
    first_response_warn_at = models.DateTimeField(null=True, blank=True)
    resolution_warn_at = models.DateTimeField(null=True, blank=True)
    # Issue 15: the first deadline among the targets that still run (the first response until
    # there is one, the resolution) and the first warning instant among them, computed by
    # PostgreSQL on every write (whatever writes: services, ingestion, update(), SQL), so that
    # "breaching soon" (warned <= now <= due) and "breached" (due < now) are one indexed range
    # in the order of the deadline, not an OR over every running clock.
    sla_due_at = models.GeneratedField(
        expression=_earliest_running("first_response_due", "resolution_due"),
        output_field=models.DateTimeField(null=True, blank=True),
        db_persist=True,
    )
    sla_warn_at = models.GeneratedField(
        expression=_earliest_running("first_response_warn_at", "resolution_warn_at"),
        output_field=models.DateTimeField(null=True, blank=True),
        db_persist=True,
    )

    objects = ScopedManager(organisation="organisation")

    class Meta:
        ordering = ["resolution_due", "-created_at"]
        verbose_name = _("ticket")
        verbose_name_plural = _("tickets")
        indexes = [
            models.Index(fields=["status", "resolution_due"]),
            models.Index(fields=["organisation", "created_at"]),
            models.Index(fields=["status", "first_response_warn_at"], name="ticket_first_warn"),
            models.Index(fields=["status", "resolution_warn_at"], name="ticket_resolution_warn"),
            # Issue 15: one index per list, its filter then its order (tickets.selectors).
            _list_index("ticket_list_all"),
            _list_index("ticket_list_open", open_only=True),
            _list_index("ticket_list_org", "organisation"),
            _list_index("ticket_list_org_open", "organisation", open_only=True),
            _list_index("ticket_list_status", "status"),
            _list_index("ticket_list_owner_open", "owner", open_only=True),
            _list_index("ticket_list_level_open", "level", open_only=True),
            # The customer-360's open tickets, nearest deadline first (issue 15).
            models.Index(
                fields=["organisation", "resolution_due", "-created_at"],
                name="ticket_timeline_open_due",
                condition=Q(status__in=("new", "open", "waiting")),
            ),
            # An end user's own tickets: requester, or the address they wrote from (iexact).
            models.Index(Upper("requester_email"), name="ticket_requester_email_upper"),
            # "Breaching soon" and "breached" (tickets.selectors): the running clocks by their
            # next deadline, with the id so that capped counts are index-only scans. (They
            # replace issue 15's first ``ticket_running_first_due`` / ``_resolution_due``.)
            models.Index(
                fields=["sla_due_at", "id"], name="ticket_running_sla_due", condition=RUNNING
            ),
            # The paused clocks breached before the pause (the agent's "past their SLA target").
            models.Index(
                fields=["id"],
                name="ticket_paused_breached",
                condition=Q(
                    status__in=("new", "open", "waiting"),
                    paused_since__isnull=False,
                    sla_due_at__lt=F("paused_since"),
                ),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.number} {self.subject}"

    def get_absolute_url(self) -> str:
        from django.urls import reverse

        return reverse("ticket_detail", args=[self.pk])

    @property
    def is_open(self) -> bool:
        return self.status in self.OPEN_STATUSES


class InboundMessage(models.Model):
    """Every message taken from a mailbox, kept raw (.eml) with what was made of it: a ticket
    message, a message held for triage with its reason, or a failure with its error (SPEC S3, L4:
    nothing a customer sent is ever dropped)."""

    class Outcome(models.TextChoices):
        TICKET = "ticket", _("Ticket")
        HELD = "held", _("Held for triage")
        FAILED = "failed", _("Could not be processed")
        DISMISSED = "dismissed", _("Dismissed after triage")
        REPORT = "report", _("Delivery report or automatic reply")

    class Authentication(models.TextChoices):
        PASS = "pass", _("Sender authenticated")
        FAIL = "fail", _("Sender authentication failed")
        NONE = "none", _("Sender not authenticated")

    mailbox = models.ForeignKey(Mailbox, on_delete=models.PROTECT, related_name="messages")
    organisation = models.ForeignKey(
        Organisation, on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    # Message-ID, or "sha256:" + content_hash when absent; with content_hash unique per mailbox
    # (SPEC L4).
    message_key = models.CharField(max_length=300)
    uid = models.BigIntegerField(null=True, blank=True)
    uidvalidity = models.BigIntegerField(null=True, blank=True)
    raw = models.FileField(upload_to=_raw_path)
    from_address = models.CharField(_("from"), max_length=300, blank=True)
    from_name = models.CharField(max_length=300, blank=True)
    to = models.TextField(blank=True)
    subject = models.CharField(_("subject"), max_length=300, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    received_at = models.DateTimeField(_("received"), default=timezone.now)
    outcome = models.CharField(_("outcome"), max_length=10, choices=Outcome.choices)
    reason = models.TextField(_("reason"), blank=True)
    ticket = models.ForeignKey(
        Ticket, on_delete=models.SET_NULL, null=True, blank=True, related_name="inbound"
    )
    triaged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    triaged_at = models.DateTimeField(null=True, blank=True)
    # SPEC S10: what the mailbox's trusted receiving server said of the sender ("" = not checked,
    # e.g. a message that could not be parsed), and its results ("dmarc=fail header.from=…").
    authentication = models.CharField(
        _("sender authentication"), max_length=4, choices=Authentication.choices, blank=True
    )
    authentication_detail = models.CharField(
        _("authentication results"), max_length=500, blank=True
    )

    # --- mail integrity (issue 11: SPEC L4 dedup) -------------------------------------------
    # SHA-256 of the message without the trace headers servers add on the way
    # (tickets.parsing.content_hash). With message_key it tells a re-delivery (same Message-ID,
    # same content: stored once) from another message reusing a Message-ID (stored too).
    content_hash = models.CharField(max_length=64, blank=True, default="")
    # --- end mail integrity -------------------------------------------------------------------

    objects = ScopedManager(organisation="organisation")

    class Meta:
        ordering = ["-received_at"]
        verbose_name = _("received message")
        verbose_name_plural = _("received messages")
        constraints = [
            models.UniqueConstraint(
                fields=["mailbox", "message_key", "content_hash"],
                name="inbound_message_once_per_mailbox",
            )
        ]
        indexes = [models.Index(fields=["outcome", "received_at"])]

    def __str__(self) -> str:
        return f"{self.from_address}: {self.subject}"


class TicketMessage(models.Model):
    class Direction(models.TextChoices):
        INBOUND = "in", _("From the customer")
        OUTBOUND = "out", _("Reply")
        NOTE = "note", _("Internal note")
        AUTO = "auto", _("Automatic reply")

    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="messages")
    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="+")
    direction = models.CharField(max_length=4, choices=Direction.choices)
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    from_address = models.CharField(max_length=300, blank=True)
    body_text = models.TextField(blank=True)
    body_html = models.TextField(blank=True)  # sanitised with nh3
    inbound = models.OneToOneField(
        InboundMessage,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="ticket_message",
    )
    message_id = models.CharField(max_length=300, blank=True, db_index=True)
    created_at = models.DateTimeField(default=timezone.now)

    objects = ScopedManager(organisation="organisation")

    class Meta:
        ordering = ["created_at", "pk"]
        indexes = [
            # Issue 15: the customer-360's replies and acknowledgements, newest first, and the
            # cockpit's "last contact" (a customer's last reply: one step down it per customer).
            models.Index(
                fields=["organisation", "direction", "-created_at", "-id"],
                name="ticketmsg_timeline_org",
                condition=Q(direction__in=("out", "auto")),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.ticket_id} {self.direction} {self.created_at:%Y-%m-%d %H:%M}"


class Attachment(models.Model):
    """A file that came with a message, or that a customer attached to a request in the
    portal. Executables and files over the cap are kept out of mail: the row says so and why, and
    the ticket shows it (nothing silently dropped); the portal refuses them before anything is
    written."""

    # The received mail it came with; none when the customer uploaded it in the portal.
    inbound = models.ForeignKey(
        InboundMessage,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="attachments",
    )
    ticket = models.ForeignKey(
        Ticket, on_delete=models.CASCADE, null=True, blank=True, related_name="attachments"
    )
    organisation = models.ForeignKey(
        Organisation, on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    filename = models.CharField(max_length=255)
    content_type = models.CharField(max_length=150)
    size = models.PositiveBigIntegerField()
    file = models.FileField(upload_to=_attachment_path, blank=True)
    rejected_reason = models.CharField(max_length=300, blank=True)
    # The agent's reply (or internal note) it was sent with; none for customers' files.
    message = models.ForeignKey(
        "TicketMessage",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="attachments",
    )

    objects = ScopedManager(organisation="organisation")

    def __str__(self) -> str:
        return self.filename


class TicketParticipant(models.Model):
    """An address on a ticket: its requester, who wrote to it and who was written to (From, To
    and Cc of its messages, our own mailboxes excepted). With the organisation's referent, only
    they may post into the ticket by mail (SPEC S3)."""

    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="participants")
    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="+")
    address = models.CharField(max_length=300)  # lower case
    added_at = models.DateTimeField(default=timezone.now)

    objects = ScopedManager(organisation="organisation")

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["ticket", "address"], name="ticket_participant_once")
        ]

    def __str__(self) -> str:
        return f"{self.ticket_id} {self.address}"


class TicketEvent(models.Model):
    """SPEC S7: the contractual events (opened, closed, outcome) and every other change, with
    time and actor."""

    class Kind(models.TextChoices):
        OPENED = "opened", _("Opened")
        CLOSED = "closed", _("Closed")
        OUTCOME = "outcome", _("Outcome")
        REOPENED = "reopened", _("Reopened")
        STATUS = "status", _("Status changed")
        PRIORITY = "priority", _("Priority changed")
        LEVEL = "level", _("Level changed")
        OWNER = "owner", _("Owner changed")
        TYPE = "type", _("Type changed")
        CATEGORY = "category", _("Category changed")
        REPLY = "reply", _("Reply sent")
        MESSAGE = "message", _("Customer message")
        NOTE = "note", _("Internal note")
        SLA_WARNING = "sla_warning", _("SLA warning")
        OUTAGE = "outage", _("Outage recorded")

    CONTRACTUAL = (Kind.OPENED, Kind.CLOSED, Kind.OUTCOME)

    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="events")
    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="+")
    kind = models.CharField(max_length=20, choices=Kind.choices)
    contractual = models.BooleanField(default=False)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    actor_label = models.CharField(max_length=300, blank=True)  # e.g. the sender's address
    before = models.CharField(max_length=300, blank=True)
    after = models.CharField(max_length=300, blank=True)
    at = models.DateTimeField(default=timezone.now)

    objects = ScopedManager(organisation="organisation")

    class Meta:
        ordering = ["at", "pk"]

    def __str__(self) -> str:
        return f"{self.ticket_id} {self.kind}"


class SlaPolicy(models.Model):
    """Targets in support hours (SPEC S5) per ticket type and priority, optionally for one
    contract (its terms win over the general policy)."""

    name = models.CharField(_("name"), max_length=100)
    ticket_type = models.CharField(_("type"), max_length=20, choices=Ticket.Type.choices)
    priority = models.CharField(_("priority"), max_length=10, choices=Ticket.Priority.choices)
    contract = models.ForeignKey(
        "contracts.Contract",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="sla_policies",
        verbose_name=_("only for contract"),
    )
    first_response_minutes = models.PositiveIntegerField(_("first response (support minutes)"))
    resolution_minutes = models.PositiveIntegerField(_("resolution (support minutes)"))
    warn_before_minutes = models.PositiveIntegerField(_("warn before breach (minutes)"), default=60)
    # SPEC S9: the monthly availability the contract promises (percent of the month's time
    # without outage), read from the incident policies of the customer's contract, else the
    # general ones.
    availability_target = models.DecimalField(
        _("availability target (%)"),
        max_digits=6,
        decimal_places=3,
        null=True,
        blank=True,
        validators=[MinValueValidator(Decimal("0")), MaxValueValidator(Decimal("100"))],
    )

    class Meta:
        ordering = ["ticket_type", "priority"]
        verbose_name = _("SLA policy")
        verbose_name_plural = _("SLA policies")
        constraints = [
            models.UniqueConstraint(
                fields=["ticket_type", "priority", "contract"],
                name="sla_policy_unique_per_contract",
            ),
            models.UniqueConstraint(
                fields=["ticket_type", "priority"],
                condition=Q(contract__isnull=True),
                name="sla_policy_unique_general",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        super().clean()
        if (
            self.first_response_minutes is not None
            and self.resolution_minutes is not None
            and self.resolution_minutes < self.first_response_minutes
        ):
            raise ValidationError(
                {
                    "resolution_minutes": _(
                        "The resolution target cannot come before the first response."
                    )
                }
            )
        if self.first_response_minutes == 0:
            raise ValidationError(
                {
                    "first_response_minutes": _(
                        "The first-response target must be at least one minute."
                    )
                }
            )


class SlaWarning(models.Model):
    """One row per warning sent, so the every-minute check never repeats one (SPEC L2, L4)."""

    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="sla_warnings")
    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="+")
    target = models.CharField(max_length=20)  # first_response / resolution
    stage = models.CharField(max_length=10)  # before / breached
    due = models.DateTimeField()
    sent_at = models.DateTimeField(default=timezone.now)

    objects = ScopedManager(organisation="organisation")

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["ticket", "target", "stage", "due"], name="sla_warning_once"
            )
        ]

    def __str__(self) -> str:
        return f"{self.ticket_id} {self.target} {self.stage}"


class AutoReply(models.Model):
    """Automatic replies sent, for the per-sender rate limit against mail loops."""

    sender = models.EmailField(db_index=True)
    sent_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return f"{self.sender} {self.sent_at:%Y-%m-%d %H:%M}"


class Outage(models.Model):
    """An interruption of a customer's service recorded on an incident ticket (SPEC S9): from
    when to when (open while it lasts) and which service. Overlapping outages count once in the
    monthly availability."""

    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="+")
    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="outages")
    service = models.CharField(_("affected service"), max_length=120)
    started_at = models.DateTimeField(_("start"))
    ended_at = models.DateTimeField(_("end"), null=True, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    recorded_at = models.DateTimeField(default=timezone.now)

    objects = ScopedManager(organisation="organisation")

    class Meta:
        ordering = ["started_at", "pk"]
        verbose_name = _("outage")
        verbose_name_plural = _("outages")
        indexes = [models.Index(fields=["organisation", "started_at"])]
        constraints = [
            models.CheckConstraint(
                condition=Q(ended_at__isnull=True) | Q(ended_at__gt=models.F("started_at")),
                name="outage_ends_after_it_starts",
            )
        ]

    def __str__(self) -> str:
        return f"{self.ticket_id} {self.service} {self.started_at:%Y-%m-%d %H:%M}"


class CannedResponse(models.Model):
    """A reply text admins prepare for agents (the provider's, shared by every customer), in the
    four support languages (SPEC S8). Placeholders: {name} (the requester), {number} (the
    ticket), {subject}, {agent}."""

    LANGUAGES = ("it", "en", "fr", "es")

    title_it = models.CharField(_("title (Italian)"), max_length=150)
    title_en = models.CharField(_("title (English)"), max_length=150, blank=True)
    title_fr = models.CharField(_("title (French)"), max_length=150, blank=True)
    title_es = models.CharField(_("title (Spanish)"), max_length=150, blank=True)
    body_it = models.TextField(_("text (Italian)"), max_length=20000)
    body_en = models.TextField(_("text (English)"), max_length=20000, blank=True)
    body_fr = models.TextField(_("text (French)"), max_length=20000, blank=True)
    body_es = models.TextField(_("text (Spanish)"), max_length=20000, blank=True)
    active = models.BooleanField(_("in use"), default=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["title_it"]
        verbose_name = _("canned response")
        verbose_name_plural = _("canned responses")

    def __str__(self) -> str:
        return self.title_it

    def title_in(self, language: str) -> str:
        return getattr(self, f"title_{language[:2]}", "") or self.title_it

    def body_in(self, language: str) -> str:
        """The text in ``language``, Italian (the portal's first language) when missing."""
        return getattr(self, f"body_{language[:2]}", "") or self.body_it
