"""What the day-90 deletion removes of an organisation in accounts (SPEC L3): its people, their
addresses, sign-in traces and tokens, its domains and the organisation itself. Registered in the
registry of ``csm_portal.deletion`` from ``AccountsConfig.ready()``.

Also the helpers other apps use to find data tied to an organisation only by an address (mail
senders, typed sign-in identifiers): its people's addresses and its registered domains.
"""

from allauth.account.models import EmailAddress, EmailConfirmation
from allauth.mfa.models import Authenticator
from django.contrib.sessions.models import Session
from django.db.models import Q, QuerySet

from accounts.models import (
    ApiToken,
    CstmAssignment,
    HealthSnapshot,
    Invitation,
    Membership,
    Organisation,
    OrganisationDomain,
    SecurityEvent,
    User,
)
from csm_portal.deletion import ACCOUNTS, register


def people(organisation_id: int) -> QuerySet:
    """The organisation's people (one membership each)."""
    return User.objects.filter(membership__organisation_id=organisation_id)


def organisation_addresses(organisation_id: int) -> tuple[set[str], set[str]]:
    """The lower-cased addresses of the organisation's people (their login and every address
    they registered) and its registered email domains."""
    users = people(organisation_id)
    addresses = {e.lower() for e in users.values_list("email", flat=True)}
    registered = EmailAddress.objects.filter(user__in=users).values_list("email", flat=True)
    addresses |= {e.lower() for e in registered}
    domains = {
        d.lower()
        for d in OrganisationDomain.objects.with_scopes_disabled()
        .filter(organisation_id=organisation_id)
        .values_list("domain", flat=True)
    }
    return addresses, domains


def address_matches(address: str, addresses: set[str], domains: set[str]) -> bool:
    address = address.strip().lower()
    return address in addresses or ("@" in address and address.rsplit("@", 1)[-1] in domains)


def address_filter(field: str, organisation_id: int) -> Q:
    """Rows whose ``field`` holds an address of the organisation's people or one at its
    domains (case-insensitive). Matches nothing when the organisation has neither."""
    addresses, domains = organisation_addresses(organisation_id)
    query = Q(pk__in=[])
    for address in addresses:
        query |= Q(**{f"{field}__iexact": address})
    for domain in domains:
        query |= Q(**{f"{field}__iendswith": f"@{domain}"})
    return query


def _invitations(organisation_id: int) -> QuerySet:
    return Invitation.objects.with_scopes_disabled().filter(
        Q(organisation_id=organisation_id) | Q(user__in=people(organisation_id))
    )


def _cstm_assignments(organisation_id: int) -> QuerySet:
    return CstmAssignment.objects.with_scopes_disabled().filter(organisation_id=organisation_id)


def _api_tokens(organisation_id: int) -> QuerySet:
    return ApiToken.objects.filter(user__in=people(organisation_id))


def _security_events(organisation_id: int) -> QuerySet:
    # A failed sign-in of an unknown address keeps what was typed and no user: it is the
    # organisation's if it is one of its people's addresses or at one of its domains.
    return SecurityEvent.objects.filter(
        Q(user__in=people(organisation_id)) | address_filter("identifier", organisation_id)
    )


def _authenticators(organisation_id: int) -> QuerySet:
    return Authenticator.objects.filter(user__in=people(organisation_id))


def _email_confirmations(organisation_id: int) -> QuerySet:
    return EmailConfirmation.objects.filter(email_address__user__in=people(organisation_id))


def _email_addresses(organisation_id: int) -> QuerySet:
    return EmailAddress.objects.filter(user__in=people(organisation_id))


def _sessions(organisation_id: int) -> QuerySet:
    # Sessions are signed blobs: the user id is known only once decoded.
    ids = {str(pk) for pk in people(organisation_id).values_list("pk", flat=True)}
    if not ids:
        return Session.objects.none()
    keys = [
        session.session_key
        for session in Session.objects.all().iterator()
        if str(session.get_decoded().get("_auth_user_id", "")) in ids
    ]
    return Session.objects.filter(session_key__in=keys)


def _memberships(organisation_id: int) -> QuerySet:
    return Membership.objects.with_scopes_disabled().filter(organisation_id=organisation_id)


def _domains(organisation_id: int) -> QuerySet:
    return OrganisationDomain.objects.with_scopes_disabled().filter(organisation_id=organisation_id)


def _health_snapshots(organisation_id: int) -> QuerySet:
    # The cockpit's stored ranking of the customer (issue 15): its name and health facts.
    return HealthSnapshot.objects.with_scopes_disabled().filter(organisation_id=organisation_id)


def _organisation(organisation_id: int) -> QuerySet:
    return Organisation.objects.with_scopes_disabled().filter(pk=organisation_id)


def register_steps() -> None:
    register(
        count="health_snapshots", model=HealthSnapshot, rows=_health_snapshots, order=ACCOUNTS + 5
    )
    register(count="invitations", model=Invitation, rows=_invitations, order=ACCOUNTS + 10)
    register(
        count="cstm_assignments", model=CstmAssignment, rows=_cstm_assignments, order=ACCOUNTS + 20
    )
    register(count="api_tokens", model=ApiToken, rows=_api_tokens, order=ACCOUNTS + 30)
    register(
        count="security_events", model=SecurityEvent, rows=_security_events, order=ACCOUNTS + 40
    )
    register(count="authenticators", model=Authenticator, rows=_authenticators, order=ACCOUNTS + 50)
    register(
        count="email_confirmations",
        model=EmailConfirmation,
        rows=_email_confirmations,
        order=ACCOUNTS + 60,
    )
    register(
        count="email_addresses", model=EmailAddress, rows=_email_addresses, order=ACCOUNTS + 70
    )
    register(count="sessions", model=Session, rows=_sessions, order=ACCOUNTS + 80)
    # People are found through their membership, so their memberships go with them (by cascade,
    # counted as "memberships"); the memberships step then finds none left.
    register(count="people", model=User, rows=people, order=ACCOUNTS + 90)
    register(count="memberships", model=Membership, rows=_memberships, order=ACCOUNTS + 91)
    register(count="email_domains", model=OrganisationDomain, rows=_domains, order=ACCOUNTS + 95)
    register(count="organisations", model=Organisation, rows=_organisation, order=ACCOUNTS + 99)
