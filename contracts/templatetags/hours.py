"""Display of hours: exact decimals, localised, without useless trailing zeros (1,5 h; 20 h)."""

from datetime import date, datetime
from decimal import Decimal
from functools import lru_cache

from django import template
from django.conf import settings
from django.utils.translation import get_language

from csm_portal import formatting

register = template.Library()


@lru_cache(maxsize=4096)
def _hours_in(language: str | None, thousands: bool, text: str) -> str:
    # Keyed by the amount's exact text, not its value: 0 and -0.00 are equal but may print
    # differently.
    return formatting.hours(Decimal(text))


@register.filter
def hours(value: Decimal | None) -> str:
    """``formatting.hours``, remembered per language (issue 15): a ledger page shows the same
    few amounts many times, and each one otherwise goes through Django's number formatting."""
    if value is None or value == "":
        return formatting.hours(value)
    return _hours_in(get_language(), settings.USE_THOUSAND_SEPARATOR, str(value))


@register.filter
def day(value: date | datetime | None) -> str:
    """A date in words of the reader's language (26 novembre 2026; 26 November 2026)."""
    return formatting.day(value)


@register.filter
def percent_of(part: Decimal, whole: Decimal) -> int:
    """Share of ``whole`` as a whole percentage, capped at 100, for progress bars."""
    if not whole:
        return 0
    return max(0, min(100, int(Decimal(part) * 100 / Decimal(whole))))
