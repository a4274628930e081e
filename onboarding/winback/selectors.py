"""Reads of the win-back page (SPEC C6), in the staff member's scope (SPEC T1)."""

from django.db.models import OuterRef, QuerySet, Subquery
from django.shortcuts import get_object_or_404

from contracts.models import CancellationNotice
from contracts.selectors import win_back_list
from onboarding.models import Meeting


def _win_back_meetings() -> QuerySet[Meeting]:
    return Meeting.objects.filter(kind=Meeting.Kind.WIN_BACK)


def notice_list() -> QuerySet[CancellationNotice]:
    """Every cancellation in scope with its latest win-back meeting (date and status)."""
    latest = _win_back_meetings().filter(cancellation=OuterRef("pk")).order_by("-scheduled_at")
    return win_back_list().annotate(
        meeting_at=Subquery(latest.values("scheduled_at")[:1]),
        meeting_status=Subquery(latest.values("status")[:1]),
        meeting_id=Subquery(latest.values("pk")[:1]),
    )


def notice_get(*, notice_id: int) -> CancellationNotice:
    return get_object_or_404(
        CancellationNotice.objects.select_related(
            "contract", "organisation", "recorded_by", "outcome_recorded_by"
        ),
        pk=notice_id,
    )


def meetings_of(notice: CancellationNotice) -> QuerySet[Meeting]:
    return (
        _win_back_meetings()
        .filter(cancellation=notice)
        .select_related("minutes_recorded_by")
        .order_by("-scheduled_at", "-pk")
    )
