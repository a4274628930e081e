"""Forms only parse input; tickets.services validates the rules and writes."""

from django import forms
from django.utils.translation import gettext_lazy as _

from accounts.models import Organisation, User
from accounts.roles import AgentLevel
from tickets.models import Ticket
from tickets.selectors import desk_people


class ReplyForm(forms.Form):
    body = forms.CharField(
        label=_("Reply"), max_length=20000, widget=forms.Textarea(attrs={"rows": 5})
    )


class AgentReplyForm(ReplyForm):
    internal = forms.BooleanField(label=_("Internal note (not sent)"), required=False)
    wait = forms.BooleanField(
        label=_("Wait for the customer's answer (pauses the SLA clock)"), required=False
    )


class TicketUpdateForm(forms.Form):
    status = forms.ChoiceField(label=_("Status"), choices=Ticket.Status.choices)
    type = forms.ChoiceField(label=_("Type"), choices=Ticket.Type.choices)
    category = forms.ChoiceField(label=_("Category"), choices=Ticket.Category.choices)
    priority = forms.ChoiceField(label=_("Priority"), choices=Ticket.Priority.choices)
    level = forms.ChoiceField(label=_("Level"), choices=AgentLevel.choices)
    owner = forms.ModelChoiceField(label=_("Owner"), queryset=User.objects.none(), required=False)
    outcome = forms.ChoiceField(
        label=_("Outcome (to close)"),
        choices=[("", "—"), *Ticket.Outcome.choices],
        required=False,
    )

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        self.fields["owner"].queryset = desk_people().order_by("first_name", "email")


class TriageForm(forms.Form):
    organisation = forms.ModelChoiceField(
        label=_("Organisation"), queryset=Organisation.objects.none(), required=False
    )
    category = forms.ChoiceField(
        label=_("Category"), choices=Ticket.Category.choices, required=False
    )
    reason = forms.CharField(
        label=_("Or: why it is not a ticket"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}),
    )

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        self.fields["organisation"].queryset = Organisation.objects.filter(
            kind=Organisation.Kind.CUSTOMER
        ).order_by("name")


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    """Several files in one input (Django's documented pattern); the service checks them."""

    def __init__(self, *args: object, **kwargs: object) -> None:
        kwargs.setdefault("widget", MultipleFileInput())
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]

    def clean(self, data: object, initial: object = None) -> list:
        single = super().clean
        if isinstance(data, list | tuple):
            return [single(item, initial) for item in data]
        return [single(data, initial)] if data else []


class NewRequestForm(forms.Form):
    """A customer's request in the portal (SPEC S2, S3): the types offered are those the
    customer may open."""

    # Not required here: the service checks everything at once, so every problem (a missing
    # subject and a refused file alike) is reported in one answer.
    category = forms.ChoiceField(label=_("Type of request"), required=False)
    subject = forms.CharField(label=_("Subject"), max_length=300, required=False)
    description = forms.CharField(
        label=_("Description"),
        required=False,
        max_length=20000,
        widget=forms.Textarea(attrs={"rows": 8}),
        help_text=_("What happened, since when, who is affected; for errors, the exact message."),
    )
    attachments = MultipleFileField(
        label=_("Attachments"),
        required=False,
        allow_empty_file=True,  # the service names an empty file in its message
        help_text=_("Screenshots or logs; up to 10 files, no programs."),
    )

    def __init__(self, *args: object, categories: list[tuple[str, str]], **kwargs: object):
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.fields["category"].choices = [("", "—"), *categories]
