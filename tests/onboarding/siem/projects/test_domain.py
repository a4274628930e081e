"""SPEC W4, W6: the pure rules of projects and the operations model, on dates computed by
hand (month ends and leap years included)."""

from datetime import date

import pytest

from onboarding.siem.projects import domain


@pytest.mark.parametrize(
    ("start", "latest"),
    [
        (date(2026, 11, 30), date(2027, 2, 28)),  # 30 Nov + 3 months: February has 28 days
        (date(2027, 11, 30), date(2028, 2, 29)),  # … 29 in a leap year
        (date(2027, 1, 31), date(2027, 4, 30)),  # April has 30 days
        (date(2026, 12, 31), date(2027, 3, 31)),  # across the year, March has 31
        (date(2027, 1, 15), date(2027, 4, 15)),
        (date(2028, 2, 29), date(2028, 5, 29)),
        (date(2027, 10, 1), date(2028, 1, 1)),
    ],
)
def test_w4_three_months_end_on_the_same_day_or_the_end_of_a_shorter_month(start, latest):
    """SPEC W4: the latest end of a project is three calendar months on, clamped to the last
    day of a shorter month (hand-computed)."""
    assert domain.latest_end(start) == latest


@pytest.mark.parametrize(
    ("start", "end"),
    [
        (date(2027, 1, 15), date(2027, 4, 16)),  # 3 months + 1 day
        (date(2026, 11, 30), date(2027, 3, 1)),  # 30 Nov → 28 Feb is the limit
        (date(2027, 11, 30), date(2028, 3, 1)),  # leap year: 29 Feb is the limit
        (date(2027, 1, 31), date(2027, 5, 1)),
    ],
)
def test_w4_a_project_of_three_months_and_one_day_is_refused(start, end):
    """SPEC W4: one day past the three months is refused, with the limit named."""
    problems = domain.period_problems(start, end)
    assert list(problems) == ["ends_on"]
    assert domain.latest_end(start).isoformat() in problems["ends_on"]


@pytest.mark.parametrize(
    ("start", "end"),
    [
        (date(2027, 1, 15), date(2027, 4, 15)),
        (date(2026, 11, 30), date(2027, 2, 28)),
        (date(2027, 11, 30), date(2028, 2, 29)),
        (date(2027, 3, 3), date(2027, 3, 3)),  # one day
    ],
)
def test_w4_a_project_of_at_most_three_months_is_accepted(start, end):
    assert domain.period_problems(start, end) == {}


def test_w4_a_project_cannot_end_before_it_starts():
    assert list(domain.period_problems(date(2027, 3, 3), date(2027, 3, 2))) == ["ends_on"]


def test_w4_goals_differing_only_by_spaces_and_case_are_the_same():
    assert domain.same_goals("Collect  the firewall logs\n", "collect the FIREWALL logs")
    assert not domain.same_goals("Collect the firewall logs", "Tune the firewall rules")


def test_w4_closing_lists_everything_missing_at_once():
    missing = domain.closing_problems(deficiencies=0, went_well=" ", to_improve="")
    assert len(missing) == 3
    assert domain.closing_problems(deficiencies=1, went_well="a", to_improve="b") == []


def test_w4_progress_counts_days_both_ends_included():
    """1–31 March is 31 days; on 10 March, 10 have elapsed (32 %); before: 0; after: all."""
    start, end = date(2027, 3, 1), date(2027, 3, 31)
    assert domain.progress(start, end, date(2027, 3, 10)) == domain.Progress(10, 31)
    assert domain.progress(start, end, date(2027, 3, 10)).percent == 32
    assert domain.progress(start, end, date(2027, 2, 1)).elapsed_days == 0
    assert domain.progress(start, end, date(2027, 5, 1)).elapsed_days == 31


def test_w6_stepping_in_makes_the_customer_responsible_and_out_hands_it_back():
    assert domain.stepped_in() == ("C", "R")
    assert domain.stepped_out() == ("R", "I")
    tasks = [task for task, _p, _c in domain.STANDARD_MODEL]
    assert any("clean-up" in task for task in tasks)  # the seed's ongoing clean-up of the data
    assert len(set(tasks)) == len(tasks)


def test_w4_the_end_of_the_calendar_is_not_a_crash():
    """A start in October 9999 has no date three months on: the limit is the last date."""
    assert domain.latest_end(date(9999, 10, 15)) == date(9999, 12, 31)
    assert domain.period_problems(date(9999, 10, 15), date(9999, 12, 31)) == {}
