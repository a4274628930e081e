"""Forms only parse input; the services validate the rules and write."""

from django import forms
from django.conf import settings
from django.contrib.auth import password_validation
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.models import CstmAssignment, Organisation
from accounts.roles import AgentLevel, Role
from accounts.selectors import cstm_choices
from csm_portal.forms import DateInput


class OrganisationForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=200)
    domains = forms.CharField(
        label=_("Email domains"),
        required=False,
        help_text=_(
            "One or more, separated by commas: end users writing from them are recognised."
        ),
    )
    language = forms.ChoiceField(label=_("Language"), choices=settings.LANGUAGES)
    notes = forms.CharField(
        label=_("Notes"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )
    is_active = forms.BooleanField(label=_("Active"), required=False, initial=True)

    def clean_domains(self) -> list[str]:
        return [d for d in self.cleaned_data["domains"].replace(";", ",").split(",") if d.strip()]

    @classmethod
    def initial_for(cls, organisation: Organisation) -> dict:
        return {
            "name": organisation.name,
            "domains": ", ".join(d.domain for d in organisation.domains.all()),
            "language": organisation.language,
            "notes": organisation.notes,
            "is_active": organisation.is_active,
        }


class InviteForm(forms.Form):
    email = forms.EmailField(label=_("Email address"))
    first_name = forms.CharField(label=_("First name"), max_length=150)
    last_name = forms.CharField(label=_("Last name"), max_length=150)
    role = forms.ChoiceField(label=_("Role"), choices=Role.choices)
    agent_level = forms.ChoiceField(
        label=_("Agent level"), choices=[("", "—"), *AgentLevel.choices], required=False
    )
    language = forms.ChoiceField(label=_("Language"), choices=settings.LANGUAGES)

    def __init__(self, *args: object, organisation: Organisation, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        allowed = (
            [Role.PROVIDER_ADMIN, Role.CSTM, Role.AGENT]
            if organisation.is_provider
            else [Role.REFERENT, Role.END_USER]
        )
        self.fields["role"].choices = [(r.value, r.label) for r in allowed]
        self.fields["language"].initial = organisation.language
        if not organisation.is_provider:
            del self.fields["agent_level"]


class AssignmentForm(forms.Form):
    cstm = forms.ModelChoiceField(label=_("CSTM"), queryset=None)  # type: ignore[arg-type]
    kind = forms.ChoiceField(label=_("Kind"), choices=CstmAssignment.Kind.choices)
    starts_on = forms.DateField(label=_("From"), widget=DateInput())
    ends_on = forms.DateField(label=_("Until"), required=False, widget=DateInput())
    note = forms.CharField(label=_("Note"), max_length=300, required=False)

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        self.fields["cstm"].queryset = cstm_choices()
        self.fields["starts_on"].initial = timezone.localdate()


class EndAssignmentForm(forms.Form):
    ends_on = forms.DateField(label=_("Last day"), widget=DateInput())


class ProfileForm(forms.Form):
    first_name = forms.CharField(label=_("First name"), max_length=150, required=False)
    last_name = forms.CharField(label=_("Last name"), max_length=150, required=False)
    language = forms.ChoiceField(label=_("Language"), choices=settings.LANGUAGES)


class SetPasswordForm(forms.Form):
    password1 = forms.CharField(label=_("New password"), widget=forms.PasswordInput, strip=False)
    password2 = forms.CharField(
        label=_("Repeat the password"), widget=forms.PasswordInput, strip=False
    )

    def __init__(self, *args: object, user: object, **kwargs: object) -> None:
        self.user = user
        super().__init__(*args, **kwargs)

    def clean(self) -> dict:
        cleaned = super().clean()
        p1, p2 = cleaned.get("password1"), cleaned.get("password2")
        if p1 and p2 and p1 != p2:
            self.add_error("password2", _("The two passwords differ."))
        elif p1:
            try:
                password_validation.validate_password(p1, self.user)
            except forms.ValidationError as error:
                self.add_error("password1", error)
        return cleaned


class ApiTokenForm(forms.Form):
    name = forms.CharField(
        label=_("Token name"), max_length=100, help_text=_("What will use it, e.g. “CRM sync”.")
    )
