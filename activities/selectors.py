"""Reads on the catalogue and activity requests, through the scoped managers (SPEC T1)."""

from datetime import date
from decimal import Decimal

from django.db.models import DecimalField, OuterRef, Q, QuerySet, Subquery, Sum, Value
from django.db.models.functions import Coalesce
from django.shortcuts import get_object_or_404
from django.utils import timezone
from django.utils.translation import get_language

from accounts.models import Organisation, User
from activities.models import (
    LANGUAGES,
    Activity,
    ActivityRequest,
    RequestCharge,
    Statement,
    WorkSession,
)
from contracts.models import LedgerEntry
from contracts.templatetags.links import id_url

ZERO = Value(Decimal("0"), output_field=DecimalField(max_digits=10, decimal_places=2))


def catalogue(*, include_inactive: bool = False) -> QuerySet[Activity]:
    activities = Activity.objects.order_by("position", "pk")
    return activities if include_inactive else activities.filter(active=True)


def _net_charged() -> Coalesce:
    """Hours charged to a request, net of reversals, in one subquery."""
    entries = LedgerEntry.objects.filter(
        Q(pk__in=RequestCharge.objects.filter(request=OuterRef(OuterRef("pk"))).values("entry"))
        | Q(
            reverses__in=RequestCharge.objects.filter(request=OuterRef(OuterRef("pk"))).values(
                "entry"
            )
        )
    )
    total = Subquery(
        entries.order_by().values("organisation").annotate(t=Sum("hours")).values("t")[:1],
        output_field=DecimalField(max_digits=10, decimal_places=2),
    )
    return Coalesce(total, ZERO)


def request_list(
    *,
    search: str = "",
    status: str = "",
    organisation: Organisation | None = None,
    requested_by: User | None = None,
) -> QuerySet[ActivityRequest]:
    requests = ActivityRequest.objects.select_related(
        "activity", "organisation", "requested_by", "contract"
    ).order_by("-created_at", "-pk")
    if requested_by is not None:  # issue 14: the referent's "my requests"
        requests = requests.filter(requested_by=requested_by)
    if organisation is not None:
        requests = requests.filter(organisation=organisation)
    if status == "open":
        requests = requests.filter(status__in=ActivityRequest.OPEN_STATUSES)
    elif status:
        requests = requests.filter(status=status)
    if search:
        requests = requests.filter(
            Q(organisation__name__icontains=search)
            | Q(details__icontains=search)
            | Q(activity__name_it__icontains=search)
            | Q(activity__name_en__icontains=search)
            | Q(activity__name_fr__icontains=search)
            | Q(activity__name_es__icontains=search)
        )
    return requests


def with_charged(requests: QuerySet[ActivityRequest]) -> QuerySet[ActivityRequest]:
    return requests.annotate(charged_total=_net_charged())


def request_get(*, request_id: int) -> ActivityRequest:
    return get_object_or_404(
        with_charged(
            ActivityRequest.objects.select_related(
                "activity",
                "organisation",
                "contract",
                "requested_by",
                "recorded_by",
                "overdraft_approved_by",
            )
        ),
        pk=request_id,
    )


def sessions_of(request: ActivityRequest) -> list[WorkSession]:
    return list(request.sessions.select_related("worked_by").order_by("worked_on", "pk"))


def charges_of(request: ActivityRequest) -> list[LedgerEntry]:
    ids = RequestCharge.objects.filter(request=request).values("entry")
    return list(
        LedgerEntry.objects.filter(Q(pk__in=ids) | Q(reverses__in=ids))
        .select_related("licence_year")
        .order_by("occurred_on", "pk")
    )


def statements_of(*, organisation: Organisation) -> QuerySet[Statement]:
    return Statement.objects.filter(organisation=organisation).select_related("request__activity")


def _language() -> str:
    """The catalogue column of the active language (as ``Activity.name`` picks it)."""
    language = (get_language() or "it")[:2]
    return language if language in LANGUAGES else "it"


def statement_rows(*, organisation_id: int, limit: int) -> list[dict]:
    """The organisation's latest statements as plain rows (issue 15: the referent's hours page
    and home): number, dates and hours, the activity's name in the reader's language and the
    links, with no model instance and no URL reversed per row."""
    name = f"request__activity__name_{_language()}"
    rows = list(
        Statement.objects.filter(organisation_id=organisation_id)
        .order_by("-issued_at")
        .values(
            "pk",
            "number",
            "request_id",
            "issued_at",
            "hours_charged",
            "remaining_after",
            "request__activity__name_it",
            name,
        )[:limit]
    )
    download, request_url = id_url("statement_download"), id_url("activity_request_detail")
    for row in rows:
        row["activity_name"] = row[name] or row["request__activity__name_it"]
        row["download_url"] = download(row["pk"])
        row["request_url"] = request_url(row["request_id"])
    return rows


def statement_get(*, statement_id: int) -> Statement:
    return get_object_or_404(Statement.objects.all(), pk=statement_id)


def activity_get(*, activity_id: int) -> Activity:
    return get_object_or_404(Activity.objects.all(), pk=activity_id)


def requestable_remaining(
    *, organisation: Organisation, today: date | None = None
) -> Decimal | None:
    """The hours left in the current licence year of the contract the organisation requests
    activities under (SPEC H1, H10); None without such a contract or year."""
    from activities.services import running_contract
    from contracts.models import LicenceYear
    from contracts.services import year_remaining

    today = today or timezone.localdate()
    contract = running_contract(organisation, today)
    if contract is None or not contract.has_csm_hours:
        return None
    year = LicenceYear.objects.filter(
        contract=contract, starts_on__lte=today, ends_on__gte=today, lapsed_at=None
    ).first()
    return year_remaining(year) if year is not None else None
