"""The activity catalogue, the referent's activity requests, the CSTM's work sessions on them and
the statements sent when a request is completed (SPEC H3–H8, O1)."""

import secrets
from decimal import Decimal

from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import get_language, pgettext_lazy
from django.utils.translation import gettext_lazy as _
from django_scopes import ScopedManager

from accounts.models import Organisation
from contracts.models import HOURS, Contract, LedgerEntry, LicenceYear

LANGUAGES = ("it", "en", "fr", "es")


class Activity(models.Model):
    """One type of CST activity with its minimum charge per request (SPEC catalogue table, H3)."""

    class Phase(models.TextChoices):
        ONBOARDING = "onboarding", _("Onboarding")
        POST_GO_LIVE = "post_go_live", _("Post go-live")

    class Obligation(models.TextChoices):
        MANDATORY = "mandatory", _("Mandatory")
        RECOMMENDED = "recommended", _("Recommended")
        ON_REQUEST = "on_request", _("On request")

    class Frequency(models.TextChoices):
        NONE = "", _("Whenever requested")
        MONTHLY = "monthly", _("At most once a month")
        YEARLY = "yearly", _("At least once a year")

    code = models.SlugField(_("code"), max_length=60, unique=True)
    position = models.PositiveSmallIntegerField(_("order"), default=0)
    name_it = models.CharField(_("name (Italian)"), max_length=200)
    name_en = models.CharField(_("name (English)"), max_length=200)
    name_fr = models.CharField(_("name (French)"), max_length=200)
    name_es = models.CharField(_("name (Spanish)"), max_length=200)
    description_it = models.TextField(_("description (Italian)"), blank=True)
    description_en = models.TextField(_("description (English)"), blank=True)
    description_fr = models.TextField(_("description (French)"), blank=True)
    description_es = models.TextField(_("description (Spanish)"), blank=True)
    phase = models.CharField(_("phase"), max_length=20, choices=Phase.choices)
    obligation = models.CharField(_("obligation"), max_length=20, choices=Obligation.choices)
    minimum_hours = models.DecimalField(
        _("minimum hours per request"), **HOURS, validators=[MinValueValidator(Decimal("0.5"))]
    )
    estimate_first = models.BooleanField(
        _("estimate first"),
        default=False,
        help_text=_(
            "Feasibility is assessed and charged at the minimum hours first; the work starts "
            "only after the referent confirms the estimate."
        ),
    )
    is_kickoff = models.BooleanField(
        _("kick-off"),
        default=False,
        help_text=_("Mandatory and first: nothing else is scheduled until it is done."),
    )
    lead_time_working_days = models.PositiveSmallIntegerField(
        _("lead time (working days)"), null=True, blank=True
    )
    frequency = models.CharField(
        _("frequency"), max_length=20, choices=Frequency.choices, default="", blank=True
    )
    active = models.BooleanField(_("offered"), default=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["position", "pk"]
        verbose_name = _("activity")
        verbose_name_plural = _("activity catalogue")
        constraints = [
            models.CheckConstraint(
                condition=Q(minimum_hours__gte=Decimal("0.5")), name="activity_minimum_positive"
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def _translated(self, field: str) -> str:
        language = (get_language() or "it")[:2]
        if language not in LANGUAGES:
            language = "it"
        return getattr(self, f"{field}_{language}") or getattr(self, f"{field}_it")

    @property
    def name(self) -> str:
        return self._translated("name")

    @property
    def description(self) -> str:
        return self._translated("description")


class ActivityRequest(models.Model):
    """A request for one activity by the organisation's referent (SPEC H8)."""

    class Status(models.TextChoices):
        TO_BE_FORMALISED = "to_be_formalised", pgettext_lazy("request", "To be formalised")
        REQUESTED = "requested", pgettext_lazy("request", "Requested")
        SCHEDULED = "scheduled", pgettext_lazy("request", "Scheduled")
        ESTIMATE_SENT = "estimate_sent", pgettext_lazy("request", "Estimate awaiting confirmation")
        IN_PROGRESS = "in_progress", pgettext_lazy("request", "In progress")
        COMPLETED = "completed", pgettext_lazy("request", "Completed")
        DECLINED = "declined", pgettext_lazy("request", "Estimate declined")
        CANCELLED = "cancelled", pgettext_lazy("request", "Cancelled")

    class Channel(models.TextChoices):
        PORTAL = "portal", _("Portal")
        EMAIL = "email", _("Email to the support mailbox")
        PHONE = "phone", _("Phone call")
        VIDEO = "video", _("Video call")

    OPEN_STATUSES = (
        Status.TO_BE_FORMALISED,
        Status.REQUESTED,
        Status.SCHEDULED,
        Status.ESTIMATE_SENT,
        Status.IN_PROGRESS,
    )

    organisation = models.ForeignKey(
        Organisation, on_delete=models.CASCADE, related_name="activity_requests"
    )
    contract = models.ForeignKey(
        Contract, on_delete=models.CASCADE, related_name="activity_requests"
    )
    activity = models.ForeignKey(
        Activity, on_delete=models.PROTECT, related_name="requests", verbose_name=_("activity")
    )
    status = models.CharField(_("status"), max_length=20, choices=Status.choices)
    channel = models.CharField(_("channel"), max_length=10, choices=Channel.choices)
    details = models.TextField(_("details"), blank=True)
    preferred_on = models.DateField(_("preferred date"), null=True, blank=True)
    scheduled_on = models.DateField(_("scheduled for"), null=True, blank=True)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        related_name="+",
        verbose_name=_("requested by"),
    )
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    formalised_at = models.DateTimeField(_("confirmed in writing"), null=True, blank=True)
    # The minimum fixed when the request was made: editing the catalogue later changes nothing
    # already requested or charged.
    minimum_hours = models.DecimalField(_("minimum hours"), **HOURS)
    estimate_first = models.BooleanField(default=False)
    estimate_hours = models.DecimalField(_("estimated hours"), **HOURS, null=True, blank=True)
    estimate_note = models.TextField(_("estimate"), blank=True)
    estimate_decided_at = models.DateTimeField(null=True, blank=True)
    customer_caused = models.BooleanField(_("overrun caused by the customer"), default=False)
    overrun_reason = models.TextField(_("cause of the overrun"), blank=True)
    overdraft_allowed_hours = models.DecimalField(
        _("overrun of the balance approved"), **HOURS, default=Decimal("0")
    )
    overdraft_approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    completed_at = models.DateTimeField(_("completed"), null=True, blank=True)
    created_at = models.DateTimeField(_("requested on"), default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)

    objects = ScopedManager(organisation="organisation")

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("activity request")
        verbose_name_plural = _("activity requests")
        indexes = [models.Index(fields=["organisation", "status"])]

    def __str__(self) -> str:
        return f"#{self.pk} {self.activity}"

    def get_absolute_url(self) -> str:
        from django.urls import reverse

        return reverse("activity_request_detail", args=[self.pk])

    @property
    def is_open(self) -> bool:
        return self.status in self.OPEN_STATUSES

    @property
    def in_feasibility(self) -> bool:
        """Estimate-first requests (H6) are in feasibility until the estimate is sent."""
        return self.estimate_first and self.status in (
            self.Status.TO_BE_FORMALISED,
            self.Status.REQUESTED,
            self.Status.SCHEDULED,
        )


class WorkSession(models.Model):
    """Time a CSTM spent on a request. Sessions add up before the charge rule is applied."""

    class Stage(models.TextChoices):
        FEASIBILITY = "feasibility", _("Feasibility analysis")
        WORK = "work", _("Work")

    request = models.ForeignKey(ActivityRequest, on_delete=models.CASCADE, related_name="sessions")
    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="+")
    stage = models.CharField(_("stage"), max_length=20, choices=Stage.choices)
    worked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    worked_on = models.DateField(_("date"))
    starts_at = models.TimeField(_("start"), null=True, blank=True)
    ends_at = models.TimeField(_("end"), null=True, blank=True)
    minutes = models.PositiveIntegerField(_("minutes"))
    notes = models.TextField(_("notes"), blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    objects = ScopedManager(organisation="organisation")

    class Meta:
        ordering = ["worked_on", "pk"]
        verbose_name = _("work session")
        verbose_name_plural = _("work sessions")
        indexes = [models.Index(fields=["worked_by", "worked_on"])]
        constraints = [
            models.CheckConstraint(
                condition=Q(minutes__gt=0, minutes__lte=24 * 60), name="work_session_minutes"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.worked_on} {self.minutes} min"


class RequestCharge(models.Model):
    """Links a ledger entry to the request and stage it charges: the request's charge so far is
    the sum of its entries, so each new session appends only the difference."""

    request = models.ForeignKey(ActivityRequest, on_delete=models.CASCADE, related_name="charges")
    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="+")
    entry = models.OneToOneField(LedgerEntry, on_delete=models.CASCADE, related_name="+")
    stage = models.CharField(max_length=20, choices=WorkSession.Stage.choices)
    rule = models.CharField(max_length=30)

    objects = ScopedManager(organisation="organisation")

    def __str__(self) -> str:
        return f"{self.request_id}: {self.entry_id}"


def _statement_path(instance: "Statement", filename: str) -> str:
    # Random names: statements are served only through an access-checked view.
    return f"statements/{secrets.token_hex(16)}.pdf"


class Statement(models.Model):
    """What the referent receives when an activity is completed (SPEC H7)."""

    request = models.OneToOneField(
        ActivityRequest, on_delete=models.CASCADE, related_name="statement"
    )
    organisation = models.ForeignKey(
        Organisation, on_delete=models.CASCADE, related_name="statements"
    )
    licence_year = models.ForeignKey(LicenceYear, on_delete=models.CASCADE, related_name="+")
    number = models.CharField(_("statement"), max_length=30, unique=True)
    hours_charged = models.DecimalField(_("hours charged"), **HOURS)
    explanation = models.TextField(_("how they were computed"))
    remaining_after = models.DecimalField(_("remaining balance"), **HOURS)
    pdf = models.FileField(upload_to=_statement_path)
    issued_at = models.DateTimeField(_("issued"), default=timezone.now)
    emailed_to = models.EmailField(blank=True)

    objects = ScopedManager(organisation="organisation")

    class Meta:
        ordering = ["-issued_at"]
        verbose_name = _("statement")
        verbose_name_plural = _("statements")

    def __str__(self) -> str:
        return self.number


class UsageWarning(models.Model):
    """One row per 80 % / 95 % warning sent for a licence year (SPEC H10), so it goes once."""

    licence_year = models.ForeignKey(LicenceYear, on_delete=models.CASCADE, related_name="+")
    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="+")
    percent = models.PositiveSmallIntegerField()
    sent_at = models.DateTimeField(default=timezone.now)

    objects = ScopedManager(organisation="organisation")

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["licence_year", "percent"], name="usage_warning_once")
        ]

    def __str__(self) -> str:
        return f"{self.licence_year_id}: {self.percent} %"
