"""Forms of meetings and the library: they parse what people type; the services decide."""

import re
from datetime import datetime
from zoneinfo import ZoneInfo

from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext_lazy

from accounts.models import Organisation, User
from activities.models import ActivityRequest
from csm_portal.forms import DateInput
from onboarding.library import files, selectors
from onboarding.models import Meeting
from onboarding.models.documents import DocumentKind

EMAIL = re.compile(r"[^\s<>,;]+@[^\s<>,;]+")
ROME = ZoneInfo("Europe/Rome")


def parse_attendee_lines(text: str, side: str) -> list[dict]:
    """One attendee a line: "Name Surname, e-mail, role" (any order, the role optional)."""
    attendees = []
    for number, line in enumerate(text.splitlines(), start=1):
        line = line.strip()
        if not line:
            continue
        match = EMAIL.search(line)
        if match is None:
            raise ValidationError(
                _("Line %(n)s: “%(line)s” has no e-mail address.")
                % {"n": number, "line": line[:80]}
            )
        before = line[: match.start()].strip(" ,;<>-–")
        after = line[match.end() :].strip(" ,;<>-–")
        attendees.append(
            {"name": before, "email": match.group(0), "side": side, "role": after[:200]}
        )
    return attendees


def attendee_lines(attendees: list[dict], side: str) -> str:
    return "\n".join(
        ", ".join(p for p in (a.get("name", ""), a["email"], a.get("role", "")) if p)
        for a in attendees
        if a.get("side") == side
    )


class RequestChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: ActivityRequest) -> str:
        status = obj.get_status_display()
        return f"#{obj.pk} · {obj.activity.name} · {obj.organisation.name} · {status}"


class MeetingForm(forms.Form):
    organisation = forms.ModelChoiceField(
        label=gettext_lazy("Customer"), queryset=Organisation.objects.none()
    )
    kind = forms.ChoiceField(
        label=gettext_lazy("Kind of meeting"),
        choices=[
            (k.value, k.label)
            for k in (
                Meeting.Kind.KICKOFF,
                Meeting.Kind.PRE_GO_LIVE,
                Meeting.Kind.SAL,
                Meeting.Kind.OTHER,
            )
        ],
    )
    title = forms.CharField(label=gettext_lazy("Title"), max_length=200)
    date = forms.DateField(label=gettext_lazy("Date"), widget=DateInput())
    time = forms.TimeField(
        label=gettext_lazy("Time (Europe/Rome)"), widget=forms.TimeInput(attrs={"type": "time"})
    )
    duration_minutes = forms.IntegerField(
        label=gettext_lazy("Duration (minutes)"), initial=60, min_value=15, max_value=480
    )
    video_link = forms.URLField(
        label=gettext_lazy("Video link"), required=False, assume_scheme="https"
    )
    agenda = forms.CharField(
        label=gettext_lazy("Agenda"), required=False, widget=forms.Textarea(attrs={"rows": 5})
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
    activity_request = RequestChoiceField(
        label=gettext_lazy("Activity request it is charged on"),
        queryset=ActivityRequest.objects.none(),
        required=False,
    )
    record_request = forms.BooleanField(
        label=gettext_lazy(
            "No request yet: record one agreed in this meeting (the referent confirms it in "
            "writing)"
        ),
        required=False,
    )

    def __init__(self, *args, meeting: Meeting | None = None, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.meeting = meeting
        self.fields["organisation"].queryset = Organisation.objects.filter(
            kind=Organisation.Kind.CUSTOMER, is_active=True
        ).order_by("name")
        requests = selectors.requests_for_meetings()
        if meeting is not None:
            requests = requests.filter(organisation=meeting.organisation_id)
            for name in ("organisation", "kind", "record_request"):
                del self.fields[name]
        self.fields["activity_request"].queryset = requests

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
        arguments = {
            "title": data["title"],
            "scheduled_at": data["scheduled_at"],
            "duration_minutes": data["duration_minutes"],
            "video_link": data["video_link"],
            "agenda": data["agenda"],
            "attendees": data["attendees"],
            "activity_request": data["activity_request"],
        }
        if self.meeting is None:
            arguments.update(
                organisation=data["organisation"],
                kind=data["kind"],
                record_request=data["record_request"],
            )
        return arguments


def meeting_initial(meeting: Meeting) -> dict:
    local = meeting.scheduled_at.astimezone(ROME)
    return {
        "title": meeting.title,
        "date": local.date(),
        "time": local.time().replace(second=0, microsecond=0),
        "duration_minutes": meeting.duration_minutes,
        "video_link": meeting.video_link,
        "agenda": meeting.agenda,
        "provider_attendees": attendee_lines(meeting.attendees, "provider"),
        "customer_attendees": attendee_lines(meeting.attendees, "customer"),
        "activity_request": meeting.activity_request_id,
    }


class ReferentChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: User) -> str:
        return f"{obj.display_name} <{obj.email}>"


class MinutesForm(forms.Form):
    minutes = forms.CharField(
        label=pgettext_lazy("meeting", "Minutes"), widget=forms.Textarea(attrs={"rows": 12})
    )
    referent = ReferentChoiceField(
        label=gettext_lazy("Service referent (confirm)"),
        queryset=User.objects.none(),
        required=False,
    )
    referent_email = forms.EmailField(
        label=gettext_lazy("…or invite the referent: e-mail"), required=False
    )
    referent_first_name = forms.CharField(
        label=gettext_lazy("First name"), required=False, max_length=150
    )
    referent_last_name = forms.CharField(
        label=gettext_lazy("Last name"), required=False, max_length=150
    )
    referent_language = forms.ChoiceField(
        label=gettext_lazy("Language"), choices=settings.LANGUAGES, required=False
    )

    def __init__(self, *args, meeting: Meeting, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        if meeting.kind != Meeting.Kind.KICKOFF:
            for name in list(self.fields):
                if name.startswith("referent"):
                    del self.fields[name]
            return
        referents = selectors.referents_of(meeting.organisation)
        self.fields["referent"].queryset = referents
        if not self.is_bound:
            self.initial.setdefault("minutes", meeting.minutes)
            self.initial.setdefault(
                "referent", meeting.named_referent_id or next(iter(referents), None)
            )
            self.initial.setdefault("referent_language", meeting.organisation.language)


class DocumentForm(forms.Form):
    kind = forms.ChoiceField(label=gettext_lazy("Kind of document"), choices=DocumentKind.choices)
    title = forms.CharField(
        label=gettext_lazy("Title"),
        max_length=200,
        help_text=gettext_lazy("The same kind and title make a new version of the document."),
    )
    file = forms.FileField(label=gettext_lazy("File"))

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["file"].help_text = _("Accepted: %(types)s, at most %(mb)s MB.") % {
            "types": files.allowed_extensions(),
            "mb": settings.DELIVERABLE_MAX_BYTES // 2**20,
        }


class DeliverableForm(DocumentForm):
    organisation = forms.ModelChoiceField(
        label=gettext_lazy("Customer"), queryset=Organisation.objects.none()
    )
    field_order = ["organisation", "kind", "title", "file"]

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["organisation"].queryset = Organisation.objects.filter(
            kind=Organisation.Kind.CUSTOMER, is_active=True
        ).order_by("name")
