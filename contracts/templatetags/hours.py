"""Display of hours: exact decimals, localised, without useless trailing zeros (1,5 h; 20 h)."""

from datetime import date, datetime
from decimal import Decimal

from django import template

from csm_portal import formatting

register = template.Library()


@register.filter
def hours(value: Decimal | None) -> str:
    return formatting.hours(value)


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
