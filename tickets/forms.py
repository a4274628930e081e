"""Forms only parse input; tickets.services validates the rules and writes."""

from datetime import datetime
from zoneinfo import ZoneInfo

from django import forms
from django.utils.html import format_html
from django.utils.safestring import mark_safe
from django.utils.translation import gettext_lazy as _

from accounts.models import Organisation, User
from accounts.roles import AgentLevel
from csm_portal.forms import DateInput
from tickets.models import Ticket
from tickets.selectors import desk_people

ROME = ZoneInfo("Europe/Rome")


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


class ReplyForm(forms.Form):
    body = forms.CharField(
        label=_("Reply"), max_length=20000, widget=forms.Textarea(attrs={"rows": 5})
    )


class AgentReplyForm(ReplyForm):
    internal = forms.BooleanField(label=_("Internal note (not sent)"), required=False)
    wait = forms.BooleanField(
        label=_("Wait for the customer's answer (pauses the SLA clock)"), required=False
    )
    attachments = MultipleFileField(
        label=_("Attachments"),
        required=False,
        allow_empty_file=True,  # the service names an empty file in its message
        help_text=_("Sent with the reply; up to 10 files, no programs."),
    )


def _attributes(attrs: dict) -> str:
    """Django's ``django/forms/widgets/attrs.html`` in Python."""
    return "".join(
        format_html(" {}", name) if value is True else format_html(' {}="{}"', name, value)
        for name, value in attrs.items()
        if value is not False and value is not None
    )


class QuickSelect(forms.Select):
    """A select rendered in Python to the very markup of Django's ``select.html`` and
    ``select_option.html`` (no optgroups here): the ticket page shows seven of them, and the
    template engine rendered one sub-template per option (issue 15: ~40 per page)."""

    def render(self, name, value, attrs=None, renderer=None) -> str:
        widget = self.get_context(name, value, attrs)["widget"]
        parts = [format_html('<select name="{}"', widget["name"]), _attributes(widget["attrs"])]
        parts.append(">")
        for _group, options, _index in widget["optgroups"]:
            for option in options:
                parts.append(
                    format_html(
                        '\n  <option value="{}"{}>{}</option>\n',
                        str(option["value"]),
                        mark_safe(_attributes(option["attrs"])),  # noqa: S308 (escaped above)
                        option["label"],
                    )
                )
        parts.append("\n</select>")
        return mark_safe("".join(parts))  # noqa: S308 (every piece escaped by format_html)


class TicketUpdateForm(forms.Form):
    status = forms.ChoiceField(label=_("Status"), choices=Ticket.Status.choices, widget=QuickSelect)
    type = forms.ChoiceField(label=_("Type"), choices=Ticket.Type.choices, widget=QuickSelect)
    category = forms.ChoiceField(
        label=_("Category"), choices=Ticket.Category.choices, widget=QuickSelect
    )
    priority = forms.ChoiceField(
        label=_("Priority"), choices=Ticket.Priority.choices, widget=QuickSelect
    )
    level = forms.ChoiceField(label=_("Level"), choices=AgentLevel.choices, widget=QuickSelect)
    owner = forms.ModelChoiceField(
        label=_("Owner"), queryset=User.objects.none(), required=False, widget=QuickSelect
    )
    outcome = forms.ChoiceField(
        label=_("Outcome (to close)"),
        choices=[("", "—"), *Ticket.Outcome.choices],
        required=False,
        widget=QuickSelect,
    )

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        self.fields["owner"].queryset = desk_people().order_by("first_name", "email")


class TriageOpenForm(forms.Form):
    """Triage, first action: open a ticket for this message, for a customer."""

    organisation = forms.ModelChoiceField(
        label=_("Open a ticket for"), queryset=Organisation.objects.none()
    )
    category = forms.ChoiceField(label=_("Category"), choices=Ticket.Category.choices)

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        self.fields["organisation"].queryset = Organisation.objects.filter(
            kind=Organisation.Kind.CUSTOMER
        ).order_by("name")


class TriageDismissForm(forms.Form):
    """Triage, second action: keep the message as not a ticket, saying why."""

    reason = forms.CharField(
        label=_("Not a ticket because"),
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}),
        error_messages={"required": _("Say why it is not a ticket.")},
    )


def _split(minutes: int | None) -> tuple[int | None, int | None]:
    return divmod(minutes, 60) if minutes is not None else (None, None)


class HoursMinutes(forms.MultiValueField):
    """A duration typed as hours and minutes; cleaned to minutes (SLA targets, warn before)."""

    def __init__(self, **kwargs: object) -> None:
        fields = (
            forms.IntegerField(min_value=0, max_value=9999),
            forms.IntegerField(min_value=0, max_value=59),
        )
        kwargs.setdefault("require_all_fields", False)
        super().__init__(fields=fields, widget=HoursMinutesWidget(), **kwargs)  # type: ignore[arg-type]

    def compress(self, data_list: list) -> int | None:
        if not data_list or all(value in (None, "") for value in data_list):
            return None
        hours, minutes = (value or 0 for value in data_list)
        return hours * 60 + minutes


class HoursMinutesWidget(forms.MultiWidget):
    def __init__(self) -> None:
        widgets = (
            forms.NumberInput(
                attrs={"min": 0, "max": 9999, "class": "hours", "aria-label": _("hours")}
            ),
            forms.NumberInput(
                attrs={"min": 0, "max": 59, "class": "minutes", "aria-label": _("minutes")}
            ),
        )
        super().__init__(widgets)

    def decompress(self, value: int | None) -> list:
        return list(_split(value))


class SlaPolicyForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=100)
    ticket_type = forms.ChoiceField(label=_("Type"), choices=Ticket.Type.choices)
    priority = forms.ChoiceField(label=_("Priority"), choices=Ticket.Priority.choices)
    contract = forms.ModelChoiceField(
        label=_("Only for contract"),
        queryset=Organisation.objects.none(),
        required=False,
        help_text=_("Empty: the general policy; a contract's own policy wins over it."),
    )
    first_response_minutes = HoursMinutes(label=_("First response (support hours and minutes)"))
    resolution_minutes = HoursMinutes(label=_("Resolution (support hours and minutes)"))
    warn_before_minutes = HoursMinutes(
        label=_("Warn before breach (support hours and minutes)"),
        help_text=_("The SLA warning goes to the owner and the L2 leads this long before."),
    )
    availability_target = forms.DecimalField(
        label=_("Monthly availability promised (%)"),
        required=False,
        min_value=0,
        max_value=100,
        max_digits=6,
        decimal_places=3,
        help_text=_("For incident policies: the service continuity the contract promises."),
    )

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        from contracts.models import Contract

        self.fields["contract"].queryset = Contract.objects.select_related("organisation").order_by(
            "organisation__name", "number"
        )


class CannedResponseForm(forms.Form):
    title_it = forms.CharField(label=_("Title (Italian)"), max_length=150)
    body_it = forms.CharField(
        label=_("Text (Italian)"), max_length=20000, widget=forms.Textarea(attrs={"rows": 5})
    )
    title_en = forms.CharField(label=_("Title (English)"), max_length=150, required=False)
    body_en = forms.CharField(
        label=_("Text (English)"),
        max_length=20000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 5}),
    )
    title_fr = forms.CharField(label=_("Title (French)"), max_length=150, required=False)
    body_fr = forms.CharField(
        label=_("Text (French)"),
        max_length=20000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 5}),
    )
    title_es = forms.CharField(label=_("Title (Spanish)"), max_length=150, required=False)
    body_es = forms.CharField(
        label=_("Text (Spanish)"),
        max_length=20000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 5}),
    )
    active = forms.BooleanField(label=_("In use"), required=False, initial=True)


class OutageForm(forms.Form):
    service = forms.CharField(label=_("Affected service"), max_length=120)
    start_date = forms.DateField(label=_("Start date"), widget=DateInput())
    start_time = forms.TimeField(
        label=_("Start time (Europe/Rome)"), widget=forms.TimeInput(attrs={"type": "time"})
    )
    end_date = forms.DateField(label=_("End date"), widget=DateInput(), required=False)
    end_time = forms.TimeField(
        label=_("End time (Europe/Rome)"),
        widget=forms.TimeInput(attrs={"type": "time"}),
        required=False,
        help_text=_("Leave the end empty while the outage lasts."),
    )

    def clean(self) -> dict:
        data = super().clean()
        data["started_at"] = _instant(data.get("start_date"), data.get("start_time"))
        data["ended_at"] = _instant(data.get("end_date"), data.get("end_time"))
        if bool(data.get("end_date")) != bool(data.get("end_time")) and not self.errors:
            self.add_error("end_time", _("Give both the end date and time, or neither."))
        return data

    def service_arguments(self) -> dict:
        data = self.cleaned_data
        return {
            "service": data["service"],
            "started_at": data["started_at"],
            "ended_at": data["ended_at"],
        }


def _instant(day, moment):
    if day is None or moment is None:
        return None
    return datetime.combine(day, moment).replace(tzinfo=ROME)


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
