"""What contracts tells the customer-360 (issue 14): the contract and its renewal date, hours used
over each licence year against the straight line of time (SPEC H10), and the touchpoints —
charges, the activation e-mail, terms accepted, expiry warnings, cancellation notices."""

from collections import defaultdict
from datetime import date, timedelta
from decimal import Decimal

from django.db.models import Sum
from django.urls import reverse
from django.utils.formats import date_format
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


def _hours_panel(*, organisation, today: date) -> dict:
    # 1 query: the licence years with their balances; 1: the charges summed per year and day.
    years = list(
        licence_years_with_balances()
        .filter(contract__organisation=organisation)
        .exclude(contract__status=Contract.Status.DRAFT)
        .filter(starts_on__lte=today)  # years to come have nothing to show yet
        .select_related("contract")
        .order_by("-starts_on", "-pk")[:CHARTED_YEARS]
    )
    by_year: dict[int, dict[date, Decimal]] = defaultdict(dict)
    if years:
        sums = (
            LedgerEntry.objects.filter(licence_year__in=[y.pk for y in years])
            .order_by()
            .values("licence_year", "occurred_on")
            .annotate(total=Sum("hours"))
        )
        for row in sums:
            by_year[row["licence_year"]][row["occurred_on"]] = row["total"]
    charted = []
    for year in years:
        balance = balance_of(year)
        days, cumulative, straight = hours_series(
            starts_on=year.starts_on,
            ends_on=year.ends_on,
            total=balance.total,
            charged_by_day=by_year[year.pk],
            today=today,
        )
        charted.append(
            {
                "year": year,
                "balance": balance,
                "elapsed_percent": int(
                    domain.elapsed_fraction(year.starts_on, year.ends_on, today) * 100
                ),
                "chart_id": f"hours-chart-{year.pk}",
                "chart": charts.cumulative_against_time(
                    labels=[date_format(day, "SHORT_DATE_FORMAT") for day in days],
                    cumulative=cumulative,
                    straight=straight,
                    cumulative_label=_("Hours charged (cumulative)"),
                    straight_label=_("Time elapsed (even use of the hours)"),
                ),
            }
        )
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
