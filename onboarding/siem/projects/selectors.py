"""Reads of SIEM projects, the operations model and the dashboards chosen, through the scoped
managers (SPEC T1): a foreign or missing row is the same 404."""

from django.db.models import Count, Prefetch, Q, QuerySet
from django.shortcuts import get_object_or_404

from onboarding.models import (
    DashboardChoice,
    DashboardOffer,
    Deficiency,
    OperationsDuty,
    SiemProject,
    SiemWorkshop,
)


def workshop_get(*, workshop_id: int) -> SiemWorkshop:
    return get_object_or_404(SiemWorkshop.objects.select_related("organisation"), pk=workshop_id)


def project_list(*, workshop: SiemWorkshop | None = None) -> QuerySet[SiemProject]:
    projects = SiemProject.objects.select_related("organisation", "workshop", "previous")
    if workshop is not None:
        projects = projects.filter(workshop=workshop)
    return projects.annotate(
        deficiency_count=Count("deficiencies"),
        open_deficiencies=Count("deficiencies", filter=~Q(deficiencies__status="done")),
    ).order_by("starts_on", "pk")


def project_get(*, project_id: int) -> SiemProject:
    return get_object_or_404(
        SiemProject.objects.select_related(
            "organisation", "workshop", "previous", "closed_by"
        ).prefetch_related(Prefetch("deficiencies", queryset=Deficiency.objects.order_by("pk"))),
        pk=project_id,
    )


def next_of(project: SiemProject) -> SiemProject | None:
    return SiemProject.objects.filter(previous=project).first()


def last_closed(workshop: SiemWorkshop) -> SiemProject | None:
    """The project the next one will follow (SPEC W4)."""
    return (
        SiemProject.objects.filter(
            workshop=workshop, status=SiemProject.Status.CLOSED, next__isnull=True
        )
        .order_by("-closed_at", "-pk")
        .first()
    )


def deficiency_list() -> QuerySet[Deficiency]:
    return Deficiency.objects.select_related("project").order_by("pk")


def deficiency_get(*, deficiency_id: int) -> Deficiency:
    return get_object_or_404(
        Deficiency.objects.select_related("project__workshop__organisation"), pk=deficiency_id
    )


def duty_list(*, workshop: SiemWorkshop | None = None) -> QuerySet[OperationsDuty]:
    duties = OperationsDuty.objects.select_related("workshop", "changed_by")
    if workshop is not None:
        duties = duties.filter(workshop=workshop)
    return duties.order_by("workshop", "position", "pk")


def duty_get(*, duty_id: int) -> OperationsDuty:
    return get_object_or_404(
        OperationsDuty.objects.select_related("workshop__organisation", "changed_by"), pk=duty_id
    )


def offers_offered() -> QuerySet[DashboardOffer]:
    return DashboardOffer.objects.filter(active=True).order_by("kind", "position", "name")


def choice_list(*, workshop: SiemWorkshop | None = None) -> QuerySet[DashboardChoice]:
    choices = DashboardChoice.objects.select_related("offer", "chosen_by", "workshop")
    if workshop is not None:
        choices = choices.filter(workshop=workshop)
    return choices.order_by("offer__kind", "offer__position", "offer__name")


def choice_get(*, choice_id: int) -> DashboardChoice:
    return get_object_or_404(
        DashboardChoice.objects.select_related("offer", "chosen_by", "workshop__organisation"),
        pk=choice_id,
    )


def catalogue_of(workshop: SiemWorkshop) -> list[dict]:
    """Every offer on offer, and any no longer offered but chosen, with its choice if any."""
    choices = {c.offer_id: c for c in choice_list(workshop=workshop)}
    offers = DashboardOffer.objects.filter(Q(active=True) | Q(pk__in=list(choices))).order_by(
        "kind", "position", "name"
    )
    return [{"offer": offer, "choice": choices.get(offer.pk)} for offer in offers]


def summary_of(workshop: SiemWorkshop) -> dict:
    """What the workshop's hub panel shows."""
    projects = list(project_list(workshop=workshop))
    return {
        "projects": len(projects),
        "open_project": next((p for p in projects if p.status == "open"), None),
        "closed_projects": sum(p.status == "closed" for p in projects),
        "duties": OperationsDuty.objects.filter(workshop=workshop).count(),
        "customer_runs": OperationsDuty.objects.filter(workshop=workshop, customer="R").count(),
        "choices": DashboardChoice.objects.filter(workshop=workshop).count(),
    }
