"""Forms only parse input; activities.services validates the rules and writes."""

from decimal import Decimal

from django import forms
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.models import Organisation
from activities.models import Activity, ActivityRequest
from activities.services import minutes_from
from csm_portal.forms import DateInput

DATE = DateInput()
TIME = forms.TimeInput(attrs={"type": "time"}, format="%H:%M")
HALF_HOURS = {"max_digits": 8, "decimal_places": 2, "min_value": Decimal("0.5")}


class RequestForm(forms.Form):
    """The referent's request in the portal; staff also choose the organisation and channel."""

    organisation = forms.ModelChoiceField(
        label=_("Organisation"), queryset=Organisation.objects.none()
    )
    activity = forms.ModelChoiceField(label=_("Activity"), queryset=Activity.objects.none())
    channel = forms.ChoiceField(
        label=_("How was it agreed?"),
        choices=[
            (ActivityRequest.Channel.PHONE, ActivityRequest.Channel.PHONE.label),
            (ActivityRequest.Channel.VIDEO, ActivityRequest.Channel.VIDEO.label),
            (ActivityRequest.Channel.EMAIL, ActivityRequest.Channel.EMAIL.label),
        ],
        help_text=_(
            "Agreed by phone or video, it stays “to be formalised” until the referent confirms "
            "it in writing."
        ),
    )
    ticket_number = forms.CharField(
        label=_("Ticket the email came in on"),
        required=False,
        max_length=20,
        help_text=_(
            "Received by email: the number of the referent's ticket (e.g. T000123). Without "
            "it the request stays “to be formalised”."
        ),
    )
    details = forms.CharField(
        label=_("What do you need?"),
        required=False,
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 4}),
    )
    preferred_on = forms.DateField(label=_("Preferred date"), required=False, widget=DATE)

    def __init__(
        self, *args: object, staff: bool, kickoff_done: bool = False, **kwargs: object
    ) -> None:
        super().__init__(*args, **kwargs)
        activities = Activity.objects.filter(active=True).order_by("position", "pk")
        if kickoff_done:  # SPEC O1: the kick-off happens once; it is not offered again
            activities = activities.exclude(is_kickoff=True)
        self.fields["activity"].queryset = activities
        if staff:
            self.fields["organisation"].queryset = Organisation.objects.filter(
                kind=Organisation.Kind.CUSTOMER
            ).order_by("name")
        else:
            del self.fields["organisation"]
            del self.fields["channel"]
            del self.fields["ticket_number"]


class ScheduleForm(forms.Form):
    scheduled_on = forms.DateField(label=_("Date"), widget=DATE)


class WorkLogForm(forms.Form):
    """Start and end, or a duration; whether an overrun comes from the customer and why."""

    worked_on = forms.DateField(label=_("Date"), widget=DATE)
    starts_at = forms.TimeField(label=_("Start"), required=False, widget=TIME)
    ends_at = forms.TimeField(label=_("End"), required=False, widget=TIME)
    minutes = forms.IntegerField(
        label=_("or duration (minutes)"),
        required=False,
        min_value=1,
        max_value=24 * 60,
        error_messages={
            "invalid": _("Give the duration in whole minutes."),
            "min_value": _("The duration must be more than zero."),
            "max_value": _("A session cannot last more than 24 hours."),
        },
    )
    notes = forms.CharField(
        label=_("Notes"), required=False, max_length=5000, widget=forms.Textarea(attrs={"rows": 3})
    )
    customer_caused = forms.BooleanField(
        label=_("The time beyond the minimum was caused by the customer"), required=False
    )
    overrun_reason = forms.CharField(
        label=_("Customer-side cause of the overrun"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("Required when the overrun is charged: it is shown to the referent."),
    )

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        self.fields["worked_on"].initial = timezone.localdate()

    def clean(self) -> dict:
        data = super().clean()
        if self.errors:
            return data
        try:
            data["minutes"] = minutes_from(
                data.get("starts_at"), data.get("ends_at"), data.get("minutes")
            )
        except ValidationError as error:
            for field, messages in error.message_dict.items():
                self.add_error(field, messages)
        return data


class EstimateForm(forms.Form):
    hours = forms.DecimalField(label=_("Estimated hours of work"), **HALF_HOURS)
    note = forms.CharField(
        label=_("What the estimate covers"),
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 4}),
    )


class OverdraftForm(forms.Form):
    hours = forms.DecimalField(
        label=_("Hours the balance may go below zero"),
        max_digits=8,
        decimal_places=2,
        min_value=Decimal("0"),
    )


class ActivityForm(forms.ModelForm):
    class Meta:
        model = Activity
        fields = [
            "code",
            "position",
            "name_it",
            "name_en",
            "name_fr",
            "name_es",
            "description_it",
            "description_en",
            "description_fr",
            "description_es",
            "phase",
            "obligation",
            "minimum_hours",
            "estimate_first",
            "is_kickoff",
            "lead_time_working_days",
            "frequency",
            "active",
        ]
        widgets = {
            f"description_{code}": forms.Textarea(attrs={"rows": 2})
            for code in ["it", "en", "fr", "es"]
        }
