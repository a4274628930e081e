"""Forms only parse input; contracts.services validates the rules and writes."""

from decimal import Decimal

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.models import Organisation, User
from accounts.selectors import cstm_choices
from contracts.models import SalesChannel, TermsDocument
from contracts.services import ServiceLine
from csm_portal.forms import DateInput

DATE = DateInput()


class ContractForm(forms.Form):
    organisation = forms.ModelChoiceField(
        label=_("Organisation"), queryset=Organisation.objects.none()
    )
    number = forms.CharField(label=_("Contract number"), max_length=50)
    sales_channel = forms.ChoiceField(label=_("Sales channel"), choices=SalesChannel.choices)
    purchase_order = forms.CharField(label=_("Purchase order"), max_length=100, required=False)
    platform_version = forms.TypedChoiceField(
        label=_("Platform version"), choices=[(1, "1"), (2, "2")], coerce=int, initial=2
    )
    signed_on = forms.DateField(label=_("Signed on"), widget=DATE)
    starts_on = forms.DateField(label=_("Activation date"), widget=DATE)
    expires_on = forms.DateField(label=_("Expiry date"), widget=DATE)
    hours_per_year = forms.DecimalField(
        label=_("CSM hours per licence year"),
        max_digits=8,
        decimal_places=2,
        min_value=Decimal("0"),
        initial=Decimal("0"),
        help_text=_("MSP-partner contracts have none."),
    )
    cstm = forms.ModelChoiceField(
        label=_("Assigned CSTM"), queryset=User.objects.none(), required=False
    )
    services = forms.CharField(
        label=_("Services and licences"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_(
            "One per line: service name, colon, number of licences (e.g. “Awareness: 250”)."
        ),
    )

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        # Evaluated per request, inside the user's tenant scope.
        self.fields["organisation"].queryset = Organisation.objects.filter(
            kind=Organisation.Kind.CUSTOMER
        )
        self.fields["cstm"].queryset = cstm_choices()
        today = timezone.localdate()
        self.fields["signed_on"].initial = today
        self.fields["starts_on"].initial = today

    def clean_services(self) -> list[ServiceLine]:
        lines: list[ServiceLine] = []
        for number, raw in enumerate(self.cleaned_data["services"].splitlines(), start=1):
            if not raw.strip():
                continue
            name, _sep, count = raw.rpartition(":")
            try:
                licences = int(count.strip())
            except ValueError:
                licences = 0
            if not name.strip() or licences < 1:
                raise forms.ValidationError(
                    _("Line %(n)s: write “service name: number of licences”.") % {"n": number}
                )
            lines.append(ServiceLine(name.strip(), licences))
        return lines


class RenewalForm(forms.Form):
    number = forms.CharField(label=_("New contract number"), max_length=50)
    signed_on = forms.DateField(label=_("Signed on"), widget=DATE)
    expires_on = forms.DateField(label=_("New expiry date"), widget=DATE)
    hours_per_year = forms.DecimalField(
        label=_("CSM hours per licence year"),
        max_digits=8,
        decimal_places=2,
        min_value=Decimal("0"),
    )
    purchase_order = forms.CharField(label=_("Purchase order"), max_length=100, required=False)


class PackForm(forms.Form):
    hours = forms.DecimalField(
        label=_("Hours"), max_digits=8, decimal_places=2, initial=Decimal("8")
    )
    purchase_order = forms.CharField(label=_("Purchase order"), max_length=100, required=False)


class ReversalForm(forms.Form):
    reason = forms.CharField(label=_("Why is the charge corrected?"), max_length=500)


class CancellationForm(forms.Form):
    notice_on = forms.DateField(label=_("Notice date"), widget=DATE)
    reason = forms.CharField(label=_("Reason"), widget=forms.Textarea(attrs={"rows": 3}))


class TermsDocumentForm(forms.Form):
    kind = forms.ChoiceField(label=_("Document"), choices=TermsDocument.Kind.choices)
    version = forms.CharField(label=_("Version"), max_length=30)
    file = forms.FileField(label=_("PDF file"))
