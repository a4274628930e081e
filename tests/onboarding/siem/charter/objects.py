"""Workshops for the charter tests and the cross-tenant walks (tests/test_route_walk.py,
tests/test_api_fuzz.py): made through the ORM (the workshop pages belong to the sizing), and a
decision recorded through the service by the tenant's CSTM."""

from datetime import date
from decimal import Decimal

from django.utils import timezone
from django_scopes import scopes_disabled

from onboarding.models import RetentionDecision, SiemLogSource, SiemWorkshop
from onboarding.siem.charter import services

SOURCES = (
    ("Firewall perimetrale", 4, Decimal("250"), Decimal("500")),
    ("Server Windows", 120, Decimal("2"), Decimal("800")),
    ("Switch di rete", 40, Decimal("1.5"), Decimal("300")),
)


def workshop_title(tenant) -> str:
    return f"SIEM workshop of {tenant.organisation.name}"


def workshop_of(tenant, *, sources: int = 3, **fields) -> SiemWorkshop:
    with scopes_disabled():
        workshop = SiemWorkshop.objects.create(
            organisation=tenant.organisation, title=workshop_title(tenant), **fields
        )
        for position, (name, devices, eps, size) in enumerate(SOURCES[:sources]):
            SiemLogSource.objects.create(
                organisation=tenant.organisation,
                workshop=workshop,
                name=name,
                devices=devices,
                eps_per_device=eps,
                event_bytes=size,
                position=position,
            )
    return workshop


def decided(workshop: SiemWorkshop, by, months: int = 13, **overrides) -> RetentionDecision:
    values = {
        "workshop": workshop,
        "months": months,
        "decided_on": overrides.pop("decided_on", timezone.localdate()),
        "attendees": ["Carla Rossi, CSTM", "Rita Referente, referente"],
        "by": by,
        **overrides,
    }
    with scopes_disabled():
        return services.retention_decision_record(**values)


def with_siem(tenant) -> tuple[SiemWorkshop, RetentionDecision]:
    """The tenant's workshop with three sources and a 13-month decision of its CSTM."""
    workshop = workshop_of(tenant)
    return workshop, decided(workshop, tenant.assignment.cstm, decided_on=date.today())


def siem_workshop_of(tenant) -> SiemWorkshop:
    return SiemWorkshop.objects.with_scopes_disabled().get(
        organisation=tenant.organisation, title=workshop_title(tenant)
    )


def decision_of(tenant) -> RetentionDecision:
    return RetentionDecision.objects.with_scopes_disabled().get(workshop=siem_workshop_of(tenant))
