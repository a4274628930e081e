"""Contracts, licence years, extra-hour packs and the append-only hours ledger (SPEC C1–C6, H1,
H2, H9), plus the terms documents a referent accepts (C4) and deletion records (L3)."""

from datetime import date
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.serializers.json import DjangoJSONEncoder
from django.core.validators import FileExtensionValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy
from django_scopes import ScopedManager

from accounts.models import Organisation

# SPEC C2: only contracts signed from this day get the service model; earlier ones are legacy.
SERVICE_MODEL_START = date(2024, 1, 1)
# SPEC H2: extra hours come in packs of at least this many hours.
MINIMUM_PACK_HOURS = Decimal("8")
# SPEC C5: read-only days after expiry, and the day on which the data is deleted.
READ_ONLY_DAYS = 30
DELETION_DAY = 90
HOURS = {"max_digits": 8, "decimal_places": 2}


class SalesChannel(models.TextChoices):
    DIRECT = "direct", _("Direct")
    RESELLER = "reseller", _("Reseller")
    MSP = "msp", _("MSP partner")


class Contract(models.Model):
    class Status(models.TextChoices):
        DRAFT = "draft", pgettext_lazy("contract status", "Draft")
        ACTIVE = "active", pgettext_lazy("contract status", "Active")
        EXPIRED = "expired", pgettext_lazy("contract status", "Expired (read-only)")
        CLOSED = "closed", pgettext_lazy("contract status", "Closed")
        RENEWED = "renewed", pgettext_lazy("contract status", "Renewed")

    organisation = models.ForeignKey(
        Organisation, on_delete=models.CASCADE, related_name="contracts"
    )
    number = models.CharField(_("contract number"), max_length=50, unique=True)
    sales_channel = models.CharField(
        _("sales channel"), max_length=20, choices=SalesChannel.choices
    )
    purchase_order = models.CharField(_("purchase order"), max_length=100, blank=True)
    platform_version = models.PositiveSmallIntegerField(
        _("platform version"), choices=[(1, "1"), (2, "2")], default=2
    )
    signed_on = models.DateField(_("signed on"))
    starts_on = models.DateField(_("activation date"))
    expires_on = models.DateField(_("expiry date"))
    hours_per_year = models.DecimalField(
        _("CSM hours per licence year"),
        **HOURS,
        default=Decimal("0"),
        validators=[MinValueValidator(0)],
    )
    cstm = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="contracts",
        verbose_name=_("assigned CSTM"),
    )
    status = models.CharField(
        _("status"), max_length=20, choices=Status.choices, default=Status.DRAFT
    )
    activated_at = models.DateTimeField(_("activation email sent"), null=True, blank=True)
    renewal_of = models.OneToOneField(
        "self",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="renewal",
        verbose_name=_("renewal of"),
    )
    notes = models.TextField(_("notes"), blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = ScopedManager(organisation="organisation")

    class Meta:
        ordering = ["expires_on", "number"]
        verbose_name = _("contract")
        verbose_name_plural = _("contracts")
        constraints = [
            models.CheckConstraint(
                condition=Q(expires_on__gt=models.F("starts_on")),
                name="contract_expires_after_start",
            ),
            models.CheckConstraint(
                condition=~Q(sales_channel="msp") | Q(hours_per_year=0),
                name="contract_msp_has_no_hours",
            ),
        ]
        indexes = [
            models.Index(fields=["status", "expires_on"]),
            # The contract list's order (issue 15): pages read in index order, never sorted.
            models.Index(
                fields=["expires_on", "number"], include=["id"], name="contract_expires_number"
            ),
        ]

    def __str__(self) -> str:
        return self.number

    def get_absolute_url(self) -> str:
        from django.urls import reverse

        return reverse("contract_detail", args=[self.pk])

    @property
    def is_legacy(self) -> bool:
        """SPEC C2: signed before 2024-01-01, the contract keeps the terms recorded at signing."""
        return self.signed_on < SERVICE_MODEL_START

    @property
    def has_csm_hours(self) -> bool:
        return self.sales_channel != SalesChannel.MSP and self.hours_per_year > 0

    def days_after_expiry(self, today: date) -> int:
        return (today - self.expires_on).days


class ContractService(models.Model):
    """A service bought with the contract and its licence count (SPEC C1)."""

    contract = models.ForeignKey(Contract, on_delete=models.CASCADE, related_name="services")
    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="+")
    name = models.CharField(_("service"), max_length=120)
    licences = models.PositiveIntegerField(_("licences"))

    objects = ScopedManager(organisation="organisation")

    class Meta:
        ordering = ["name"]
        verbose_name = _("service")
        verbose_name_plural = _("services")

    def __str__(self) -> str:
        return f"{self.name} × {self.licences}"


class LicenceYear(models.Model):
    """One year of a contract with its own hours budget; unused hours lapse at its end (H1)."""

    contract = models.ForeignKey(Contract, on_delete=models.CASCADE, related_name="licence_years")
    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="+")
    index = models.PositiveSmallIntegerField(_("year"))
    starts_on = models.DateField(_("from"))
    ends_on = models.DateField(_("until"))
    allocation = models.DecimalField(_("allocated hours"), **HOURS)
    lapsed_at = models.DateTimeField(_("unused hours lapsed"), null=True, blank=True)
    # Running totals of the year's hour packs and net ledger charges (SPEC H9, issue 15), kept by
    # PostgreSQL triggers in the same statement as every insert, update or delete of a pack or a
    # ledger entry (migration 0006), so a balance is read from one row whatever the ledger's
    # length. Never written by Python.
    pack_hours = models.DecimalField(
        _("hours in packs"), max_digits=10, decimal_places=2, default=Decimal("0"), editable=False
    )
    charged_hours = models.DecimalField(
        _("hours charged"), max_digits=10, decimal_places=2, default=Decimal("0"), editable=False
    )

    objects = ScopedManager(organisation="organisation")

    class Meta:
        ordering = ["contract", "index"]
        verbose_name = _("licence year")
        verbose_name_plural = _("licence years")
        constraints = [
            models.UniqueConstraint(fields=["contract", "index"], name="licence_year_unique_index"),
            models.CheckConstraint(
                condition=Q(ends_on__gte=models.F("starts_on")),
                name="licence_year_ends_after_start",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.contract.number} · {self.index}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        """The stored totals belong to the database's triggers: saving a year read earlier must
        not write back totals that a charge has changed since."""
        if not self._state.adding and kwargs.get("update_fields") is None:
            kwargs["update_fields"] = [
                f.name
                for f in self._meta.concrete_fields
                if not f.primary_key and f.name not in STORED_TOTALS
            ]
        super().save(*args, **kwargs)

    def is_open_on(self, day: date) -> bool:
        return self.starts_on <= day <= self.ends_on


STORED_TOTALS = ("pack_hours", "charged_hours")


class HourPack(models.Model):
    """Extra hours bought for one licence year, at least 8 (SPEC H2)."""

    licence_year = models.ForeignKey(LicenceYear, on_delete=models.CASCADE, related_name="packs")
    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="+")
    hours = models.DecimalField(
        _("hours"), **HOURS, validators=[MinValueValidator(MINIMUM_PACK_HOURS)]
    )
    purchase_order = models.CharField(_("purchase order"), max_length=100, blank=True)
    added_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    objects = ScopedManager(organisation="organisation")

    class Meta:
        ordering = ["created_at"]
        verbose_name = _("hour pack")
        verbose_name_plural = _("hour packs")
        constraints = [
            models.CheckConstraint(
                condition=Q(hours__gte=MINIMUM_PACK_HOURS), name="pack_at_least_8_hours"
            )
        ]

    def __str__(self) -> str:
        return f"+{self.hours} h"


class LedgerEntry(models.Model):
    """One line of the hours ledger. Append-only (SPEC H9): a correction is a new reversing
    entry that points at the one it cancels; rows are never edited or deleted in place."""

    class Kind(models.TextChoices):
        CHARGE = "charge", _("Charge")
        REVERSAL = "reversal", _("Correction (reversal)")

    licence_year = models.ForeignKey(LicenceYear, on_delete=models.CASCADE, related_name="entries")
    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="+")
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    # Charged hours are positive; a reversal carries the negative of what it cancels.
    hours = models.DecimalField(_("hours"), **HOURS)
    description = models.CharField(_("activity"), max_length=300)
    explanation = models.TextField(_("how it was computed"), blank=True)
    occurred_on = models.DateField(_("date"))
    reverses = models.OneToOneField(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="reversed_by"
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    objects = ScopedManager(organisation="organisation")

    class Meta:
        ordering = ["-occurred_on", "-pk"]
        verbose_name = _("ledger entry")
        verbose_name_plural = _("ledger entries")
        indexes = [
            models.Index(fields=["licence_year", "occurred_on"]),
            # The customer-360's timeline of charges, newest first (issue 15).
            models.Index(fields=["organisation", "-created_at", "-id"], name="ledger_org_created"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=(Q(kind="charge", hours__gt=0, reverses__isnull=True))
                | (Q(kind="reversal", hours__lt=0, reverses__isnull=False)),
                name="ledger_entry_sign_matches_kind",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.occurred_on} {self.hours} h {self.description}"

    def save(self, *args: object, **kwargs: object) -> None:
        if self.pk is not None and not self._state.adding:
            raise ValueError(
                "Ledger entries are append-only: add a reversing entry instead (SPEC H9)."
            )
        super().save(*args, **kwargs)

    def delete(self, *args: object, **kwargs: object) -> tuple[int, dict[str, int]]:
        raise ValueError("Ledger entries are append-only: add a reversing entry instead (SPEC H9).")


def _document_path(instance: "TermsDocument", filename: str) -> str:
    # Random names: files are served only through an access-checked view, never by guessable URL.
    import secrets

    return f"terms/{instance.kind}/{secrets.token_hex(16)}.pdf"


MAX_DOCUMENT_BYTES = 10 * 1024 * 1024


def validate_pdf(file: Any) -> None:
    """A terms document is a real PDF of at most 10 MB, wherever it comes from (the terms page,
    Django admin, the API, the shell): the field validator runs in every ``full_clean``. A
    ``.pdf`` name is not enough: the content must start with ``%PDF-``."""
    if file.size > MAX_DOCUMENT_BYTES:
        raise ValidationError(_("The file is larger than 10 MB."), code="too_large")
    position = file.tell() if hasattr(file, "tell") else 0
    file.seek(0)
    head = file.read(5)
    file.seek(position)
    if head != b"%PDF-":
        raise ValidationError(_("The file is not a PDF."), code="not_pdf")


class TermsDocument(models.Model):
    """A version of the EULA, the SLA or the data-processing appointment (SPEC C4)."""

    class Kind(models.TextChoices):
        EULA = "eula", _("End-user licence agreement (EULA)")
        SLA = "sla", _("Service level agreement (SLA)")
        DPA = "dpa", _("Data-processing appointment")

    kind = models.CharField(_("document"), max_length=10, choices=Kind.choices)
    version = models.CharField(_("version"), max_length=30)
    file = models.FileField(
        _("PDF file"),
        upload_to=_document_path,
        validators=[FileExtensionValidator(["pdf"]), validate_pdf],
    )
    published_at = models.DateTimeField(_("published"), default=timezone.now)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )

    class Meta:
        ordering = ["kind", "-published_at"]
        verbose_name = _("terms document")
        verbose_name_plural = _("terms documents")
        constraints = [
            models.UniqueConstraint(
                fields=["kind", "version"], name="terms_document_unique_version"
            )
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.version}"


class Acceptance(models.Model):
    """Who accepted which version, when and from where (SPEC C4). Never changed afterwards."""

    organisation = models.ForeignKey(
        Organisation, on_delete=models.CASCADE, related_name="acceptances"
    )
    document = models.ForeignKey(
        TermsDocument, on_delete=models.PROTECT, related_name="acceptances"
    )
    accepted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    accepted_at = models.DateTimeField(default=timezone.now)
    ip_address = models.GenericIPAddressField(null=True, blank=True)
    user_agent = models.CharField(max_length=300, blank=True)

    objects = ScopedManager(organisation="organisation")

    class Meta:
        ordering = ["-accepted_at"]
        verbose_name = _("acceptance")
        verbose_name_plural = _("acceptances")
        constraints = [
            models.UniqueConstraint(
                fields=["organisation", "document"], name="acceptance_once_per_version"
            )
        ]

    def __str__(self) -> str:
        return f"{self.document} · {self.accepted_at:%Y-%m-%d}"


class CancellationNotice(models.Model):
    """A cancellation notice with its reason (SPEC C6): the customer enters the win-back
    list, where a win-back meeting is held and the outcome recorded (won back with its date, or
    not won back)."""

    class Outcome(models.TextChoices):
        PENDING = "pending", _("Pending")
        WON_BACK = "won_back", _("Won back")
        LOST = "lost", _("Not won back")

    contract = models.OneToOneField(Contract, on_delete=models.CASCADE, related_name="cancellation")
    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="+")
    notice_on = models.DateField(_("notice date"))
    reason = models.TextField(_("reason"))
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    win_back_note = models.TextField(_("win-back notes"), blank=True)
    outcome = models.CharField(
        _("win-back outcome"), max_length=10, choices=Outcome.choices, default=Outcome.PENDING
    )
    won_back_on = models.DateField(_("won back on"), null=True, blank=True)
    outcome_recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    outcome_recorded_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = ScopedManager(organisation="organisation")

    class Meta:
        ordering = ["-notice_on"]
        verbose_name = _("cancellation notice")
        verbose_name_plural = _("cancellation notices")

    def __str__(self) -> str:
        return f"{self.contract.number} · {self.notice_on}"


class ExpiryWarning(models.Model):
    """One row per warning sent, so the daily job never sends the same warning twice (L4)."""

    contract = models.ForeignKey(Contract, on_delete=models.CASCADE, related_name="expiry_warnings")
    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="+")
    days_before = models.PositiveSmallIntegerField()
    sent_at = models.DateTimeField(default=timezone.now)

    objects = ScopedManager(organisation="organisation")

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["contract", "days_before"], name="expiry_warning_once"),
        ]

    def __str__(self) -> str:
        return f"{self.contract_id}: {self.days_before} days"


class DeletionRecord(models.Model):
    """What the 90-day deletion removed (SPEC L3): counts per kind, no personal data."""

    organisation_ref = models.PositiveBigIntegerField(_("organisation id"), unique=True)
    contract_numbers = models.JSONField(default=list)
    counts = models.JSONField(default=dict)
    started_at = models.DateTimeField(default=timezone.now)
    finished_at = models.DateTimeField(null=True, blank=True)
    # The worker running the deletion holds this lease; if it dies, the lease runs out and the
    # next run resumes where it stopped (SPEC L4).
    lease_until = models.DateTimeField(null=True, blank=True)
    job = models.CharField(max_length=100)

    class Meta:
        ordering = ["-started_at"]
        verbose_name = _("deletion record")
        verbose_name_plural = _("deletion records")

    def __str__(self) -> str:
        return f"organisation #{self.organisation_ref} · {self.started_at:%Y-%m-%d}"


class PendingFileRemoval(models.Model):
    """A stored file whose row the 90-day deletion removed (SPEC L3, L4). Written in the same
    transaction as the row deletion, removed (idempotently) after commit: a run killed between
    the two leaves this journal, and the resumed run removes the files first."""

    record = models.ForeignKey(
        DeletionRecord, on_delete=models.CASCADE, related_name="pending_file_removals"
    )
    # "app.Model.field" of the FileField, to find its storage; the name is the storage path.
    field = models.CharField(max_length=200)
    name = models.CharField(max_length=500)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["pk"]
        verbose_name = _("file to remove")
        verbose_name_plural = _("files to remove")

    def __str__(self) -> str:
        return self.name


class IdempotencyKey(models.Model):
    """A user write done once (SPEC L5): the one-time token of a form, or the
    ``Idempotency-Key`` header of an API call, for the writes that charge hours or send mail.

    The row is inserted in the same transaction as the write: a second submit with the same key
    waits on the unique index, then finds the first one's row and replays its result instead of
    writing again. Kept 24 hours (``idempotency_keys_purge``, daily). It holds no organisation:
    it dies with its user, and the stored answer is the API's own answer to that user."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    # "form <path>" for a form's token, "<METHOD> <path>" for an API key.
    scope = models.CharField(max_length=300)
    key = models.CharField(max_length=200)
    # SHA-256 of the API request's body: the same key with a different body is refused.
    fingerprint = models.CharField(max_length=64, blank=True)
    status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    response = models.JSONField(null=True, blank=True, encoder=DjangoJSONEncoder)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        verbose_name = _("idempotency key")
        verbose_name_plural = _("idempotency keys")
        constraints = [
            models.UniqueConstraint(fields=["user", "scope", "key"], name="idempotency_key_once")
        ]

    def __str__(self) -> str:
        return f"{self.user_id} {self.scope} {self.key}"
