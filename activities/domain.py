"""The charge rule of an activity request (SPEC H3–H6): pure, no ORM, so it is tested with
hypothesis and reused by the log form's preview, the service that writes the ledger and the API."""

from dataclasses import dataclass
from decimal import ROUND_CEILING, Decimal

HALF_HOUR = Decimal("0.5")
HUNDREDTH = Decimal("0.01")
MINUTES_PER_DAY = 24 * 60


class Rule:
    """Which rule set the charge, so the explanation and the statement can say why."""

    MINIMUM = "minimum"  # H3: at or below the minimum, the minimum is charged
    OVERRUN_CUSTOMER = "overrun_customer"  # H4/H5: documented customer-caused overrun
    OVERRUN_ABSORBED = "overrun_absorbed"  # H5: the provider absorbs the overrun
    LEGACY = "legacy"  # C2: legacy contracts keep their own terms, no automatic rule
    FEASIBILITY = "feasibility"  # H6: feasibility analysis at its predetermined hours


@dataclass(frozen=True)
class Charge:
    hours: Decimal
    rule: str
    minutes: int
    minimum: Decimal

    @property
    def actual_hours(self) -> Decimal:
        return hours_of(self.minutes)

    @property
    def rounded_hours(self) -> Decimal:
        return round_up_to_half_hour(self.minutes)


def hours_of(minutes: int) -> Decimal:
    """Exact hours of a duration, rounded up to the hundredth (20 min → 0.34 h)."""
    return (Decimal(minutes) / Decimal(60)).quantize(HUNDREDTH, rounding=ROUND_CEILING)


def round_up_to_half_hour(minutes: int) -> Decimal:
    """SPEC H4: the accounting unit is 30 minutes; 61 minutes are 1.5 h."""
    halves = -(-minutes // 30)  # ceiling division on integers: exact
    return HALF_HOUR * halves


def is_half_hour_multiple(hours: Decimal) -> bool:
    return hours > 0 and (hours / HALF_HOUR) == (hours / HALF_HOUR).to_integral_value()


def charge_for(
    *, minutes: int, minimum: Decimal, customer_caused: bool, legacy: bool = False
) -> Charge:
    """What one activity request costs for ``minutes`` of work in total (all its sessions added
    up: the minimum is per request, not per session).

    - at or below the minimum: the minimum (H3);
    - above it, caused by the customer and documented: the actual time rounded up to the next
      half hour (H4, H5);
    - above it, not caused by the customer: the minimum; the provider absorbs the rest (H5);
    - legacy contracts (C2): no automatic rule, the actual time.
    """
    if minutes <= 0:
        raise ValueError("the duration must be positive")
    if minimum <= 0:
        raise ValueError("the minimum must be positive")
    if legacy:
        return Charge(hours_of(minutes), Rule.LEGACY, minutes, minimum)
    rounded = round_up_to_half_hour(minutes)
    if Decimal(minutes) <= minimum * 60:
        return Charge(minimum, Rule.MINIMUM, minutes, minimum)
    if customer_caused:
        return Charge(max(rounded, minimum), Rule.OVERRUN_CUSTOMER, minutes, minimum)
    return Charge(minimum, Rule.OVERRUN_ABSORBED, minutes, minimum)


def usage_thresholds_crossed(
    *, total: Decimal, charged_before: Decimal, charged_after: Decimal
) -> list[int]:
    """The warning thresholds of SPEC H10 (80 %, 95 %) that a charge crosses."""
    if total <= 0:
        return []
    crossed = []
    for percent in (80, 95):
        limit = total * Decimal(percent) / Decimal(100)
        if charged_before < limit <= charged_after:
            crossed.append(percent)
    return crossed
