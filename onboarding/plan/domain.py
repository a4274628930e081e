"""Pure rules of the onboarding plan (SPEC O1, O3, C3): no ORM, dates and Decimals only.

- ``target_go_live``: the service starts the day the activation e-mail is sent (C3); onboarding
  should take about a month (O3).
- ``release_plan``: the content releases and phishing campaigns between go-live and expiry. When
  go-live slips, intervals are compressed proportionally so that everything still ends before
  expiry, never below a minimum interval nor overlapping more than allowed; what cannot fit even
  then is returned as needing a decision, never dropped silently.
"""

import calendar
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import ROUND_FLOOR, Decimal

MINIMUM_INTERVAL_DAYS = 7
MAXIMUM_OVERLAP_DAYS = 7
TRAINING_SLOW_BELOW = Decimal("0.5")


def add_months(day: date, months: int) -> date:
    month = day.month - 1 + months
    year = day.year + month // 12
    month = month % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def target_go_live(started_on: date) -> date:
    """One month after the activation e-mail (C3, O3)."""
    return add_months(started_on, 1)


def is_over_a_month(*, target_on: date, go_live_on: date | None, today: date) -> bool:
    """L1: go-live set after the target, or not live yet and the target has passed."""
    if go_live_on is not None:
        return go_live_on > target_on
    return today > target_on


def mid_point(starts_on: date, ends_on: date) -> date:
    """The mid-term of a licence year, when a SAL review is proposed (catalogue #16)."""
    return starts_on + timedelta(days=(ends_on - starts_on).days // 2)


@dataclass(frozen=True)
class PlannedItem:
    key: str
    kind: str
    title: str
    duration_days: int
    interval_days: int  # days from this item's start to the next one's


@dataclass(frozen=True)
class ScheduledItem:
    key: str
    kind: str
    title: str
    starts_on: date
    ends_on: date  # last day, inclusive; always before expiry


@dataclass(frozen=True)
class ReleasePlan:
    scheduled: list[ScheduledItem]
    needs_decision: list[PlannedItem]
    factor: Decimal  # 1 = intervals as planned; 0.75 = a quarter shorter
    late_days: int  # go-live after the target, in days (0 when on time or early)
    intervals: list[int] = field(default_factory=list)

    @property
    def compressed(self) -> bool:
        return self.factor < 1


def default_items(*, target_on: date, expires_on: date) -> list[PlannedItem]:
    """Each month a content release (two weeks) and a phishing campaign (one week), two weeks
    apart, as many as fit between the target go-live and expiry at the planned pace."""
    items: list[PlannedItem] = []
    start = target_on
    number = 1
    while True:
        release = PlannedItem(f"release-{number}", "release", f"#{number}", 14, 15)
        campaign = PlannedItem(f"campaign-{number}", "campaign", f"#{number}", 7, 15)
        for item in (release, campaign):
            if start + timedelta(days=item.duration_days) > expires_on:
                return items
            items.append(item)
            start += timedelta(days=item.interval_days)
        number += 1


def _floor(item: PlannedItem, minimum: int, overlap: int) -> int:
    return max(minimum, item.duration_days - overlap, 1)


def _gaps(items: list[PlannedItem], factor: Decimal, minimum: int, overlap: int) -> list[int]:
    gaps = []
    for item in items[:-1]:
        scaled = int((Decimal(item.interval_days) * factor).to_integral_value(ROUND_FLOOR))
        gaps.append(min(item.interval_days, max(_floor(item, minimum, overlap), scaled)))
    return gaps


def _span(items: list[PlannedItem], gaps: list[int]) -> int:
    """Days from the first start to the day after the item that ends last (an early long item
    may end after a later short one)."""
    start, end = 0, 0
    for index, item in enumerate(items):
        end = max(end, start + item.duration_days)
        if index < len(gaps):
            start += gaps[index]
    return end


def release_plan(
    *,
    go_live_on: date,
    target_on: date,
    expires_on: date,
    items: list[PlannedItem],
    minimum_interval_days: int = MINIMUM_INTERVAL_DAYS,
    maximum_overlap_days: int = MAXIMUM_OVERLAP_DAYS,
) -> ReleasePlan:
    """Place ``items`` in order from go-live so each ends before ``expires_on`` (O3)."""
    late = max(0, (go_live_on - target_on).days)
    available = (expires_on - go_live_on).days  # an item may end the day before expiry
    placed = list(items)
    one = Decimal(1)
    # The longest prefix that fits with every interval at its floor; the rest needs a decision.
    while (
        placed
        and _span(placed, _gaps(placed, Decimal(0), minimum_interval_days, maximum_overlap_days))
        > available
    ):
        placed.pop()
    if not placed:
        return ReleasePlan([], list(items), Decimal(0), late)
    if _span(placed, _gaps(placed, one, minimum_interval_days, maximum_overlap_days)) <= available:
        factor = one
    else:
        # The largest factor (to 1/10000) whose compressed intervals fit: proportional shortening.
        low, high = Decimal(0), one
        step = Decimal("0.0001")
        while high - low > step:
            middle = ((low + high) / 2).quantize(step)
            if middle in (low, high):
                break
            gaps = _gaps(placed, middle, minimum_interval_days, maximum_overlap_days)
            if _span(placed, gaps) <= available:
                low = middle
            else:
                high = middle
        factor = low
    gaps = _gaps(placed, factor, minimum_interval_days, maximum_overlap_days)
    scheduled = []
    start = go_live_on
    for index, item in enumerate(placed):
        end = start + timedelta(days=item.duration_days - 1)
        scheduled.append(ScheduledItem(item.key, item.kind, item.title, start, end))
        if index < len(gaps):
            start += timedelta(days=gaps[index])
    return ReleasePlan(scheduled, list(items[len(placed) :]), factor, late, gaps)


def training_slow(*, completed: int, total: int, today: date, mid_term: date) -> bool:
    """Suggest repositioning training when under half the users completed a module at
    mid-term (catalogue #10, #16)."""
    if total <= 0 or today < mid_term:
        return False
    return Decimal(completed) / Decimal(total) < TRAINING_SLOW_BELOW


def percent(part: int, whole: int) -> int:
    if whole <= 0:
        return 0
    return int((Decimal(part) * 100 / Decimal(whole)).to_integral_value(ROUND_FLOOR))
