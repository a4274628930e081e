"""Pure rules of contracts and hours: no ORM, so they are tested exhaustively and reused by the
services, the pages, the API and the daily job."""

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

ZERO = Decimal("0")
EXPIRY_WARNING_DAYS = (60, 30, 7)


def add_years(day: date, years: int) -> date:
    """The same calendar day ``years`` later (29 February becomes 28 February)."""
    try:
        return day.replace(year=day.year + years)
    except ValueError:
        return day.replace(year=day.year + years, day=28)


def licence_year_periods(starts_on: date, expires_on: date) -> list[tuple[date, date]]:
    """Consecutive licence years from activation to expiry: a 3-year contract has three; a last
    partial year ends on the expiry date (SPEC H1)."""
    if expires_on < starts_on:
        raise ValueError("expiry before activation")
    periods: list[tuple[date, date]] = []
    index = 0
    while True:
        start = add_years(starts_on, index)
        if start > expires_on:
            return periods
        end = min(add_years(starts_on, index + 1) - timedelta(days=1), expires_on)
        periods.append((start, end))
        index += 1


def periods_overlap(periods: list[tuple[date, date]]) -> bool:
    ordered = sorted(periods)
    return any(later[0] <= earlier[1] for earlier, later in zip(ordered, ordered[1:], strict=False))


@dataclass(frozen=True)
class Balance:
    """Hours of one licence year: allocation + packs − charges (SPEC H1, H2, H9)."""

    allocation: Decimal
    packs: Decimal
    charged: Decimal

    @property
    def total(self) -> Decimal:
        return self.allocation + self.packs

    @property
    def remaining(self) -> Decimal:
        return self.total - self.charged

    @property
    def used_fraction(self) -> Decimal:
        if self.total <= ZERO:
            return ZERO
        return (self.charged / self.total).quantize(Decimal("0.0001"))

    @property
    def used_percent(self) -> int:
        return int((self.used_fraction * 100).to_integral_value())


def elapsed_fraction(starts_on: date, ends_on: date, today: date) -> Decimal:
    """How much of a period has passed, from 0 to 1 (the burn-rate comparison of SPEC H10)."""
    length = (ends_on - starts_on).days + 1
    passed = min(max((today - starts_on).days + 1, 0), length)
    return (Decimal(passed) / Decimal(length)).quantize(Decimal("0.0001"))


def burn_ratio(balance: Balance, starts_on: date, ends_on: date, today: date) -> Decimal | None:
    """Hours used compared with time elapsed: above 1 the customer burns faster than time runs."""
    elapsed = elapsed_fraction(starts_on, ends_on, today)
    if elapsed == ZERO or balance.total <= ZERO:
        return None
    return (balance.used_fraction / elapsed).quantize(Decimal("0.01"))


@dataclass(frozen=True)
class LifecycleStep:
    status: str
    access: str


def contract_status_on(
    *, status: str, expires_on: date, today: date, renewed: bool, read_only_days: int = 30
) -> str:
    """Where a contract stands on ``today`` (SPEC C5): the service runs to the expiry date; then
    read-only for ``read_only_days`` days, then closed. A renewal signed before expiry continues
    without a gap: the old contract is simply "renewed"."""
    if status == "draft":
        return "draft"
    days_after = (today - expires_on).days
    if days_after <= 0:
        return status if status in ("active", "renewed") else "active"
    if renewed:
        return "renewed"
    if days_after <= read_only_days:
        return "expired"
    return "closed"


def organisation_access(statuses: list[str]) -> str:
    """The customer's access from its contracts' statuses: any running contract gives full
    access; otherwise read-only while one is in its 30 days; otherwise closed. With no contract
    at all (or only drafts) nothing is restricted yet."""
    live = [s for s in statuses if s != "draft"]
    if not live or any(s in ("active", "renewed") for s in live):
        return "full"
    if "expired" in live:
        return "read_only"
    return "closed"


def warning_due(days_left: int, already_sent: set[int]) -> int | None:
    """The expiry warning to send today, if any (SPEC L1). After downtime only the most urgent
    threshold crossed is sent; the less urgent ones it makes pointless are skipped."""
    crossed = [d for d in EXPIRY_WARNING_DAYS if 0 <= days_left <= d]
    if not crossed:
        return None
    most_urgent = min(crossed)
    if most_urgent in already_sent:
        return None
    return most_urgent
