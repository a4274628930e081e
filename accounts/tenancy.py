"""Who may see which organisations (SPEC T1, T2): the single place that decides a user's scope.

The scope is a value for django-scopes' ``organisation`` dimension:
- ``None``: every organisation (provider admins and service-desk agents);
- a list of ids: exactly those organisations (a CSTM's current assignments; a customer's own).
An anonymous or role-less user gets the empty list and so sees nothing.
"""

from dataclasses import dataclass
from datetime import date

from django.utils import timezone
from django.utils.translation import gettext as _
from django_scopes import scopes_disabled

from accounts.models import CstmAssignment, Membership, Organisation, User
from accounts.roles import INVITER_ROLES, PROVIDER_ROLES, Role

ALL_ORGANISATIONS = None


@dataclass(frozen=True)
class Tenancy:
    """What the request may reach, computed once per request by TenantMiddleware."""

    membership: Membership | None
    organisation_ids: list[int] | None  # None: all organisations

    @property
    def role(self) -> str | None:
        return self.membership.role if self.membership else None

    @property
    def is_provider_staff(self) -> bool:
        return self.role in PROVIDER_ROLES

    @property
    def is_admin(self) -> bool:
        return self.role == Role.PROVIDER_ADMIN

    @property
    def is_customer(self) -> bool:
        return self.membership is not None and not self.is_provider_staff

    @property
    def can_invite(self) -> bool:
        return self.role in INVITER_ROLES

    @property
    def home_organisation_id(self) -> int | None:
        return self.membership.organisation_id if self.membership else None

    @property
    def is_read_only(self) -> bool:
        """SPEC C5: a customer in its 30 days after expiry may view and download, nothing else."""
        return (
            self.is_customer
            and self.membership.organisation.access == Organisation.Access.READ_ONLY
        )

    @property
    def is_closed(self) -> bool:
        return (
            self.is_customer and self.membership.organisation.access == Organisation.Access.CLOSED
        )


NOBODY = Tenancy(membership=None, organisation_ids=[])


def tenancy_for(user: User, *, today: date | None = None) -> Tenancy:
    """Resolve the user's role and visible organisations (one or two queries)."""
    if not user.is_authenticated or not user.is_active:
        return NOBODY
    # Resolving the scope is the one place allowed to look across tenants.
    with scopes_disabled():
        membership = Membership.objects.select_related("organisation").filter(user=user).first()
        if membership is None:
            return NOBODY
        if membership.role in (Role.PROVIDER_ADMIN, Role.AGENT):
            return Tenancy(membership=membership, organisation_ids=ALL_ORGANISATIONS)
        if membership.role == Role.CSTM:
            day = today or timezone.localdate()
            ids = list(
                CstmAssignment.objects.active_on(day)
                .filter(cstm=user)
                .values_list("organisation_id", flat=True)
                .distinct()
            )
            return Tenancy(membership=membership, organisation_ids=ids)
        return Tenancy(membership=membership, organisation_ids=[membership.organisation_id])


def customer_is_closed(user: object) -> bool:
    """SPEC C5: from day 31 after expiry a customer's users can no longer sign in."""
    return tenancy_for(user).is_closed  # type: ignore[arg-type]


def customer_write_refusal(organisation: Organisation | None) -> str:
    """SPEC C5: the one check that decides every customer write (portal, API, mail): "" when the
    organisation may write, else the reason in the active language. Read-only (days 1–30 after
    expiry) and closed (31+) customers may view and download, nothing else."""
    if organisation is None or organisation.kind != Organisation.Kind.CUSTOMER:
        return ""
    if organisation.access == Organisation.Access.CLOSED:
        return _("The organisation's contract is closed.")
    if organisation.access == Organisation.Access.READ_ONLY:
        return _("The organisation's contract has expired (read-only period: no support owed).")
    return ""
