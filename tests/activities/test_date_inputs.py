"""Date inputs carry ISO values in every language (issue 11, "Money and forms"): browsers drop a
localised value such as 26/11/2026 from ``<input type="date">``, so the log-time date and the
renewal, cancellation and assignment defaults vanished in Italian, French and Spanish."""

import re
from datetime import date

import pytest
from django import forms
from django.utils import translation
from django_scopes import scopes_disabled

from accounts.forms import AssignmentForm, EndAssignmentForm
from activities.forms import RequestForm, ScheduleForm, WorkLogForm
from contracts.forms import CancellationForm, ContractForm, RenewalForm
from csm_portal.forms import DateInput

pytestmark = pytest.mark.django_db

DAY = date(2026, 11, 26)


def date_forms() -> list[forms.Form]:
    """Every form with dates, each date given a value (an initial or a redisplayed input)."""
    return [
        WorkLogForm(),  # today, by default
        WorkLogForm(initial={"worked_on": DAY}),
        WorkLogForm({"worked_on": DAY.isoformat(), "minutes": "0"}),  # redisplayed after an error
        RequestForm(staff=True, initial={"preferred_on": DAY}),
        ScheduleForm(initial={"scheduled_on": DAY}),
        ContractForm(initial={"signed_on": DAY, "starts_on": DAY, "expires_on": DAY}),
        RenewalForm(initial={"signed_on": DAY, "expires_on": DAY}),
        CancellationForm(initial={"notice_on": DAY}),
        AssignmentForm(initial={"starts_on": DAY, "ends_on": DAY}),
        EndAssignmentForm(initial={"ends_on": DAY}),
    ]


@pytest.mark.parametrize("language", ["it", "fr", "es", "en"])
def test_date_inputs_render_iso_dates_in_every_language(language):
    """Each date input of every form with dates (activities, contracts, CSTM assignments)
    renders ``value="YYYY-MM-DD"`` under Italian, French, Spanish and English, and uses the one
    shared widget ``csm_portal.forms.DateInput``."""
    with translation.override(language), scopes_disabled():
        for form in date_forms():
            html = str(form)
            inputs = re.findall(r'<input type="date"[^>]*>', html)
            date_fields = [n for n, f in form.fields.items() if isinstance(f, forms.DateField)]
            assert len(inputs) == len(date_fields), (type(form).__name__, html)
            for tag in inputs:
                value = re.search(r'value="([^"]*)"', tag)
                assert value, (type(form).__name__, tag)
                assert re.fullmatch(r"\d{4}-\d{2}-\d{2}", value.group(1)), (language, tag)
            for name in date_fields:
                assert isinstance(form.fields[name].widget, DateInput), (type(form), name)
