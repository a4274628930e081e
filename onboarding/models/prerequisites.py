"""The customer prerequisites of onboarding (SPEC O2): the user list in the provider's CSV
template (every upload kept with its original file), the two logos and the whitelisting
confirmation. Files have random names and are served only through signed-in views."""

import secrets
from pathlib import PurePath

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_scopes import ScopedManager

from accounts.models import Organisation


def _upload_path(instance: models.Model, filename: str) -> str:
    # Random names, never the customer's: the file is not public and its name says nothing.
    return f"user-lists/{secrets.token_hex(16)}.csv"


def _logo_path(instance: models.Model, filename: str) -> str:
    suffix = PurePath(filename).suffix.lower()[:6]
    return f"logos/{secrets.token_hex(16)}{suffix}"


class UserListUpload(models.Model):
    """One valid user-list file, from its upload (pending, with its diff) to its application.
    A file with any problem is never stored (nothing is loaded, nothing kept)."""

    class Status(models.TextChoices):
        PENDING = "pending", _("To be applied")
        APPLIED = "applied", _("Applied")
        SUPERSEDED = "superseded", _("Not applied (a later file was applied)")

    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="+")
    status = models.CharField(
        _("status"), max_length=20, choices=Status.choices, default=Status.PENDING
    )
    file = models.FileField(_("file"), upload_to=_upload_path)
    filename = models.CharField(_("file name"), max_length=255)
    size = models.PositiveBigIntegerField(default=0)
    encoding = models.CharField(_("encoding"), max_length=20)
    delimiter = models.CharField(_("separator"), max_length=1)
    rows = models.PositiveIntegerField(_("users"), default=0)
    added = models.PositiveIntegerField(_("added"), default=0)
    changed = models.PositiveIntegerField(_("changed"), default=0)
    removed = models.PositiveIntegerField(_("removed"), default=0)
    unchanged = models.PositiveIntegerField(_("unchanged"), default=0)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    uploaded_at = models.DateTimeField(_("uploaded"), default=timezone.now)
    applied_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    applied_at = models.DateTimeField(_("applied"), null=True, blank=True)
    effective_on = models.DateField(_("takes effect on"), null=True, blank=True)
    is_first = models.BooleanField(_("first list"), default=False)

    objects = ScopedManager(organisation="organisation")

    class Meta:
        ordering = ["-uploaded_at", "-pk"]
        indexes = [models.Index(fields=["organisation", "status", "applied_at"])]
        verbose_name = _("user-list upload")
        verbose_name_plural = _("user-list uploads")

    def __str__(self) -> str:
        return f"{self.filename} ({self.uploaded_at:%Y-%m-%d})"


class ListedUser(models.Model):
    """One person of the organisation's current user list (the last applied file)."""

    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="+")
    email = models.EmailField(_("e-mail"), max_length=254)
    first_name = models.CharField(_("first name"), max_length=100)
    last_name = models.CharField(_("last name"), max_length=100)
    department = models.CharField(_("department"), max_length=100, blank=True)
    job_title = models.CharField(_("job title"), max_length=100, blank=True)
    manager_email = models.CharField(_("manager's e-mail"), max_length=254, blank=True)
    language = models.CharField(_("language"), max_length=2, blank=True)
    location = models.CharField(_("location"), max_length=100, blank=True)
    upload = models.ForeignKey(
        UserListUpload, on_delete=models.SET_NULL, null=True, related_name="+"
    )

    objects = ScopedManager(organisation="organisation")

    class Meta:
        ordering = ["last_name", "first_name", "email"]
        constraints = [
            models.UniqueConstraint(fields=["organisation", "email"], name="listed_user_once")
        ]
        verbose_name = _("listed user")
        verbose_name_plural = _("listed users")

    def __str__(self) -> str:
        return self.email


class Logo(models.Model):
    """One of the organisation's two logos; a new upload of the same variant replaces it."""

    class Variant(models.TextChoices):
        LIGHT = "light", _("For light backgrounds")
        DARK = "dark", _("For dark backgrounds")

    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="+")
    variant = models.CharField(_("variant"), max_length=10, choices=Variant.choices)
    file = models.FileField(_("file"), upload_to=_logo_path)
    filename = models.CharField(_("file name"), max_length=255)
    content_type = models.CharField(max_length=50)
    size = models.PositiveIntegerField(default=0)
    width = models.PositiveIntegerField(null=True, blank=True)
    height = models.PositiveIntegerField(null=True, blank=True)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    uploaded_at = models.DateTimeField(_("uploaded"), default=timezone.now)

    objects = ScopedManager(organisation="organisation")

    class Meta:
        ordering = ["variant"]
        constraints = [
            models.UniqueConstraint(fields=["organisation", "variant"], name="logo_variant_once")
        ]
        verbose_name = _("logo")
        verbose_name_plural = _("logos")

    def __str__(self) -> str:
        return f"{self.get_variant_display()}: {self.filename}"


class WhitelistingConfirmation(models.Model):
    """The referent's confirmation that the provider's mail arrives and videos play (SPEC O2),
    and the technical notes the CSTM gave for it. One row per organisation, updated."""

    organisation = models.OneToOneField(Organisation, on_delete=models.CASCADE, related_name="+")
    phishing_mail = models.BooleanField(_("phishing simulation e-mails arrive"), default=False)
    awareness_mail = models.BooleanField(_("awareness e-mails arrive"), default=False)
    channel_mail = models.BooleanField(_("channel e-mails arrive"), default=False)
    videos_play = models.BooleanField(_("training videos play"), default=False)
    note = models.TextField(_("note"), blank=True)
    confirmed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    confirmed_at = models.DateTimeField(_("confirmed"), null=True, blank=True)
    technical_notes = models.TextField(_("technical instructions"), blank=True)
    technical_notes_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    technical_notes_at = models.DateTimeField(null=True, blank=True)

    objects = ScopedManager(organisation="organisation")

    class Meta:
        verbose_name = _("whitelisting confirmation")
        verbose_name_plural = _("whitelisting confirmations")

    def __str__(self) -> str:
        return f"whitelisting {self.organisation_id}"

    @property
    def complete(self) -> bool:
        return self.phishing_mail and self.awareness_mail and self.channel_mail and self.videos_play
