"""Issue 15, the customer-360 at scale (SPEC H10, T1, T2). Structure, not time (the timings are
``make bench``'s): the page narrows the scope to the organisation it shows; its queries do not
grow with the customer's history; each timeline source and panel query is read from an index in
its order; the hours charts are summed per week in SQL and equal the daily reference; the charts
cached in Redis show a write on the very next request."""

import random
import re
from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from django_scopes import scope, scopes_disabled

from activities import selectors as activity_selectors
from activities.models import Activity, ActivityRequest, RequestCharge
from contracts import services as contract_services
from contracts.models import LedgerEntry
from contracts.timeline import hours_series, weekly_charges
from csm_portal import timeline
from tests.conftest import client_for, make_tenant
from tests.customer360.objects import add_touchpoints
from tickets.models import Ticket, TicketMessage

_numbers = iter(range(50_000_000, 59_999_999))


def url(tenant) -> str:
    return reverse("customer_360", args=[tenant.organisation.pk])


def _explain(queryset_or_sql, params=()) -> str:
    if hasattr(queryset_or_sql, "query"):
        queryset_or_sql, params = queryset_or_sql.query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute(f"EXPLAIN {queryset_or_sql}", params)
        return "\n".join(row[0] for row in cursor.fetchall())


def _full_sorts(plan: str) -> list[str]:
    """Sort nodes that sort every row read (an incremental sort of rows already in index order
    by their first key is allowed)."""
    return [line for line in plan.splitlines() if re.match(r"\s*(->\s+)?Sort\s+\(", line)]


def _fill_history(tenant, *, tickets: int, entries: int) -> None:
    """``tickets`` tickets with a reply and an acknowledgement each and ``entries`` ledger
    charges, written in bulk (the services are tested in their own apps)."""
    organisation = tenant.organisation
    now = timezone.now()
    with scopes_disabled():
        year = tenant.contract.licence_years.get(index=1)
        made = Ticket.objects.bulk_create(
            Ticket(
                organisation=organisation,
                number=f"T{next(_numbers)}",
                subject=f"history {n}",
                type=Ticket.Type.INCIDENT,
                category=Ticket.Category.MALFUNCTION,
                status=Ticket.Status.OPEN if n % 3 else Ticket.Status.CLOSED,
                requester=tenant.referent,
                requester_email=tenant.referent.email,
                created_at=now - timedelta(hours=n + 1),
                resolution_due=now + timedelta(hours=n),
            )
            for n in range(tickets)
        )
        TicketMessage.objects.bulk_create(
            TicketMessage(
                ticket=ticket,
                organisation=organisation,
                direction=direction,
                body_text="ok",
                created_at=ticket.created_at + timedelta(minutes=1),
            )
            for ticket in made
            for direction in (
                TicketMessage.Direction.INBOUND,
                TicketMessage.Direction.OUTBOUND,
                TicketMessage.Direction.AUTO,
            )
        )
        LedgerEntry.objects.bulk_create(
            LedgerEntry(
                licence_year=year,
                organisation=organisation,
                kind=LedgerEntry.Kind.CHARGE,
                hours=Decimal("0.25"),
                description=f"work {n}",
                occurred_on=year.starts_on + timedelta(days=n % 300),
                created_at=now - timedelta(hours=n + 1, minutes=30),
            )
            for n in range(entries)
        )


# --------------------------------------------------------------------------- tenancy


@pytest.mark.django_db
def test_t2_the_360_reads_only_the_organisation_it_shows(cstm):
    """The CSTM's scope holds all their customers; once the organisation is found in it, every
    query of the page says "this organisation" and no longer carries the list of the others
    (nothing more is visible: a subset of the scope). A customer not assigned is still 404."""
    tenants = [make_tenant(f"Cliente {n}", f"scope{n}.example", cstm=cstm) for n in range(3)]
    add_touchpoints(tenants[0], copies=2)
    client = client_for(cstm)
    client.get(url(tenants[0]))
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url(tenants[0]))
    assert response.status_code == 200
    others = {str(t.organisation.pk) for t in tenants[1:]}
    lists = [
        q["sql"]
        for q in captured.captured_queries
        if re.search(r'"organisation_id" IN \(', q["sql"])
        and others & set(re.findall(r"\d+", q["sql"]))
    ]
    # The organisation lookup itself is the one query still scoped to the CSTM's customers.
    assert len(lists) <= 1, lists
    with scopes_disabled():
        tenants[1].assignment.delete()
    from accounts.tenancy import tenancy_invalidate

    tenancy_invalidate()
    assert client_for(cstm).get(url(tenants[1])).status_code == 404


# --------------------------------------------------------------------------- query counts


@pytest.mark.django_db
def test_h_the_360_runs_the_same_queries_with_5_and_200_tickets_entries_and_events(tenant_a, cstm):
    """The page's queries are the same with a short and a long history (5 then 200 more
    tickets each with three messages, and ledger entries): every timeline source and panel is
    one bounded query."""
    client = client_for(cstm)
    client.get(url(tenant_a))
    add_touchpoints(tenant_a, copies=1)
    _fill_history(tenant_a, tickets=5, entries=5)
    with CaptureQueriesContext(connection) as few:
        assert client.get(url(tenant_a)).status_code == 200
    add_touchpoints(tenant_a, copies=3, label="more ")
    _fill_history(tenant_a, tickets=200, entries=200)
    with CaptureQueriesContext(connection) as many:
        assert client.get(url(tenant_a)).status_code == 200
    assert len(few) == len(many), [q["sql"][:80] for q in many.captured_queries]
    # The timeline is two queries whatever the number of sources: keys, then the page's rows.
    timeline_queries = [
        q for q in many.captured_queries if "UNION ALL" in q["sql"] or "to_jsonb(t0)" in q["sql"]
    ]
    assert len(timeline_queries) == 2


# --------------------------------------------------------------------------- query plans


BIG_TABLES = ("contracts_ledgerentry", "tickets_ticket", "tickets_ticketmessage")


@pytest.fixture
def big_history(tenant_a, tenant_b):
    """Enough rows on the big tables (ledger, tickets, their messages) for the planner to
    choose indexes as on a real desk, with statistics."""
    _fill_history(tenant_a, tickets=1500, entries=1500)
    _fill_history(tenant_b, tickets=1500, entries=1500)
    with connection.cursor() as cursor:
        for table in (
            "contracts_ledgerentry",
            "tickets_ticket",
            "tickets_ticketmessage",
            "activities_requestcharge",
        ):
            cursor.execute(f"ANALYZE {table}")
    yield tenant_a
    # ANALYZE writes a table's size in place, outside the test's transaction: measure the
    # tables again without this history, so later tests plan as they would have.
    with scopes_disabled():
        for tenant in (tenant_a, tenant_b):
            TicketMessage.objects.filter(organisation=tenant.organisation).delete()
            Ticket.objects.filter(organisation=tenant.organisation).delete()
            RequestCharge.objects.filter(organisation=tenant.organisation).delete()
            LedgerEntry.objects.filter(
                organisation=tenant.organisation, reverses__isnull=False
            ).delete()
            LedgerEntry.objects.filter(organisation=tenant.organisation).delete()
    with connection.cursor() as cursor:
        for table in BIG_TABLES + ("activities_requestcharge",):
            cursor.execute(f"ANALYZE {table}")


@pytest.mark.django_db
def test_t1_every_timeline_source_on_a_big_table_reads_its_index_in_order(big_history):
    """EXPLAIN of each timeline source's page query: no sequential scan of the ledger, the
    tickets or their messages, and no sort of the customer's rows — each is read from an index
    on (organisation[, direction], time), newest first, and stops at the page."""
    organisation_id = big_history.organisation.pk
    checked = []
    with scope(organisation=organisation_id):
        for source in timeline.sources():
            rows = timeline.source_rows(source, organisation_id=organisation_id)
            table = rows.model._meta.db_table
            if table not in BIG_TABLES:
                continue
            plan = _explain(rows)
            assert f"Seq Scan on {table}" not in plan, (source.name, plan)
            assert not _full_sorts(plan), (source.name, plan)
            checked.append(source.name)
            # The next page (keyset) is served the same way.
            cursor = timeline.Cursor(at=timezone.now(), source=source.name, pk=10**9)
            plan = _explain(
                timeline.source_rows(source, organisation_id=organisation_id, before=cursor)
            )
            assert f"Seq Scan on {table}" not in plan, (source.name, plan)
    assert {
        "contracts.charge",
        "tickets.opened",
        "tickets.reply",
        "tickets.acknowledgement",
    } <= set(checked)
    # The page's query over every source, and the query reading the page's rows back.
    with scope(organisation=organisation_id):
        branches = [
            (source, timeline.source_rows(source, organisation_id=organisation_id))
            for source in timeline.sources()
        ]
        sql, params = timeline._keys_query(branches, timeline.PAGE_SIZE)
        plan = _explain(sql, params)
        for table in BIG_TABLES:
            assert f"Seq Scan on {table}" not in plan, plan
        for source, rows in branches:
            if rows.model._meta.db_table in BIG_TABLES:
                ids = list(rows.values_list("pk", flat=True))
                sql, params, _paths = timeline._rows_query(source, rows, ids, organisation_id)
                plan = _explain(sql, params)
                for table in BIG_TABLES:
                    assert f"Seq Scan on {table}" not in plan, (source.name, plan)


@pytest.mark.django_db
def test_t1_the_open_tickets_panel_reads_its_index_nearest_deadline_first(big_history):
    """The open-tickets panel reads the customer's open tickets from the partial index in the
    panel's order (nearest resolution deadline first): no sort of every open ticket."""
    from tickets.timeline import _open_tickets_panel

    organisation = big_history.organisation
    with scope(organisation=organisation.pk), CaptureQueriesContext(connection) as captured:
        _open_tickets_panel(organisation=organisation, today=timezone.localdate())
    (query,) = captured.captured_queries
    with connection.cursor() as cursor:
        cursor.execute(f"EXPLAIN {query['sql']}")
        plan = "\n".join(row[0] for row in cursor.fetchall())
    assert "ticket_timeline_open_due" in plan, plan
    assert not _full_sorts(plan), plan


@pytest.mark.django_db
def test_h_the_recent_requests_charges_are_read_by_index_not_by_scanning_the_ledger(
    big_history, cstm
):
    """The recent-requests panel sums each request's charges through its charge links and
    their reversals (primary key and unique ``reverses`` index), never by filtering every ledger
    entry of the customer (which grows with its history)."""
    from activities.timeline import _activities_panel

    tenant = big_history
    _requests_with_charges(tenant)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE activities_requestcharge")
        cursor.execute("ANALYZE contracts_ledgerentry")
    organisation = tenant.organisation
    with scope(organisation=organisation.pk), CaptureQueriesContext(connection) as captured:
        _activities_panel(organisation=organisation, today=timezone.localdate())
    query = next(q for q in captured.captured_queries if "activities_activityrequest" in q["sql"])
    with connection.cursor() as cursor:
        cursor.execute(f"EXPLAIN {query['sql']}")
        plan = "\n".join(row[0] for row in cursor.fetchall())
    assert "Seq Scan on contracts_ledgerentry" not in plan, plan
    assert "contracts_ledgerentry_organisation_id" not in plan, plan
    assert "ledger_org_created" not in plan, plan


def _requests_with_charges(tenant) -> list[ActivityRequest]:
    with scopes_disabled():
        year = tenant.contract.licence_years.get(index=1)
        activity = Activity.objects.get(is_kickoff=True)
        made = []
        for n in range(4):
            request = ActivityRequest.objects.create(
                organisation=tenant.organisation,
                contract=tenant.contract,
                activity=activity,
                status=ActivityRequest.Status.IN_PROGRESS,
                channel=ActivityRequest.Channel.PORTAL,
                details=f"request {n}",
                minimum_hours=activity.minimum_hours,
                requested_by=tenant.referent,
            )
            for k in range(n + 1):
                entry = contract_services.ledger_charge(
                    licence_year=year,
                    hours=Decimal("0.75") * (k + 1),
                    description=f"request {n} session {k}",
                    occurred_on=year.starts_on,
                    by=None,
                    overdraft_allowed=None,
                )
                RequestCharge.objects.create(
                    request=request,
                    organisation=tenant.organisation,
                    entry=entry,
                    stage="work",
                    rule="test",
                )
                if k % 2:
                    contract_services.ledger_reverse(entry=entry, reason="wrong", by=None)
            made.append(request)
        return made


@pytest.mark.django_db
def test_h7_the_recent_requests_show_the_same_net_charge_as_the_request_page(tenant_a):
    """The panel's charged hours per request, net of reversals, equal the activities app's own
    figure (``selectors.with_charged``, the request page's) for requests with several charges,
    some reversed."""
    from activities.timeline import _activities_panel

    requests = _requests_with_charges(tenant_a)
    organisation = tenant_a.organisation
    with scope(organisation=organisation.pk):
        panel = _activities_panel(organisation=organisation, today=timezone.localdate())
        reference = {
            r.pk: r.charged_total
            for r in activity_selectors.with_charged(ActivityRequest.objects.all())
        }
    shown = {r.pk: r.charged_total for r in panel["recent_requests"]}
    assert set(shown) >= {r.pk for r in requests}
    assert shown == {pk: reference[pk] for pk in shown}
    assert any(total > 0 for total in shown.values())


# --------------------------------------------------------------------------- hours charts


@pytest.mark.django_db
def test_h10_the_weekly_sums_draw_the_same_chart_as_the_daily_charges(tenant_a):
    """Closed form against the reference: for random charges (before, inside and after the
    licence year) and random days, the series drawn from the per-week sums SQL returns equals
    the one drawn from the charges summed per day."""
    rng = random.Random(15)
    with scopes_disabled():
        year = tenant_a.contract.licence_years.get(index=1)
        LedgerEntry.objects.filter(licence_year=year).delete()
        length = (year.ends_on - year.starts_on).days
        LedgerEntry.objects.bulk_create(
            LedgerEntry(
                licence_year=year,
                organisation=tenant_a.organisation,
                kind=LedgerEntry.Kind.CHARGE,
                hours=Decimal(rng.randint(1, 40)) / 4,
                description="random",
                occurred_on=year.starts_on + timedelta(days=rng.randint(-20, length + 20)),
            )
            for _ in range(300)
        )
        daily: dict = {}
        for entry in LedgerEntry.objects.filter(licence_year=year):
            daily[entry.occurred_on] = daily.get(entry.occurred_on, Decimal("0")) + entry.hours
        days = [year.starts_on, year.ends_on, year.starts_on + timedelta(days=6)]
        days += [year.starts_on + timedelta(days=rng.randint(0, length + 30)) for _ in range(25)]
        for today in days:
            weekly = weekly_charges(year_ids=[year.pk], today=today)[year.pk]
            assert len(weekly) <= 2 * (length // 7 + 3)
            arguments = {
                "starts_on": year.starts_on,
                "ends_on": year.ends_on,
                "total": Decimal("100"),
                "today": today,
            }
            assert hours_series(**arguments, charged_by_day=weekly) == hours_series(
                **arguments, charged_by_day=daily
            ), today


def _chart_points(html: str, year_pk: int) -> list:
    import json

    match = re.search(
        rf'<script id="hours-chart-{year_pk}" type="application/json">(.*?)</script>', html
    )
    assert match, html
    return json.loads(match.group(1))["data"]["datasets"][0]["data"]


@pytest.mark.django_db(transaction=True)
def test_h10_a_charge_or_its_reversal_shows_on_the_next_360_despite_the_cached_chart(cstm):
    """The hours charts are kept in Redis under the licence-year row's version, which the
    ledger triggers renew with every charge: a request with nothing new draws no chart (no
    ledger query); a charge shows on the next request; so does its reversal, although it
    brings the year's total back to the value it had before the charge."""
    cache.clear()
    tenant = make_tenant("Cache S.p.A.", "cache.example", cstm=cstm)
    with scopes_disabled():
        year = tenant.contract.licence_years.get(index=1)
    client = client_for(cstm)
    before = _chart_points(client.get(url(tenant)).content.decode(), year.pk)
    with CaptureQueriesContext(connection) as captured:
        again = _chart_points(client.get(url(tenant)).content.decode(), year.pk)
    assert again == before
    ledger_sums = [
        q
        for q in captured.captured_queries
        if 'FROM "contracts_ledgerentry"' in q["sql"] and "SUM(" in q["sql"]
    ]
    assert not ledger_sums, "the cached chart was drawn again"

    with scopes_disabled():
        entry = contract_services.ledger_charge(
            licence_year=year,
            hours=Decimal("3"),
            description="cache test",
            occurred_on=timezone.localdate() - timedelta(days=1),
            by=None,
            overdraft_allowed=None,
        )
    charged = _chart_points(client.get(url(tenant)).content.decode(), year.pk)
    assert charged != before
    assert max(p for p in charged if p is not None) == max(p for p in before if p is not None) + 3

    with scopes_disabled():
        contract_services.ledger_reverse(entry=entry, reason="wrong customer", by=None)
        year.refresh_from_db()
    reversed_ = _chart_points(client.get(url(tenant)).content.decode(), year.pk)
    assert reversed_ != charged
    assert max(p for p in reversed_ if p is not None) == max(p for p in before if p is not None)


@pytest.mark.django_db(transaction=True)
def test_h10_a_new_hour_pack_shows_on_the_next_360_straight_line(cstm):
    """The chart's straight line is the year's hours (allocation and packs): a pack added to
    the year renews the row's version, so the next request draws the line anew."""
    cache.clear()
    tenant = make_tenant("Pacchetti S.p.A.", "packs.example", cstm=cstm)
    with scopes_disabled():
        year = tenant.contract.licence_years.get(index=1)
    client = client_for(cstm)
    html = client.get(url(tenant)).content.decode()
    import json

    def straight(page: str) -> list:
        match = re.search(
            rf'<script id="hours-chart-{year.pk}" type="application/json">(.*?)</script>', page
        )
        return json.loads(match.group(1))["data"]["datasets"][1]["data"]

    first = straight(html)
    from contracts.models import HourPack

    with scopes_disabled():
        HourPack.objects.create(**_pack_fields(year))
    assert straight(client.get(url(tenant)).content.decode())[-1] == first[-1] + 10


def _pack_fields(year) -> dict:
    return {"licence_year": year, "organisation": year.organisation, "hours": Decimal("10")}


@pytest.mark.django_db
def test_t1_the_two_query_timeline_pages_equal_one_query_per_source(tenant_a, cstm):
    """The timeline read in two queries (keys of every source, then the page's rows rebuilt
    from JSON) gives, page after page, exactly the touchpoints — titles, details, links, times,
    order, cursors — of reading each source with its own queryset, for every kind."""
    from django.core.files.base import ContentFile

    from contracts.models import Acceptance, TermsDocument

    add_touchpoints(tenant_a, copies=12, label="Eq ")
    document = TermsDocument(kind=TermsDocument.Kind.EULA, version="2026.9")
    document.file.save("eula.pdf", ContentFile(b"%PDF-1.4 eula"), save=True)
    with scopes_disabled():
        Acceptance.objects.create(
            organisation=tenant_a.organisation, document=document, accepted_by=tenant_a.referent
        )
    _requests_with_charges(tenant_a)
    organisation_id = tenant_a.organisation.pk

    def reference(before, kinds=None):
        found = []
        for source in timeline.sources(kinds):
            for row in timeline.source_rows(source, organisation_id=organisation_id, before=before):
                found.append((getattr(row, source.at), source.name, row.pk, source, row))
        found.sort(key=lambda f: (f[0], f[1], f[2]), reverse=True)
        return [
            (name, pk, at, source.touchpoint(row))
            for at, name, pk, source, row in found[: timeline.PAGE_SIZE]
        ]

    with scope(organisation=organisation_id):
        for kinds in (None, [timeline.TICKETS], [timeline.EMAILS, timeline.TERMS]):
            before, pages, seen = None, 0, set()
            while True:
                page = timeline.timeline(
                    organisation_id=organisation_id, kinds=kinds, before=before
                )
                expected = reference(before, kinds)
                assert [(t.source, t.pk, t.at) for t in page.items] == [
                    (name, pk, at) for name, pk, at, _t in expected
                ]
                for item, (_name, _pk, _at, touchpoint) in zip(page.items, expected, strict=True):
                    assert (item.title, item.detail, item.url) == (
                        touchpoint.title,
                        touchpoint.detail,
                        touchpoint.url,
                    )
                seen |= {t.source for t in page.items}
                pages += 1
                if page.next_cursor is None:
                    break
                before = page.next_cursor
            if kinds is None:
                assert pages >= 3
                # Every source with data (all but statements), their relations rebuilt.
                assert len(seen) >= len(timeline.sources()) - 1, seen
