"""Service continuity (SPEC S9): the monthly availability of a customer's service from the
outages recorded on its incident tickets. Pure functions, no ORM: time is counted in real
seconds (24 × 7, the contractual availability is not limited to support hours), months are
calendar months in Rome, overlapping outages count once and an outage across a month boundary
is split between the months."""

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import ROUND_DOWN, Decimal
from zoneinfo import ZoneInfo

ROME = ZoneInfo("Europe/Rome")
UTC = ZoneInfo("UTC")
HUNDRED = Decimal(100)
# Availability is shown to the thousandth of a percent and rounded down: never rounded up
# into meeting a target it missed.
PRECISION = Decimal("0.001")

Interval = tuple[datetime, datetime]


@dataclass(frozen=True)
class MonthAvailability:
    month: date  # its first day
    seconds: int  # the month's time counted (up to now for the current month)
    down_seconds: int
    percent: Decimal | None  # None for a month with no time counted yet
    target: Decimal | None
    outages: int  # outages that touch the month

    @property
    def met(self) -> bool | None:
        if self.target is None or self.percent is None:
            return None
        return self.percent >= self.target

    @property
    def down_minutes(self) -> int:
        return -(-self.down_seconds // 60)  # whole minutes, a started minute counts


def merged(intervals: Iterable[Interval]) -> list[Interval]:
    """The intervals sorted, overlapping or touching ones joined: each instant counted once."""
    result: list[list[datetime]] = []
    for start, end in sorted(i for i in intervals if i[1] > i[0]):
        if result and start <= result[-1][1]:
            result[-1][1] = max(result[-1][1], end)
        else:
            result.append([start, end])
    return [(start, end) for start, end in result]


def month_start(day: date) -> datetime:
    return datetime.combine(day.replace(day=1), time.min, tzinfo=ROME)


def next_month(day: date) -> date:
    return (day.replace(day=1) + timedelta(days=32)).replace(day=1)


def months_back(today: date, months: int) -> list[date]:
    """The first days of the current month and the ``months - 1`` before it, oldest first."""
    first = today.replace(day=1)
    found = [first]
    for _ in range(months - 1):
        first = (first - timedelta(days=1)).replace(day=1)
        found.append(first)
    return list(reversed(found))


def availability(
    *,
    months: list[date],
    outages: Iterable[tuple[datetime, datetime | None]],
    now: datetime,
    target: Decimal | None = None,
) -> list[MonthAvailability]:
    """Per month: the time counted, the time down (outages merged, clipped to the month, an
    outage still open counted until ``now``) and the availability in percent."""
    # In UTC: Python subtracts two times of the same zone by their wall clocks, which would
    # lose (or add) the hour of a clock change.
    now = now.astimezone(UTC)
    outages = [
        (start.astimezone(UTC), end.astimezone(UTC) if end else None) for start, end in outages
    ]
    intervals = merged((start, end or now) for start, end in outages)
    result = []
    for first in months:
        start = month_start(first).astimezone(UTC)
        end = min(month_start(next_month(first)).astimezone(UTC), now)
        seconds = max(int((end - start).total_seconds()), 0)
        down = 0
        for out_start, out_end in intervals:
            clipped = min(out_end, end) - max(out_start, start)
            if clipped > timedelta(0):
                down += int(clipped.total_seconds())
        touching = sum(
            1 for out_start, out_end in outages if out_start < end and (out_end or now) > start
        )
        percent = (
            (HUNDRED * (seconds - down) / seconds).quantize(PRECISION, rounding=ROUND_DOWN)
            if seconds
            else None
        )
        result.append(MonthAvailability(first, seconds, down, percent, target, touching))
    return result


def target_of(own: Iterable[tuple[date, Decimal]], general: Iterable[Decimal]) -> Decimal | None:
    """The monthly availability a customer's contract promises: among the incident targets of
    its own contracts (``(contract start, target)``), the highest of the latest contract that
    has any; else the highest general one; else none."""
    own = list(own)
    if own:
        return max(own)[1]
    return max(general, default=None)
