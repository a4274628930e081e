"""The charge rule of a request (SPEC H3, H4, H5) and the service-desk calendar (S5), as
properties over every duration and minimum, not a few hand-picked cases."""

from datetime import date
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from activities.domain import Rule, charge_for, round_up_to_half_hour, usage_thresholds_crossed
from csm_portal.business_calendar import add_working_days, is_working_day

# Catalogue minimums are half-hour multiples from 0.5 h (the seed's range is 0.5 to 8 h).
minimums = st.integers(min_value=1, max_value=40).map(lambda n: Decimal(n) / 2)
durations = st.integers(min_value=1, max_value=24 * 60)


@given(minutes=durations, minimum=minimums, caused=st.booleans())
def test_h3_never_below_the_minimum(minutes, minimum, caused):
    assert charge_for(minutes=minutes, minimum=minimum, customer_caused=caused).hours >= minimum


@given(minutes=durations, minimum=minimums, caused=st.booleans())
def test_h4_always_a_multiple_of_half_an_hour(minutes, minimum, caused):
    hours = charge_for(minutes=minutes, minimum=minimum, customer_caused=caused).hours
    assert (hours * 2) == (hours * 2).to_integral_value()


@given(a=durations, b=durations, minimum=minimums, caused=st.booleans())
def test_h4_monotonic_in_the_duration(a, b, minimum, caused):
    shorter, longer = sorted((a, b))
    assert (
        charge_for(minutes=shorter, minimum=minimum, customer_caused=caused).hours
        <= charge_for(minutes=longer, minimum=minimum, customer_caused=caused).hours
    )


@given(minutes=durations, minimum=minimums)
def test_h5_the_minimum_when_the_overrun_is_not_customer_caused(minutes, minimum):
    charge = charge_for(minutes=minutes, minimum=minimum, customer_caused=False)
    assert charge.hours == minimum


@given(minutes=durations, minimum=minimums)
def test_h5_customer_caused_overrun_is_the_actual_time_rounded_up(minutes, minimum):
    charge = charge_for(minutes=minutes, minimum=minimum, customer_caused=True)
    if minutes > minimum * 60:
        assert charge.hours == round_up_to_half_hour(minutes)
        assert charge.hours * 60 >= minutes > (charge.hours - Decimal("0.5")) * 60
        assert charge.rule == Rule.OVERRUN_CUSTOMER
    else:
        assert charge.hours == minimum
        assert charge.rule == Rule.MINIMUM


@pytest.mark.parametrize(
    ("minutes", "minimum", "caused", "hours", "rule"),
    [
        (20, "1", False, "1", Rule.MINIMUM),  # H3: 20 minutes of a 1-hour activity
        (60, "1", True, "1", Rule.MINIMUM),  # exactly the minimum
        (75, "1", True, "1.5", Rule.OVERRUN_CUSTOMER),  # H4/H5: the example
        (75, "1", False, "1", Rule.OVERRUN_ABSORBED),  # H5: the provider absorbs it
        (61, "0.5", True, "1.5", Rule.OVERRUN_CUSTOMER),  # H4: 61 min are three half hours
        (181, "3", True, "3.5", Rule.OVERRUN_CUSTOMER),
    ],
)
def test_h3_h4_h5_examples(minutes, minimum, caused, hours, rule):
    charge = charge_for(minutes=minutes, minimum=Decimal(minimum), customer_caused=caused)
    assert (charge.hours, charge.rule) == (Decimal(hours), rule)
    assert isinstance(charge.hours, Decimal)  # H9: never a float


def test_c2_legacy_contracts_are_charged_their_actual_time():
    charge = charge_for(minutes=20, minimum=Decimal("1"), customer_caused=False, legacy=True)
    assert (charge.hours, charge.rule) == (Decimal("0.34"), Rule.LEGACY)


@pytest.mark.parametrize("minutes", [0, -30])
def test_bad_input_a_duration_must_be_positive(minutes):
    with pytest.raises(ValueError):
        charge_for(minutes=minutes, minimum=Decimal("1"), customer_caused=False)


def test_h10_thresholds_crossed_once_each():
    total = Decimal("20")
    assert usage_thresholds_crossed(
        total=total, charged_before=Decimal("15"), charged_after=Decimal("16")
    ) == [80]
    assert usage_thresholds_crossed(
        total=total, charged_before=Decimal("10"), charged_after=Decimal("19.5")
    ) == [80, 95]
    assert (
        usage_thresholds_crossed(
            total=total, charged_before=Decimal("16"), charged_after=Decimal("17")
        )
        == []
    )


@pytest.mark.parametrize(
    ("day", "working"),
    [
        (date(2026, 11, 23), True),  # a Monday
        (date(2026, 11, 28), False),  # Saturday
        (date(2026, 4, 6), False),  # Easter Monday
        (date(2026, 10, 4), False),  # St Francis, national holiday from 2026 (a Sunday anyway)
        (date(2027, 10, 4), False),  # St Francis on a Monday
        (date(2026, 12, 25), False),
        (date(2026, 12, 26), False),
        (date(2026, 6, 2), False),  # Republic Day
    ],
)
def test_s5_working_days_follow_the_italian_calendar(day, working):
    assert is_working_day(day) is working


def test_s5_five_working_days_of_notice_skip_weekends_and_holidays():
    # Friday 18 December 2026 + 5 working days: 21, 22, 23, 24, (25, 26 holidays), 28.
    assert add_working_days(date(2026, 12, 18), 5) == date(2026, 12, 28)
