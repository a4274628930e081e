"""Pure rules of contracts and hours (SPEC C5, H1, H9, H10, L1), property-tested."""

from datetime import date, timedelta
from decimal import Decimal

from hypothesis import given
from hypothesis import strategies as st

from contracts import domain

dates = st.dates(min_value=date(2020, 1, 1), max_value=date(2035, 12, 31))


def test_a_three_year_contract_has_three_licence_years():
    """SPEC H1."""
    periods = domain.licence_year_periods(date(2026, 3, 1), date(2029, 2, 28))
    assert periods == [
        (date(2026, 3, 1), date(2027, 2, 28)),
        (date(2027, 3, 1), date(2028, 2, 29)),
        (date(2028, 3, 1), date(2029, 2, 28)),
    ]


def test_a_contract_starting_on_29_february_keeps_yearly_steps():
    assert domain.licence_year_periods(date(2028, 2, 29), date(2030, 2, 27))[1][0] == date(
        2029, 2, 28
    )


@given(dates, st.integers(min_value=1, max_value=3000))
def test_licence_years_tile_the_contract_without_gaps_or_overlaps(start, length):
    """SPEC H1: consecutive years, no overlap, the last ends on the expiry date."""
    end = start + timedelta(days=length)
    periods = domain.licence_year_periods(start, end)
    assert periods[0][0] == start and periods[-1][1] == end
    assert not domain.periods_overlap(periods)
    for (_, previous_end), (next_start, _) in zip(periods, periods[1:], strict=False):
        assert next_start == previous_end + timedelta(days=1)
    assert all((e - s).days <= 366 for s, e in periods)


def test_overlapping_periods_are_detected():
    assert domain.periods_overlap(
        [(date(2026, 1, 1), date(2026, 12, 31)), (date(2026, 12, 31), date(2027, 5, 1))]
    )


@given(
    st.decimals(min_value=0, max_value=500, places=2),
    st.decimals(min_value=0, max_value=200, places=2),
    st.decimals(min_value=0, max_value=700, places=2),
)
def test_the_balance_is_allocation_plus_packs_minus_charges_exactly(allocation, packs, charged):
    """SPEC H9: exact decimals, never floats."""
    balance = domain.Balance(allocation=allocation, packs=packs, charged=charged)
    assert balance.remaining == allocation + packs - charged
    assert isinstance(balance.remaining, Decimal)


def test_used_percent_and_burn_ratio():
    """SPEC H10: burn rate against time elapsed."""
    balance = domain.Balance(allocation=Decimal("20"), packs=Decimal("0"), charged=Decimal("10"))
    assert balance.used_percent == 50
    # A quarter of the year gone, half the hours used: burning twice as fast as time.
    start = date(2026, 1, 1)
    ratio = domain.burn_ratio(balance, start, date(2026, 12, 31), start + timedelta(days=90))
    assert Decimal("1.9") < ratio < Decimal("2.1")


DAY_ZERO = date(2026, 6, 30)


def status_on(days_after: int, renewed: bool = False, status: str = "active") -> str:
    return domain.contract_status_on(
        status=status,
        expires_on=DAY_ZERO,
        today=DAY_ZERO + timedelta(days=days_after),
        renewed=renewed,
    )


def test_the_contract_life_after_expiry():
    """SPEC C5: active to the expiry day, read-only for 30 days, then closed."""
    assert [status_on(d) for d in (-10, 0, 1, 30, 31, 89, 90)] == [
        "active",
        "active",
        "expired",
        "expired",
        "closed",
        "closed",
        "closed",
    ]


def test_a_renewal_means_no_gap():
    """SPEC C5: a renewal signed before expiry continues without any gap."""
    assert [status_on(d, renewed=True) for d in (0, 1, 31, 90)] == [
        "active",
        "renewed",
        "renewed",
        "renewed",
    ]


def test_a_late_run_after_downtime_lands_in_the_right_state():
    """SPEC L4: the state comes from the date, not from how many runs happened."""
    assert status_on(45, status="active") == "closed"


def test_organisation_access_from_contract_statuses():
    assert domain.organisation_access([]) == "full"
    assert domain.organisation_access(["draft"]) == "full"
    assert domain.organisation_access(["closed", "active"]) == "full"
    assert domain.organisation_access(["renewed", "active"]) == "full"
    assert domain.organisation_access(["closed", "expired"]) == "read_only"
    assert domain.organisation_access(["closed"]) == "closed"


def test_expiry_warnings_at_60_30_and_7_days_once_each():
    """SPEC L1: warn before expiry; after downtime only the most urgent is sent."""
    assert domain.warning_due(61, set()) is None
    assert domain.warning_due(60, set()) == 60
    assert domain.warning_due(45, {60}) is None
    assert domain.warning_due(30, {60}) == 30
    assert domain.warning_due(20, set()) == 30  # the job was down on day 30
    assert domain.warning_due(7, {60, 30}) == 7
    assert domain.warning_due(3, {60, 30, 7}) is None
    assert domain.warning_due(-1, set()) is None
