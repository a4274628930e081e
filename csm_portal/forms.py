"""Form widgets shared by every app's forms."""

from typing import Any

from django import forms

ISO_DATE = "%Y-%m-%d"


class DateInput(forms.DateInput):
    """``<input type="date">`` with its value in ISO form (2026-11-26) in every language.

    Browsers accept only ISO values in a date input: the localised Italian, French or Spanish
    rendering (26/11/2026) is dropped, so defaults and redisplayed values would vanish. What the
    user sees is the browser's own localised picker."""

    input_type = "date"

    def __init__(self, attrs: dict[str, Any] | None = None) -> None:
        super().__init__(attrs=attrs, format=ISO_DATE)
