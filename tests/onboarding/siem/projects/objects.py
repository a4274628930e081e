"""Objects of SIEM projects, the operations model, the dashboards and the win-back for the
cross-tenant walks (tests/test_route_walk.py, tests/test_api_fuzz.py) and the tests here: a
tenant's workshop with a closed project and the next one open (each with a deficiency), the
standard operations model, one dashboard ticked, and a cancellation with its win-back meeting,
made through the services by the tenant's own CSTM."""

from datetime import timedelta

from django.utils import timezone
from django_scopes import scopes_disabled

from contracts import services as contract_services
from contracts.models import CancellationNotice
from onboarding.models import (
    DashboardChoice,
    DashboardOffer,
    Deficiency,
    Meeting,
    OperationsDuty,
    SiemProject,
    SiemWorkshop,
)
from onboarding.siem.projects import services
from onboarding.winback import services as winback_services


def siem_title(tenant) -> str:
    return f"SIEM of {tenant.organisation.name}"


def offer() -> DashboardOffer:
    # Transactional tests flush the seeded catalogue: one offer made on need.
    found, _created = DashboardOffer.objects.get_or_create(
        name="Panoramica della sicurezza (walk)", defaults={"kind": "dashboard"}
    )
    return found


def with_siem_projects(tenant) -> SiemWorkshop:
    cstm = tenant.assignment.cstm
    title = siem_title(tenant)
    today = timezone.localdate()
    with scopes_disabled():
        workshop = SiemWorkshop.objects.create(organisation=tenant.organisation, title=title)
        first = services.project_create(
            workshop=workshop,
            title=f"{title}: first project",
            goals=f"{title}: collect the firewall logs",
            starts_on=today - timedelta(days=60),
            ends_on=today - timedelta(days=1),
            by=cstm,
        )
        services.deficiency_add(
            project=first, description=f"{title}: gap", owner="Rita", status="open", by=cstm
        )
        services.project_close(project=first, went_well="ok", to_improve="more", by=cstm)
        second = services.project_create(
            workshop=workshop,
            title=f"{title}: second project",
            goals=f"{title}: tune the rules",
            starts_on=today,
            ends_on=today + timedelta(days=30),
            by=cstm,
        )
        services.deficiency_add(
            project=second, description=f"{title}: open gap", owner="Rita", status="open", by=cstm
        )
        services.operations_propose_standard(workshop=workshop, by=cstm)
        services.dashboards_choose(workshop=workshop, offers=[offer()], by=cstm)
        notice = contract_services.cancellation_record(
            contract=tenant.contract,
            notice_on=today,
            reason=f"{title}: budget cut",
            by=cstm,
        )
        winback_services.win_back_meeting_schedule(
            notice=notice,
            scheduled_at=timezone.now() + timedelta(days=3),
            attendees=[
                {"name": "CSTM", "email": cstm.email, "side": "provider", "role": ""},
                {"name": title, "email": tenant.referent.email, "side": "customer", "role": ""},
            ],
            agenda=title,
            by=cstm,
        )
    return workshop


def workshop_of(tenant) -> SiemWorkshop:
    return SiemWorkshop.objects.with_scopes_disabled().get(
        organisation=tenant.organisation, title=siem_title(tenant)
    )


def project_of(tenant) -> SiemProject:
    return SiemProject.objects.with_scopes_disabled().get(
        workshop=workshop_of(tenant), status="open"
    )


def deficiency_of(tenant) -> Deficiency:
    return Deficiency.objects.with_scopes_disabled().filter(project=project_of(tenant)).first()


def duty_of(tenant) -> OperationsDuty:
    return (
        OperationsDuty.objects.with_scopes_disabled()
        .filter(workshop=workshop_of(tenant))
        .exclude(customer="R")
        .order_by("position")
        .first()
    )


def choice_of(tenant) -> DashboardChoice:
    return DashboardChoice.objects.with_scopes_disabled().get(workshop=workshop_of(tenant))


def notice_of(tenant) -> CancellationNotice:
    return CancellationNotice.objects.with_scopes_disabled().get(organisation=tenant.organisation)


def win_back_meeting_of(tenant) -> Meeting:
    return Meeting.objects.with_scopes_disabled().get(
        organisation=tenant.organisation, kind=Meeting.Kind.WIN_BACK
    )
