"""factory_boy factories. Creation runs outside any tenant scope, as a migration or admin would."""

import itertools
from datetime import timedelta

import factory
from allauth.account.models import EmailAddress
from allauth.mfa.models import Authenticator
from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret
from django.utils import timezone
from django_scopes import scopes_disabled

from accounts.models import (
    CstmAssignment,
    Invitation,
    Membership,
    Organisation,
    OrganisationDomain,
    User,
)
from accounts.roles import Role

PASSWORD = "correct-horse-battery-staple"


class UnscopedFactory(factory.django.DjangoModelFactory):
    class Meta:
        abstract = True

    @classmethod
    def _create(cls, model_class, *args, **kwargs):
        with scopes_disabled():
            return super()._create(model_class, *args, **kwargs)


class OrganisationFactory(UnscopedFactory):
    class Meta:
        model = Organisation
        skip_postgeneration_save = True

    name = factory.Sequence(lambda n: f"Customer {n} S.r.l.")
    kind = Organisation.Kind.CUSTOMER
    language = "it"

    @factory.post_generation
    def domain(obj, create, extracted, **kwargs):
        if create:
            with scopes_disabled():
                OrganisationDomain.objects.create(
                    organisation=obj, domain=extracted or f"org{obj.pk}.example"
                )


class UserFactory(UnscopedFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    email = factory.Sequence(lambda n: f"person{n}@example.test")
    first_name = factory.Faker("first_name")
    last_name = factory.Faker("last_name")
    language = "it"

    @factory.post_generation
    def password(obj, create, extracted, **kwargs):
        obj.set_password(extracted or PASSWORD)
        if create:
            obj.save(update_fields=["password"])
            EmailAddress.objects.create(user=obj, email=obj.email, verified=True, primary=True)


class MembershipFactory(UnscopedFactory):
    class Meta:
        model = Membership

    user = factory.SubFactory(UserFactory)
    organisation = factory.SubFactory(OrganisationFactory)
    role = Role.REFERENT
    agent_level = ""


def person(
    organisation: Organisation, role: str, *, level: str = "", email: str | None = None
) -> User:
    """A person with a role in an organisation; provider staff get a TOTP authenticator (MFA)."""
    user = UserFactory(**({"email": email} if email else {}))
    MembershipFactory(user=user, organisation=organisation, role=role, agent_level=level)
    if role in (Role.PROVIDER_ADMIN, Role.CSTM, Role.AGENT):
        if role == Role.PROVIDER_ADMIN:
            user.is_staff = user.is_superuser = True
            user.save(update_fields=["is_staff", "is_superuser"])
        TOTP.activate(user, generate_totp_secret())
    return user


def provider() -> Organisation:
    with scopes_disabled():
        existing = Organisation.objects.filter(kind=Organisation.Kind.PROVIDER).first()
    return existing or OrganisationFactory(name="The Provider", kind=Organisation.Kind.PROVIDER)


class CstmAssignmentFactory(UnscopedFactory):
    class Meta:
        model = CstmAssignment

    organisation = factory.SubFactory(OrganisationFactory)
    cstm = factory.LazyFunction(lambda: person(provider(), Role.CSTM))
    starts_on = factory.LazyFunction(lambda: timezone.localdate() - timedelta(days=30))
    ends_on = None
    kind = CstmAssignment.Kind.PERMANENT


class InvitationFactory(UnscopedFactory):
    class Meta:
        model = Invitation

    organisation = factory.SubFactory(OrganisationFactory)
    user = factory.SubFactory(UserFactory)
    token_hash = factory.LazyFunction(lambda: Invitation.new_token()[1])
    expires_at = factory.LazyFunction(Invitation.default_expiry)


def totp_authenticator(user: User) -> Authenticator:
    return Authenticator.objects.get(user=user, type=Authenticator.Type.TOTP)


_contract_numbers = itertools.count(1)


def contract_for(organisation: Organisation, **overrides):
    """A contract recorded through the service, as a CSTM or admin would."""
    from decimal import Decimal

    from contracts import services as contract_services

    today = timezone.localdate()
    values = {
        "number": f"C-{organisation.pk}-{next(_contract_numbers)}",
        "sales_channel": "direct",
        "signed_on": today - timedelta(days=10),
        "starts_on": today - timedelta(days=5),
        "expires_on": today - timedelta(days=5) + timedelta(days=3 * 365),
        "hours_per_year": Decimal("20"),
        "purchase_order": "PO-1",
    }
    values.update(overrides)
    with scopes_disabled():
        return contract_services.contract_create(organisation=organisation, **values)


def invite(
    organisation: Organisation,
    email: str,
    *,
    by: User,
    role: str = Role.END_USER,
    language: str = "it",
):
    """Invite a person through the service, as an admin would; returns (invitation, token)."""
    from accounts import services as account_services

    with scopes_disabled():
        return account_services.person_invite(
            organisation=organisation,
            email=email,
            first_name="New",
            last_name="Person",
            role=role,
            language=language,
            invited_by=by,
        )
