"""SIEM workshop objects for the cross-tenant walks (tests/test_route_walk.py,
tests/test_api_fuzz.py) and the tests of issue 13: a tenant's workshop with two log sources,
made through the services by the tenant's own CSTM."""

from decimal import Decimal

from django_scopes import scopes_disabled

from onboarding.models import LogSourceType, SiemWorkshop
from onboarding.siem import services
from onboarding.siem.sizing import CONSTANT_DEFAULTS


def workshop_title(tenant) -> str:
    return f"SIEM sizing of {tenant.organisation.name}"


def sizing_arguments(**overrides) -> dict:
    """100 firewalls (50 EPS × 500 bytes) and 20 Windows servers (5 EPS × 1,200 bytes) for 13
    months (7 hot days, 30 warm), with the documented constants."""
    with scopes_disabled():
        firewall = LogSourceType.objects.get(name="Firewall")
        windows = LogSourceType.objects.get(name="Windows server")
    arguments = {
        "sources": [
            {
                "source_type": firewall,
                "name": "",
                "devices": 100,
                "eps_per_device": None,
                "event_bytes": None,
            },
            {
                "source_type": windows,
                "name": "Windows DC",
                "devices": 20,
                "eps_per_device": Decimal(5),
                "event_bytes": Decimal(1200),
            },
        ],
        "constants": dict(CONSTANT_DEFAULTS),
        "retention_months": 13,
        "hot_days": 7,
        "warm_days": 30,
    }
    arguments.update(overrides)
    return arguments


def with_workshop(tenant) -> SiemWorkshop:
    services.log_source_types_seed()
    cstm = tenant.assignment.cstm
    with scopes_disabled():
        workshop = services.workshop_create(
            organisation=tenant.organisation, title=workshop_title(tenant), by=cstm
        )
        services.workshop_sizing_save(workshop=workshop, by=cstm, **sizing_arguments())
    return workshop


def workshop_of(tenant) -> SiemWorkshop:
    return SiemWorkshop.objects.with_scopes_disabled().get(
        organisation=tenant.organisation, title=workshop_title(tenant)
    )
