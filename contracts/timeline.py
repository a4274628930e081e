"""What contracts tells the customer-360 (issue 14): the contract and its renewal date, hours used
over each licence year against the straight line of time (SPEC H10), and the touchpoints —
charges, the activation e-mail, terms accepted, expiry warnings, cancellation notices."""

from collections import defaultdict
from datetime import date, timedelta
from decimal import Decimal

from django.core.cache import cache
from django.db import connection
from django.db.models import (
    BooleanField,
    ExpressionWrapper,
    F,
    Func,
    IntegerField,
    Min,
    Q,
    Sum,
    Value,
)
from django.db.models.expressions import RawSQL
from django.urls import reverse
from django.utils.formats import date_format
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from contracts import domain
from contracts.models import (
    Acceptance,
    CancellationNotice,
    Contract,
    ExpiryWarning,
    LedgerEntry,
)
from contracts.selectors import balance_of, licence_years_with_balances
from csm_portal import charts
from csm_portal.timeline import (
    CANCELLATIONS,
    CHARGES,
    CONTRACT,
    EMAILS,
    HOURS,
    TERMS,
    WARNINGS,
    Touchpoint,
    register_panel,
    register_source,
)

# Charts shown on the page: the most recent licence years (the hours page has them all).
CHARTED_YEARS = 3
WEEK = timedelta(days=7)
# A chart is cached for the day it was drawn for (``today`` is part of its key).
CHART_TIMEOUT = 36 * 3600


def _hours(value: Decimal) -> str:
    from contracts.templatetags.hours import hours

    return hours(value)


def hours_series(
    *,
    starts_on: date,
    ends_on: date,
    total: Decimal,
    charged_by_day: dict[date, Decimal],
    today: date,
) -> tuple[list[date], list[Decimal | None], list[Decimal]]:
    """Weekly points of a licence year and today's: the days, the hours charged up to each day
    (None after today: the line stops where we are) and the straight line of time (``total``
    spread evenly over the year's days). Pure: no ORM."""
    days: list[date] = []
    day = starts_on
    while day < ends_on:
        days.append(day)
        day += WEEK
    days.append(ends_on)
    if starts_on <= today <= ends_on and today not in days:
        days = sorted([*days, today])
    length = Decimal((ends_on - starts_on).days + 1)
    charged_days = sorted(charged_by_day)
    cumulative: list[Decimal | None] = []
    straight: list[Decimal] = []
    running = Decimal("0")
    position = 0
    for point in days:
        while position < len(charged_days) and charged_days[position] <= point:
            running += charged_by_day[charged_days[position]]
            position += 1
        cumulative.append(running if point <= today else None)
        elapsed = Decimal((point - starts_on).days + 1)
        straight.append((total * elapsed / length).quantize(Decimal("0.01")))
    return days, cumulative, straight


def _contract_panel(*, organisation, today: date) -> dict:
    # 1 query: the organisation's contracts with their CSTM and renewal; 1: their services.
    contracts = list(
        Contract.objects.filter(organisation=organisation)
        .select_related("cstm", "renewal_of")
        .prefetch_related("services")
        .order_by("-starts_on", "-pk")
    )
    running = next(
        (c for c in contracts if c.status == Contract.Status.ACTIVE),
        next((c for c in contracts if c.status != Contract.Status.DRAFT), None),
    )
    return {
        "contract": running,
        "contracts": contracts,
        "days_to_expiry": (running.expires_on - today).days if running else None,
    }


class _DaysBetween(Func):
    """Whole days from the second date to the first (PostgreSQL: date - date is an integer)."""

    arg_joiner = " - "
    template = "(%(expressions)s)"
    output_field = IntegerField()

    def as_sqlite(self, compiler, connection, **extra):  # the SQLite of ``make run``
        return self.as_sql(
            compiler,
            connection,
            template="CAST(julianday(%(expressions)s) AS INTEGER)",
            arg_joiner=") - julianday(",
            **extra,
        )


def weekly_charges(*, year_ids: list[int], today: date) -> dict[int, dict[date, Decimal]]:
    """The charges of each licence year summed in SQL per week of the chart, not per day: one
    row per (year, week from the year's first day, on or before today, on or before the last
    day), dated by its earliest charge. Every point of ``hours_series`` (the weekly days, today
    and the last day) falls on the same side of every charge of a row, so the series drawn from
    these sums equals the one drawn from the daily charges (tested against it): at most ~56 rows
    per year, whatever the number of entries."""
    week = ExpressionWrapper(
        (_DaysBetween(F("occurred_on"), F("licence_year__starts_on")) + Value(6)) / Value(7),
        output_field=IntegerField(),
    )
    rows = (
        LedgerEntry.objects.filter(licence_year__in=year_ids)
        .order_by()
        .annotate(
            week=week,
            by_today=ExpressionWrapper(Q(occurred_on__lte=today), output_field=BooleanField()),
            by_end=ExpressionWrapper(
                Q(occurred_on__lte=F("licence_year__ends_on")), output_field=BooleanField()
            ),
        )
        .values("licence_year", "week", "by_today", "by_end")
        .annotate(first=Min("occurred_on"), total=Sum("hours"))
    )
    sums: dict[int, dict[date, Decimal]] = defaultdict(dict)
    for row in rows:
        by_day = sums[row["licence_year"]]
        by_day[row["first"]] = by_day.get(row["first"], Decimal("0")) + row["total"]
    return sums


def _chart_key(year, today: date) -> str | None:
    """The cache key of a year's chart: the licence-year row's version (PostgreSQL's ``xmin``,
    new with every update of the row — and the triggers of migration 0006 update it with every
    ledger or pack write of the year, SPEC H9), the day and the language of the labels. None
    where there is no such version (SQLite) or inside a transaction, whose writes may still
    change the row under the same version: then the chart is drawn and not kept."""
    version = getattr(year, "row_version", None)
    if not version or connection.in_atomic_block:
        return None
    return f"c360:hours-chart:{year.pk}:{version}:{today.isoformat()}:{get_language()}"


def _chart(year, balance: domain.Balance, charged_by_day: dict[date, Decimal], today: date):
    days, cumulative, straight = hours_series(
        starts_on=year.starts_on,
        ends_on=year.ends_on,
        total=balance.total,
        charged_by_day=charged_by_day,
        today=today,
    )
    return charts.cumulative_against_time(
        labels=[date_format(day, "SHORT_DATE_FORMAT") for day in days],
        cumulative=cumulative,
        straight=straight,
        cumulative_label=_("Hours charged (cumulative)"),
        straight_label=_("Time elapsed (even use of the hours)"),
    )


def _hours_panel(*, organisation, today: date) -> dict:
    # 1 query: the licence years with their balances and row versions. The charts come from
    # Redis under those versions; only for a year whose chart is not there, 1 more query sums
    # its charges per week.
    queryset = (
        licence_years_with_balances()
        .filter(contract__organisation=organisation)
        .exclude(contract__status=Contract.Status.DRAFT)
        .filter(starts_on__lte=today)  # years to come have nothing to show yet
        .select_related("contract")
        .order_by("-starts_on", "-pk")
    )
    if connection.vendor == "postgresql":
        queryset = queryset.annotate(row_version=RawSQL('"contracts_licenceyear"."xmin"::text', []))
    years = list(queryset[:CHARTED_YEARS])
    keys = {year.pk: _chart_key(year, today) for year in years}
    cached = cache.get_many([key for key in keys.values() if key])
    missing = [year.pk for year in years if keys[year.pk] not in cached]
    sums = weekly_charges(year_ids=missing, today=today) if missing else {}
    drawn = {}
    charted = []
    for year in years:
        balance = balance_of(year)
        key = keys[year.pk]
        if key in cached:
            chart = cached[key]
        else:
            chart = _chart(year, balance, sums.get(year.pk, {}), today)
            if key:
                drawn[key] = chart
        charted.append(
            {
                "year": year,
                "balance": balance,
                "elapsed_percent": int(
                    domain.elapsed_fraction(year.starts_on, year.ends_on, today) * 100
                ),
                "chart_id": f"hours-chart-{year.pk}",
                "chart": chart,
            }
        )
    if drawn:
        cache.set_many(drawn, CHART_TIMEOUT)
    return {"hour_years": charted}


def _charge(entry: LedgerEntry) -> Touchpoint:
    if entry.kind == LedgerEntry.Kind.REVERSAL:
        title = _("Correction: %(hours)s h") % {"hours": _hours(entry.hours)}
    else:
        title = _("%(hours)s h charged") % {"hours": _hours(entry.hours)}
    return Touchpoint(
        title=title,
        detail=f"{entry.description} · {date_format(entry.occurred_on, 'SHORT_DATE_FORMAT')}",
        url=f"{reverse('contract_detail', args=[entry.licence_year.contract_id])}"
        f"?year={entry.licence_year.index}",
    )


def _activation(contract: Contract) -> Touchpoint:
    return Touchpoint(
        title=_("Activation e-mail sent (contract %(number)s)") % {"number": contract.number},
        detail=_("The service starts; the referent received the terms to accept."),
        url=reverse("contract_detail", args=[contract.pk]),
    )


def _acceptance(acceptance: Acceptance) -> Touchpoint:
    who = acceptance.accepted_by.display_name if acceptance.accepted_by else ""
    return Touchpoint(
        title=_("Terms accepted: %(document)s") % {"document": acceptance.document},
        detail=who,
    )


def _expiry_warning(warning: ExpiryWarning) -> Touchpoint:
    return Touchpoint(
        title=_("Expiry warning e-mailed: %(days)s days before expiry")
        % {"days": warning.days_before},
        detail=warning.contract.number,
        url=reverse("contract_detail", args=[warning.contract_id]),
    )


def _cancellation(notice: CancellationNotice) -> Touchpoint:
    return Touchpoint(
        title=_("Cancellation notice (contract %(number)s)") % {"number": notice.contract.number},
        detail=notice.reason,
        url=reverse("contract_detail", args=[notice.contract_id]),
    )


def register_timeline() -> None:
    register_panel(
        slot=CONTRACT,
        template="accounts/customer360/panel_contract.html",
        context=_contract_panel,
    )
    register_panel(
        slot=HOURS,
        template="accounts/customer360/panel_hours.html",
        context=_hours_panel,
        scripts=("vendor/chart.umd.min.js", "js/charts.js"),
    )
    register_source(
        name="contracts.charge",
        kind=CHARGES,
        rows=lambda organisation_id: LedgerEntry.objects.filter(
            organisation_id=organisation_id
        ).select_related("licence_year"),
        at="created_at",
        touchpoint=_charge,
    )
    register_source(
        name="contracts.activation",
        kind=EMAILS,
        rows=lambda organisation_id: Contract.objects.filter(organisation_id=organisation_id),
        at="activated_at",
        touchpoint=_activation,
    )
    register_source(
        name="contracts.terms",
        kind=TERMS,
        rows=lambda organisation_id: Acceptance.objects.filter(
            organisation_id=organisation_id
        ).select_related("document", "accepted_by"),
        at="accepted_at",
        touchpoint=_acceptance,
    )
    register_source(
        name="contracts.expiry_warning",
        kind=WARNINGS,
        rows=lambda organisation_id: ExpiryWarning.objects.filter(
            organisation_id=organisation_id
        ).select_related("contract"),
        at="sent_at",
        touchpoint=_expiry_warning,
    )
    register_source(
        name="contracts.cancellation",
        kind=CANCELLATIONS,
        rows=lambda organisation_id: CancellationNotice.objects.filter(
            organisation_id=organisation_id
        ).select_related("contract"),
        at="created_at",
        touchpoint=_cancellation,
    )
