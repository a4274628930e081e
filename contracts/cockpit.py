"""What contracts adds to the home pages (issue 14, SPEC H10, C5, L1): balance alerts at 80 % and
95 %, expiry alerts at 60/30/7 days, the hours facts of the customer's health, the referent's
hours with its burn bar, and when the daily lifecycle job last ran."""

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from django.core.cache import cache
from django.db.models import Exists, OuterRef
from django.urls import reverse
from django.utils import formats, timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from contracts import domain, selectors
from contracts.models import Contract, LicenceYear
from contracts.templatetags.hours import hours as hours_text
from csm_portal import cockpit, health

DAILY_RUN_CACHE_KEY = "csm:contracts-daily-run"
RUNNING = (Contract.Status.ACTIVE, Contract.Status.RENEWED)


def daily_run_recorded(report: dict) -> None:
    """Called by the daily task when it finished: the admin's home shows when and what."""
    cache.set(DAILY_RUN_CACHE_KEY, {"at": timezone.now(), "report": report}, timeout=None)


@dataclass(frozen=True)
class _Year:
    """The few facts of a current licence year the cockpit needs (no model instance: the admin's
    cockpit reads one per customer, thousands)."""

    contract_id: int
    index: int
    starts_on: date
    ends_on: date
    balance: domain.Balance


def _current_years(organisation_ids: list[int], today: date) -> dict[int, _Year]:
    """The current licence year of each organisation with its balance (one query, the stored
    totals). With two running contracts at once, the one most used speaks for the customer."""
    rows = (
        LicenceYear.objects.filter(
            organisation_id__any=organisation_ids,
            starts_on__lte=today,
            ends_on__gte=today,
            contract__status__in=RUNNING,
        )
        .order_by("contract_id", "index")
        .values_list(
            "organisation_id",
            "contract_id",
            "index",
            "starts_on",
            "ends_on",
            "allocation",
            "pack_hours",
            "charged_hours",
        )
    )
    found: dict[int, _Year] = {}
    for organisation_id, contract_id, index, starts_on, ends_on, allocation, packs, charged in rows:
        balance = domain.Balance(allocation=allocation, packs=packs, charged=charged)
        if balance.total <= 0:
            continue
        kept = found.get(organisation_id)
        if kept is None or balance.used_fraction > kept.balance.used_fraction:
            found[organisation_id] = _Year(contract_id, index, starts_on, ends_on, balance)
    return found


def _day(day: date) -> str:
    return formats.date_format(day, "DATE_FORMAT")


def _balance_sentence(params: dict[str, Any]) -> str:
    values = {"used": params["used"], "remaining": hours_text(Decimal(params["remaining"]))}
    return (
        _(
            "%(used)s%% of this licence year's hours are used (%(remaining)s h left): "
            "offer an extra pack."
        )
        % values
    )


def _expired_sentence(params: dict[str, Any]) -> str:
    values = {"number": params["number"], "date": _day(date.fromisoformat(params["date"]))}
    return (
        _(
            "Contract %(number)s expired on %(date)s and the customer is read-only: record "
            "the renewal."
        )
        % values
    )


def _expiry_sentence(params: dict[str, Any]) -> str:
    n = params["n"]
    values = {"number": params["number"], "date": _day(date.fromisoformat(params["date"])), "n": n}
    return (
        ngettext(
            "Contract %(number)s expires on %(date)s, in %(n)s day, and no renewal is recorded.",
            "Contract %(number)s expires on %(date)s, in %(n)s days, and no renewal is recorded.",
            n,
        )
        % values
    )


PHRASES = {
    "contracts.balance": _balance_sentence,
    "contracts.expired": _expired_sentence,
    "contracts.expiry": _expiry_sentence,
}


def balance_alerts(organisation_ids: list[int], today: date) -> list[cockpit.Alert]:
    """SPEC H10: a licence year past 80 % (warning) or 95 % (critical) of its hours; resolved by
    an extra pack (added on the contract's page the link opens) or by the next licence year."""
    alerts = []
    for organisation_id, year in _current_years(organisation_ids, today).items():
        balance = year.balance
        used = balance.used_percent
        if used < 80:
            continue
        alerts.append(
            cockpit.alert(
                organisation_id=organisation_id,
                severity=cockpit.CRITICAL if used >= 95 else cockpit.WARNING,
                phrase="contracts.balance",
                params={"used": used, "remaining": str(balance.remaining)},
                # The contract's page at this year: its balance, and the pack form for admins.
                url=f"{reverse('contract_detail', args=[year.contract_id])}?year={year.index}",
                code="balance_95" if used >= 95 else "balance_80",
            )
        )
    return alerts


def expiry_alerts(organisation_ids: list[int], today: date) -> list[cockpit.Alert]:
    """SPEC L1, C5: a contract expiring within 60, 30 or 7 days (or expired, read-only) with no
    renewal recorded; resolved by recording the renewal (the link opens its form)."""
    contracts = (
        Contract.objects.filter(
            organisation_id__any=organisation_ids,
            status__in=(Contract.Status.ACTIVE, Contract.Status.EXPIRED),
            expires_on__lte=today + timedelta(days=domain.EXPIRY_WARNING_DAYS[0]),
        )
        .annotate(renewed=Exists(Contract.objects.filter(renewal_of=OuterRef("pk"))))
        .filter(renewed=False)
        .only("pk", "organisation_id", "number", "expires_on", "status")
    )
    alerts = []
    for contract in contracts:
        days = (contract.expires_on - today).days
        params = {"number": contract.number, "date": contract.expires_on.isoformat()}
        if days < 0:
            severity, code, phrase = cockpit.CRITICAL, "expired", "contracts.expired"
        else:
            threshold = min(d for d in domain.EXPIRY_WARNING_DAYS if days <= d)
            severity = {7: cockpit.CRITICAL, 30: cockpit.WARNING}.get(threshold, cockpit.INFO)
            code, phrase = f"expiry_{threshold}", "contracts.expiry"
            params["n"] = days
        alerts.append(
            cockpit.alert(
                organisation_id=contract.organisation_id,
                severity=severity,
                phrase=phrase,
                params=params,
                url=reverse("contract_renew", args=[contract.pk]),
                code=code,
            )
        )
    return alerts


def hours_facts(organisation_ids: list[int], today: date) -> dict[int, dict[str, Any]]:
    """The burn of the current licence year (hours used against time elapsed)."""
    facts: dict[int, dict[str, Any]] = {}
    for organisation_id, year in _current_years(organisation_ids, today).items():
        elapsed = domain.elapsed_fraction(year.starts_on, year.ends_on, today)
        facts[organisation_id] = {
            "used_percent": year.balance.used_percent,
            "elapsed_percent": int(elapsed * 100),
        }
    return facts


def expiry_facts(organisation_ids: list[int], today: date) -> dict[int, dict[str, Any]]:
    """Days to the expiry of each customer's latest contract, and whether a renewal exists."""
    latest = (
        Contract.objects.filter(organisation_id__any=organisation_ids)
        .exclude(status=Contract.Status.DRAFT)
        .annotate(renewed=Exists(Contract.objects.filter(renewal_of=OuterRef("pk"))))
        .order_by("organisation_id", "-expires_on")
        .distinct("organisation_id")
        .values_list("organisation_id", "expires_on", "renewed")
    )
    return {
        organisation_id: {
            "days_to_expiry": (expires_on - today).days,
            "renewal_recorded": renewed,
        }
        for organisation_id, expires_on, renewed in latest
    }


def cancellation_facts(organisation_ids: list[int], today: date) -> dict[int, dict[str, Any]]:
    """SPEC C6: a cancellation notice not (yet) won back."""
    from contracts.models import CancellationNotice

    ids = (
        CancellationNotice.objects.filter(organisation_id__any=organisation_ids)
        .exclude(outcome=CancellationNotice.Outcome.WON_BACK)
        .order_by()
        .values_list("organisation_id", flat=True)
        .distinct()
    )
    return {organisation_id: {"cancellation_notice": True} for organisation_id in ids}


def hours_panel(request: Any, today: date) -> cockpit.Panel | None:
    """SPEC H10: the referent's live balance of the current licence year, with the burn bar.
    One narrow query (issue 15): the year open today and its stored totals."""
    row = selectors.current_year_of(
        organisation_id=request.tenancy.membership.organisation_id, today=today
    )
    context: dict[str, Any] = {"year": row, "balance": None, "elapsed": None}
    if row is not None:
        balance = domain.Balance(
            allocation=row["allocation"], packs=row["pack_hours"], charged=row["charged_hours"]
        )
        context["balance"] = balance
        context["elapsed"] = domain.elapsed_fraction(row["starts_on"], row["ends_on"], today)
        context["elapsed_percent"] = int(context["elapsed"] * 100)
        # The same threshold as the customer's health (csm_portal.health): no alarm for a
        # first charge in a young year.
        ahead = balance.used_percent - context["elapsed_percent"]
        context["burning_fast"] = ahead >= health.BURN_AHEAD_AT_RISK
    return cockpit.Panel("accounts/home/hours.html", context)


def jobs_panel(request: Any, today: date) -> cockpit.Panel | None:
    """SPEC L1, L4: when the daily lifecycle job last finished, and what it did."""
    return cockpit.Panel(
        "accounts/home/daily_run.html", {"daily_run": cache.get(DAILY_RUN_CACHE_KEY)}
    )


def register() -> None:
    from contracts.models import CancellationNotice, HourPack, LedgerEntry

    # Issue 15: saving these moves a customer's health or alerts on the stored cockpit.
    for model in (Contract, LicenceYear, HourPack, LedgerEntry, CancellationNotice):
        cockpit.watch(model)
    cockpit.register_phrases(PHRASES)
    cockpit.register_alerts("contracts.balance", balance_alerts)
    cockpit.register_alerts("contracts.expiry", expiry_alerts)
    cockpit.register_facts("contracts.hours", hours_facts)
    cockpit.register_facts("contracts.expiry", expiry_facts)
    cockpit.register_facts("contracts.cancellation", cancellation_facts)
    cockpit.register_panel(
        "contracts.hours", audiences=(cockpit.REFERENT,), provider=hours_panel, order=10
    )
    cockpit.register_panel(
        "contracts.daily_run", audiences=(cockpit.JOBS,), provider=jobs_panel, order=10
    )
