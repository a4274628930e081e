"""Service-desk KPIs (SPEC S9): volumes, backlog and SLA compliance by customer and month,
computed in the database with a constant number of queries."""

from collections.abc import Iterable
from datetime import datetime, time, timedelta
from decimal import Decimal

from django.db.models import Case, Count, F, IntegerField, Q, Sum, When
from django.db.models.functions import TruncMonth
from django.utils import timezone

from tickets import continuity
from tickets.models import SlaPolicy, Ticket

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


def _every_month(rows: list[dict], since, now) -> list[dict]:
    """The months of the period in order, a month without tickets included with zeros (a chart
    with gaps would hide a quiet month)."""
    found = {timezone.localtime(row["month"]).date().replace(day=1): row for row in rows}
    month = timezone.localtime(since).date().replace(day=1)
    last = timezone.localtime(now).date().replace(day=1)
    months = []
    while month <= last:
        empty = {"month": month, "opened": 0, "incidents": 0, "met": 0, "timed": 0}
        months.append(found.get(month, empty) | {"month": month})
        month = (month + timedelta(days=32)).replace(day=1)
    return months


def overview(*, months: int = 6) -> dict:
    # The current month and the ``months - 1`` before it, from their first day.
    start = timezone.localdate().replace(day=1)
    for _ in range(months - 1):
        start = (start - timedelta(days=1)).replace(day=1)
    since = timezone.make_aware(datetime.combine(start, time.min))
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
    by_month = _every_month(by_month, since, timezone.now())
    for row in by_month:
        row["compliance"] = _percent(row["met"] or 0, row["timed"] or 0)
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


def availability_targets(organisation_ids: Iterable[int]) -> dict[int, Decimal | None]:
    """Every listed customer's contractual availability target (SPEC S9) in one query: the
    incident policies with a target of their contracts and the general ones, chosen by
    ``continuity.target_of`` (the rule of ``selectors.availability_target`` for one)."""
    ids = set(organisation_ids)
    if not ids:
        return {}
    rows = SlaPolicy.objects.filter(
        Q(contract__organisation_id__in=ids) | Q(contract__isnull=True),
        ticket_type=Ticket.Type.INCIDENT,
        availability_target__isnull=False,
    ).values_list("contract__organisation_id", "contract__starts_on", "availability_target")
    own: dict[int, list[tuple]] = {pk: [] for pk in ids}
    general = []
    for organisation_id, starts_on, target in rows:
        if organisation_id is None:
            general.append(target)
        else:
            own[organisation_id].append((starts_on, target))
    return {pk: continuity.target_of(own[pk], general) for pk in ids}
