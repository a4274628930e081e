"""Writes on people, organisations and assignments. Each service validates, then changes
everything in one transaction, so bad input writes nothing."""

from datetime import date, timedelta

from allauth.account.models import EmailAddress
from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.core.mail import send_mail
from django.db import transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from accounts import tenancy
from accounts.models import (
    ApiToken,
    CstmAssignment,
    Invitation,
    Membership,
    Organisation,
    OrganisationDomain,
    SecurityEvent,
    User,
    domain_people_refusal,
    foreign_domain_refusal,
)
from accounts.roles import CUSTOMER_ROLES, PROVIDER_ROLES, AgentLevel, Role
from accounts.tenancy import customer_is_closed, customer_write_refusal


def normalise_domains(raw: list[str]) -> list[str]:
    domains = sorted({d.strip().lower().lstrip("@") for d in raw if d.strip()})
    for domain in domains:
        if "." not in domain or " " in domain or "@" in domain:
            raise ValidationError(
                {"domains": _("“%(domain)s” is not an email domain.") % {"domain": domain}}
            )
    return domains


def _check_domains_free(domains: list[str], organisation: Organisation | None) -> None:
    taken = OrganisationDomain.objects.with_scopes_disabled().filter(domain__in=domains)
    if organisation is not None:
        taken = taken.exclude(organisation=organisation)
    clash = taken.values_list("domain", flat=True).first()
    if clash:
        # Deliberately does not name the other organisation (SPEC T1).
        raise ValidationError(
            {"domains": _("The domain %(domain)s is already in use.") % {"domain": clash}}
        )
    # A customer's people may not sit on another customer's domain (SPEC S3): registering the
    # domain of somebody else's people would put them there.
    for domain in domains:
        refusal = domain_people_refusal(
            domain=domain, organisation_id=organisation.pk if organisation else None
        )
        if refusal:
            raise ValidationError({"domains": refusal})


@transaction.atomic
def organisation_create(
    *, name: str, domains: list[str], language: str, notes: str = ""
) -> Organisation:
    """Create a customer organisation with its email domains (SPEC T1, S3)."""
    domains = normalise_domains(domains)
    _check_domains_free(domains, None)
    if Organisation.objects.with_scopes_disabled().filter(name__iexact=name.strip()).exists():
        raise ValidationError({"name": _("An organisation with this name already exists.")})
    organisation = Organisation(name=name.strip(), language=language, notes=notes)
    organisation.full_clean()
    organisation.save()
    OrganisationDomain.objects.bulk_create(
        OrganisationDomain(organisation=organisation, domain=d) for d in domains
    )
    return organisation


@transaction.atomic
def organisation_update(
    *,
    organisation: Organisation,
    name: str,
    domains: list[str],
    language: str,
    notes: str,
    is_active: bool,
) -> Organisation:
    domains = normalise_domains(domains)
    _check_domains_free(domains, organisation)
    if (
        Organisation.objects.with_scopes_disabled()
        .filter(name__iexact=name.strip())
        .exclude(pk=organisation.pk)
        .exists()
    ):
        raise ValidationError({"name": _("An organisation with this name already exists.")})
    organisation.name = name.strip()
    organisation.language = language
    organisation.notes = notes
    organisation.is_active = is_active
    organisation.full_clean()
    organisation.save()
    OrganisationDomain.objects.with_scopes_disabled().filter(organisation=organisation).exclude(
        domain__in=domains
    ).delete()
    existing = set(organisation.domains.values_list("domain", flat=True))
    OrganisationDomain.objects.bulk_create(
        OrganisationDomain(organisation=organisation, domain=d)
        for d in domains
        if d not in existing
    )
    return organisation


def _validate_role(organisation: Organisation, role: str, agent_level: str, email: str) -> None:
    errors: dict[str, str] = {}
    if organisation.is_provider and role not in PROVIDER_ROLES:
        errors["role"] = _("People of the provider are admins, CSTMs or agents.")
    if not organisation.is_provider and role not in CUSTOMER_ROLES:
        errors["role"] = _("People of a customer are service referents or licensed end users.")
    if role == Role.AGENT and agent_level not in AgentLevel.values:
        errors["agent_level"] = _("Choose the agent's level (L1, L2 or L3).")
    if role != Role.AGENT and agent_level:
        errors["agent_level"] = _("Only agents have a level.")
    refusal = foreign_domain_refusal(organisation=organisation, email=email)
    if refusal:
        errors["email"] = refusal
    elif role == Role.END_USER:
        domains = set(organisation.domains.values_list("domain", flat=True))
        if domains and email.rsplit("@", 1)[-1] not in domains:
            errors["email"] = _(
                "A licensed end user needs an address in one of the customer's domains: %(d)s."
            ) % {"d": ", ".join(sorted(domains))}
    if errors:
        raise ValidationError(errors)


def invitation_link(token: str) -> str:
    return settings.PORTAL_BASE_URL.rstrip("/") + reverse("invitation_accept", args=[token])


def _send_invitation(*, invitation: Invitation, token: str) -> None:
    user = invitation.user
    link = invitation_link(token)
    with translation.override(user.language):
        context = {
            "user": user,
            "organisation": invitation.organisation,
            "link": link,
            "expires_at": invitation.expires_at,
            "invited_by": invitation.invited_by,
        }
        subject = _("Your access to CSM Portal")
        body = render_to_string("accounts/email/invitation.txt", context)
    send_mail(subject, body, None, [user.email])


def _create_invitation(
    *, user: User, organisation: Organisation, invited_by: User | None
) -> tuple[Invitation, str]:
    token, token_hash = Invitation.new_token()
    invitation = Invitation.objects.create(
        organisation=organisation,
        user=user,
        invited_by=invited_by,
        token_hash=token_hash,
        expires_at=Invitation.default_expiry(),
    )
    return invitation, token


def _issue_invitation(
    *, user: User, organisation: Organisation, invited_by: User | None
) -> tuple[Invitation, str]:
    invitation, token = _create_invitation(
        user=user, organisation=organisation, invited_by=invited_by
    )
    transaction.on_commit(lambda: _send_invitation(invitation=invitation, token=token))
    return invitation, token


def issue_set_password_link(*, user: User, organisation: Organisation, by: User | None) -> str:
    """A one-time set-password link for another email to carry (e.g. contract activation, C3);
    earlier unused links of the person stop working."""
    Invitation.objects.with_scopes_disabled().filter(
        user=user, accepted_at__isnull=True, revoked_at__isnull=True
    ).update(revoked_at=timezone.now())
    _invitation, token = _create_invitation(user=user, organisation=organisation, invited_by=by)
    return invitation_link(token)


@transaction.atomic
def person_invite(
    *,
    organisation: Organisation,
    email: str,
    first_name: str,
    last_name: str,
    role: str,
    language: str,
    invited_by: User | None,
    agent_level: str = "",
) -> tuple[Invitation, str]:
    """Add a person to an organisation and email them a one-time link to set their password
    (no open sign-up; no password is ever sent, SPEC C3). A read-only or closed customer gets
    nobody new (SPEC C5)."""
    if refusal := customer_write_refusal(organisation):
        raise ValidationError(refusal)
    email = User.objects.normalize_email(email.strip()).lower()
    if User.objects.filter(email__iexact=email).exists():
        raise ValidationError({"email": _("Somebody already uses this email address.")})
    _validate_role(organisation, role, agent_level, email)
    # Provider admins also run Django admin, which needs these flags.
    is_admin = role == Role.PROVIDER_ADMIN
    user = User(
        email=email,
        first_name=first_name.strip(),
        last_name=last_name.strip(),
        language=language,
        is_staff=is_admin,
        is_superuser=is_admin,
    )
    user.set_unusable_password()
    user.full_clean()
    user.save()
    EmailAddress.objects.create(user=user, email=email, primary=True, verified=False)
    Membership.objects.create(
        user=user, organisation=organisation, role=role, agent_level=agent_level
    )
    return _issue_invitation(user=user, organisation=organisation, invited_by=invited_by)


@transaction.atomic
def invitation_resend(*, invitation: Invitation, by: User) -> tuple[Invitation, str]:
    """A new link replaces the old one, which stops working; none for a read-only or closed
    customer (SPEC C5)."""
    if invitation.accepted_at:
        raise ValidationError(_("This invitation was already accepted."))
    if refusal := customer_write_refusal(invitation.organisation):
        raise ValidationError(refusal)
    Invitation.objects.filter(
        user=invitation.user, accepted_at__isnull=True, revoked_at__isnull=True
    ).update(revoked_at=timezone.now())
    return _issue_invitation(
        user=invitation.user, organisation=invitation.organisation, invited_by=by
    )


@transaction.atomic
def invitation_revoke(*, invitation: Invitation) -> Invitation:
    if invitation.accepted_at:
        raise ValidationError(_("This invitation was already accepted."))
    if invitation.revoked_at is None:
        invitation.revoked_at = timezone.now()
        invitation.save(update_fields=["revoked_at"])
    return invitation


def invitation_for_token(token: str) -> Invitation | None:
    """The pending invitation of a link, looked up across tenants: the token is the credential."""
    invitation = (
        Invitation.objects.with_scopes_disabled()
        .select_related("user", "organisation")
        .filter(token_hash=Invitation.hash_token(token))
        .first()
    )
    if invitation is None or not invitation.is_pending:
        return None
    return invitation


@transaction.atomic
def invitation_accept(
    *, invitation: Invitation, password: str, ip_address: str | None = None
) -> User:
    """Set the password chosen through the one-time link; the link proves the address. Not for
    a closed customer: its side of the portal is closed, no sign-in (SPEC C5)."""
    locked = Invitation.objects.with_scopes_disabled().select_for_update().get(pk=invitation.pk)
    if not locked.is_pending:
        raise ValidationError(_("This link is no longer valid. Ask for a new invitation."))
    user = locked.user
    if customer_is_closed(user):
        raise ValidationError(
            _("The service for your organisation has ended: the customer area is closed.")
        )
    user_set_password(user=user, password=password)
    EmailAddress.objects.filter(user=user, email__iexact=user.email).update(
        verified=True, primary=True
    )
    locked.accepted_at = timezone.now()
    locked.save(update_fields=["accepted_at"])
    SecurityEvent.objects.create(
        user=user,
        kind=SecurityEvent.Kind.INVITATION_ACCEPTED,
        identifier=user.email,
        ip_address=ip_address,
    )
    return user


@transaction.atomic
def person_set_active(*, membership: Membership, active: bool, by: User) -> Membership:
    if membership.user_id == by.pk and not active:
        raise ValidationError(_("You cannot deactivate yourself."))
    user = membership.user
    user.is_active = active
    user.save(update_fields=["is_active"])
    return membership


@transaction.atomic
def cstm_assign(
    *,
    organisation: Organisation,
    cstm: User,
    starts_on: date,
    ends_on: date | None,
    kind: str,
    note: str = "",
) -> CstmAssignment:
    """Assign a CSTM for a date range (SPEC T2). A permanent assignment replaces the current
    permanent CSTM: the old range is closed the day before, never deleted, so history stays."""
    membership = Membership.objects.with_scopes_disabled().filter(user=cstm).first()
    if membership is None or membership.role != Role.CSTM:
        raise ValidationError({"cstm": _("Choose a CSTM.")})
    if organisation.is_provider:
        raise ValidationError(_("CSTMs are assigned to customer organisations."))
    if ends_on is not None and ends_on < starts_on:
        raise ValidationError({"ends_on": _("The end date must not be before the start date.")})
    if starts_on <= date.min:  # a replacement closes the previous range the day before
        raise ValidationError({"starts_on": _("Enter a valid date.")})
    if kind == CstmAssignment.Kind.TEMPORARY and ends_on is None:
        raise ValidationError({"ends_on": _("A temporary cover needs an end date.")})
    if kind == CstmAssignment.Kind.PERMANENT:
        open_permanent = (
            CstmAssignment.objects.select_for_update()
            .filter(organisation=organisation, kind=CstmAssignment.Kind.PERMANENT)
            .filter(starts_on__lt=starts_on)
            .exclude(ends_on__lt=starts_on)
        )
        open_permanent.update(ends_on=starts_on - timedelta(days=1))
    assignment = CstmAssignment(
        organisation=organisation,
        cstm=cstm,
        starts_on=starts_on,
        ends_on=ends_on,
        kind=kind,
        note=note,
    )
    assignment.full_clean()
    assignment.save()
    return assignment


@transaction.atomic
def cstm_assignment_end(*, assignment: CstmAssignment, ends_on: date) -> CstmAssignment:
    if ends_on < assignment.starts_on:
        raise ValidationError({"ends_on": _("The end date must not be before the start date.")})
    assignment.ends_on = ends_on
    assignment.full_clean()
    assignment.save(update_fields=["ends_on"])
    return assignment


@transaction.atomic
def user_update_profile(*, user: User, first_name: str, last_name: str, language: str) -> User:
    user.first_name = first_name.strip()
    user.last_name = last_name.strip()
    user.language = language
    user.full_clean(exclude=["password"])
    user.save(update_fields=["first_name", "last_name", "language"])
    return user


def user_set_language(*, user: User, language: str) -> None:
    if language not in dict(settings.LANGUAGES):
        raise ValidationError({"language": _("Unknown language.")})
    user.language = language
    # Saved (not a bulk update): the signal forgets the person kept in the cache (issue 15).
    user.save(update_fields=["language"])


@transaction.atomic
def security_events_purge(*, now: "timezone.datetime | None" = None) -> int:
    """Security events carry addresses and IPs: they are kept SECURITY_EVENT_RETENTION_DAYS
    days, then deleted. Returns how many were deleted."""
    cutoff = (now or timezone.now()) - timedelta(days=settings.SECURITY_EVENT_RETENTION_DAYS)
    deleted, _by_model = SecurityEvent.objects.filter(at__lt=cutoff).delete()
    return deleted


API_TOKEN_TOUCH_SECONDS = 60


@transaction.atomic
def api_token_create(*, user: User, name: str) -> tuple[ApiToken, str]:
    """A new personal token; the secret is returned once and only its hash is kept."""
    name = name.strip()
    if not name:
        raise ValidationError({"name": _("Give the token a name, e.g. the script that uses it.")})
    if ApiToken.objects.filter(user=user, revoked_at__isnull=True, name__iexact=name).exists():
        raise ValidationError({"name": _("You already have an active token with this name.")})
    secret, secret_hash = ApiToken.new_secret()
    token = ApiToken.objects.create(user=user, name=name, hint=secret[:8], token_hash=secret_hash)
    return token, secret


def _api_tokens_forget(user_id: int) -> None:
    """A revoked token fails on the very next request: the person's generation is renewed now
    and again once the revocation commits, so no cached token entry of theirs is used again
    (``api_token_resolve``), as for the tenancy (accounts.signals)."""
    tenancy.tenancy_invalidate(user_ids=[user_id])
    transaction.on_commit(lambda: tenancy.tenancy_invalidate(user_ids=[user_id]))


@transaction.atomic
def api_token_revoke(*, token: ApiToken) -> ApiToken:
    if token.revoked_at is None:
        token.revoked_at = timezone.now()
        token.save(update_fields=["revoked_at"])
        _api_tokens_forget(token.user_id)
    return token


@transaction.atomic
def api_tokens_revoke_all(*, user: User) -> int:
    """A password change or reset revokes every personal token of the person (SPEC T4): a token
    copied by whoever knew the old password must not outlive it. Returns how many."""
    revoked = ApiToken.objects.filter(user=user, revoked_at__isnull=True).update(
        revoked_at=timezone.now()
    )
    _api_tokens_forget(user.pk)
    return revoked


@transaction.atomic
def user_set_password(*, user: User, password: str) -> User:
    """Set a new password (allauth's change and reset, Django admin, a one-time link); the
    person's API tokens die with the old one (SPEC T4)."""
    user.set_password(password)
    user.save()
    api_tokens_revoke_all(user=user)
    return user


def _api_token_key(token_hash: str) -> str:
    return f"{tenancy.cache_namespace()}:apitoken:{token_hash}"


def _api_token_from_database(token_hash: str) -> ApiToken | None:
    return (
        ApiToken.objects.select_related("user")
        .filter(token_hash=token_hash, revoked_at__isnull=True, user__is_active=True)
        .first()
    )


# Tokens resolved by this process: token hash -> its person's id. Only a hint of which person's
# entries to read with the token's (bounded, cleared when full); it never decides anything.
API_TOKEN_HINTS_MAX = 50_000
_api_token_hints: dict[str, int] = {}


def api_token_resolve(*, secret: str) -> ApiToken | None:
    """The active token of a secret, with its person, its last use refreshed at most once a
    minute. Issue 15: after a token's first request in this process, ONE cache read (MGET)
    fetches the token and its person's tenancy entry and both generations (everybody's, the
    person's), and PostgreSQL is not asked. The token kept in the cache is used only while both
    generations are those it was stored under: a revocation renews the person's (now and after
    commit), as does any change of the person (deactivation, password: accounts.signals), and
    the day-90 deletion renews everybody's. The generations are read BEFORE the database, and
    nothing read inside a transaction is kept."""
    if not secret.startswith(ApiToken.PREFIX):
        return None
    token_hash = ApiToken.hash_secret(secret)
    hint = _api_token_hints.get(token_hash)
    if hint is None:
        token = _api_token_from_database(token_hash)
        if token is not None:
            if len(_api_token_hints) >= API_TOKEN_HINTS_MAX:
                _api_token_hints.clear()
            _api_token_hints[token_hash] = token.user_id
        return _api_token_touched(token, None)
    key = _api_token_key(token_hash)
    found = cache.get_many([key, *tenancy.person_keys(hint)])
    generations = (
        found.get(tenancy._everybody_generation_key()),
        found.get(tenancy._user_generation_key(hint)),
    )
    usable = all(generations)
    stored = found.get(key)
    if usable and stored is not None and stored[:2] == generations:
        token = stored[2]
    else:
        token = _api_token_from_database(token_hash)
        if token is None or token.user_id != hint:
            return _api_token_touched(token, None)
        if usable and not transaction.get_connection().in_atomic_block:
            cache.set(key, (*generations, token), tenancy.ENTRY_SECONDS)
    token = _api_token_touched(token, (key, generations) if usable else None)
    if usable:
        # The person's tenancy, read in the same round trip (accounts.tenancy.tenancy_for).
        ahead = (tenancy._invalidations, *generations, found.get(tenancy._entry_key(hint)))
        setattr(token.user, tenancy.PREFETCH_ATTRIBUTE, ahead)
    return token


def _api_token_touched(token: ApiToken | None, entry: tuple | None) -> ApiToken | None:
    """The last use recorded at most once a minute (a bulk update: no signal renews the
    person's generation), and in the cached entry, so the next requests do not repeat it."""
    if token is None:
        return None
    now = timezone.now()
    if (
        token.last_used_at is None
        or (now - token.last_used_at).total_seconds() > API_TOKEN_TOUCH_SECONDS
    ):
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
        token.last_used_at = now
        if entry is not None and not transaction.get_connection().in_atomic_block:
            key, generations = entry
            cache.set(key, (*generations, token), tenancy.ENTRY_SECONDS)
    return token
