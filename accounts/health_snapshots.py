"""The cockpit's stored ranking (issue 15, SPEC H10, S9, T1–T3): each customer's place on the
CSTM's and the admin's home, kept in ``accounts.HealthSnapshot`` so that a home costs the same
with 30 customers as with 2,000.

- **Refreshed set-based** by the providers of ``csm_portal.cockpit`` (the apps' alerts and
  facts, a constant number of queries per 500 customers): every customer each minute
  (``accounts.health_snapshots_refresh``, celery beat, queue default), and any customer a write
  touched, soon after: the apps ``watch`` the models that move a customer, and after the
  transaction commits ``snapshots_mark`` stamps ``marked_at``; a snapshot marked after it was
  refreshed is stale.
- **Read** by the home in two queries: one aggregate over the customers in scope (counts by
  health level, alerts, how many snapshots are missing or stale) and one page of cards down the
  index ``health_snapshot_rank``. The cards come from the snapshot too: the health with its
  reasons from the stored facts, the alerts from their stored phrases and parameters
  (language-neutral), both said in the reader's language when read; so cards, order and
  counts are as fresh as the snapshot (the minute, or the next view after a write).
- **Stale or missing** snapshots in the reader's scope (a new customer, a write just committed,
  a beat that stopped) are refreshed by the request itself, at most ``DRAIN_LIMIT`` customers at
  a time (the most urgent first is meaningless for an unknown rank: the oldest first); more are
  left to the periodic task.

The scope is the request's (django-scopes): the aggregate and the page read through scoped
managers, so a CSTM counts and pages their assigned customers only (SPEC T2); the refresh itself
runs unscoped on ids taken from the scoped read.
"""

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from django.core.paginator import Page, Paginator
from django.db.models import Count, F, Min, Q, Sum, Value
from django.db.models.functions import Coalesce
from django.utils import timezone
from django_scopes import scopes_disabled

from accounts.models import HealthSnapshot, Organisation
from csm_portal import cockpit
from csm_portal.health import AT_RISK, CRITICAL, GOOD, health_of

# The cockpit's order, as the index health_snapshot_rank (csm_portal.cockpit.rank_of).
ORDER = ("level_rank", "worst_severity", "-alert_count", "name", "organisation_id")
# A snapshot refreshed longer ago than this is stale even unmarked: time alone moves a customer
# (an SLA target passes, a contract comes closer to its expiry); beat refreshes every minute.
STALE_AFTER = timedelta(minutes=5)
# Marks and refreshes are stamped by the application's clock: a mark this close before a
# refresh began may not be covered by it (several web nodes), so it is refreshed once more.
CLOCK_SKEW = timedelta(seconds=2)
# The home says how old its order and counts are only past this (the beat job stopped).
LAG_SHOWN_AFTER = timedelta(minutes=3)
# At most this many customers are refreshed inside one page view; the rest wait for the task.
DRAIN_LIMIT = 50
# Customers refreshed together (one round of provider queries).
CHUNK = 500
UPDATED_FIELDS = (
    "level_rank",
    "worst_severity",
    "alert_count",
    "name",
    "facts",
    "alerts",
    "refreshed_at",
)


def _customers():
    return Organisation.objects.filter(kind=Organisation.Kind.CUSTOMER)


def snapshots_refresh(
    *, organisation_ids: list[int] | None = None, today: date | None = None
) -> int:
    """Compute and store the snapshot of the given customers (every customer with None) from
    the registered providers; returns how many were stored. Set-based: a constant number of
    queries per ``CHUNK`` customers. Organisations that are not (or no longer) customers lose
    their snapshot."""
    today = today or timezone.localdate()
    with scopes_disabled():
        customers = _customers()
        if organisation_ids is not None:
            customers = customers.filter(pk__any=list(organisation_ids))
        found = list(customers.order_by("pk").only("pk", "name"))
        for start in range(0, len(found), CHUNK):
            _store(found[start : start + CHUNK], today)
        if organisation_ids is None:
            HealthSnapshot.objects.exclude(organisation__kind=Organisation.Kind.CUSTOMER).delete()
        elif gone := set(organisation_ids) - {o.pk for o in found}:
            HealthSnapshot.objects.filter(organisation_id__any=sorted(gone)).delete()
    return len(found)


def _store(organisations: list[Organisation], today: date) -> None:
    started = timezone.now()  # what is read below is at least this fresh
    snapshots = []
    for row in cockpit.rows_for(organisations, today):
        level, worst, count = cockpit.rank_of(row.health, row.alerts)
        snapshots.append(
            HealthSnapshot(
                organisation_id=row.organisation.pk,
                level_rank=level,
                worst_severity=worst,
                alert_count=count,
                name=row.organisation.name,
                facts=cockpit.facts_values(row.facts),
                alerts=[cockpit.alert_values(a) for a in row.alerts],
                refreshed_at=started,
            )
        )
    HealthSnapshot.objects.bulk_create(
        snapshots,
        update_conflicts=True,
        unique_fields=["organisation"],
        update_fields=list(UPDATED_FIELDS),
    )


def snapshots_mark(organisation_ids: set[int]) -> None:
    """A write touching these organisations committed: their snapshots are stale (one UPDATE;
    a customer with no snapshot yet is missing, which the home already refreshes)."""
    if organisation_ids:
        HealthSnapshot.objects.with_scopes_disabled().filter(
            organisation_id__any=sorted(organisation_ids)
        ).update(marked_at=timezone.now())


def _stale(now: datetime) -> Q:
    return (
        Q(health_snapshot__isnull=True)
        | Q(health_snapshot__refreshed_at__lt=now - STALE_AFTER)
        | Q(health_snapshot__marked_at__gt=F("health_snapshot__refreshed_at") - Value(CLOCK_SKEW))
    )


def _summary(now: datetime) -> dict[str, Any]:
    return _customers().aggregate(
        total=Count("pk"),
        critical=Count("pk", filter=Q(health_snapshot__level_rank=cockpit.LEVEL_ORDER[CRITICAL])),
        at_risk=Count("pk", filter=Q(health_snapshot__level_rank=cockpit.LEVEL_ORDER[AT_RISK])),
        good=Count("pk", filter=Q(health_snapshot__level_rank=cockpit.LEVEL_ORDER[GOOD])),
        alerts=Coalesce(Sum("health_snapshot__alert_count"), 0),
        stale=Count("pk", filter=_stale(now)),
        ranked_at=Min("health_snapshot__refreshed_at"),
    )


@dataclass(frozen=True)
class Cockpit:
    """What the CSTM's and the admin's home show: the counts over every customer in scope and
    one page of cards (``csm_portal.cockpit.CustomerRow``, stored), the most urgent first."""

    total: int
    health_counts: dict[str, int]
    alert_count: int
    page: Page
    ranked_at: datetime | None  # the oldest snapshot's refresh

    @property
    def ranking_lags(self) -> bool:
        return self.ranked_at is not None and timezone.now() - self.ranked_at > LAG_SHOWN_AFTER


def ranked():
    """The customers in scope, the most urgent first, down the index health_snapshot_rank. The
    snapshots stand for their organisations (pk and name) on the cards."""
    shown = ("organisation_id", "name", "facts", "alerts")
    return HealthSnapshot.objects.order_by(*ORDER).only(*shown)


def cockpit_page(*, page_number: Any, per_page: int, today: date) -> Cockpit:
    """The cockpit of the current scope: a constant number of queries when every snapshot in
    scope is fresh (the aggregate, the page, the providers for the page's customers)."""
    now = timezone.now()
    summary = _summary(now)
    if summary["stale"]:
        stale = list(
            _customers()
            .filter(_stale(now))
            .order_by(F("health_snapshot__refreshed_at").asc(nulls_first=True), "pk")
            .values_list("pk", flat=True)[:DRAIN_LIMIT]
        )
        snapshots_refresh(organisation_ids=stale, today=today)
        summary = _summary(now)
    paginator = Paginator(ranked(), per_page)
    paginator.count = summary["total"]  # known from the aggregate: no COUNT(*) query
    page = paginator.get_page(page_number)
    # The cards are the stored ones, so they agree with the order and the counts: the health
    # (level and reasons) from the stored facts, the alerts from their stored phrases and
    # parameters, said now in the reader's language (no provider query per view).
    rows = []
    for snapshot in page.object_list:
        facts = cockpit.facts_from(snapshot.facts)
        rows.append(
            cockpit.CustomerRow(
                organisation=snapshot,
                alerts=cockpit.stored_alerts(snapshot.alerts),
                health=health_of(facts),
                facts=facts,
            )
        )
    page.object_list = rows
    return Cockpit(
        total=summary["total"],
        health_counts={
            "critical": summary["critical"],
            "at_risk": summary["at_risk"],
            "good": summary["good"],
        },
        alert_count=summary["alerts"],
        page=page,
        ranked_at=summary["ranked_at"],
    )


def register() -> None:
    """Called from ``AccountsConfig.ready()``: committed writes mark snapshots stale; renaming
    an organisation (or changing its kind) moves it too."""
    cockpit.register_marker("accounts.health_snapshots", snapshots_mark)
    cockpit.watch(Organisation, organisation="pk")
