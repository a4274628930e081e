"""SPEC L1, C5 at scale (issue 15): the daily sweep decides contract states and customer access
by set-based statements, so its statements do not grow with the contracts it leaves alone, and
its results are those of the per-contract rules in ``contracts.domain`` (the timing itself
belongs to ``make bench``, scripts/bench_jobs.py)."""

import itertools
from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from django_scopes import scopes_disabled

from accounts.models import Organisation
from contracts import domain, lifecycle
from contracts.models import READ_ONLY_DAYS, Contract

pytestmark = pytest.mark.django_db(transaction=True)


def contract(organisation, number: str, *, status: str, expires_on, renewal_of=None) -> Contract:
    starts_on = expires_on - timedelta(days=3 * 365 - 1)
    return Contract(
        organisation=organisation,
        number=number,
        sales_channel="direct",
        signed_on=starts_on - timedelta(days=10),
        starts_on=starts_on,
        expires_on=expires_on,
        hours_per_year=Decimal("40"),
        status=status,
        renewal_of=renewal_of,
    )


def untouched_customers(prefix: str, count: int) -> None:
    """Customers with one running contract far from its expiry: nothing for the sweep to do."""
    today = timezone.localdate()
    with scopes_disabled():
        organisations = Organisation.objects.bulk_create(
            Organisation(name=f"{prefix} {n} S.r.l.") for n in range(count)
        )
        Contract.objects.bulk_create(
            contract(
                o, f"{prefix}-{n}", status="active", expires_on=today + timedelta(days=200 + n)
            )
            for n, o in enumerate(organisations)
        )


def statements_of_daily_run() -> int:
    with CaptureQueriesContext(connection) as captured:
        lifecycle.run_daily()
    return len(captured)


def test_l1_daily_sweep_statements_do_not_grow_with_untouched_contracts(tenant_a):
    """SPEC L1, issue 15: the daily job runs as many statements with 5 untouched customers as
    with 55: no loop over every contract or every customer (5,000 contracts swept in seconds)."""
    lifecycle.run_daily()  # settles the tenant's own state
    untouched_customers("Pochi", 5)
    few = statements_of_daily_run()
    untouched_customers("Molti", 50)
    many = statements_of_daily_run()
    assert few == many


def reference_status(status: str, expires_on, today, renewed: bool) -> str:
    """What the per-contract job decided: running or read-only contracts past their expiry
    move by ``domain.contract_status_on``; any other contract stays as it is."""
    if status in ("active", "expired") and expires_on < today:
        return domain.contract_status_on(
            status=status,
            expires_on=expires_on,
            today=today,
            renewed=renewed,
            read_only_days=READ_ONLY_DAYS,
        )
    return status


def test_c5_l1_set_based_sweep_gives_the_states_and_access_of_the_domain_rules(db):
    """SPEC C5, L1: for every state × day around expiry (−5, 0, 1, 30, 31, 89) × renewal (none,
    a draft, a signed one), the set-based sweep leaves each contract in the state
    ``domain.contract_status_on`` gives and each customer with the access
    ``domain.organisation_access`` gives for its contracts; a second run changes nothing."""
    today = timezone.localdate()
    cases = list(
        itertools.product(
            ["draft", "active", "expired", "renewed", "closed"],
            [-5, 0, 1, 30, 31, 89],
            [None, "draft", "active"],
        )
    )
    expected: dict[int, str] = {}
    with scopes_disabled():
        for n, (status, days_after, renewal) in enumerate(cases):
            organisation = Organisation.objects.create(name=f"Caso {n} S.r.l.")
            expires_on = today - timedelta(days=days_after)
            old = contract(organisation, f"C{n}", status=status, expires_on=expires_on)
            old.save()
            if renewal:
                contract(
                    organisation,
                    f"C{n}-R",
                    status=renewal,
                    expires_on=expires_on + timedelta(days=3 * 365),
                    renewal_of=old,
                ).save()
            expected[old.pk] = reference_status(status, expires_on, today, renewal == "active")

    first = lifecycle.run_daily(today=today)
    second = lifecycle.run_daily(today=today)

    with scopes_disabled():
        states = dict(Contract.objects.filter(pk__in=expected).values_list("pk", "status"))
        assert states == expected
        for organisation in Organisation.objects.prefetch_related("contracts"):
            statuses = [c.status for c in organisation.contracts.all()]
            assert organisation.access == domain.organisation_access(statuses), statuses
    moved = sum(
        1 for (status, _, _), pk in zip(cases, expected, strict=True) if expected[pk] != status
    )
    assert sum(first.transitions.values()) == moved > 0
    assert second.transitions == {} and second.access_changed == 0
