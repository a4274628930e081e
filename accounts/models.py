"""People, organisations, memberships and CSTM assignments (SPEC T1–T3).

Every customer-owned model has an ``organisation`` and the scoped manager ``objects``: a query
outside a tenant scope raises ``ScopeError`` instead of returning every organisation's rows.
``accounts.middleware.TenantMiddleware`` opens the scope for each request.
"""

import hashlib
import secrets
from datetime import date, timedelta

from django.conf import settings
from django.contrib.auth.models import AbstractUser, BaseUserManager
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.db.models.functions import Lower, Upper
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_scopes import ScopedManager

from accounts.roles import CUSTOMER_ROLES, PROVIDER_ROLES, AgentLevel, Role


class Organisation(models.Model):
    class Kind(models.TextChoices):
        PROVIDER = "provider", _("Provider")
        CUSTOMER = "customer", _("Customer")

    class Access(models.TextChoices):
        FULL = "full", _("Full")
        READ_ONLY = "read_only", _("Read-only")
        CLOSED = "closed", _("Closed")

    name = models.CharField(_("name"), max_length=200, unique=True)
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices, default=Kind.CUSTOMER)
    language = models.CharField(
        _("language"), max_length=8, choices=settings.LANGUAGES, default=settings.LANGUAGE_CODE
    )
    is_active = models.BooleanField(_("active"), default=True)
    # SPEC C5, kept by the daily contract job: full access, read-only for 30 days after expiry,
    # then closed (customer users can no longer sign in).
    access = models.CharField(
        _("customer access"), max_length=20, choices=Access.choices, default=Access.FULL
    )
    notes = models.TextField(_("notes"), blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = ScopedManager(organisation="pk")

    class Meta:
        ordering = ["name"]
        verbose_name = _("organisation")
        verbose_name_plural = _("organisations")

    def __str__(self) -> str:
        return self.name

    @property
    def is_provider(self) -> bool:
        return self.kind == self.Kind.PROVIDER


class OrganisationDomain(models.Model):
    """An email domain of a customer: end users writing from it are recognised (SPEC S3). A
    domain belongs to one organisation, whatever its case."""

    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="domains")
    domain = models.CharField(_("email domain"), max_length=253, unique=True)

    objects = ScopedManager(organisation="organisation")

    class Meta:
        ordering = ["domain"]
        verbose_name = _("email domain")
        verbose_name_plural = _("email domains")
        constraints = [
            models.UniqueConstraint(
                Lower("domain"),
                name="organisation_domain_unique_any_case",
                violation_error_message=_("This email domain is already registered."),
            ),
        ]

    def __str__(self) -> str:
        return self.domain

    def save(self, *args: object, **kwargs: object) -> None:
        self.domain = self.domain.strip().lower().lstrip("@")
        super().save(*args, **kwargs)  # type: ignore[arg-type]

    def clean(self) -> None:
        self.domain = self.domain.strip().lower().lstrip("@")
        if self.organisation_id and (
            refusal := domain_people_refusal(
                domain=self.domain, organisation_id=self.organisation_id
            )
        ):
            raise ValidationError({"domain": refusal})


def domain_people_refusal(*, domain: str, organisation_id: int | None) -> str:
    """SPEC S3: a domain whose addresses other customers' people use cannot be registered to
    this organisation (it would put them on somebody else's domain). "" when free."""
    people = Membership.objects.with_scopes_disabled().filter(
        role__in=CUSTOMER_ROLES, user__email__iendswith=f"@{domain}"
    )
    if organisation_id is not None:
        people = people.exclude(organisation_id=organisation_id)
    if not people.exists():
        return ""
    return _(
        "People of another customer use addresses of %(domain)s: it cannot be registered to "
        "this organisation."
    ) % {"domain": domain}


def email_domain(email: str) -> str:
    return email.rsplit("@", 1)[-1].strip().lower()


def foreign_domain_refusal(*, organisation: Organisation, email: str) -> str:
    """SPEC S3, T1: a customer's person may not have an address on a domain registered to
    another organisation (their mail would be routed into the wrong customer). "" when allowed,
    else the reason; provider staff are not concerned. The other organisation is not named."""
    if organisation.is_provider or not email:
        return ""
    taken = (
        OrganisationDomain.objects.with_scopes_disabled()
        .filter(domain=email_domain(email))
        .exclude(organisation_id=organisation.pk)
        .exists()
    )
    if not taken:
        return ""
    return _(
        "The address %(email)s is on a domain registered to another customer: people of this "
        "organisation need an address of their own."
    ) % {"email": email}


class UserManager(BaseUserManager["User"]):
    use_in_migrations = True

    def create_user(self, email: str, password: str | None = None, **extra: object) -> "User":
        if not email:
            raise ValueError("An email address is required.")
        user = self.model(email=self.normalize_email(email).lower(), **extra)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_superuser(self, email: str, password: str | None = None, **extra: object) -> "User":
        extra.setdefault("is_staff", True)
        extra.setdefault("is_superuser", True)
        return self.create_user(email, password, **extra)


class User(AbstractUser):
    """A person; the email address is the login. Their role comes from their membership."""

    username = None  # type: ignore[assignment]
    email = models.EmailField(_("email address"), unique=True)
    language = models.CharField(
        _("preferred language"),
        max_length=8,
        choices=settings.LANGUAGES,
        default=settings.LANGUAGE_CODE,
    )

    USERNAME_FIELD = "email"
    REQUIRED_FIELDS: list[str] = []

    objects = UserManager()

    class Meta:
        ordering = ["last_name", "first_name", "email"]
        verbose_name = _("person")
        verbose_name_plural = _("people")
        indexes = [
            # `email__iexact` (mail senders, allauth's sign-in) is UPPER(email) = UPPER(%s):
            # indexed, it stays one lookup whatever the number of people (issue 15).
            models.Index(Upper("email"), name="user_email_upper"),
        ]

    def __str__(self) -> str:
        return self.get_full_name() or self.email

    def clean(self) -> None:
        super().clean()
        # A customer's person moved to another customer's domain (Django admin's user form).
        if self.pk and self.email:
            membership = (
                Membership.objects.with_scopes_disabled()
                .select_related("organisation")
                .filter(user_id=self.pk)
                .first()
            )
            if membership is not None:
                refusal = foreign_domain_refusal(
                    organisation=membership.organisation, email=self.email
                )
                if refusal:
                    raise ValidationError({"email": refusal})

    @property
    def display_name(self) -> str:
        return self.get_full_name() or self.email


class Membership(models.Model):
    """The one organisation and role of a person (one person, one role: a second role is a
    second account, which keeps tenant resolution unambiguous)."""

    user = models.OneToOneField(User, on_delete=models.CASCADE, related_name="membership")
    organisation = models.ForeignKey(
        Organisation, on_delete=models.CASCADE, related_name="memberships"
    )
    role = models.CharField(_("role"), max_length=20, choices=Role.choices)
    agent_level = models.CharField(
        _("agent level"), max_length=2, choices=AgentLevel.choices, blank=True, default=""
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = ScopedManager(organisation="organisation")

    class Meta:
        verbose_name = _("membership")
        verbose_name_plural = _("memberships")
        constraints = [
            models.CheckConstraint(
                condition=Q(role=Role.AGENT, agent_level__in=AgentLevel.values)
                | (~Q(role=Role.AGENT) & Q(agent_level="")),
                name="membership_agent_level_only_for_agents",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user} · {self.get_role_display()} · {self.organisation}"

    def clean(self) -> None:
        # Django admin validates here; the services call the same rule.
        if self.organisation_id and self.user_id:
            refusal = foreign_domain_refusal(organisation=self.organisation, email=self.user.email)
            if refusal:
                raise ValidationError({"user": refusal})

    @property
    def is_provider_staff(self) -> bool:
        return self.role in PROVIDER_ROLES

    @property
    def is_customer(self) -> bool:
        return self.role in CUSTOMER_ROLES


class CstmAssignmentQuerySet(models.QuerySet["CstmAssignment"]):
    def active_on(self, day: date) -> "CstmAssignmentQuerySet":
        return self.filter(starts_on__lte=day).filter(Q(ends_on__isnull=True) | Q(ends_on__gte=day))


class CstmAssignment(models.Model):
    """A CSTM looks after an organisation for a date range (SPEC T2). Rows are never deleted
    when a CSTM is replaced: the range is closed, so history is kept."""

    class Kind(models.TextChoices):
        PERMANENT = "permanent", _("Permanent")
        TEMPORARY = "temporary", _("Temporary cover")

    organisation = models.ForeignKey(
        Organisation, on_delete=models.CASCADE, related_name="cstm_assignments"
    )
    cstm = models.ForeignKey(User, on_delete=models.PROTECT, related_name="cstm_assignments")
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices, default=Kind.PERMANENT)
    starts_on = models.DateField(_("from"))
    ends_on = models.DateField(_("until"), null=True, blank=True)
    note = models.CharField(_("note"), max_length=300, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = ScopedManager(
        organisation="organisation",
        _manager_class=models.Manager.from_queryset(CstmAssignmentQuerySet),
    )

    class Meta:
        ordering = ["-starts_on"]
        verbose_name = _("CSTM assignment")
        verbose_name_plural = _("CSTM assignments")
        constraints = [
            models.CheckConstraint(
                condition=Q(ends_on__isnull=True) | Q(ends_on__gte=models.F("starts_on")),
                name="cstm_assignment_ends_after_start",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.cstm} → {self.organisation}"

    def is_active_on(self, day: date) -> bool:
        return self.starts_on <= day and (self.ends_on is None or self.ends_on >= day)


def _hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


class Invitation(models.Model):
    """A one-time link with which an invited person sets their password (no open sign-up)."""

    organisation = models.ForeignKey(
        Organisation, on_delete=models.CASCADE, related_name="invitations"
    )
    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="invitations")
    invited_by = models.ForeignKey(
        User, on_delete=models.SET_NULL, null=True, related_name="invitations_sent"
    )
    token_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField()
    accepted_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    objects = ScopedManager(organisation="organisation")

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("invitation")
        verbose_name_plural = _("invitations")

    def __str__(self) -> str:
        return f"{self.user.email} ({self.status_label})"

    @staticmethod
    def new_token() -> tuple[str, str]:
        """A fresh token and its hash; only the hash is stored."""
        token = secrets.token_urlsafe(32)
        return token, _hash_token(token)

    @staticmethod
    def hash_token(token: str) -> str:
        return _hash_token(token)

    @staticmethod
    def default_expiry() -> "timezone.datetime":
        return timezone.now() + timedelta(days=settings.INVITATION_VALID_DAYS)

    @property
    def is_pending(self) -> bool:
        return (
            self.accepted_at is None
            and self.revoked_at is None
            and self.expires_at > timezone.now()
        )

    @property
    def status_label(self) -> str:
        if self.accepted_at:
            return str(_("accepted"))
        if self.revoked_at:
            return str(_("revoked"))
        if self.expires_at <= timezone.now():
            return str(_("expired"))
        return str(_("pending"))


class SecurityEvent(models.Model):
    """Sign-ins, failures and MFA changes, kept for the person and for admins."""

    class Kind(models.TextChoices):
        LOGIN = "login", _("Signed in")
        LOGIN_FAILED = "login_failed", _("Failed sign-in")
        LOGOUT = "logout", _("Signed out")
        MFA_ADDED = "mfa_added", _("Two-factor method added")
        MFA_REMOVED = "mfa_removed", _("Two-factor method removed")
        MFA_RESET = "mfa_reset", _("Recovery codes regenerated")
        PASSWORD_CHANGED = "password_changed", _("Password changed")
        PASSWORD_RESET = "password_reset", _("Password reset")
        INVITATION_ACCEPTED = "invitation_accepted", _("Invitation accepted")

    user = models.ForeignKey(
        User, on_delete=models.CASCADE, null=True, related_name="security_events"
    )
    kind = models.CharField(max_length=30, choices=Kind.choices)
    # The attempted login of a failure, for admins; never a password.
    identifier = models.CharField(max_length=254, blank=True)
    ip_address = models.GenericIPAddressField(null=True, blank=True)
    user_agent = models.CharField(max_length=300, blank=True)
    at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        ordering = ["-at"]
        verbose_name = _("security event")
        verbose_name_plural = _("security events")

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.kind} {self.identifier}"


class ApiToken(models.Model):
    """A personal API token for scripts: shown once, stored hashed, revocable, with its last use."""

    PREFIX = "csm_"

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="api_tokens")
    name = models.CharField(_("name"), max_length=100)
    # The first characters, so the person can tell their tokens apart; not enough to use one.
    hint = models.CharField(max_length=12)
    token_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("API token")
        verbose_name_plural = _("API tokens")

    def __str__(self) -> str:
        return f"{self.name} ({self.hint}…)"

    @classmethod
    def new_secret(cls) -> tuple[str, str]:
        token = cls.PREFIX + secrets.token_urlsafe(32)
        return token, _hash_token(token)

    @staticmethod
    def hash_secret(token: str) -> str:
        return _hash_token(token)

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None


# The provider's logo on statements (issue 14): a PNG or JPEG, checked by its content.
LOGO_MAX_BYTES = 1024 * 1024
LOGO_MAX_PIXELS = 4096
LOGO_FORMATS = {"PNG": "image/png", "JPEG": "image/jpeg"}


def validate_logo(file: object) -> None:
    """A real PNG or JPEG (by its content, read by Pillow, not by its name), at most 1 MB and
    4096 px a side, wherever it comes from (the branding page, Django admin, the shell)."""
    import warnings

    from PIL import Image, UnidentifiedImageError

    if file.size > LOGO_MAX_BYTES:  # type: ignore[attr-defined]
        raise ValidationError(_("The logo is larger than 1 MB."), code="too_large")
    position = file.tell() if hasattr(file, "tell") else 0  # type: ignore[attr-defined]
    file.seek(0)  # type: ignore[attr-defined]
    try:
        with warnings.catch_warnings():
            # A picture of absurd size (a "decompression bomb") is refused, not just warned of.
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(file) as image:  # type: ignore[arg-type]
                image_format = image.format
                width, height = image.size
                image.verify()
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as error:
        raise ValidationError(
            _("The logo is too large: at most %(n)s pixels a side.") % {"n": LOGO_MAX_PIXELS},
            code="too_many_pixels",
        ) from error
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError) as error:
        raise ValidationError(_("The logo must be a PNG or JPEG image."), code="not_image") from (
            error
        )
    finally:
        file.seek(position)  # type: ignore[attr-defined]
    if image_format not in LOGO_FORMATS:
        raise ValidationError(_("The logo must be a PNG or JPEG image."), code="not_image")
    if max(width, height) > LOGO_MAX_PIXELS:
        raise ValidationError(
            _("The logo is too large: at most %(n)s pixels a side.") % {"n": LOGO_MAX_PIXELS},
            code="too_many_pixels",
        )


def _logo_path(instance: "ProviderBranding", filename: str) -> str:
    # A random name: the uploader's file name is never used on disk.
    return f"branding/{secrets.token_hex(16)}"


class ProviderBranding(models.Model):
    """The provider's name and logo as printed on statements (issue 14): one row, kept by
    admins. Not an organisation's data: the day-90 deletion does not concern it."""

    SINGLETON = 1

    id = models.PositiveSmallIntegerField(primary_key=True, default=SINGLETON, editable=False)
    name = models.CharField(
        _("provider name on documents"),
        max_length=200,
        blank=True,
        help_text=_("Empty: the provider organisation's name."),
    )
    logo = models.FileField(_("logo"), upload_to=_logo_path, blank=True, validators=[validate_logo])
    logo_type = models.CharField(max_length=20, blank=True, editable=False)
    updated_at = models.DateTimeField(auto_now=True)
    updated_by = models.ForeignKey(
        User, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        verbose_name = _("provider branding")
        verbose_name_plural = _("provider branding")
        constraints = [
            models.CheckConstraint(condition=Q(id=1), name="provider_branding_single_row"),
        ]

    def __str__(self) -> str:
        return self.name or str(_("Provider branding"))


class HealthSnapshot(models.Model):
    """A customer's place on the CSTM's and the admin's cockpit, stored (issue 15): the ranking
    keys of ``csm_portal.cockpit`` (health level, worst alert, number of alerts, name), the
    health facts and the alerts (language-neutral), refreshed set-based by
    ``accounts.health_snapshots`` every minute and soon after a write that moves them. The
    home reads its counts in one aggregate and its page of cards down ``health_snapshot_rank``,
    so it costs the same with 30 customers as with 2,000. The organisation's data (its name,
    its facts, its alerts): the day-90 deletion removes it."""

    organisation = models.OneToOneField(
        Organisation, on_delete=models.CASCADE, primary_key=True, related_name="health_snapshot"
    )
    # csm_portal.cockpit.LEVEL_ORDER and SEVERITY_ORDER: 0 is the most urgent; 9: no alert.
    level_rank = models.PositiveSmallIntegerField()
    worst_severity = models.PositiveSmallIntegerField()
    alert_count = models.PositiveIntegerField()
    name = models.CharField(max_length=200)  # the organisation's, for the tie-break
    facts = models.JSONField(default=dict)  # csm_portal.health.HealthFacts, plain values
    # The alerts, language-neutral (csm_portal.cockpit.alert_values: phrase and parameters,
    # link, severity, code): the cards render their sentences in the reader's language.
    alerts = models.JSONField(default=list)
    # When the refresh began reading (what it stored is at least this fresh), and when a write
    # last moved the customer: a mark after the refresh makes the snapshot stale.
    refreshed_at = models.DateTimeField()
    marked_at = models.DateTimeField(null=True, blank=True)

    objects = ScopedManager(organisation="organisation")

    class Meta:
        verbose_name = _("customer health snapshot")
        verbose_name_plural = _("customer health snapshots")
        indexes = [
            # The cockpit's order (csm_portal.cockpit.rank_key): a page of 50 is an index read.
            models.Index(
                fields=["level_rank", "worst_severity", "-alert_count", "name", "organisation"],
                name="health_snapshot_rank",
            ),
        ]

    def __str__(self) -> str:
        return self.name
