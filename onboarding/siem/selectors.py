"""Reads of the SIEM workshops through the scoped managers (SPEC T1): a customer reaches its
own organisation's workshops only, a CSTM those of its assignments; anything else is a 404."""

from django.db.models import Count, Q, QuerySet
from django.shortcuts import get_object_or_404

from onboarding.models import LogSourceType, Meeting, SiemWorkshop
from onboarding.siem import series


def workshop_list(*, organisation_id: int | None = None) -> QuerySet[SiemWorkshop]:
    workshops = SiemWorkshop.objects.select_related("organisation").annotate(
        meetings_held=Count("meetings", filter=Q(meetings__status=Meeting.Status.HELD)),
        meetings_planned=Count("meetings", filter=Q(meetings__status=Meeting.Status.PLANNED)),
    )
    if organisation_id is not None:
        workshops = workshops.filter(organisation_id=organisation_id)
    return workshops.order_by("organisation__name", "-created_at", "-pk")


def workshop_get(*, workshop_id: int) -> SiemWorkshop:
    return get_object_or_404(
        SiemWorkshop.objects.select_related("organisation", "created_by"), pk=workshop_id
    )


def workshop_meetings(workshop: SiemWorkshop) -> QuerySet[Meeting]:
    return (
        Meeting.objects.filter(workshop=workshop)
        .select_related("activity_request__activity")
        .order_by("scheduled_at", "pk")
    )


def workshop_progress(meetings: list[Meeting]) -> series.Progress:
    return series.progress(
        [series.SeriesMeeting(m.topic, m.status, m.scheduled_at) for m in meetings]
    )


def log_source_types(*, active_only: bool = True) -> QuerySet[LogSourceType]:
    types = LogSourceType.objects.all()
    return types.filter(active=True) if active_only else types


def log_source_types_for(workshop: SiemWorkshop) -> QuerySet[LogSourceType]:
    """The types a workshop's rows may name: those offered, and those its sources already use
    (a type the admin stopped offering stays valid where it was chosen)."""
    used = workshop.sources.exclude(source_type=None).values("source_type_id")
    return LogSourceType.objects.filter(Q(active=True) | Q(pk__in=used))


def log_source_type_get(*, log_source_type_id: int) -> LogSourceType:
    return get_object_or_404(LogSourceType, pk=log_source_type_id)
