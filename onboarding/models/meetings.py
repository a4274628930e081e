"""Meetings with agenda, attendees and minutes (SPEC O1 kick-off, O4 SAL, W1–W6 workshops)."""

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_scopes import ScopedManager

from accounts.models import Organisation


class Meeting(models.Model):
    """One meeting of a customer's onboarding or SIEM series. Attendees are a list of
    ``{"name", "email", "side": "provider" | "customer", "role"}``: customers' people need not
    be portal users."""

    class Kind(models.TextChoices):
        KICKOFF = "kickoff", _("Kick-off")
        PRE_GO_LIVE = "pre_go_live", _("Pre-go-live coordination")
        SAL = "sal", _("Progress review (SAL)")
        SIEM = "siem", _("SIEM workshop")
        WIN_BACK = "win_back", _("Win-back meeting")
        OTHER = "other", _("Other meeting")

    class Status(models.TextChoices):
        PLANNED = "planned", _("Planned")
        HELD = "held", _("Held")
        CANCELLED = "cancelled", _("Cancelled")

    class Topic(models.TextChoices):
        PURPOSE = "purpose", _("Purpose")
        SIZING = "sizing", _("Sizing")
        ALIGNMENT = "alignment", _("Expectation alignment")
        RETENTION = "retention", _("Retention")
        OPERATIONS = "operations", _("Operations model")
        DASHBOARDS = "dashboards", _("Dashboards and reports")
        PROJECT = "project", _("Project review")
        OTHER = "other", _("Other topic")

    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="+")
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    title = models.CharField(_("title"), max_length=200)
    scheduled_at = models.DateTimeField(_("date and time"))
    duration_minutes = models.PositiveIntegerField(_("duration (minutes)"), default=60)
    video_link = models.URLField(_("video link"), blank=True)
    agenda = models.TextField(_("agenda"), blank=True)
    attendees = models.JSONField(_("attendees"), default=list, blank=True)
    minutes = models.TextField(_("minutes"), blank=True)
    status = models.CharField(
        _("status"), max_length=20, choices=Status.choices, default=Status.PLANNED
    )
    # The catalogue activity the meeting's time is logged on (kick-off, SAL, workshops: SPEC H3).
    activity_request = models.ForeignKey(
        "activities.ActivityRequest",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="meetings",
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    minutes_recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    minutes_recorded_at = models.DateTimeField(null=True, blank=True)
    # The service referent named or confirmed at the kick-off (SPEC O1).
    named_referent = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("service referent named"),
    )
    # A SIEM workshop meeting belongs to its workshop's series, on one topic (SPEC W1–W6).
    workshop = models.ForeignKey(
        "onboarding.SiemWorkshop",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="meetings",
    )
    topic = models.CharField(_("topic"), max_length=20, choices=Topic.choices, blank=True)
    # A win-back meeting is about one cancellation notice (SPEC C6).
    cancellation = models.ForeignKey(
        "contracts.CancellationNotice",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    # RFC 5545 SEQUENCE of the calendar invitation: each change sends it again, one higher.
    invitation_sequence = models.PositiveIntegerField(default=0)

    objects = ScopedManager(organisation="organisation")

    class Meta:
        ordering = ["scheduled_at", "pk"]
        indexes = [models.Index(fields=["organisation", "scheduled_at"])]
        verbose_name = _("meeting")
        verbose_name_plural = _("meetings")

    def __str__(self) -> str:
        return f"{self.title} ({self.scheduled_at:%Y-%m-%d})"
