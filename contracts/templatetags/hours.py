"""Display of hours: exact decimals, localised, without useless trailing zeros (1,5 h; 20 h)."""

from decimal import Decimal

from django import template
from django.utils import formats

register = template.Library()


@register.filter
def hours(value: Decimal | None) -> str:
    if value is None or value == "":
        return "—"
    quantized = Decimal(value).quantize(Decimal("0.01"))
    places = (
        0 if quantized == quantized.to_integral_value() else (1 if quantized * 10 % 1 == 0 else 2)
    )
    return formats.number_format(quantized, decimal_pos=places, use_l10n=True)


@register.filter
def percent_of(part: Decimal, whole: Decimal) -> int:
    """Share of ``whole`` as a whole percentage, capped at 100, for progress bars."""
    if not whole:
        return 0
    return max(0, min(100, int(Decimal(part) * 100 / Decimal(whole))))
