"""Pure rules of SIEM projects and the operations model (SPEC W4, W6): no ORM here.

- A project lasts at most three calendar months: it ends on or before the same day three
  months after its start, clamped to the end of a shorter month (30 November → 28 February,
  or the 29th in a leap year), and not before it starts.
- Closing a project needs a deficiency list (at least one item) and both parts of the
  evaluation.
- The next project starts with new goals: not the previous project's goals again.
- Stepping in on an operations task makes the customer responsible (R) and the provider
  consulted (C); stepping out hands it back (provider R, customer informed)."""

import calendar
from dataclasses import dataclass
from datetime import date

from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

MAX_MONTHS = 3
RESPONSIBLE, ACCOUNTABLE, CONSULTED, INFORMED, NONE = "R", "A", "C", "I", "-"
LETTERS = (RESPONSIBLE, ACCOUNTABLE, CONSULTED, INFORMED, NONE)


def add_months(day: date, months: int) -> date:
    """The same day ``months`` calendar months later, clamped to the last day of that month."""
    index = day.month - 1 + months
    year, month = day.year + index // 12, index % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def latest_end(starts_on: date) -> date:
    """The last day a project starting on ``starts_on`` may end (SPEC W4); past the calendar's
    end (year 9999), the calendar's last day."""
    try:
        return add_months(starts_on, MAX_MONTHS)
    except ValueError:
        return date.max


def period_problems(starts_on: date, ends_on: date) -> dict[str, str]:
    """Problems of a project's dates by field (empty when it fits in three months)."""
    if ends_on < starts_on:
        return {"ends_on": _("The project cannot end before it starts.")}
    limit = latest_end(starts_on)
    if ends_on > limit:
        return {
            "ends_on": _(
                "A project lasts at most three months: starting on %(start)s, it ends on "
                "%(limit)s at the latest."
            )
            % {"start": starts_on.isoformat(), "limit": limit.isoformat()}
        }
    return {}


def same_goals(previous: str, new: str) -> bool:
    """Goals are the same when they differ only by spaces and letter case."""
    return " ".join(previous.split()).casefold() == " ".join(new.split()).casefold()


def closing_problems(*, deficiencies: int, went_well: str, to_improve: str) -> list[str]:
    """What is missing to close a project, all at once (SPEC W4)."""
    missing = []
    if deficiencies < 1:
        missing.append(_("the deficiency list (at least one item)"))
    if not went_well.strip():
        missing.append(_("what went well"))
    if not to_improve.strip():
        missing.append(_("what to improve"))
    return missing


@dataclass(frozen=True)
class Progress:
    elapsed_days: int
    total_days: int

    @property
    def percent(self) -> int:
        return self.elapsed_days * 100 // self.total_days if self.total_days else 0


def progress(starts_on: date, ends_on: date, today: date) -> Progress:
    """Days elapsed out of the project's days (both ends included), clamped to its period."""
    total = (ends_on - starts_on).days + 1
    elapsed = (min(today, ends_on) - starts_on).days + 1
    return Progress(max(0, min(elapsed, total)), max(total, 0))


def stepped_in() -> tuple[str, str]:
    """(provider, customer) letters once the customer takes the task on."""
    return CONSULTED, RESPONSIBLE


def stepped_out() -> tuple[str, str]:
    """(provider, customer) letters once the customer hands the task back."""
    return RESPONSIBLE, INFORMED


# The standard operations model proposed to every SIEM customer (SPEC W6): task (translated
# into the customer's language when proposed), provider's letter, customer's letter.
STANDARD_MODEL: tuple[tuple[str, str, str], ...] = (
    (gettext_noop("Onboarding of new log sources"), RESPONSIBLE, CONSULTED),
    (gettext_noop("Health of log collection (sources gone silent)"), RESPONSIBLE, INFORMED),
    (gettext_noop("Detection rule tuning"), RESPONSIBLE, CONSULTED),
    (gettext_noop("Incident triage (first analysis of alerts)"), RESPONSIBLE, INFORMED),
    (gettext_noop("Incident response"), CONSULTED, RESPONSIBLE),
    (gettext_noop("Reporting to management"), RESPONSIBLE, ACCOUNTABLE),
    (
        gettext_noop("Ongoing clean-up of the data (noisy sources, duplicates, parsing errors)"),
        RESPONSIBLE,
        CONSULTED,
    ),
    (gettext_noop("User administration of the SIEM"), RESPONSIBLE, ACCOUNTABLE),
    (gettext_noop("Platform updates and patching"), RESPONSIBLE, INFORMED),
    (gettext_noop("Retention and archive management"), RESPONSIBLE, ACCOUNTABLE),
    (gettext_noop("Periodic review of use cases"), RESPONSIBLE, CONSULTED),
)
