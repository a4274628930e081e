"""A customer's health (issue 14, SPEC H10, S9, O3, C5, C6): good, at risk or critical, from
explained signals, never an opaque score. Pure: no ORM, no clock (the facts carry what the apps
measured), so it is tested exhaustively (``tests/cockpit/test_health.py``).

Each signal gives at most one reason, a sentence in the active language with its figures; the
level is the worst reason's, and a customer with no reason is good. The thresholds are named
below so that a reader of the cockpit and of this file finds the same numbers.
"""

from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal

from django.utils.translation import gettext as _
from django.utils.translation import ngettext

GOOD = "good"
AT_RISK = "at_risk"
CRITICAL = "critical"
_RANK = {GOOD: 0, AT_RISK: 1, CRITICAL: 2}

# Hours burn against time elapsed of the licence year, in percentage points ahead.
BURN_AHEAD_AT_RISK = 15
BURN_AHEAD_CRITICAL = 30
# Hours left unused: past half of the year, less than a quarter of the elapsed share used.
UNDERUSE_FROM_ELAPSED = 50
UNDERUSE_SHARE = Decimal("0.25")
# Open tickets past an SLA target.
SLA_BREACHES_CRITICAL = 3
# Open tickets (backlog).
BACKLOG_AT_RISK = 10
# Days past the target go-live with no go-live (SPEC O3: about one month).
ONBOARDING_LATE_CRITICAL = 30
# Days to the expiry of the running contract with no renewal recorded.
EXPIRY_AT_RISK = 60
EXPIRY_CRITICAL = 30
# Days since the last meeting, work session or ticket reply.
CONTACT_AT_RISK = 45
CONTACT_CRITICAL = 90


@dataclass(frozen=True)
class HealthFacts:
    """What the apps know of one customer today; None where a fact does not apply."""

    used_percent: int | None = None  # of the current licence year's hours
    elapsed_percent: int | None = None  # of the current licence year
    sla_breaches: int = 0  # open tickets past an SLA target
    open_tickets: int = 0
    onboarding_days_late: int | None = None  # days past the target go-live, not live yet
    days_to_expiry: int | None = None  # of the latest running contract; negative once expired
    renewal_recorded: bool = False
    cancellation_notice: bool = False
    days_since_contact: int | None = None  # None: no contact recorded

    @property
    def burning_fast(self) -> bool:
        """Hours used ahead of time elapsed by the at-risk threshold or more."""
        if self.used_percent is None or self.elapsed_percent is None:
            return False
        return self.used_percent - self.elapsed_percent >= BURN_AHEAD_AT_RISK


@dataclass(frozen=True)
class Reason:
    """One signal's verdict. The sentence is rendered when read, in the active language: the
    admin's cockpit ranks thousands of customers but shows the reasons of one page of them
    (issue 15), and gettext is most of what a health costs."""

    signal: str  # burn, underuse, sla, backlog, onboarding, expiry, cancellation, contact
    level: str
    text: Callable[[], str] = field(compare=False, repr=False)

    @property
    def sentence(self) -> str:
        return self.text()


@dataclass(frozen=True)
class Health:
    level: str
    reasons: tuple[Reason, ...]

    @property
    def label(self) -> str:
        return {GOOD: _("Good"), AT_RISK: _("At risk"), CRITICAL: _("Critical")}[self.level]


def worst(levels: list[str]) -> str:
    return max(levels, key=_RANK.__getitem__, default=GOOD)


def _burn(facts: HealthFacts) -> list[Reason]:
    used, elapsed = facts.used_percent, facts.elapsed_percent
    if used is None or elapsed is None:
        return []
    ahead = used - elapsed
    if ahead >= BURN_AHEAD_AT_RISK:
        level = CRITICAL if ahead >= BURN_AHEAD_CRITICAL else AT_RISK

        def sentence() -> str:
            return _(
                "%(used)s%% of the year's hours are used with %(elapsed)s%% of the licence year "
                "elapsed: the hours will run out before the year ends."
            ) % {"used": used, "elapsed": elapsed}

        return [Reason("burn", level, sentence)]
    if elapsed >= UNDERUSE_FROM_ELAPSED and used < elapsed * UNDERUSE_SHARE:

        def sentence() -> str:
            return _(
                "Only %(used)s%% of the year's hours are used with %(elapsed)s%% of the licence "
                "year elapsed: the customer is not using the service it paid for."
            ) % {"used": used, "elapsed": elapsed}

        return [Reason("underuse", AT_RISK, sentence)]
    return []


def _tickets(facts: HealthFacts) -> list[Reason]:
    reasons = []
    if facts.sla_breaches > 0:
        level = CRITICAL if facts.sla_breaches >= SLA_BREACHES_CRITICAL else AT_RISK

        def sentence() -> str:
            return ngettext(
                "%(n)s open ticket is past its service-level target.",
                "%(n)s open tickets are past their service-level target.",
                facts.sla_breaches,
            ) % {"n": facts.sla_breaches}

        reasons.append(Reason("sla", level, sentence))
    if facts.open_tickets >= BACKLOG_AT_RISK:

        def sentence() -> str:
            return ngettext(
                "%(n)s ticket is open.", "%(n)s tickets are open.", facts.open_tickets
            ) % {"n": facts.open_tickets}

        reasons.append(Reason("backlog", AT_RISK, sentence))
    return reasons


def _onboarding(facts: HealthFacts) -> list[Reason]:
    late = facts.onboarding_days_late
    if late is None or late <= 0:
        return []
    level = CRITICAL if late > ONBOARDING_LATE_CRITICAL else AT_RISK

    def sentence() -> str:
        return ngettext(
            "Onboarding is %(n)s day past its target go-live.",
            "Onboarding is %(n)s days past its target go-live.",
            late,
        ) % {"n": late}

    return [Reason("onboarding", level, sentence)]


def _expiry(facts: HealthFacts) -> list[Reason]:
    days = facts.days_to_expiry
    if days is None or facts.renewal_recorded or days > EXPIRY_AT_RISK:
        return []
    if days < 0:

        def sentence() -> str:
            return ngettext(
                "The contract expired %(n)s day ago.", "The contract expired %(n)s days ago.", -days
            ) % {"n": -days}

        return [Reason("expiry", CRITICAL, sentence)]
    level = CRITICAL if days <= EXPIRY_CRITICAL else AT_RISK

    def sentence() -> str:
        return ngettext(
            "The contract expires in %(n)s day and no renewal is recorded.",
            "The contract expires in %(n)s days and no renewal is recorded.",
            days,
        ) % {"n": days}

    return [Reason("expiry", level, sentence)]


def _cancellation(facts: HealthFacts) -> list[Reason]:
    if not facts.cancellation_notice:
        return []

    def sentence() -> str:
        return _("The customer has given notice of cancellation.")

    return [Reason("cancellation", CRITICAL, sentence)]


def _contact(facts: HealthFacts) -> list[Reason]:
    days = facts.days_since_contact
    if days is None:

        def sentence() -> str:
            return _("No meeting, work session or ticket reply is recorded yet.")

        return [Reason("contact", AT_RISK, sentence)]
    if days <= CONTACT_AT_RISK:
        return []
    level = CRITICAL if days > CONTACT_CRITICAL else AT_RISK

    def sentence() -> str:
        return ngettext(
            "Last contact (meeting, work session or ticket reply) %(n)s day ago.",
            "Last contact (meeting, work session or ticket reply) %(n)s days ago.",
            days,
        ) % {"n": days}

    return [Reason("contact", level, sentence)]


SIGNALS = (_cancellation, _expiry, _burn, _tickets, _onboarding, _contact)


def health_of(facts: HealthFacts) -> Health:
    """The customer's health and why: the worst of its signals' levels; good with no reason."""
    reasons = [reason for signal in SIGNALS for reason in signal(facts)]
    reasons.sort(key=lambda r: -_RANK[r.level])  # stable: the signals' order within a level
    return Health(level=worst([r.level for r in reasons]), reasons=tuple(reasons))
