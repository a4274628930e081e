"""Documents the referent sees and downloads (SPEC O4): an organisation's own deliverables and
the provider's documents shared with every customer. Files have random names and are served only
through signed-in, access-checked views."""

import secrets
from pathlib import PurePath

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_scopes import ScopedManager

from accounts.models import Organisation


class DocumentKind(models.TextChoices):
    KICKOFF_MINUTES = "kickoff_minutes", _("Kick-off minutes")
    SAL_MINUTES = "sal_minutes", _("Progress review (SAL) minutes")
    MEETING_MINUTES = "meeting_minutes", _("Meeting minutes")
    PRODUCT_DOCUMENTATION = "product_documentation", _("Product documentation")
    PROCESS_DOCUMENTATION = "process_documentation", _("Process documentation")
    USER_MANUAL = "user_manual", _("User manual")
    SUPERVISOR_MANUAL = "supervisor_manual", _("Supervisor manual")
    TEAM_LEADER_MANUAL = "team_leader_manual", _("Team-leader manual")
    KICKOFF_SLIDES = "kickoff_slides", _("Kick-off slides")
    COMMUNICATION_PLAN = "communication_plan", _("Communication plan")
    TRAINING_PLAN = "training_plan", _("Training plan")
    FAQ = "faq", _("FAQ")
    TECHNICAL_CONFIGURATION = "technical_configuration", _("Technical configuration document")
    GO_LIVE_COMMUNICATION = "go_live_communication", _("Go-live communication")
    SIZING_SHEET = "sizing_sheet", _("SIEM sizing sheet")
    ALIGNMENT_CHARTER = "alignment_charter", _("Alignment charter")
    OTHER = "other", _("Other document")


def _document_path(instance: models.Model, filename: str) -> str:
    # Random names, the original extension only: never a guessable URL (files are not public).
    suffix = PurePath(filename).suffix.lower()[:10]
    return f"documents/{secrets.token_hex(16)}{suffix}"


class Deliverable(models.Model):
    """One version of one document of an organisation. A new version of the same title and kind
    is a new row with ``version`` + 1; the list shows the latest, the history keeps the rest."""

    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="+")
    kind = models.CharField(_("kind"), max_length=40, choices=DocumentKind.choices)
    title = models.CharField(_("title"), max_length=200)
    version = models.PositiveIntegerField(_("version"), default=1)
    file = models.FileField(_("file"), upload_to=_document_path)
    filename = models.CharField(_("file name"), max_length=255)
    content_type = models.CharField(max_length=150)
    size = models.PositiveBigIntegerField(default=0)
    meeting = models.ForeignKey(
        "onboarding.Meeting",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="deliverables",
    )
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    published_at = models.DateTimeField(_("published"), default=timezone.now)

    objects = ScopedManager(organisation="organisation")

    class Meta:
        ordering = ["kind", "title", "-version"]
        indexes = [models.Index(fields=["organisation", "kind", "title", "-version"])]
        constraints = [
            models.UniqueConstraint(
                fields=["organisation", "kind", "title", "version"], name="deliverable_version_once"
            )
        ]
        verbose_name = _("deliverable")
        verbose_name_plural = _("deliverables")

    def __str__(self) -> str:
        return f"{self.title} v{self.version}"


class ProviderDocument(models.Model):
    """A provider-wide document (manuals, FAQ, product documentation) that every customer sees at
    once. It belongs to no organisation, so it is not deleted with one."""

    kind = models.CharField(_("kind"), max_length=40, choices=DocumentKind.choices)
    title = models.CharField(_("title"), max_length=200)
    version = models.PositiveIntegerField(_("version"), default=1)
    file = models.FileField(_("file"), upload_to=_document_path)
    filename = models.CharField(_("file name"), max_length=255)
    content_type = models.CharField(max_length=150)
    size = models.PositiveBigIntegerField(default=0)
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    published_at = models.DateTimeField(_("published"), default=timezone.now)

    class Meta:
        ordering = ["kind", "title", "-version"]
        constraints = [
            models.UniqueConstraint(
                fields=["kind", "title", "version"], name="provider_document_version_once"
            )
        ]
        verbose_name = _("provider document")
        verbose_name_plural = _("provider documents")

    def __str__(self) -> str:
        return f"{self.title} v{self.version}"
