"""Forms of the SIEM workshops: they parse what people type; the services decide (SPEC W2)."""

from django import forms
from django.utils.translation import gettext_lazy

from accounts.models import Organisation
from activities.models import ActivityRequest
from onboarding.library.forms import MeetingForm, RequestChoiceField
from onboarding.models import LogSourceType, Meeting, SiemPricing, SiemWorkshop
from onboarding.siem import selectors, sizing
from onboarding.siem.report import plain
from onboarding.siem.series import SIEM_ACTIVITY_CODES

NUMBER = {"step": "any", "inputmode": "decimal"}


def _number(label: str, *, help_text: str = "", required: bool = False) -> forms.DecimalField:
    return forms.DecimalField(
        label=label,
        required=required,
        max_digits=18,
        decimal_places=4,
        help_text=help_text,
        widget=forms.NumberInput(attrs=NUMBER),
    )


class WorkshopForm(forms.Form):
    organisation = forms.ModelChoiceField(
        label=gettext_lazy("Customer"), queryset=Organisation.objects.none()
    )
    title = forms.CharField(label=gettext_lazy("Title"), max_length=200)

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["organisation"].queryset = Organisation.objects.filter(
            kind=Organisation.Kind.CUSTOMER, is_active=True
        ).order_by("name")


class TypeChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: LogSourceType) -> str:
        return obj.name


class SourceForm(forms.Form):
    """One row of the customer's log sources. EPS and event size start from the type's
    typical figures (filled in by static/js/siem_sizing.js, or taken when left blank)."""

    source_type = TypeChoiceField(
        label=gettext_lazy("Type"), queryset=LogSourceType.objects.none(), required=False
    )
    name = forms.CharField(label=gettext_lazy("Log source"), max_length=120, required=False)
    devices = _number(gettext_lazy("Devices"))
    eps_per_device = _number(gettext_lazy("EPS per device"))
    event_bytes = _number(gettext_lazy("Event size (bytes)"))

    def __init__(self, *args, types=None, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["source_type"].queryset = (
            types if types is not None else selectors.log_source_types()
        )
        # The row's cells sit under the table's headers: each field names itself for screen
        # readers (a table row has no <label>s).
        for field in self.fields.values():
            field.widget.attrs.setdefault("aria-label", str(field.label or ""))

    def is_blank(self) -> bool:
        data = getattr(self, "cleaned_data", {})
        return not any(
            data.get(name) not in (None, "")
            for name in ("source_type", "name", "devices", "eps_per_device", "event_bytes")
        )


class BaseSourceFormSet(forms.BaseFormSet):
    def __init__(self, *args, types=None, **kwargs) -> None:
        self.types = types
        super().__init__(*args, **kwargs)

    def add_fields(self, form, index) -> None:
        super().add_fields(form, index)
        # The column header says it; the checkbox carries its own name for screen readers.
        form.fields["DELETE"].widget.attrs["aria-label"] = gettext_lazy("Remove")

    def get_form_kwargs(self, index):
        return {**super().get_form_kwargs(index), "types": self.types}

    @property
    def empty_form(self):
        form = self.form(
            auto_id=self.auto_id,
            prefix=self.add_prefix("__prefix__"),
            empty_permitted=True,
            use_required_attribute=False,
            types=self.types,
        )
        self.add_fields(form, None)
        return form

    def rows(self) -> list[dict]:
        """The rows kept (not removed, not blank), as the service takes them."""
        kept = []
        for form in self.forms:
            if not hasattr(form, "cleaned_data") or form.cleaned_data.get("DELETE"):
                continue
            if form.is_blank():
                continue
            kept.append(
                {
                    name: form.cleaned_data.get(name)
                    for name in ("source_type", "name", "devices", "eps_per_device", "event_bytes")
                }
            )
        return kept


SourceFormSet = forms.formset_factory(
    SourceForm,
    formset=BaseSourceFormSet,
    extra=1,
    can_delete=True,
    max_num=200,
    validate_max=True,
    absolute_max=200,
)


def _help(name: str) -> str:
    return str(gettext_lazy("Default: %(value)s")) % {
        "value": sizing.CONSTANT_DEFAULTS[name].normalize()
    }


CONSTANT_LABELS = {
    "peak_factor": gettext_lazy("Peak factor"),
    "index_ratio": gettext_lazy("Index ratio (indexed / raw)"),
    "replicas": gettext_lazy("Replicas"),
    "disk_watermark": gettext_lazy("Disk watermark (share)"),
    "margin": gettext_lazy("Margin of error (share)"),
    "ram_per_node_gb": gettext_lazy("RAM per node (GB)"),
    "ratio_hot": gettext_lazy("Memory:data ratio, hot"),
    "ratio_warm": gettext_lazy("Memory:data ratio, warm"),
    "ratio_cold": gettext_lazy("Memory:data ratio, cold"),
    "compression_hot": gettext_lazy("Compression, hot"),
    "compression_warm": gettext_lazy("Compression, warm"),
    "compression_cold": gettext_lazy("Compression, cold"),
    "failover_from_nodes": gettext_lazy("Failover node from (data nodes)"),
    "splunk_raw_ratio": gettext_lazy("Splunk: raw data share"),
    "splunk_index_ratio": gettext_lazy("Splunk: index files share"),
    "splunk_replication_factor": gettext_lazy("Splunk: replication factor"),
    "splunk_search_factor": gettext_lazy("Splunk: search factor"),
}


class SizingForm(forms.Form):
    """The retention being discussed, its tiers and every constant of the calculation."""

    retention_months = _number(gettext_lazy("Retention (months)"), required=False)
    hot_days = _number(gettext_lazy("Hot days"), required=False)
    warm_days = _number(gettext_lazy("Warm days"), required=False)

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        for name, label in CONSTANT_LABELS.items():
            self.fields[name] = _number(label, help_text=_help(name))

    def retention_fields(self) -> list:
        return [self[name] for name in ("retention_months", "hot_days", "warm_days")]

    def constant_fields(self) -> list:
        return [self[name] for name in CONSTANT_LABELS]

    def constants(self) -> dict:
        return {name: self.cleaned_data.get(name) for name in CONSTANT_LABELS}


def sizing_initial(workshop: SiemWorkshop) -> tuple[dict, list[dict]]:
    """What the forms show for a saved workshop (numbers without trailing zeros)."""

    initial = {
        "retention_months": workshop.retention_months,
        "hot_days": workshop.hot_days,
        "warm_days": workshop.warm_days,
        **{name: plain(getattr(workshop, name)) for name in CONSTANT_LABELS},
    }
    sources = [
        {
            "source_type": row.source_type_id,
            "name": row.name,
            "devices": row.devices,
            "eps_per_device": plain(row.eps_per_device),
            "event_bytes": plain(row.event_bytes),
        }
        for row in workshop.sources.all()
    ]
    return initial, sources


class WorkshopMeetingForm(MeetingForm):
    """The library's meeting form for a meeting of the workshop's series: the customer and the
    kind are the workshop's; the topic is chosen; the request is one of the SIEM activities."""

    topic = forms.ChoiceField(label=gettext_lazy("Topic"), choices=Meeting.Topic.choices)
    field_order = ["topic", "title"]

    def __init__(self, *args, workshop: SiemWorkshop, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.workshop = workshop
        for name in ("organisation", "kind"):
            del self.fields[name]
        self.fields["activity_request"] = RequestChoiceField(
            label=gettext_lazy("Activity request it is charged on"),
            queryset=ActivityRequest.objects.filter(
                organisation=workshop.organisation_id,
                status__in=ActivityRequest.OPEN_STATUSES,
                activity__code__in=SIEM_ACTIVITY_CODES,
            ).select_related("activity", "organisation"),
            required=False,
        )
        self.fields["record_request"].initial = True
        self.order_fields(["topic", "title"])

    def service_arguments(self) -> dict:
        data = self.cleaned_data
        return {
            "workshop": self.workshop,
            "topic": data["topic"],
            "title": data["title"],
            "scheduled_at": data["scheduled_at"],
            "duration_minutes": data["duration_minutes"],
            "video_link": data["video_link"],
            "agenda": data["agenda"],
            "attendees": data["attendees"],
            "activity_request": data["activity_request"],
            "record_request": data["record_request"],
        }


class LogSourceTypeForm(forms.ModelForm):
    class Meta:
        model = LogSourceType
        fields = [
            "name",
            "description",
            "typical_eps_per_device",
            "average_event_bytes",
            "position",
            "active",
        ]
        widgets = {
            "typical_eps_per_device": forms.NumberInput(attrs=NUMBER),
            "average_event_bytes": forms.NumberInput(attrs=NUMBER),
        }


class PricingForm(forms.ModelForm):
    class Meta:
        model = SiemPricing
        fields = [
            "licence_metric",
            "licence_unit",
            "currency",
            "price_hot",
            "price_warm",
            "price_cold",
        ]
        widgets = {
            name: forms.NumberInput(attrs=NUMBER)
            for name in ("licence_unit", "price_hot", "price_warm", "price_cold")
        }
