"""The service-desk calendar (SPEC S5): support runs 09:00–18:00 Europe/Rome, Monday to Friday,
except Italian national public holidays, taken from the maintained ``holidays`` library. Lead
times of activities (five working days for user-list changes) are counted with it too.

Everything here is in closed form (issue 15): whole weeks are counted arithmetically and only
the holidays falling on weekdays inside the range are looked up (a sorted list per year, cached),
so the cost of a clock does not grow with how late a ticket is. ``tests/tickets/
test_business_calendar_closed_form.py`` proves the results equal to the day-by-day walk."""

from bisect import bisect_right
from datetime import date, datetime, time, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

import holidays


@lru_cache(maxsize=64)
def _italian_holidays(year: int) -> frozenset[date]:
    return frozenset(holidays.country_holidays("IT", years=year).keys())


@lru_cache(maxsize=256)
def _weekday_holidays(year: int) -> tuple[int, ...]:
    """Ordinals of the year's holidays that fall Monday to Friday, sorted."""
    return tuple(sorted(day.toordinal() for day in _italian_holidays(year) if day.weekday() < 5))


def is_working_day(day: date) -> bool:
    return day.weekday() < 5 and day not in _italian_holidays(day.year)


def _weekdays_through(ordinal: int) -> int:
    """Mondays to Fridays among the days 1 … ``ordinal`` (day 1, 1 January of year 1, is a
    Monday)."""
    weeks, rest = divmod(ordinal, 7)
    return weeks * 5 + min(rest, 5)


def _holidays_between(after: int, through: int) -> int:
    """Weekday holidays with ``after`` < ordinal <= ``through``."""
    if through <= after:
        return 0
    count = 0
    for year in range(date.fromordinal(after + 1).year, date.fromordinal(through).year + 1):
        days = _weekday_holidays(year)
        count += bisect_right(days, through) - bisect_right(days, after)
    return count


def _working_days_after(after: int, through: int) -> int:
    """Working days with ``after`` < ordinal <= ``through``."""
    if through <= after:
        return 0
    weekdays = _weekdays_through(through) - _weekdays_through(after)
    return weekdays - _holidays_between(after, through)


def _add_weekdays(ordinal: int, count: int) -> int:
    """The ``count``-th Monday-to-Friday day after ``ordinal`` (``count`` >= 1)."""
    weekday = (ordinal - 1) % 7
    if weekday > 4:  # from a weekend: the same weekdays follow as after the Friday before
        ordinal -= weekday - 4
        weekday = 4
    weeks, rest = divmod(count, 5)
    result = ordinal + weeks * 7 + rest
    if rest and weekday + rest > 4:
        result += 2
    return result


def _add_working_days(ordinal: int, count: int) -> int:
    if count <= 0:
        return ordinal
    result = _add_weekdays(ordinal, count)
    missing = _holidays_between(ordinal, result)
    while missing:  # each pass moves past the holidays the previous jump stepped over
        previous, result = result, _add_weekdays(result, missing)
        missing = _holidays_between(previous, result)
    return result


def add_working_days(day: date, count: int) -> date:
    """The working day ``count`` working days after ``day`` (``day`` itself not counted)."""
    return date.fromordinal(_add_working_days(day.toordinal(), count))


def working_days_between(start: date, end: date) -> int:
    """Working days after ``start`` up to and including ``end``."""
    return _working_days_after(start.toordinal(), end.toordinal())


# --------------------------------------------------------------------------- support hours (S5)

ROME = ZoneInfo("Europe/Rome")
OPENS = time(9, 0)
CLOSES = time(18, 0)
MINUTES_PER_SUPPORT_DAY = 9 * 60
_SUPPORT_DAY = timedelta(minutes=MINUTES_PER_SUPPORT_DAY)
_MINUTE = timedelta(minutes=1)


def _window(day: date) -> tuple[datetime, datetime]:
    """Opening and closing instants of a support day, in Rome's wall-clock time (a
    daylight-saving change happens at night, so the window is always nine real hours)."""
    return datetime.combine(day, OPENS, tzinfo=ROME), datetime.combine(day, CLOSES, tzinfo=ROME)


def add_support_minutes(start: datetime, minutes: int) -> datetime:
    """The instant when ``minutes`` of support time have passed after ``start`` (SPEC S5): only
    09:00–18:00 Europe/Rome on working days count. A start outside support hours waits for the
    next opening. The first day counts whole minutes left before closing; then whole support
    days are jumped over in closed form."""
    if start.tzinfo is None:
        raise ValueError("an aware datetime is needed")
    current = start.astimezone(ROME)
    remaining = minutes
    day = current.date()
    if is_working_day(day):
        opens, closes = _window(day)
        begin = max(current, opens)
        if begin < closes:
            available = int((closes - begin).total_seconds() // 60)
            if remaining <= available:
                return begin + timedelta(minutes=remaining)
            remaining -= available
    # The n-th working day after the first one holds the rest: n - 1 whole days before it.
    days = max(1, -(-remaining // MINUTES_PER_SUPPORT_DAY))
    last = date.fromordinal(_add_working_days(day.toordinal(), days))
    opens, _closes = _window(last)
    return opens + timedelta(minutes=remaining - MINUTES_PER_SUPPORT_DAY * (days - 1))


def _support_time_on(day: date, start: datetime, end: datetime) -> timedelta:
    if not is_working_day(day):
        return timedelta(0)
    opens, closes = _window(day)
    begin, finish = max(start, opens), min(end, closes)
    return finish - begin if finish > begin else timedelta(0)


def support_minutes_between(start: datetime, end: datetime) -> int:
    """Whole support minutes (S5) from ``start`` to ``end``; 0 if ``end`` is not after
    ``start``. The first and the last day are measured; the whole days between are counted."""
    if end <= start:
        return 0
    start, end = start.astimezone(ROME), end.astimezone(ROME)
    first, last = start.date(), end.date()
    total = _support_time_on(first, start, end)
    if last > first:
        total += _support_time_on(last, start, end)
        whole = _working_days_after(first.toordinal(), last.toordinal() - 1)
        total += _SUPPORT_DAY * whole
    return total // _MINUTE
