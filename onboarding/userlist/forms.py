"""Forms of the customer prerequisites (SPEC O2): thin, the services validate."""

from django import forms
from django.utils.translation import gettext_lazy as _

from onboarding.models import Logo


class UserListUploadForm(forms.Form):
    file = forms.FileField(
        label=_("User list (CSV)"),
        help_text=_("The template's columns; comma or semicolon; UTF-8 or Windows-1252."),
        widget=forms.ClearableFileInput(attrs={"accept": ".csv,text/csv"}),
    )


class LogoForm(forms.Form):
    variant = forms.ChoiceField(label=_("Background"), choices=Logo.Variant.choices)
    file = forms.FileField(
        label=_("Logo (PNG, JPEG or SVG)"),
        widget=forms.ClearableFileInput(attrs={"accept": ".png,.jpg,.jpeg,.svg"}),
    )


class WhitelistingForm(forms.Form):
    phishing_mail = forms.BooleanField(
        label=_("The phishing simulation e-mails arrive in the inbox"), required=False
    )
    awareness_mail = forms.BooleanField(label=_("The awareness e-mails arrive"), required=False)
    channel_mail = forms.BooleanField(
        label=_("The channel e-mails (notifications, reminders) arrive"), required=False
    )
    videos_play = forms.BooleanField(label=_("The training videos play"), required=False)
    note = forms.CharField(
        label=_("Note"), required=False, max_length=2000, widget=forms.Textarea(attrs={"rows": 3})
    )


class WhitelistingInstructionsForm(forms.Form):
    technical_notes = forms.CharField(
        label=_("Technical instructions"),
        help_text=_(
            "Sending addresses and IPs to allow, and the technical configuration documents to "
            "read (their titles or links in the document library)."
        ),
        max_length=10000,
        widget=forms.Textarea(attrs={"rows": 6}),
    )
