"""The shared onboarding plan (SPEC O1, O3, C3, L1): its steps, its release plan, training
progress and the warnings the daily job sent about it."""

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_scopes import ScopedManager

from accounts.models import Organisation


class OnboardingPlan(models.Model):
    """One plan per activated (first, non-renewal) contract. The service starts on the day the
    activation e-mail is sent (C3); the target go-live is one month later (O3)."""

    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="+")
    contract = models.OneToOneField(
        "contracts.Contract", on_delete=models.CASCADE, related_name="onboarding_plan"
    )
    started_on = models.DateField(_("service start"))
    target_go_live_on = models.DateField(_("target go-live"))
    go_live_on = models.DateField(_("go-live date"), null=True, blank=True)
    # Manual items of the pre-go-live checklist ticked by staff: {code: {"by": name, "at": iso}}.
    checklist = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    objects = ScopedManager(organisation="organisation")

    class Meta:
        ordering = ["target_go_live_on", "pk"]
        verbose_name = _("onboarding plan")
        verbose_name_plural = _("onboarding plans")

    def __str__(self) -> str:
        return f"{self.organisation} · {self.started_on:%Y-%m-%d}"


class PlanStep(models.Model):
    class Owner(models.TextChoices):
        PROVIDER = "provider", _("Provider")
        CUSTOMER = "customer", _("Customer")

    class State(models.TextChoices):
        TODO = "todo", _("To do")
        IN_PROGRESS = "in_progress", _("In progress")
        BLOCKED = "blocked", _("Blocked")
        DONE = "done", _("Done")
        SKIPPED = "skipped", _("Skipped")

    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="+")
    plan = models.ForeignKey(OnboardingPlan, on_delete=models.CASCADE, related_name="steps")
    code = models.CharField(_("step"), max_length=30)
    # SAL reviews: one step per licence year (1, 2, …); 0 for every other step.
    year = models.PositiveSmallIntegerField(default=0)
    position = models.PositiveSmallIntegerField()
    owner = models.CharField(_("owner"), max_length=10, choices=Owner.choices)
    due_on = models.DateField(_("due date"))
    state = models.CharField(_("state"), max_length=15, choices=State.choices, default=State.TODO)
    blocked_reason = models.CharField(_("what blocks it"), max_length=300, blank=True)
    note = models.TextField(_("note"), blank=True)
    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    closed_at = models.DateTimeField(null=True, blank=True)
    meeting = models.ForeignKey(
        "onboarding.Meeting", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    objects = ScopedManager(organisation="organisation")

    class Meta:
        ordering = ["plan", "position"]
        verbose_name = _("plan step")
        verbose_name_plural = _("plan steps")
        constraints = [
            models.UniqueConstraint(fields=["plan", "code", "year"], name="plan_step_once")
        ]

    def __str__(self) -> str:
        return f"{self.code} ({self.state})"

    @property
    def is_closed(self) -> bool:
        return self.state in (self.State.DONE, self.State.SKIPPED)


class ReleaseItem(models.Model):
    """A content release or phishing campaign of the release plan (O3). ``duration_days`` and
    ``interval_days`` are what was planned; the dates are the last computation."""

    class Kind(models.TextChoices):
        RELEASE = "release", _("Content release")
        CAMPAIGN = "campaign", _("Phishing campaign")

    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="+")
    plan = models.ForeignKey(OnboardingPlan, on_delete=models.CASCADE, related_name="releases")
    position = models.PositiveSmallIntegerField()
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices)
    title = models.CharField(_("title"), max_length=200)
    duration_days = models.PositiveSmallIntegerField(_("duration (days)"))
    interval_days = models.PositiveSmallIntegerField(_("interval (days)"))
    starts_on = models.DateField(_("starts"), null=True, blank=True)
    ends_on = models.DateField(_("ends"), null=True, blank=True)
    # Does not fit before expiry even at the shortest interval: staff decide with the referent.
    needs_decision = models.BooleanField(default=False)

    objects = ScopedManager(organisation="organisation")

    class Meta:
        ordering = ["plan", "position"]
        verbose_name = _("release")
        verbose_name_plural = _("releases")

    def __str__(self) -> str:
        return self.title


class TrainingProgress(models.Model):
    """How many of the user list completed a training module, as entered by the CSTM."""

    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="+")
    plan = models.ForeignKey(OnboardingPlan, on_delete=models.CASCADE, related_name="training")
    module = models.CharField(_("module"), max_length=200)
    completed = models.PositiveIntegerField(_("completed"))
    total = models.PositiveIntegerField(_("users"))
    recorded_on = models.DateField(_("recorded on"), default=timezone.localdate)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )

    objects = ScopedManager(organisation="organisation")

    class Meta:
        ordering = ["module", "-recorded_on", "-pk"]
        verbose_name = _("training progress")
        verbose_name_plural = _("training progress")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(completed__lte=models.F("total")),
                name="training_completed_within_total",
            )
        ]

    def __str__(self) -> str:
        return f"{self.module}: {self.completed}/{self.total}"


class PlanWarning(models.Model):
    """A warning the daily job sent about a plan (L1): recorded once, so it is sent once."""

    class Kind(models.TextChoices):
        OVER_A_MONTH = "over_month", _("Onboarding over a month")

    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="+")
    plan = models.ForeignKey(OnboardingPlan, on_delete=models.CASCADE, related_name="warnings")
    kind = models.CharField(max_length=20, choices=Kind.choices)
    sent_at = models.DateTimeField(default=timezone.now)

    objects = ScopedManager(organisation="organisation")

    class Meta:
        constraints = [models.UniqueConstraint(fields=["plan", "kind"], name="plan_warning_once")]

    def __str__(self) -> str:
        return f"{self.kind} {self.sent_at:%Y-%m-%d}"
