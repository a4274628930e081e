"""The support calendar in closed form (issue 15, SPEC S5): the SLA clock of a ticket years
overdue costs the same as one due today. The day-by-day walk it replaced is kept here, verbatim,
as the reference; hypothesis draws start and end instants over several years — Italian holidays
(Easter Monday included), weekends, nights, the edges of 09:00 and 18:00 and the daylight-saving
changes of Europe/Rome — and the closed form must give exactly the same answers."""

from datetime import date, datetime, time, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

import holidays
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from csm_portal import business_calendar as calendar

ROME = ZoneInfo("Europe/Rome")
UTC = ZoneInfo("UTC")
OPENS, CLOSES = time(9, 0), time(18, 0)


# --------------------------------------------------------------------------- the reference
# The implementation before issue 15, unchanged: it walks the calendar one day at a time.


@lru_cache(maxsize=64)
def _italian_holidays(year: int) -> frozenset[date]:
    return frozenset(holidays.country_holidays("IT", years=year).keys())


def _is_working_day(day: date) -> bool:
    return day.weekday() < 5 and day not in _italian_holidays(day.year)


def _window(day: date) -> tuple[datetime, datetime]:
    return datetime.combine(day, OPENS, tzinfo=ROME), datetime.combine(day, CLOSES, tzinfo=ROME)


def reference_add_working_days(day: date, count: int) -> date:
    current = day
    remaining = count
    while remaining > 0:
        current += timedelta(days=1)
        if _is_working_day(current):
            remaining -= 1
    return current


def reference_working_days_between(start: date, end: date) -> int:
    count = 0
    current = start
    while current < end:
        current += timedelta(days=1)
        if _is_working_day(current):
            count += 1
    return count


def reference_add_support_minutes(start: datetime, minutes: int) -> datetime:
    current = start.astimezone(ROME)
    remaining = minutes
    day = current.date()
    while True:
        if _is_working_day(day):
            opens, closes = _window(day)
            begin = max(current, opens)
            if begin < closes:
                available = int((closes - begin).total_seconds() // 60)
                if remaining <= available:
                    return begin + timedelta(minutes=remaining)
                remaining -= available
        day += timedelta(days=1)
        current = datetime.combine(day, time(0, 0), tzinfo=ROME)


def reference_support_minutes_between(start: datetime, end: datetime) -> int:
    if end <= start:
        return 0
    start, end = start.astimezone(ROME), end.astimezone(ROME)
    total = 0.0
    day = start.date()
    while day <= end.date():
        if _is_working_day(day):
            opens, closes = _window(day)
            begin, finish = max(start, opens), min(end, closes)
            if finish > begin:
                total += (finish - begin).total_seconds() / 60
        day += timedelta(days=1)
    return int(total)


# --------------------------------------------------------------------------- the draws

FIRST, LAST = date(2024, 1, 1), date(2031, 12, 31)
# Days where the calendar is interesting: national holidays (Easter Monday, 25 April, 4 October
# from 2026, Christmas…), the days around them, and the daylight-saving Sundays of Rome.
HOLIDAYS = sorted(
    day
    for year in range(FIRST.year, LAST.year + 1)
    for day in holidays.country_holidays("IT", years=year)
)
DST_SUNDAYS = [
    day
    for year in range(FIRST.year, LAST.year + 1)
    for month in (3, 10)
    for day in [date(year, month, 31) - timedelta(days=(date(year, month, 31).weekday() + 1) % 7)]
]
SPECIAL_DAYS = HOLIDAYS + DST_SUNDAYS
EDGES = [
    time(0, 0),
    time(2, 30),
    time(8, 59, 59, 999999),
    time(9, 0),
    time(9, 0, 0, 1),
    time(12, 30, 15),
    time(17, 59, 30),
    time(17, 59, 59, 999999),
    time(18, 0),
    time(18, 0, 1),
    time(23, 59, 59),
]

any_instant = st.datetimes(
    min_value=datetime(2024, 1, 1), max_value=datetime(2031, 12, 31, 23, 59)
).map(lambda naive: naive.replace(tzinfo=UTC))


@st.composite
def near_special_day(draw) -> datetime:
    day = draw(st.sampled_from(SPECIAL_DAYS)) + timedelta(days=draw(st.integers(-3, 3)))
    clock = draw(st.one_of(st.sampled_from(EDGES), st.times()))
    wall = datetime.combine(day, clock)
    # Through UTC, as instants come from the database (no wall-clock time in the spring gap).
    return wall.replace(tzinfo=ROME).astimezone(UTC).astimezone(ROME)


instants = st.one_of(any_instant, near_special_day())
minutes = st.one_of(
    st.sampled_from([0, 1, 59, 60, 539, 540, 541, 1080, 2700]), st.integers(0, 3 * 250 * 540)
)
FAST = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@FAST
@given(start=instants, end=instants)
def test_s5_support_minutes_between_in_closed_form_equals_the_day_by_day_walk(start, end):
    """The support minutes between any two instants (either order, years apart or minutes)
    equal those of the day-by-day walk."""
    assert calendar.support_minutes_between(start, end) == reference_support_minutes_between(
        start, end
    )


@FAST
@given(start=instants, amount=minutes)
def test_s5_add_support_minutes_in_closed_form_equals_the_day_by_day_walk(start, amount):
    """A deadline ``amount`` support minutes after any instant is the walk's deadline, to the
    microsecond, and counting back gives the minutes again when the start is a whole minute."""
    due = calendar.add_support_minutes(start, amount)
    assert due == reference_add_support_minutes(start, amount)
    whole = start.replace(second=0, microsecond=0)
    assert calendar.support_minutes_between(whole, calendar.add_support_minutes(whole, amount)) == (
        amount if amount else 0
    )


@FAST
@given(
    start=st.one_of(st.dates(FIRST, LAST), st.sampled_from(SPECIAL_DAYS)),
    span=st.integers(-30, 3 * 366),
    count=st.integers(0, 3 * 260),
)
def test_s5_working_days_in_closed_form_equal_the_day_by_day_walk(start, span, count):
    """Lead times (activities, user lists) and working-day counts equal the walk's."""
    end = start + timedelta(days=span)
    assert calendar.working_days_between(start, end) == reference_working_days_between(start, end)
    assert calendar.add_working_days(start, count) == reference_add_working_days(start, count)


def test_s5_a_clock_years_overdue_reads_the_calendar_a_constant_number_of_times(monkeypatch):
    """The cost does not grow with how late a ticket is: the closed form asks whether a day is a
    working day for the first and the last day only (the walk asked for every day between)."""
    asked = []
    original = calendar.is_working_day

    def counting(day: date) -> bool:
        asked.append(day)
        return original(day)

    monkeypatch.setattr(calendar, "is_working_day", counting)
    opened = datetime(2026, 11, 23, 10, 0, tzinfo=ROME)
    for years in (0, 1, 4):
        asked.clear()
        now = opened + timedelta(days=365 * years + 2)
        calendar.support_minutes_between(opened, now)
        calendar.add_support_minutes(opened, 540 * 250 * years + 30)
        assert len(asked) <= 3, (years, len(asked))


def test_s5_known_days_in_closed_form():
    """Easter Monday 2026 (6 April), 25–26 December and a weekend are skipped; the October
    change keeps nine hours a day."""
    friday = datetime(2026, 4, 3, 17, 0, tzinfo=ROME)
    assert calendar.add_support_minutes(friday, 120) == datetime(2026, 4, 7, 10, 0, tzinfo=ROME)
    assert calendar.support_minutes_between(friday, datetime(2026, 4, 7, 10, tzinfo=ROME)) == 120
    assert calendar.add_working_days(date(2026, 12, 18), 5) == date(2026, 12, 28)
    october = datetime(2026, 10, 23, 9, 0, tzinfo=ROME)
    assert calendar.support_minutes_between(october, october + timedelta(days=4)) == 2 * 540
