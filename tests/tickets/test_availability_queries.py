"""Issue 14 (SPEC S9, issue 15 convention): the KPI page's availability overview looks up the
customers' contractual targets in one query, not one per customer with an outage; the targets
are the same as the one-customer rule gives."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from django_scopes import scopes_disabled

from tests.factories import OrganisationFactory, contract_for
from tests.tickets.conftest import sla_policy
from tickets import continuity, selectors
from tickets.models import Outage, Ticket

pytestmark = pytest.mark.django_db


def customers_with_outages(count: int, start: int = 0) -> list:
    """``count`` customers, each with an outage this month; every other one with its own
    contract's incident target (and one with two contracts: the later one wins), the rest left
    to the general target."""
    now = timezone.now()
    found = []
    with scopes_disabled():
        for n in range(start, start + count):
            organisation = OrganisationFactory(name=f"Cliente {n}", domain=f"cliente{n}.example")
            contract = contract_for(organisation)
            if n % 2:
                sla_policy(
                    name=f"Incident {n}",
                    ticket_type="incident",
                    priority="urgent",
                    contract=contract,
                    first_response_minutes=60,
                    resolution_minutes=480,
                    availability_target=Decimal("99.") + Decimal(n) / 1000,
                )
            ticket = Ticket.objects.create(
                organisation=organisation,
                subject="Fermo",
                type=Ticket.Type.INCIDENT,
                category=Ticket.Category.MALFUNCTION,
                requester_email=f"a@cliente{n}.example",
                number=f"T{30000000 + n}",
            )
            Outage.objects.create(
                organisation=organisation,
                ticket=ticket,
                service="Piattaforma",
                started_at=now - timedelta(hours=3),
                ended_at=now - timedelta(hours=2),
            )
            found.append(organisation)
    return found


@pytest.fixture
def general_target():
    sla_policy(
        name="General incident",
        ticket_type="incident",
        priority="urgent",
        first_response_minutes=60,
        resolution_minutes=480,
        availability_target=Decimal("99.5"),
    )


def overview_queries() -> tuple[int, list[dict]]:
    with scopes_disabled(), CaptureQueriesContext(connection) as queries:
        overview = selectors.availability_overview(months=3)
    return len(queries.captured_queries), overview


def test_s9_availability_targets_in_one_query_at_2_and_8_customers(general_target):
    """Query counts equal at 2 and 8 customers with outages (before: 2 + one or two per
    customer), and each customer's target is the one-customer rule's."""
    customers_with_outages(2)
    small, overview = overview_queries()
    assert len(overview) == 2
    customers_with_outages(6, start=2)
    large, overview = overview_queries()
    assert len(overview) == 8
    assert small == large == 2, (small, large)
    with scopes_disabled():
        for row in overview:
            expected = selectors.availability_target(row["organisation"])
            assert row["months"][-1].target == expected
    targets = {row["organisation"].name: row["months"][-1].target for row in overview}
    assert targets["Cliente 0"] == Decimal("99.5")  # the general target
    assert targets["Cliente 3"] == Decimal("99.003")  # its contract's


def test_s9_the_latest_contract_with_a_target_wins_and_no_target_is_none():
    """The pure rule: the latest contract's highest target, else the highest general one,
    else none."""
    from datetime import date

    older, newer = date(2025, 1, 1), date(2026, 1, 1)
    own = [(older, Decimal("99.9")), (newer, Decimal("99.1")), (newer, Decimal("99.2"))]
    assert continuity.target_of(own, [Decimal("99.5")]) == Decimal("99.2")
    assert continuity.target_of([], [Decimal("99.5"), Decimal("98")]) == Decimal("99.5")
    assert continuity.target_of([], []) is None
