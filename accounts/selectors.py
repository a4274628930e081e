"""Reads on people and organisations. All go through the scoped managers, so they only ever
return what the current tenant scope allows (SPEC T1)."""

from datetime import date

from django.db.models import Count, Prefetch, Q, QuerySet
from django.shortcuts import get_object_or_404
from django.utils import timezone

from accounts.models import (
    ApiToken,
    CstmAssignment,
    Invitation,
    Membership,
    Organisation,
    SecurityEvent,
    User,
)
from accounts.roles import Role


def organisation_list(
    *, search: str = "", kind: str = Organisation.Kind.CUSTOMER
) -> QuerySet[Organisation]:
    """Organisations in scope with their head-count and current CSTMs (a constant 2 queries)."""
    today = timezone.localdate()
    queryset = (
        Organisation.objects.filter(kind=kind)
        .annotate(people_count=Count("memberships", distinct=True))
        .prefetch_related(
            Prefetch(
                "cstm_assignments",
                queryset=CstmAssignment.objects.active_on(today).select_related("cstm"),
                to_attr="current_assignments",
            )
        )
        .order_by("name")
    )
    if search:
        queryset = queryset.filter(
            Q(name__icontains=search) | Q(domains__domain__icontains=search)
        ).distinct()
    return queryset


def organisation_get(*, organisation_id: int) -> Organisation:
    """The organisation if the user may see it; otherwise 404, whether it exists or not."""
    return get_object_or_404(Organisation.objects.all(), pk=organisation_id)


def organisation_people(*, organisation: Organisation) -> QuerySet[Membership]:
    return (
        Membership.objects.filter(organisation=organisation)
        .select_related("user")
        .order_by("role", "user__last_name", "user__email")
    )


def organisation_assignments(*, organisation: Organisation) -> QuerySet[CstmAssignment]:
    return (
        CstmAssignment.objects.filter(organisation=organisation)
        .select_related("cstm")
        .order_by("-starts_on")
    )


def current_cstms(*, organisation: Organisation, day: date | None = None) -> list[User]:
    day = day or timezone.localdate()
    return [
        a.cstm for a in organisation_assignments(organisation=organisation) if a.is_active_on(day)
    ]


def membership_list(*, search: str = "", role: str = "") -> QuerySet[Membership]:
    queryset = Membership.objects.select_related("user", "organisation").order_by(
        "organisation__name", "user__last_name", "user__email"
    )
    if role:
        queryset = queryset.filter(role=role)
    if search:
        queryset = queryset.filter(
            Q(user__email__icontains=search)
            | Q(user__first_name__icontains=search)
            | Q(user__last_name__icontains=search)
            | Q(organisation__name__icontains=search)
        )
    return queryset


def membership_get(*, membership_id: int) -> Membership:
    return get_object_or_404(
        Membership.objects.select_related("user", "organisation"), pk=membership_id
    )


def invitation_list(*, pending_only: bool = False) -> QuerySet[Invitation]:
    queryset = Invitation.objects.select_related("user", "organisation", "invited_by")
    if pending_only:
        queryset = queryset.filter(
            accepted_at__isnull=True, revoked_at__isnull=True, expires_at__gt=timezone.now()
        )
    return queryset


def invitation_get(*, invitation_id: int) -> Invitation:
    return get_object_or_404(
        Invitation.objects.select_related("user", "organisation"), pk=invitation_id
    )


def assignment_get(*, assignment_id: int) -> CstmAssignment:
    return get_object_or_404(
        CstmAssignment.objects.select_related("cstm", "organisation"), pk=assignment_id
    )


def cstm_choices() -> QuerySet[User]:
    return User.objects.filter(membership__role=Role.CSTM, is_active=True).order_by(
        "last_name", "first_name"
    )


def security_events_for(*, user: User, limit: int = 20) -> list[SecurityEvent]:
    return list(SecurityEvent.objects.filter(user=user).order_by("-at")[:limit])


def api_tokens_of(*, user: User) -> list[ApiToken]:
    return list(ApiToken.objects.filter(user=user, revoked_at__isnull=True).order_by("-created_at"))


def api_token_get(*, user: User, token_id: int) -> ApiToken:
    """One of the person's own active tokens; anybody else's is a 404."""
    return get_object_or_404(
        ApiToken.objects.filter(user=user, revoked_at__isnull=True), pk=token_id
    )
