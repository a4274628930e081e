"""SPEC H9, issue 15: each licence year stores the running totals of its packs and net charges
(kept by PostgreSQL triggers, migration 0006). Whatever writes a pack or a ledger entry — the
services, a correction, ``bulk_create``, an admin's edit, a deletion — the stored totals equal the
sums over the rows, exact decimals, and a balance is read without summing the ledger."""

from decimal import Decimal

import pytest
from django.db import connection
from django.db.models import Sum
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from django_scopes import scopes_disabled
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from contracts import selectors, services
from contracts.models import HourPack, LedgerEntry, LicenceYear

pytestmark = pytest.mark.django_db

HALF_HOURS = st.integers(min_value=1, max_value=80).map(lambda n: Decimal(n) / 2)
WRITES = st.lists(
    st.one_of(
        st.tuples(st.just("charge"), HALF_HOURS),
        st.tuples(st.just("reverse"), st.integers(min_value=0, max_value=50)),
        st.tuples(st.just("pack"), st.integers(min_value=16, max_value=80).map(Decimal)),
        st.tuples(st.just("bulk"), st.lists(HALF_HOURS, min_size=1, max_size=5)),
        st.tuples(st.just("edit_pack"), st.integers(min_value=8, max_value=40).map(Decimal)),
        st.tuples(st.just("delete_pack"), st.just(None)),
        st.tuples(st.just("save_stale_year"), st.just(None)),
    ),
    min_size=1,
    max_size=12,
)


def _sums(year: LicenceYear) -> tuple[Decimal, Decimal]:
    """The slow reference: the sums over the rows."""
    packs = HourPack.objects.filter(licence_year=year).aggregate(t=Sum("hours"))["t"]
    charged = LedgerEntry.objects.filter(licence_year=year).aggregate(t=Sum("hours"))["t"]
    return packs or Decimal("0"), charged or Decimal("0")


def _write(year: LicenceYear, kind: str, value, stale: LicenceYear) -> None:
    today = timezone.localdate()
    if kind == "charge":
        services.ledger_charge(
            licence_year=year,
            hours=value,
            description="Work",
            occurred_on=today,
            by=None,
            overdraft_allowed=None,
        )
    elif kind == "reverse":
        open_charges = list(
            LedgerEntry.objects.filter(
                licence_year=year, kind="charge", reversed_by__isnull=True
            ).order_by("pk")
        )
        if open_charges:
            services.ledger_reverse(
                entry=open_charges[value % len(open_charges)], reason="Wrong type", by=None
            )
    elif kind == "pack":
        services.pack_add(licence_year=year, hours=value, by=None)
    elif kind == "bulk":
        LedgerEntry.objects.bulk_create(
            LedgerEntry(
                licence_year=year,
                organisation_id=year.organisation_id,
                kind="charge",
                hours=hours,
                description="Imported",
                occurred_on=today,
            )
            for hours in value
        )
    elif kind == "edit_pack":  # what Django admin's change form does
        pack = HourPack.objects.filter(licence_year=year).order_by("pk").first()
        if pack is not None:
            pack.hours = value
            pack.save()
    elif kind == "delete_pack":
        HourPack.objects.filter(
            pk__in=HourPack.objects.filter(licence_year=year).order_by("-pk").values("pk")[:1]
        ).delete()
    elif kind == "save_stale_year":  # a year read before the writes, saved back
        stale.save()


@settings(
    max_examples=30,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(writes=WRITES)
def test_h9_the_stored_balance_equals_the_sums_after_every_kind_of_write(tenant_a, writes):
    """After every write — charge, correction (reversal), pack, bulk import, a pack edited or
    deleted, a stale licence year saved back — the stored totals equal the sums over the rows,
    and the balance the pages show is allocation + packs − net charges, exact."""
    with scopes_disabled():
        year = tenant_a.contract.licence_years.get(index=1)
        stale = LicenceYear.objects.get(pk=year.pk)
        for kind, value in writes:
            _write(year, kind, value, stale)
            fresh = LicenceYear.objects.get(pk=year.pk)
            packs, charged = _sums(year)
            assert (fresh.pack_hours, fresh.charged_hours) == (packs, charged), kind
            balance = selectors.balance_of(selectors.licence_year_get(licence_year_id=year.pk))
            assert isinstance(balance.remaining, Decimal)
            assert balance.remaining == fresh.allocation + packs - charged


def test_h9_a_charge_and_its_reversal_update_the_totals_in_their_own_transaction(tenant_a):
    """The totals move in the same statement as the ledger write: a write rolled back leaves
    them as they were (no drift between the ledger and the balance)."""
    from django.db import transaction

    with scopes_disabled():
        year = tenant_a.contract.licence_years.get(index=1)
        before = LicenceYear.objects.get(pk=year.pk).charged_hours
        with pytest.raises(RuntimeError), transaction.atomic():
            services.ledger_charge(
                licence_year=year,
                hours=Decimal("4"),
                description="Rolled back",
                occurred_on=timezone.localdate(),
                by=None,
            )
            assert LicenceYear.objects.get(pk=year.pk).charged_hours == before + 4
            raise RuntimeError
        assert LicenceYear.objects.get(pk=year.pk).charged_hours == before
        services.ledger_reverse(entry=tenant_a.entry, reason="Not ours", by=None)
        assert LicenceYear.objects.get(pk=year.pk).charged_hours == before - Decimal("1.5")


def test_h10_reading_balances_never_sums_the_ledger(tenant_a):
    """Issue 15: the balance selectors read the stored totals; no query aggregates the ledger
    or the packs, so a balance costs the same whatever the ledger's length."""
    with scopes_disabled(), CaptureQueriesContext(connection) as queries:
        list(selectors.hours_overview(organisation=tenant_a.organisation))
        list(selectors.contract_list())
        selectors.contract_years(contract=tenant_a.contract)
    sql = " ".join(q["sql"] for q in queries.captured_queries)
    assert "contracts_licenceyear" in sql
    assert "SUM(" not in sql.upper()


@pytest.mark.django_db(transaction=True)
def test_h9_concurrent_charges_and_reversals_keep_the_stored_totals_exact(cstm):
    """Four connections charge and reverse the same licence year at once: the stored total is
    still exactly the sum of the ledger (each write adds under the licence-year row's lock)."""
    import threading

    from django.db import connections

    from tests.conftest import make_tenant

    tenant = make_tenant("Concorrente", "concorrente.example", cstm=cstm)
    with scopes_disabled():
        year = tenant.contract.licence_years.get(index=1)
    errors: list[BaseException] = []

    def work(n: int) -> None:
        try:
            with scopes_disabled():
                for k in range(5):
                    entry = services.ledger_charge(
                        licence_year=year,
                        hours=Decimal("0.5") * (n + 1),
                        description=f"Thread {n}.{k}",
                        occurred_on=timezone.localdate(),
                        by=None,
                        overdraft_allowed=None,
                    )
                    if k % 2:
                        services.ledger_reverse(entry=entry, reason="Twice", by=None)
        except BaseException as error:  # noqa: BLE001  (reported by the main thread)
            errors.append(error)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=work, args=(n,)) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors
    with scopes_disabled():
        packs, charged = _sums(year)
        fresh = LicenceYear.objects.get(pk=year.pk)
        assert (fresh.pack_hours, fresh.charged_hours) == (packs, charged)
        assert LedgerEntry.objects.filter(licence_year=year).count() == 1 + 4 * 5 + 4 * 2
