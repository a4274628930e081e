"""The cockpit's stored ranking (issue 15, SPEC H10, S9, C5, T1–T3): the CSTM's and the admin's
home read their counts and their page of cards from ``accounts.HealthSnapshot``, refreshed
set-based by the providers every minute and soon after a committed write; the page is an index
read; the queries stay the same with 3 and 60 customers; another tenant never shows."""

import re
from datetime import datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from django_scopes import scope, scopes_disabled

from accounts import health_snapshots
from accounts.models import HealthSnapshot, Organisation
from accounts.tasks import health_snapshots_refresh
from contracts import services as contract_services
from csm_portal import cockpit
from csm_portal.celery import app as celery_app
from tests.cockpit.test_home import _busy_tenant, charge, ticket
from tests.cockpit.test_home import page_of as home_of
from tests.conftest import client_for, make_tenant

pytestmark = pytest.mark.django_db
ROME = ZoneInfo("Europe/Rome")


def order_on(page: str) -> list[int]:
    """The customers' ids in the order of their cards."""
    return [int(pk) for pk in re.findall(r'data-testid="customer-(\d+)"', page)]


def counts_on(page: str) -> tuple[int, int, int, int]:
    """(critical, at risk, good, alerts) as the tiles say (Italian)."""
    summary = page.split('data-testid="health-summary"', 1)[1]
    levels = [int(n) for n in re.findall(r'class="health health-\w+">(\d+) ', summary)[:3]]
    alerts = int(re.search(r'data-testid="alert-count">(\d+)<', page)[1])
    return (*levels, alerts)


def queries_of(user) -> tuple[int, str]:
    """Queries of a home view, warm: the snapshots refreshed (as beat does every minute) and a
    first view for the session."""
    health_snapshots.snapshots_refresh()
    client = client_for(user)
    client.get(reverse("home"))
    with CaptureQueriesContext(connection) as queries:
        response = client.get(reverse("home"))
    assert response.status_code == 200
    return len(queries), response.content.decode()


# --- Constant queries ------------------------------------------------------------------------


def test_issue15_cstm_and_admin_home_queries_are_the_same_for_3_and_60_customers(cstm, admin_user):
    """Issue 15: the CSTM's and the admin's home read one aggregate and one page of 50 from the
    stored ranking, cards included (no provider is asked): the same number of queries for
    3 busy customers as for 60 (two pages of cards for the admin)."""
    for index in range(3):
        _busy_tenant(index, cstm)
    cstm_few, page = queries_of(cstm)
    assert page.count("card customer-card") == 3
    admin_few, _page = queries_of(admin_user)
    for index in range(3, 60):
        _busy_tenant(index, cstm)
    cstm_many, page = queries_of(cstm)
    assert page.count("card customer-card") == 50
    assert 'data-testid="customer-count">60<' in page
    admin_many, page = queries_of(admin_user)
    assert page.count("card customer-card") == 50
    assert (cstm_few, admin_few) == (cstm_many, admin_many)
    # User, membership, assignments, MFA (4; the session comes from the cache); the aggregate
    # and the page with the stored health facts and alerts (2); no provider query.
    assert cstm_many == 6


# --- The page is an index read --------------------------------------------------------------


def _many_snapshots(n: int) -> list[int]:
    """``n`` customers with stored snapshots of every rank, then ANALYZE (no planner trick)."""
    with scopes_disabled():
        organisations = Organisation.objects.bulk_create(
            Organisation(name=f"Cliente {index:05d}", kind=Organisation.Kind.CUSTOMER)
            for index in range(n)
        )
        HealthSnapshot.objects.bulk_create(
            HealthSnapshot(
                organisation=organisation,
                level_rank=index % 3,
                worst_severity=(0, 1, 2, 9)[index % 4],
                alert_count=index % 5,
                name=organisation.name,
                refreshed_at=timezone.now(),
            )
            for index, organisation in enumerate(organisations)
        )
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE accounts_healthsnapshot")
        cursor.execute("ANALYZE accounts_organisation")
    return [o.pk for o in organisations]


def test_issue15_the_cockpit_page_is_read_down_the_rank_index():
    """Issue 15: with 20,000 stored snapshots the page of 50 (the admin's, every customer;
    a CSTM's, 250 of them) reads the index health_snapshot_rank or the primary key, never a
    sequential scan of the table."""
    ids = _many_snapshots(20_000)
    with scope(organisation=None):  # the admin's scope: every organisation
        admin_plan = health_snapshots.ranked()[100:150].explain()
    with scope(organisation=ids[::80][:250]):
        cstm_plan = health_snapshots.ranked()[0:50].explain()
    assert "health_snapshot_rank" in admin_plan, admin_plan
    for plan in (admin_plan, cstm_plan):
        assert "Seq Scan on accounts_healthsnapshot" not in plan, plan


# --- Invalidation: a committed write moves the customer on the next view ---------------------


# Committed for real (transactional tests): the marks run after commit, as in production.
committed = pytest.mark.django_db(transaction=True)


@pytest.fixture
def two_customers(tenant_a, cstm):
    """Alfa and Zulu, alike, Alfa first by name."""
    zulu = make_tenant("Zulu Trasporti S.r.l.", "zulu.example", cstm=cstm)
    page = home_of(cstm)
    assert order_on(page) == [tenant_a.organisation.pk, zulu.organisation.pk]
    return tenant_a, zulu


@committed
def test_issue15_h10_logging_hours_moves_the_customer_on_the_next_view(two_customers, cstm):
    """Issue 15, SPEC H10: hours charged to Zulu (96 % of the year's hours: a critical burn and
    a critical alert) put Zulu first, and the counts follow, on the CSTM's next view."""
    alfa, zulu = two_customers
    before = counts_on(home_of(cstm))
    charge(zulu, "25.5")
    page = home_of(cstm)
    assert order_on(page) == [zulu.organisation.pk, alfa.organisation.pk]
    critical, _at_risk, _good, alerts = counts_on(page)
    assert critical == before[0] + 1 and alerts == before[3] + 1


@committed
def test_issue15_s9_a_new_breaching_ticket_moves_the_customer_on_the_next_view(two_customers, cstm):
    """Issue 15, SPEC S9: a ticket of Zulu past its SLA target (a critical alert) puts Zulu
    before Alfa on the next view."""
    alfa, zulu = two_customers
    ticket(zulu, first_response_due=timezone.now() - timedelta(hours=1))
    page = home_of(cstm)
    assert order_on(page) == [zulu.organisation.pk, alfa.organisation.pk]
    assert counts_on(page)[3] >= 1


@committed
def test_issue15_l1_recording_a_renewal_moves_the_customer_on_the_next_view(two_customers, cstm):
    """Issue 15, SPEC L1, C5: seven days before Alfa's expiry with no renewal, Alfa is critical
    and first, before Zulu (whose contract runs a year longer, with one ticket past its SLA);
    recording Alfa's renewal puts it after Zulu on the next view."""
    alfa, zulu = two_customers
    contract = alfa.contract
    with scopes_disabled():
        type(contract).objects.filter(pk=zulu.contract.pk).update(
            expires_on=contract.expires_on + timedelta(days=400)
        )
    ticket(zulu, first_response_due=timezone.now() - timedelta(hours=1))
    moment = datetime.combine(
        contract.expires_on - timedelta(days=7), datetime.min.time(), ROME
    ) + timedelta(hours=10)
    with time_machine.travel(moment, tick=False):
        page = home_of(cstm)
        assert order_on(page) == [alfa.organisation.pk, zulu.organisation.pk]
        critical = counts_on(page)[0]
        with scopes_disabled():
            contract_services.contract_renew(
                contract=contract,
                number="RENEW-1",
                signed_on=timezone.localdate(),
                expires_on=contract.expires_on + timedelta(days=365),
                hours_per_year=Decimal("20"),
                by=cstm,
            )
        page = home_of(cstm)
        assert order_on(page) == [zulu.organisation.pk, alfa.organisation.pk]
        assert counts_on(page)[0] == critical - 1


@committed
def test_issue15_only_a_committed_write_marks_the_snapshot_once(two_customers):
    """Issue 15: a write rolled back marks nothing; a transaction touching two customers marks
    both once, after it commits."""
    from django.db import transaction

    alfa, zulu = two_customers

    def marks() -> dict[int, object]:
        with scopes_disabled():
            return dict(HealthSnapshot.objects.values_list("organisation_id", "marked_at"))

    assert set(marks().values()) == {None}
    with pytest.raises(RuntimeError), transaction.atomic():
        charge(zulu, "1")
        raise RuntimeError("rolled back")
    assert set(marks().values()) == {None}
    with CaptureQueriesContext(connection) as queries, transaction.atomic():
        charge(zulu, "1")
        charge(alfa, "1")
    marked = [q["sql"] for q in queries.captured_queries if '"marked_at"' in q["sql"]]
    assert len(marked) == 1
    assert None not in set(marks().values())


# --- The periodic refresh --------------------------------------------------------------------


def test_issue15_the_beat_task_refreshes_every_customer_to_the_reference_order(
    tenant_a, tenant_b, cstm, admin_user
):
    """Issue 15: the task beat sends every minute (queue default) recomputes every customer's
    snapshot; afterwards the admin's home lists the customers in the order of the reference
    ranking (``cockpit.customer_rows``, every provider over every customer)."""
    entry = celery_app.conf.beat_schedule["accounts-health-snapshots-refresh"]
    assert entry["task"] == "accounts.health_snapshots_refresh" and entry["schedule"] == 60.0
    assert celery_app.amqp.router.route({}, entry["task"])["queue"].name == "default"
    make_tenant("Charlie Cantieri S.r.l.", "charlie.example", cstm=cstm)
    charge(tenant_b, "25.5")
    assert health_snapshots_refresh.apply().get() == 3
    with scopes_disabled():
        wrong = HealthSnapshot.objects.get(organisation=tenant_b.organisation)
        assert wrong.level_rank == cockpit.LEVEL_ORDER["critical"]
        HealthSnapshot.objects.update(level_rank=2, worst_severity=9, alert_count=0)
        assert health_snapshots_refresh.apply().get() == 3
        customers = list(Organisation.objects.filter(kind=Organisation.Kind.CUSTOMER))
        rows = cockpit.customer_rows(customers, timezone.localdate())
    reference = [row.organisation.pk for row in rows]
    assert order_on(home_of(admin_user)) == reference
    assert reference[0] == tenant_b.organisation.pk


def test_issue15_a_stale_snapshot_is_refreshed_by_the_next_view(tenant_a, cstm):
    """Issue 15: a snapshot older than STALE_AFTER (the beat job stopped) is refreshed by the
    next view of the cockpit; a fresh one is not rewritten."""
    home_of(cstm)
    with scopes_disabled():
        old = timezone.now() - health_snapshots.STALE_AFTER - timedelta(minutes=1)
        HealthSnapshot.objects.update(refreshed_at=old, level_rank=2, alert_count=99)
    home_of(cstm)
    with scopes_disabled():
        snapshot = HealthSnapshot.objects.get(organisation=tenant_a.organisation)
    assert snapshot.refreshed_at > old and snapshot.alert_count != 99


# --- Tenancy ---------------------------------------------------------------------------------


def test_t2_cstm_cockpit_counts_and_pages_only_their_customers(tenant_a, tenant_b, cstm):
    """SPEC T2: every customer has a stored snapshot, Bravo a critical one with alerts; the
    CSTM's counts, alerts and cards cover Alfa only (Bravo is not assigned to them)."""
    charge(tenant_b, "25.5")
    with scopes_disabled():
        contract_services.cancellation_record(
            contract=tenant_b.contract, notice_on=timezone.localdate(), reason="x", by=None
        )
    health_snapshots.snapshots_refresh()
    page = home_of(cstm)
    assert order_on(page) == [tenant_a.organisation.pk]
    assert 'data-testid="customer-count">1<' in page
    critical, at_risk, good, alerts = counts_on(page)
    assert critical + at_risk + good == 1
    with scopes_disabled():
        alfa = HealthSnapshot.objects.get(organisation=tenant_a.organisation)
    assert alerts == alfa.alert_count
    assert tenant_b.organisation.name not in page


def test_t1_customers_and_agents_read_no_snapshot(tenant_a, agent):
    """SPEC T1: the stored ranking is the CSTM's and the admin's; a referent's or an agent's
    home reads none of it."""
    health_snapshots.snapshots_refresh()
    for user in (tenant_a.referent, agent):
        client = client_for(user)
        client.get(reverse("home"))
        with CaptureQueriesContext(connection) as queries:
            client.get(reverse("home"))
        assert not any("accounts_healthsnapshot" in q["sql"] for q in queries.captured_queries)


def test_issue15_a_new_customer_gets_its_snapshot_on_the_next_view(tenant_a, cstm):
    """Issue 15: a customer assigned since the last refresh has no snapshot yet: the next view
    computes it (for that customer only) and shows its card."""
    home_of(cstm)
    newcomer = make_tenant("Delta Dolciaria S.p.A.", "delta.example", cstm=cstm)
    page = home_of(cstm)
    assert newcomer.organisation.pk in order_on(page)
    with scopes_disabled():
        assert HealthSnapshot.objects.filter(organisation=newcomer.organisation).exists()


def test_issue15_the_home_says_how_old_a_lagging_ranking_is(tenant_a, cstm):
    """Issue 15: with the beat job running the home shows no date; when the oldest snapshot in
    scope is older than LAG_SHOWN_AFTER (yet not stale enough to be refreshed by the view) it
    says as of when the health, the order and the counts are."""
    assert 'data-testid="ranked-at"' not in home_of(cstm)
    with scopes_disabled():
        old = timezone.now() - health_snapshots.LAG_SHOWN_AFTER - timedelta(seconds=30)
        HealthSnapshot.objects.update(refreshed_at=old)
    page = home_of(cstm)
    assert 'data-testid="ranked-at"' in page
    assert timezone.localtime(old).strftime("%H:%M") in page
