"""Forms of the purpose questionnaire (W1), the retention decision (W5) and the charter (W3).
They parse; the services decide (bad input comes back as the service's messages)."""

from typing import Any

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy

from csm_portal.forms import DateInput
from onboarding.models import Meeting, SiemWorkshop
from onboarding.siem.charter import selectors
from onboarding.siem.charter.sections import CHARTER_SECTIONS, PURPOSE_QUESTIONS, TEXT_MAX
from onboarding.siem.sizing import MAX_RETENTION_MONTHS


class MeetingChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, meeting: Meeting) -> str:
        return f"{meeting.title} ({timezone.localtime(meeting.scheduled_at):%Y-%m-%d})"


class RetentionDecisionForm(forms.Form):
    months = forms.IntegerField(
        label=gettext_lazy("Retention chosen (months)"),
        widget=forms.NumberInput(attrs={"min": 1, "max": MAX_RETENTION_MONTHS}),
    )
    decided_on = forms.DateField(label=gettext_lazy("Decided on"), widget=DateInput())
    attendees = forms.CharField(
        label=gettext_lazy("Who took part"),
        help_text=gettext_lazy("One person a line: name and role."),
        widget=forms.Textarea(attrs={"rows": 4}),
        required=False,
    )
    meeting = MeetingChoiceField(
        label=gettext_lazy("Meeting"), queryset=Meeting.objects.none(), required=False
    )
    note = forms.CharField(
        label=gettext_lazy("Note"), widget=forms.Textarea(attrs={"rows": 3}), required=False
    )

    def __init__(self, *args: Any, workshop: SiemWorkshop, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["meeting"].queryset = selectors.meetings_of(workshop)

    def service_arguments(self) -> dict[str, Any]:
        data = self.cleaned_data
        return {
            "months": data["months"],
            "decided_on": data["decided_on"],
            "attendees": data.get("attendees") or "",
            "meeting": data.get("meeting"),
            "note": data.get("note") or "",
        }


class _TextsForm(forms.Form):
    """One long text a question or section."""

    questions: tuple = ()

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for key, label in self.questions:
            self.fields[key] = forms.CharField(
                label=label,
                required=False,
                max_length=TEXT_MAX,
                widget=forms.Textarea(attrs={"rows": 4}),
            )

    def texts(self) -> dict[str, str]:
        return {key: self.cleaned_data.get(key) or "" for key, _label in self.questions}


class PurposeForm(_TextsForm):
    questions = PURPOSE_QUESTIONS


class CharterForm(_TextsForm):
    questions = CHARTER_SECTIONS
