"""SIEM and log-monitoring onboarding workshops (SPEC W1–W6) and the win-back of cancelled
customers (C6).

Provider-wide settings (admin-edited): the catalogue of log-source types, the licence metric and
storage prices, the catalogue of dashboards and reports proposed. Everything else belongs to one
organisation, is scoped by it and dies with it (day-90 deletion, ``onboarding/deletion.py``).

The workshop's meetings are ordinary ``Meeting`` rows of kind SIEM pointing at the workshop (one
model of a meeting); its documents (sizing sheet, alignment charter) are ``Deliverable`` rows."""

from decimal import Decimal

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_scopes import ScopedManager

from accounts.models import Organisation

ZERO = Decimal(0)
DECIMAL = {"max_digits": 14, "decimal_places": 4}


class LicenceMetric(models.TextChoices):
    EPS = "eps", _("per band of events per second")
    GB_PER_DAY = "gb_per_day", _("per GB of raw data a day")
    NODE = "node", _("per data node")


class LogSourceType(models.Model):
    """A kind of log source in the admin's catalogue, with typical figures the CSTM starts from
    (SPEC W2). Provider-wide: holds no customer data."""

    name = models.CharField(_("name"), max_length=120, unique=True)
    description = models.CharField(_("description"), max_length=300, blank=True)
    typical_eps_per_device = models.DecimalField(
        _("typical events per second per device"),
        **DECIMAL,
        validators=[MinValueValidator(ZERO)],
    )
    average_event_bytes = models.DecimalField(
        _("average event size (bytes)"),
        **DECIMAL,
        validators=[MinValueValidator(Decimal("0.0001"))],
    )
    position = models.PositiveSmallIntegerField(_("order"), default=0)
    active = models.BooleanField(_("offered"), default=True)

    class Meta:
        ordering = ["position", "name"]
        verbose_name = _("log-source type")
        verbose_name_plural = _("log-source types")

    def __str__(self) -> str:
        return self.name


class SiemPricing(models.Model):
    """The provider's licence metric and storage prices (SPEC W2, W5): one row, edited by admins.
    Decisions copy what they used, so a later change of prices rewrites no history."""

    licence_metric = models.CharField(
        _("licence metric"), max_length=20, choices=LicenceMetric.choices, default=LicenceMetric.EPS
    )
    licence_unit = models.DecimalField(
        _("licence unit"),
        **DECIMAL,
        default=Decimal(500),
        validators=[MinValueValidator(Decimal("0.0001"))],
        help_text=_("EPS per band, GB a day per licence, or data nodes per licence."),
    )
    currency = models.CharField(_("currency"), max_length=3, default="EUR")
    price_hot = models.DecimalField(
        _("price per GB-month, hot"),
        **DECIMAL,
        default=Decimal("0.10"),
        validators=[MinValueValidator(ZERO)],
    )
    price_warm = models.DecimalField(
        _("price per GB-month, warm"),
        **DECIMAL,
        default=Decimal("0.05"),
        validators=[MinValueValidator(ZERO)],
    )
    price_cold = models.DecimalField(
        _("price per GB-month, cold"),
        **DECIMAL,
        default=Decimal("0.01"),
        validators=[MinValueValidator(ZERO)],
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("SIEM pricing")
        verbose_name_plural = _("SIEM pricing")

    def __str__(self) -> str:
        return str(_("SIEM pricing"))

    @classmethod
    def current(cls) -> "SiemPricing":
        """The one row, created with the documented defaults the first time it is needed."""
        pricing, _created = cls.objects.get_or_create(pk=1)
        return pricing

    def prices(self) -> dict[str, Decimal]:
        return {"hot": self.price_hot, "warm": self.price_warm, "cold": self.price_cold}


class SiemWorkshop(models.Model):
    """One customer's SIEM onboarding (SPEC W1–W6): the constants of its sizing (editable, with
    the documented defaults of ``onboarding.siem.sizing.Constants``), the purpose questionnaire
    (W1) and the alignment charter (W3)."""

    class Status(models.TextChoices):
        OPEN = "open", _("In progress")
        DONE = "done", _("Completed")

    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="+")
    title = models.CharField(_("title"), max_length=200)
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.OPEN
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)

    # Retention being discussed (the decision is a RetentionDecision row) and its tiers.
    retention_months = models.PositiveSmallIntegerField(
        _("retention (months)"),
        default=13,
        validators=[MinValueValidator(1), MaxValueValidator(60)],
    )
    hot_days = models.PositiveIntegerField(_("hot days"), default=7)
    warm_days = models.PositiveIntegerField(_("warm days"), default=30)

    # Constants of the calculation (onboarding.siem.sizing.Constants).
    peak_factor = models.DecimalField(_("peak factor"), **DECIMAL, default=Decimal(2))
    index_ratio = models.DecimalField(_("index ratio"), **DECIMAL, default=Decimal(1))
    replicas = models.PositiveSmallIntegerField(_("replicas"), default=1)
    disk_watermark = models.DecimalField(_("disk watermark"), **DECIMAL, default=Decimal("0.15"))
    margin = models.DecimalField(_("margin of error"), **DECIMAL, default=Decimal("0.10"))
    ram_per_node_gb = models.DecimalField(_("RAM per node (GB)"), **DECIMAL, default=Decimal(64))
    ratio_hot = models.DecimalField(_("memory:data ratio, hot"), **DECIMAL, default=Decimal(30))
    ratio_warm = models.DecimalField(_("memory:data ratio, warm"), **DECIMAL, default=Decimal(160))
    ratio_cold = models.DecimalField(_("memory:data ratio, cold"), **DECIMAL, default=Decimal(500))
    compression_hot = models.DecimalField(_("compression, hot"), **DECIMAL, default=Decimal(1))
    compression_warm = models.DecimalField(_("compression, warm"), **DECIMAL, default=Decimal(1))
    compression_cold = models.DecimalField(_("compression, cold"), **DECIMAL, default=Decimal(1))
    failover_from_nodes = models.PositiveSmallIntegerField(
        _("failover node from (data nodes)"), default=3
    )
    splunk_raw_ratio = models.DecimalField(
        _("Splunk raw ratio"), **DECIMAL, default=Decimal("0.15")
    )
    splunk_index_ratio = models.DecimalField(
        _("Splunk index ratio"), **DECIMAL, default=Decimal("0.35")
    )
    splunk_replication_factor = models.PositiveSmallIntegerField(
        _("Splunk replication factor"), default=3
    )
    splunk_search_factor = models.PositiveSmallIntegerField(_("Splunk search factor"), default=2)

    # W1: the purpose questionnaire, filled in during the purpose meeting. Keys:
    # why, what_for, challenges, legal_reporting, gdpr_data, operated_by, management_reporting.
    purpose = models.JSONField(_("purpose"), default=dict, blank=True)
    purpose_recorded_at = models.DateTimeField(null=True, blank=True)
    # W3: the alignment charter. Keys: purpose, process, scope_in, scope_out, content,
    # estimates, timeline, prerequisites, risks, organisation, economics.
    charter = models.JSONField(_("alignment charter"), default=dict, blank=True)
    charter_recorded_at = models.DateTimeField(null=True, blank=True)

    objects = ScopedManager(organisation="organisation")

    class Meta:
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["organisation", "-created_at"])]
        verbose_name = _("SIEM workshop")
        verbose_name_plural = _("SIEM workshops")

    def __str__(self) -> str:
        return self.title


class SiemLogSource(models.Model):
    """One type of log source of the customer, as entered in the sizing workshop (SPEC W2). The
    catalogue's typical figures are copied in and may be overridden."""

    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="+")
    workshop = models.ForeignKey(SiemWorkshop, on_delete=models.CASCADE, related_name="sources")
    source_type = models.ForeignKey(
        LogSourceType, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    name = models.CharField(_("log source"), max_length=120)
    devices = models.PositiveIntegerField(_("devices"))
    eps_per_device = models.DecimalField(
        _("events per second per device"), **DECIMAL, validators=[MinValueValidator(ZERO)]
    )
    event_bytes = models.DecimalField(
        _("event size (bytes)"), **DECIMAL, validators=[MinValueValidator(Decimal("0.0001"))]
    )
    position = models.PositiveSmallIntegerField(default=0)

    objects = ScopedManager(organisation="organisation")

    class Meta:
        ordering = ["position", "pk"]
        verbose_name = _("log source")
        verbose_name_plural = _("log sources")

    def __str__(self) -> str:
        return self.name


class RetentionDecision(models.Model):
    """The customer's choice of retention (SPEC W5), frozen with everything it was based on:
    the sources, constants and prices used and the curve shown, so that a later change of prices
    or sources rewrites no history. The latest decision of a workshop is the one in force."""

    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="+")
    workshop = models.ForeignKey(SiemWorkshop, on_delete=models.CASCADE, related_name="decisions")
    months = models.PositiveSmallIntegerField(
        _("retention (months)"), validators=[MinValueValidator(1), MaxValueValidator(60)]
    )
    decided_on = models.DateField(_("decided on"))
    attendees = models.JSONField(_("attendees"), default=list, blank=True)
    meeting = models.ForeignKey(
        "onboarding.Meeting", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    note = models.TextField(_("note"), blank=True)
    # {"sources": [...], "constants": {...}, "prices": {...}, "currency": "EUR",
    #  "hot_days": n, "warm_days": n} as strings of Decimals.
    inputs = models.JSONField(default=dict)
    # [{"months": m, "storage_gb": "…", "monthly_cost": "…"}, …] for 1–60 months.
    curve = models.JSONField(default=list)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    recorded_at = models.DateTimeField(default=timezone.now)

    objects = ScopedManager(organisation="organisation")

    class Meta:
        ordering = ["-recorded_at", "-pk"]
        verbose_name = _("retention decision")
        verbose_name_plural = _("retention decisions")

    def __str__(self) -> str:
        return f"{self.months} ({self.decided_on})"


class SiemProject(models.Model):
    """A project of at most three months (SPEC W4). Closing it needs a deficiency list and an
    evaluation; the next project links to the previous one and starts with new goals."""

    class Status(models.TextChoices):
        OPEN = "open", _("In progress")
        CLOSED = "closed", _("Closed")

    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="+")
    workshop = models.ForeignKey(SiemWorkshop, on_delete=models.CASCADE, related_name="projects")
    previous = models.OneToOneField(
        "self", on_delete=models.SET_NULL, null=True, blank=True, related_name="next"
    )
    title = models.CharField(_("title"), max_length=200)
    goals = models.TextField(_("goals"))
    starts_on = models.DateField(_("starts on"))
    ends_on = models.DateField(_("ends on"))
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.OPEN
    )
    went_well = models.TextField(_("what went well"), blank=True)
    to_improve = models.TextField(_("what to improve"), blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    objects = ScopedManager(organisation="organisation")

    class Meta:
        ordering = ["starts_on", "pk"]
        verbose_name = _("project")
        verbose_name_plural = _("projects")

    def __str__(self) -> str:
        return self.title


class Deficiency(models.Model):
    """One item of a project's deficiency list (SPEC W4), with its owner and status."""

    class Status(models.TextChoices):
        OPEN = "open", _("Open")
        IN_PROGRESS = "in_progress", _("In progress")
        DONE = "done", _("Done")

    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="+")
    project = models.ForeignKey(SiemProject, on_delete=models.CASCADE, related_name="deficiencies")
    description = models.CharField(_("description"), max_length=300)
    owner = models.CharField(_("owner"), max_length=120)
    status = models.CharField(
        _("status"), max_length=20, choices=Status.choices, default=Status.OPEN
    )
    created_at = models.DateTimeField(default=timezone.now)

    objects = ScopedManager(organisation="organisation")

    class Meta:
        ordering = ["pk"]
        verbose_name = _("deficiency")
        verbose_name_plural = _("deficiencies")

    def __str__(self) -> str:
        return self.description


class OperationsDuty(models.Model):
    """One line of the operations model (SPEC W6): who runs what, RACI-style, for the provider
    and the customer. The customer may step in (take the task on) or step out (hand it back)."""

    class Raci(models.TextChoices):
        RESPONSIBLE = "R", _("Responsible")
        ACCOUNTABLE = "A", _("Accountable")
        CONSULTED = "C", _("Consulted")
        INFORMED = "I", _("Informed")
        NONE = "-", _("Not involved")

    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="+")
    workshop = models.ForeignKey(SiemWorkshop, on_delete=models.CASCADE, related_name="duties")
    task = models.CharField(_("task"), max_length=200)
    provider = models.CharField(_("provider"), max_length=1, choices=Raci.choices)
    customer = models.CharField(_("customer"), max_length=1, choices=Raci.choices)
    position = models.PositiveSmallIntegerField(default=0)
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    changed_at = models.DateTimeField(default=timezone.now)

    objects = ScopedManager(organisation="organisation")

    class Meta:
        ordering = ["position", "pk"]
        verbose_name = _("operations duty")
        verbose_name_plural = _("operations duties")

    def __str__(self) -> str:
        return self.task


class DashboardOffer(models.Model):
    """A dashboard or report in the provider's catalogue (SPEC W6). Provider-wide."""

    class Kind(models.TextChoices):
        DASHBOARD = "dashboard", _("Dashboard")
        REPORT = "report", _("Report")

    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    name = models.CharField(_("name"), max_length=200, unique=True)
    description = models.TextField(_("description"), blank=True)
    position = models.PositiveSmallIntegerField(_("order"), default=0)
    active = models.BooleanField(_("offered"), default=True)

    class Meta:
        ordering = ["position", "name"]
        verbose_name = _("dashboard or report offered")
        verbose_name_plural = _("dashboards and reports offered")

    def __str__(self) -> str:
        return self.name


class DashboardChoice(models.Model):
    """A dashboard or report the customer ticked (SPEC W6)."""

    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="+")
    workshop = models.ForeignKey(SiemWorkshop, on_delete=models.CASCADE, related_name="choices")
    offer = models.ForeignKey(DashboardOffer, on_delete=models.CASCADE, related_name="+")
    chosen_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    chosen_at = models.DateTimeField(default=timezone.now)

    objects = ScopedManager(organisation="organisation")

    class Meta:
        ordering = ["pk"]
        constraints = [
            models.UniqueConstraint(fields=["workshop", "offer"], name="one_choice_per_offer")
        ]
        verbose_name = _("dashboard or report chosen")
        verbose_name_plural = _("dashboards and reports chosen")

    def __str__(self) -> str:
        return str(self.offer)
