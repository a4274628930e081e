"""The service-desk calendar (SPEC S5): support runs 09:00–18:00 Europe/Rome, Monday to Friday,
except Italian national public holidays, taken from the maintained ``holidays`` library. Lead
times of activities (five working days for user-list changes) are counted with it too."""

from datetime import date, datetime, time, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

import holidays


@lru_cache(maxsize=64)
def _italian_holidays(year: int) -> frozenset[date]:
    return frozenset(holidays.country_holidays("IT", years=year).keys())


def is_working_day(day: date) -> bool:
    return day.weekday() < 5 and day not in _italian_holidays(day.year)


def add_working_days(day: date, count: int) -> date:
    """The working day ``count`` working days after ``day`` (``day`` itself not counted)."""
    current = day
    remaining = count
    while remaining > 0:
        current += timedelta(days=1)
        if is_working_day(current):
            remaining -= 1
    return current


def working_days_between(start: date, end: date) -> int:
    """Working days after ``start`` up to and including ``end``."""
    count = 0
    current = start
    while current < end:
        current += timedelta(days=1)
        if is_working_day(current):
            count += 1
    return count


# --------------------------------------------------------------------------- support hours (S5)

ROME = ZoneInfo("Europe/Rome")
OPENS = time(9, 0)
CLOSES = time(18, 0)
MINUTES_PER_SUPPORT_DAY = 9 * 60


def _window(day: date) -> tuple[datetime, datetime]:
    """Opening and closing instants of a support day, in Rome's wall-clock time (a
    daylight-saving change happens at night, so the window is always nine real hours)."""
    return datetime.combine(day, OPENS, tzinfo=ROME), datetime.combine(day, CLOSES, tzinfo=ROME)


def add_support_minutes(start: datetime, minutes: int) -> datetime:
    """The instant when ``minutes`` of support time have passed after ``start`` (SPEC S5): only
    09:00–18:00 Europe/Rome on working days count. A start outside support hours waits for the
    next opening."""
    if start.tzinfo is None:
        raise ValueError("an aware datetime is needed")
    current = start.astimezone(ROME)
    remaining = minutes
    day = current.date()
    while True:
        if is_working_day(day):
            opens, closes = _window(day)
            begin = max(current, opens)
            if begin < closes:
                available = int((closes - begin).total_seconds() // 60)
                if remaining <= available:
                    return begin + timedelta(minutes=remaining)
                remaining -= available
        day += timedelta(days=1)
        current = datetime.combine(day, time(0, 0), tzinfo=ROME)


def support_minutes_between(start: datetime, end: datetime) -> int:
    """Support minutes (S5) from ``start`` to ``end``; 0 if ``end`` is not after ``start``."""
    if end <= start:
        return 0
    start, end = start.astimezone(ROME), end.astimezone(ROME)
    total = 0.0
    day = start.date()
    while day <= end.date():
        if is_working_day(day):
            opens, closes = _window(day)
            begin, finish = max(start, opens), min(end, closes)
            if finish > begin:
                total += (finish - begin).total_seconds() / 60
        day += timedelta(days=1)
    return int(total)
