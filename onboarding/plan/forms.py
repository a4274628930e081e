from django import forms
from django.utils.translation import gettext_lazy as _

from csm_portal.forms import DateInput


class StepCloseForm(forms.Form):
    note = forms.CharField(
        label=_("Note"), required=False, max_length=2000, widget=forms.Textarea(attrs={"rows": 2})
    )


class StepUpdateForm(forms.Form):
    due_on = forms.DateField(label=_("Due date"), required=False, widget=DateInput())
    blocked_reason = forms.CharField(
        label=_("What blocks it (empty: not blocked)"), required=False, max_length=300
    )


class GoLiveForm(forms.Form):
    go_live_on = forms.DateField(label=_("Go-live date"), widget=DateInput())


class ChecklistForm(forms.Form):
    item = forms.CharField(max_length=40)
    ticked = forms.BooleanField(required=False)


class TrainingForm(forms.Form):
    module = forms.CharField(label=_("Module"), max_length=200)
    completed = forms.IntegerField(
        label=_("Users who completed it"), min_value=0, max_value=10_000_000
    )
    total = forms.IntegerField(label=_("Users on the list"), min_value=1, max_value=10_000_000)

    def clean(self) -> dict:
        data = super().clean()
        if (
            data.get("completed") is not None
            and data.get("total") is not None
            and data["completed"] > data["total"]
        ):
            self.add_error("completed", _("More users completed the module than there are users."))
        return data
