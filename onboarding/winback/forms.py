"""Forms of the win-back page (SPEC C6): they parse; the services decide."""

from datetime import datetime

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy

from contracts.models import CancellationNotice
from csm_portal.forms import DateInput
from onboarding.library.forms import ROME, parse_attendee_lines


class WinBackMeetingForm(forms.Form):
    date = forms.DateField(label=gettext_lazy("Date"), widget=DateInput())
    time = forms.TimeField(
        label=gettext_lazy("Time (Europe/Rome)"), widget=forms.TimeInput(attrs={"type": "time"})
    )
    video_link = forms.URLField(
        label=gettext_lazy("Video link"), required=False, assume_scheme="https"
    )
    agenda = forms.CharField(
        label=gettext_lazy("Agenda"), required=False, widget=forms.Textarea(attrs={"rows": 4})
    )
    provider_attendees = forms.CharField(
        label=gettext_lazy("Attendees for the provider"),
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=gettext_lazy("One a line: name, e-mail, role."),
    )
    customer_attendees = forms.CharField(
        label=gettext_lazy("Attendees for the customer"),
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=gettext_lazy("One a line: name, e-mail, role."),
    )

    def clean(self) -> dict:
        data = super().clean()
        attendees = []
        for field, side in (("provider_attendees", "provider"), ("customer_attendees", "customer")):
            try:
                attendees += parse_attendee_lines(data.get(field, ""), side)
            except ValidationError as error:
                self.add_error(field, error)
        data["attendees"] = attendees
        if data.get("date") and data.get("time"):
            data["scheduled_at"] = datetime.combine(data["date"], data["time"]).replace(tzinfo=ROME)
        return data

    def service_arguments(self) -> dict:
        data = self.cleaned_data
        return {
            "scheduled_at": data["scheduled_at"],
            "attendees": data["attendees"],
            "video_link": data.get("video_link") or "",
            "agenda": data.get("agenda") or "",
        }


class OutcomeForm(forms.Form):
    outcome = forms.ChoiceField(
        label=gettext_lazy("Outcome"),
        choices=CancellationNotice.Outcome.choices,
        widget=forms.RadioSelect,
    )
    won_back_on = forms.DateField(
        label=gettext_lazy("Won back on"),
        required=False,
        widget=DateInput(),
        help_text=gettext_lazy("Only when the customer is won back."),
    )
    note = forms.CharField(
        label=gettext_lazy("Win-back notes"),
        required=False,
        max_length=10000,
        widget=forms.Textarea(attrs={"rows": 4}),
    )
