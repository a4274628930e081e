"""Service-desk KPIs (SPEC S9): volumes, backlog and SLA compliance by customer and month,
computed in the database with a constant number of queries."""

from datetime import timedelta

from django.db.models import Case, Count, F, IntegerField, Q, Sum, When
from django.db.models.functions import TruncMonth
from django.utils import timezone

from tickets.models import Ticket

MET = Case(
    When(
        resolved_at__isnull=False,
        resolution_due__isnull=False,
        resolved_at__lte=F("resolution_due"),
        then=1,
    ),
    default=0,
    output_field=IntegerField(),
)
TIMED = Case(
    When(resolved_at__isnull=False, resolution_due__isnull=False, then=1),
    default=0,
    output_field=IntegerField(),
)


def _percent(part: int, whole: int) -> int | None:
    return round(100 * part / whole) if whole else None


def overview(*, months: int = 6) -> dict:
    since = (timezone.now() - timedelta(days=31 * months)).replace(day=1)
    tickets = Ticket.objects.filter(created_at__gte=since)
    by_month = list(
        tickets.annotate(month=TruncMonth("created_at"))
        .values("month")
        .annotate(
            opened=Count("pk"),
            incidents=Count("pk", filter=Q(type=Ticket.Type.INCIDENT)),
            met=Sum(MET),
            timed=Sum(TIMED),
        )
        .order_by("month")
    )
    by_organisation = list(
        tickets.values("organisation__name")
        .annotate(
            opened=Count("pk"),
            backlog=Count("pk", filter=Q(status__in=Ticket.OPEN_STATUSES)),
            met=Sum(MET),
            timed=Sum(TIMED),
        )
        .order_by("-opened", "organisation__name")[:50]
    )
    peak = max((row["opened"] for row in by_month), default=0)
    for row in by_month:
        row["compliance"] = _percent(row["met"] or 0, row["timed"] or 0)
        row["bar"] = _percent(row["opened"], peak) or 0
    for row in by_organisation:
        row["compliance"] = _percent(row["met"] or 0, row["timed"] or 0)
    backlog = Ticket.objects.filter(status__in=Ticket.OPEN_STATUSES)
    now = timezone.now()
    return {
        "by_month": by_month,
        "by_organisation": by_organisation,
        "backlog": backlog.count(),
        "breached": backlog.filter(resolution_due__lt=now, paused_since__isnull=True).count(),
        "waiting": backlog.filter(status=Ticket.Status.WAITING).count(),
        "months": months,
    }
