"""Forms of SIEM projects, the operations model and the dashboards: they parse what people
type; the services decide (SPEC W4, W6)."""

from django import forms
from django.utils.translation import gettext_lazy

from csm_portal.forms import DateInput
from onboarding.models import DashboardOffer, Deficiency, OperationsDuty


class ProjectForm(forms.Form):
    title = forms.CharField(label=gettext_lazy("Title"), max_length=200)
    goals = forms.CharField(
        label=gettext_lazy("Goals"),
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 5}),
        help_text=gettext_lazy("The next project starts with new goals."),
    )
    starts_on = forms.DateField(label=gettext_lazy("Starts on"), widget=DateInput())
    ends_on = forms.DateField(
        label=gettext_lazy("Ends on"),
        widget=DateInput(),
        help_text=gettext_lazy("At most three months after the start."),
    )


class DeficiencyForm(forms.Form):
    description = forms.CharField(label=gettext_lazy("Deficiency"), max_length=300)
    owner = forms.CharField(label=gettext_lazy("Owner"), max_length=120)
    status = forms.ChoiceField(
        label=gettext_lazy("Status"),
        choices=Deficiency.Status.choices,
        initial=Deficiency.Status.OPEN,
    )


class DeficiencyStatusForm(forms.Form):
    status = forms.ChoiceField(label=gettext_lazy("Status"), choices=Deficiency.Status.choices)


class CloseForm(forms.Form):
    went_well = forms.CharField(
        label=gettext_lazy("What went well"),
        required=False,
        max_length=10000,
        widget=forms.Textarea(attrs={"rows": 4}),
    )
    to_improve = forms.CharField(
        label=gettext_lazy("What to improve"),
        required=False,
        max_length=10000,
        widget=forms.Textarea(attrs={"rows": 4}),
    )


class DutyForm(forms.Form):
    task = forms.CharField(label=gettext_lazy("Task"), max_length=200)
    provider = forms.ChoiceField(
        label=gettext_lazy("Provider"), choices=OperationsDuty.Raci.choices
    )
    customer = forms.ChoiceField(
        label=gettext_lazy("Customer"), choices=OperationsDuty.Raci.choices
    )


class DashboardsForm(forms.Form):
    offers = forms.ModelMultipleChoiceField(
        label=gettext_lazy("Dashboards and reports wanted"),
        queryset=DashboardOffer.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )

    def __init__(self, *args, offers, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["offers"].queryset = offers
