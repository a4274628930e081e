"""Numbers and dates as the reader writes them, in the active language (SPEC S8): one place for
hours (1,5 h in Italian, French and Spanish; 1.5 h in English) and for dates (26 novembre 2026;
26 November 2026 for English users in Europe, see csm_portal/formats/en). Messages, e-mails and
PDFs call these under ``translation.override(<the reader's language>)``; templates use the
``hours`` filter, which is this same function."""

from datetime import date, datetime
from decimal import Decimal

from django.utils import formats, timezone, translation

HUNDREDTH = Decimal("0.01")
# Languages that write month names in lower case (26 novembre 2026). Django's own Italian
# catalogue capitalises them (26 Novembre 2026), which an Italian reader finds wrong.
LOWER_CASE_MONTHS = {"it", "fr", "es"}


def hours(value: Decimal | int | str | None) -> str:
    """Hours, exact, localised, without useless trailing zeros: 1.50 → "1,5", 10.00 → "10",
    0.34 → "0,34" (Italian); "—" for no value. Never goes through a float (SPEC H9)."""
    if value is None or value == "":
        return "—"
    quantized = Decimal(value).quantize(HUNDREDTH)
    if quantized == quantized.to_integral_value():
        places = 0
    elif (quantized * 10) % 1 == 0:
        places = 1
    else:
        places = 2
    return formats.number_format(quantized, decimal_pos=places, use_l10n=True)


def day(value: date | datetime | None, *, short: bool = False) -> str:
    """A date in words of the active language (26 novembre 2026), or in figures with
    ``short`` (26/11/2026); a datetime is first turned into the portal's local time."""
    if value is None or value == "":
        return "—"
    if isinstance(value, datetime):
        value = timezone.localtime(value) if timezone.is_aware(value) else value
        value = value.date()
    text = formats.date_format(value, "SHORT_DATE_FORMAT" if short else "DATE_FORMAT")
    language = (translation.get_language() or "").split("-")[0]
    return text.lower() if language in LOWER_CASE_MONTHS else text
