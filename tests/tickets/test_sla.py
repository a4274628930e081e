"""SLA deadlines count only support hours: 09:00–18:00 Europe/Rome, Monday–Friday, without
Italian national holidays from the holidays library (SPEC S5)."""

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from django_scopes import scopes_disabled

from csm_portal.business_calendar import add_support_minutes, support_minutes_between
from tests.tickets.conftest import sla_policy
from tickets import sla
from tickets.models import Ticket

ROME = ZoneInfo("Europe/Rome")
UTC = ZoneInfo("UTC")


def rome(*args) -> datetime:
    return datetime(*args, tzinfo=ROME)


@pytest.mark.parametrize(
    ("start", "minutes", "due", "why"),
    [
        (rome(2026, 11, 20, 17, 30), 60, rome(2026, 11, 23, 9, 30), "Friday 17:30 + 1 h → Monday"),
        (rome(2026, 11, 21, 11, 0), 30, rome(2026, 11, 23, 9, 30), "Saturday waits for Monday"),
        (rome(2026, 11, 23, 7, 0), 30, rome(2026, 11, 23, 9, 30), "before opening"),
        (rome(2026, 4, 3, 17, 0), 120, rome(2026, 4, 7, 10, 0), "Easter Monday skipped"),
        (rome(2026, 12, 24, 17, 0), 120, rome(2026, 12, 28, 10, 0), "25 and 26 December skipped"),
        (rome(2027, 10, 1, 17, 0), 120, rome(2027, 10, 5, 10, 0), "4 October (2027: Monday)"),
        (rome(2026, 10, 23, 17, 0), 120, rome(2026, 10, 26, 10, 0), "October DST change"),
        (rome(2026, 3, 27, 17, 0), 120, rome(2026, 3, 30, 10, 0), "March DST change"),
        (rome(2026, 11, 23, 9, 0), 9 * 60, rome(2026, 11, 23, 18, 0), "a whole support day"),
    ],
)
def test_s5_deadlines_count_only_support_hours(start, minutes, due, why):
    assert add_support_minutes(start, minutes) == due, why
    assert support_minutes_between(start, due) == minutes, why


def test_s5_the_october_change_keeps_nine_real_hours_a_day():
    """On Monday 26 October 2026 (the day after the change to CET) 09:00–18:00 Rome is
    08:00–17:00 UTC; on Friday 23 October (CEST) it was 07:00–16:00 UTC."""
    # Friday 15:30 UTC is 17:30 in Rome: half an hour on Friday, half an hour on Monday.
    due = add_support_minutes(datetime(2026, 10, 23, 15, 30, tzinfo=UTC), 60)
    assert due.astimezone(UTC) == datetime(2026, 10, 26, 8, 30, tzinfo=UTC)


def test_s5_4_october_is_a_national_holiday_from_2026():
    import holidays

    assert "2026-10-04" in holidays.country_holidays("IT", years=2026)
    assert "2025-10-04" not in holidays.country_holidays("IT", years=2025)


@pytest.mark.django_db
def test_s5_waiting_on_the_customer_pauses_the_clock(tenant_a):
    sla_policy(
        name="Incident normal",
        ticket_type="incident",
        priority="normal",
        first_response_minutes=60,
        resolution_minutes=16 * 60,
    )
    with scopes_disabled():
        ticket = Ticket.objects.create(
            organisation=tenant_a.organisation,
            subject="Errore",
            type="incident",
            category="malfunction",
            requester_email="user@alfa.example",
            created_at=rome(2026, 11, 20, 17, 30),  # Friday
        )
    sla.apply_policy(ticket)
    assert ticket.first_response_due == rome(2026, 11, 23, 9, 30)
    assert ticket.resolution_due == rome(2026, 11, 24, 15, 30)  # 0.5 + 9 + 6.5 h
    sla.pause(ticket, rome(2026, 11, 23, 10, 0))
    sla.resume(ticket, rome(2026, 11, 23, 12, 0))  # two support hours waiting
    assert ticket.paused_minutes == 120
    assert ticket.resolution_due == rome(2026, 11, 24, 17, 30)


@pytest.mark.django_db
def test_s5_a_contracts_own_policy_wins(tenant_a):
    general = sla_policy(
        name="General",
        ticket_type="incident",
        priority="high",
        first_response_minutes=60,
        resolution_minutes=480,
    )
    own = sla_policy(
        name="Alfa",
        ticket_type="incident",
        priority="high",
        contract=tenant_a.contract,
        first_response_minutes=30,
        resolution_minutes=240,
    )
    ticket = Ticket(type="incident", priority="high", contract=tenant_a.contract)
    assert sla.policy_for(ticket) == own
    assert sla.policy_for(Ticket(type="incident", priority="high")) == general
