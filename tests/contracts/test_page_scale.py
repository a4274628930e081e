"""Issue 15, pages and API under load (SPEC H10, T1–T3): every non-desk key route — each role's
home, the CSTM contract list, the customer-360, the referent hours page, the balance API and the
log-time write — runs the same number of queries with 2 customers (or ledger entries) as with
12, and the contract list's order is served by an index. Structure, not time: the timings are
``make bench``'s (scripts/bench_load.py)."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from django_scopes import scopes_disabled

from accounts.models import CstmAssignment
from contracts import services as contract_services
from contracts.models import Contract, LicenceYear
from tests.activities.conftest import kicked_off, log, once, requested  # noqa: F401
from tests.conftest import client_for, make_tenant

pytestmark = pytest.mark.django_db


def _customers(cstm, first: int, last: int) -> None:
    """Customers ``first``..``last - 1`` of the CSTM, each with charges and a reversal."""
    for index in range(first, last):
        tenant = make_tenant(f"Cliente {index:02d}", f"scala{index:02d}.example", cstm=cstm)
        _charges(tenant, 3)


def _charges(tenant, count: int) -> None:
    with scopes_disabled():
        year = tenant.contract.licence_years.get(index=1)
        for n in range(count):
            entry = contract_services.ledger_charge(
                licence_year=year,
                hours=Decimal("0.5"),
                description=f"Work {n}",
                occurred_on=timezone.localdate(),
                by=None,
                overdraft_allowed=None,
            )
        contract_services.ledger_reverse(entry=entry, reason="Wrong year", by=None)


def _queries(user, url: str, method: str = "get", data=None) -> int:
    client = client_for(user)
    client.get(url if method == "get" else reverse("home"))  # warm the session and caches
    with CaptureQueriesContext(connection) as captured:
        response = getattr(client, method)(url, *([data] if data is not None else []))
    assert response.status_code in (200, 302), (url, response.status_code)
    return len(captured)


@pytest.mark.parametrize("url", ["/", "/contracts/", "/api/v1/licence-years/"])
def test_h_the_cstm_pages_run_the_same_queries_for_2_and_12_customers(cstm, url):
    """The CSTM's home (cockpit and health of every customer), contract list and licence-year
    API: no query per customer, contract or licence year."""
    _customers(cstm, 0, 2)
    few = _queries(cstm, url)
    _customers(cstm, 2, 12)
    assert _queries(cstm, url) == few


@pytest.mark.parametrize("url", ["/", "/contracts/"])
def test_h_the_admin_pages_run_the_same_queries_for_2_and_12_customers(cstm, admin_user, url):
    """The admin's home (every customer's cockpit and the job health) and the contract list of
    every customer: the same queries for 2 and 12 customers."""
    _customers(cstm, 0, 2)
    few = _queries(admin_user, url)
    _customers(cstm, 2, 12)
    assert _queries(admin_user, url) == few


def test_h_the_customer_360_runs_the_same_queries_for_2_and_12_contracts(tenant_a, cstm):
    """The customer-360 of a customer with 2 then 12 renewed contracts, each with charges."""
    url = reverse("customer_360", args=[tenant_a.organisation.pk])
    _charges(tenant_a, 2)
    few = _queries(cstm, url)
    with scopes_disabled():
        for n in range(10):
            contract = Contract.objects.create(
                organisation=tenant_a.organisation,
                number=f"OLD-{n}",
                sales_channel="direct",
                signed_on=tenant_a.contract.signed_on - timedelta(days=400 * (n + 1)),
                starts_on=tenant_a.contract.starts_on - timedelta(days=400 * (n + 1)),
                expires_on=tenant_a.contract.starts_on - timedelta(days=400 * n + 36),
                hours_per_year=Decimal("20"),
                status=Contract.Status.CLOSED,
                cstm=cstm,
            )
            LicenceYear.objects.create(
                contract=contract,
                organisation=tenant_a.organisation,
                index=1,
                starts_on=contract.starts_on,
                ends_on=contract.expires_on,
                allocation=Decimal("20"),
            )
    _charges(tenant_a, 12)
    assert _queries(cstm, url) == few


@pytest.mark.parametrize("route", ["home", "hours", "balance"])
def test_h10_the_referent_pages_run_the_same_queries_for_2_and_12_ledger_entries(tenant_a, route):
    """The referent's home (live balance), hours page (every licence year and the ledger) and
    the balance API: the same queries with 2 as with 12 ledger entries and more years."""
    url = {
        "home": "/",
        "hours": reverse("hours"),
        "balance": f"/api/v1/contracts/{tenant_a.contract.pk}/balance/",
    }[route]
    _charges(tenant_a, 1)
    few = _queries(tenant_a.referent, url)
    _charges(tenant_a, 11)
    with scopes_disabled():
        year = tenant_a.contract.licence_years.get(index=1)
        contract_services.pack_add(licence_year=year, hours=Decimal("8"), by=None)
    assert _queries(tenant_a.referent, url) == few


def test_h3_logging_time_runs_the_same_queries_for_2_and_12_earlier_sessions(kicked_off, cstm):  # noqa: F811
    """The log-time write (a session, its charge, the warnings): the same queries whatever the
    request's and the year's history."""
    req = requested(kicked_off, "platform-support")
    url = reverse("work_log", args=[req.pk])
    data = {"worked_on": timezone.localdate().isoformat(), "minutes": "30"}
    for _ in range(2):
        log(req, cstm, 30)
    few = _queries(cstm, url, "post", once(data))
    for _ in range(10):
        log(req, cstm, 30)
    _charges(kicked_off, 10)
    assert _queries(cstm, url, "post", once(data)) == few


def test_t2_the_contract_list_order_is_served_by_an_index(cstm):
    """The contract list's page is found in the (expiry, number) index: its ids first, from
    the contracts table alone and in index order, then the page's rows with their relations.
    A deep page never sorts the joined rows of every contract."""
    from contracts import selectors

    _customers(cstm, 0, 2)
    with scopes_disabled(), CaptureQueriesContext(connection) as captured:
        selectors.IdsFirst(selectors.contract_list())[25:50]
    ids_query = captured.captured_queries[0]["sql"]
    assert "JOIN" not in ids_query and "LIMIT 25 OFFSET 25" in ids_query
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute(f"EXPLAIN {ids_query}")
        plan = "\n".join(row[0] for row in cursor.fetchall())
    assert "contract_expires_number" in plan, plan
    assert "Sort" not in plan, plan


def test_t2_the_contract_list_pages_hold_the_same_rows_in_the_same_order(cstm):
    """Paging by ids first gives exactly the pages of the plain list: same contracts, same
    order, each with its organisation, current licence year and CSTM."""
    from django.core.paginator import Paginator

    from contracts import selectors

    _customers(cstm, 0, 12)
    with scopes_disabled():
        plain = Paginator(selectors.contract_list(), 5)
        by_ids = Paginator(selectors.IdsFirst(selectors.contract_list()), 5)
        assert plain.count == by_ids.count == 12 and by_ids.num_pages == 3
        for number in (1, 2, 3):
            expected = list(plain.page(number))
            got = list(by_ids.page(number))
            assert [c.pk for c in got] == [c.pk for c in expected]
            assert [c.current_years[0].pk for c in got] == [c.current_years[0].pk for c in expected]
            assert [(c.organisation.name, c.cstm_id) for c in got] == [
                (c.organisation.name, c.cstm_id) for c in expected
            ]


def test_t2_the_cockpit_assignments_stay_scoped_to_the_cstm(cstm):
    """The cockpit's customers are those assigned to the CSTM today (SPEC T2): another CSTM's
    customers never appear, at either size."""
    from tests.factories import person, provider

    other = person(provider(), "cstm", email="other-cstm@provider.example")
    _customers(cstm, 0, 2)
    make_tenant("Altro", "altro.example", cstm=other)
    page = client_for(cstm).get("/").content.decode()
    with scopes_disabled():
        foreign = CstmAssignment.objects.get(cstm=other).organisation_id
    assert page.count("card customer-card") == 2
    assert f'data-testid="customer-{foreign}"' not in page


def test_t1_the_cockpit_any_lookup_finds_exactly_what_in_finds(cstm, tenant_b):
    """``organisation_id__any`` (one array parameter, issue 15) selects the same rows as
    ``__in`` — the given customers' and no other's — and nothing for no id."""
    import csm_portal.cockpit  # noqa: F401  (registers the lookup)

    _customers(cstm, 0, 3)
    with scopes_disabled():
        ids = list(
            CstmAssignment.objects.filter(cstm=cstm).values_list("organisation_id", flat=True)
        )
        assert tenant_b.organisation.pk not in ids
        for wanted in (ids, ids[:1], []):
            found = set(Contract.objects.filter(organisation_id__any=wanted).values_list("pk"))
            assert found == set(
                Contract.objects.filter(organisation_id__in=wanted).values_list("pk")
            )
        assert Contract.objects.filter(organisation_id__any=ids).count() == 3


def test_t1_the_360_charges_timeline_order_is_served_by_an_index(tenant_a):
    """The customer-360's charges, newest first, are read from the (organisation, created_at)
    index: no sort of every ledger entry of the customer."""
    from csm_portal import timeline

    source = next(s for s in timeline.sources() if s.name == "contracts.charge")
    with scopes_disabled():
        rows = source.rows(tenant_a.organisation.pk).order_by("-created_at", "-pk")[:26]
        sql, params = rows.query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute(f"EXPLAIN {sql}", params)
        plan = "\n".join(row[0] for row in cursor.fetchall())
    assert "ledger_org_created" in plan, plan
    assert "Sort" not in plan, plan


def test_t1_the_360_timeline_renders_only_the_touchpoints_of_its_page(tenant_a, monkeypatch):
    """Issue 15: every source gives its newest rows, but only the page's 25 are turned into
    touchpoints (titles, links, dates): the rest is never rendered."""
    import dataclasses

    from csm_portal import timeline

    _charges(tenant_a, 40)
    built = []
    for source in timeline.sources():
        original = source.touchpoint

        def counting(row, _original=original):
            built.append(row)
            return _original(row)

        monkeypatch.setitem(
            timeline._sources, source.name, dataclasses.replace(source, touchpoint=counting)
        )
    with scopes_disabled():
        page = timeline.timeline(organisation_id=tenant_a.organisation.pk)
    assert len(page.items) == timeline.PAGE_SIZE == len(built)
    assert page.next_cursor is not None


def test_h10_the_cockpit_pages_its_cards_and_counts_every_customer(cstm, monkeypatch):
    """Issue 15: the cockpit renders one page of customer cards (the most urgent first) while
    its tiles count every customer; the next page shows the others, none twice."""
    import re

    from accounts import views

    monkeypatch.setattr(views, "COCKPIT_PAGE_SIZE", 2)
    _customers(cstm, 0, 3)
    client = client_for(cstm)
    first = client.get("/").content.decode()
    second = client.get("/?page=2").content.decode()
    assert re.search(r'data-testid="customer-count">3<', first)
    shown = [re.findall(r'data-testid="customer-(\d+)"', page) for page in (first, second)]
    assert [len(ids) for ids in shown] == [2, 1]
    with scopes_disabled():
        assigned = set(
            CstmAssignment.objects.filter(cstm=cstm).values_list("organisation_id", flat=True)
        )
    assert {int(pk) for pk in shown[0] + shown[1]} == assigned
