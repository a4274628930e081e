"""Pages of the SIEM workshops: the list, the hub with the meeting series, the sizing workshop
with its live calculator, and the admins' catalogue and prices (SPEC W1–W6, C4, C5). Thin:
parse, call a selector or a service, render. Who sees what:

- CSTMs (their customers) and admins create workshops, schedule their meetings and save the
  sizing; agents read.
- The referent and the licensed end users of the organisation read the workshops, the series
  and the sizing (read only), also in the 30 read-only days (C5)."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from accounts.roles import PROVIDER_ROLES, Role
from accounts.tenancy import customer_write_refusal
from csm_portal.idempotency import already_done_redirects, form_once
from csm_portal.web import NOT_DONE, add_service_errors, paginate, role_required, submit
from onboarding.models import LogSourceType, Meeting, SiemPricing, SiemWorkshop
from onboarding.siem import inputs, report, selectors, services
from onboarding.siem.access import MANAGERS
from onboarding.siem.forms import (
    LogSourceTypeForm,
    PricingForm,
    SizingForm,
    SourceFormSet,
    WorkshopForm,
    WorkshopMeetingForm,
    sizing_initial,
)
from onboarding.siem.series import TOPIC_ACTIVITY

READERS = (*PROVIDER_ROLES, Role.REFERENT, Role.END_USER)


def hub_url(workshop: SiemWorkshop) -> str:
    return reverse("siem_workshop_hub", args=[workshop.pk])


def _can_write(request: HttpRequest, workshop: SiemWorkshop) -> tuple[bool, str]:
    refusal = customer_write_refusal(workshop.organisation)
    return request.tenancy.role in MANAGERS and not refusal, refusal


# --------------------------------------------------------------------------- workshops


@role_required(*READERS)
def workshop_list(request: HttpRequest) -> HttpResponse:
    """The workshops in the user's scope; ``?organisation=<id>`` keeps one customer's."""
    raw = request.GET.get("organisation", "")
    organisation_id = int(raw) if raw.isdigit() and len(raw) < 10 else None
    page = paginate(request, selectors.workshop_list(organisation_id=organisation_id))
    return render(
        request,
        "onboarding/siem/workshop_list.html",
        {"page": page, "organisation_id": organisation_id},
    )


@role_required(*MANAGERS)
@already_done_redirects
def workshop_create(request: HttpRequest) -> HttpResponse:
    form = WorkshopForm(
        request.POST or None,
        initial={
            "organisation": request.GET.get("organisation"),
            "title": _("SIEM onboarding"),
        },
    )
    workshop = submit(
        request,
        form,
        lambda data: form_once(
            request,
            lambda: services.workshop_create(
                organisation=data["organisation"], title=data["title"], by=request.user
            ),
            url_of=hub_url,
        ),
    )
    if workshop is not NOT_DONE:
        messages.success(request, _("Workshop created: schedule its meetings and the sizing."))
        return redirect(hub_url(workshop))
    return render(request, "onboarding/siem/workshop_form.html", {"form": form})


def _report(workshop: SiemWorkshop) -> report.Report:
    pricing = SiemPricing.current()
    return report.build(
        inputs.sources_of(workshop),
        constants=inputs.constants_of(workshop),
        retention_months=workshop.retention_months,
        hot_days=workshop.hot_days,
        warm_days=workshop.warm_days,
        metric=pricing.licence_metric,
        unit=pricing.licence_unit,
    )


@role_required(*READERS)
def workshop_hub(request: HttpRequest, workshop_id: int) -> HttpResponse:
    workshop = selectors.workshop_get(workshop_id=workshop_id)
    meetings = list(selectors.workshop_meetings(workshop))
    can_write, refusal = _can_write(request, workshop)
    context = {
        "workshop": workshop,
        "meetings": meetings,
        "progress": selectors.workshop_progress(meetings),
        "topics": dict(Meeting.Topic.choices),
        "report": _report(workshop),
        "source_count": workshop.sources.count(),
        "can_write": can_write,
        "write_refusal": refusal,
    }
    return render(request, "onboarding/siem/hub.html", context)


@role_required(*MANAGERS)
@already_done_redirects
def workshop_meeting_create(request: HttpRequest, workshop_id: int) -> HttpResponse:
    workshop = selectors.workshop_get(workshop_id=workshop_id)
    topic = request.GET.get("topic", Meeting.Topic.PURPOSE)
    if topic not in Meeting.Topic.values:
        topic = Meeting.Topic.PURPOSE
    form = WorkshopMeetingForm(
        request.POST or None,
        workshop=workshop,
        initial={
            "topic": topic,
            "title": f"{workshop.title}: {Meeting.Topic(topic).label}",
        },
    )
    meeting = submit(
        request,
        form,
        lambda _data: form_once(
            request,
            lambda: services.workshop_meeting_schedule(by=request.user, **form.service_arguments()),
            url_of=lambda m: reverse("meeting_detail", args=[m.pk]),
        ),
    )
    if meeting is not NOT_DONE:
        messages.success(request, _("Meeting scheduled: the attendees were invited."))
        return redirect(hub_url(workshop))
    return render(
        request,
        "onboarding/siem/meeting_form.html",
        {
            "form": form,
            "workshop": workshop,
            "write_refusal": customer_write_refusal(workshop.organisation),
            "topic_activity": TOPIC_ACTIVITY,
        },
    )


# --------------------------------------------------------------------------- sizing


def _sizing_forms(request: HttpRequest, workshop: SiemWorkshop, types) -> tuple:
    if request.method == "POST":
        return (
            SizingForm(request.POST),
            SourceFormSet(request.POST, prefix="sources", types=types),
        )
    initial, sources = sizing_initial(workshop)
    return (
        SizingForm(initial=initial),
        SourceFormSet(initial=sources, prefix="sources", types=types),
    )


def _read(form: SizingForm, formset) -> dict | None:
    """The service's arguments when both forms parse, else None (their errors stay on them)."""
    form_ok, formset_ok = form.is_valid(), formset.is_valid()
    if not (form_ok and formset_ok):
        return None
    return {
        "sources": formset.rows(),
        "constants": form.constants(),
        "retention_months": form.cleaned_data.get("retention_months"),
        "hot_days": form.cleaned_data.get("hot_days"),
        "warm_days": form.cleaned_data.get("warm_days"),
    }


def _service_errors(form: SizingForm, error: ValidationError) -> list[str]:
    """Put the service's messages on the constant fields; the rest (log sources) go on top."""
    general = []
    for field, field_messages in error.message_dict.items():
        if field in form.fields:
            for message in field_messages:
                form.add_error(field, message)
        else:
            general.extend(field_messages)
    return general


def _live_report(arguments: dict) -> report.Report:
    valid = services.sizing_input(**arguments)
    pricing = SiemPricing.current()
    return report.build(
        valid.sources,
        constants=valid.calculator_constants(),
        retention_months=valid.retention_months,
        hot_days=valid.hot_days,
        warm_days=valid.warm_days,
        metric=pricing.licence_metric,
        unit=pricing.licence_unit,
    )


@role_required(*READERS)
def workshop_sizing(request: HttpRequest, workshop_id: int) -> HttpResponse:
    workshop = selectors.workshop_get(workshop_id=workshop_id)
    can_write, refusal = _can_write(request, workshop)
    types = selectors.log_source_types_for(workshop)
    form, formset = _sizing_forms(request, workshop, types)
    errors: list[str] = []
    if request.method == "POST":
        if not can_write:
            messages.error(request, refusal or _("Only CSTMs and admins can do this."))
            return redirect(reverse("siem_workshop_sizing", args=[workshop.pk]))
        arguments = _read(form, formset)
        if arguments is not None:
            try:
                services.workshop_sizing_save(workshop=workshop, by=request.user, **arguments)
            except ValidationError as error:
                errors = _service_errors(form, error)
            else:
                messages.success(request, _("Sizing saved."))
                return redirect(reverse("siem_workshop_sizing", args=[workshop.pk]))
    result = _report(workshop) if not errors and request.method != "POST" else None
    context = {
        "workshop": workshop,
        "form": form,
        "formset": formset,
        "types": types,
        "errors": errors,
        "report": result,
        "sources": list(workshop.sources.all()),
        "can_write": can_write,
        "write_refusal": refusal,
        "pricing": SiemPricing.current(),
        # The typical figures the page fills in when a type is chosen (static/js/siem_sizing.js).
        "type_figures": {
            str(t.pk): {
                "name": t.name,
                "eps": report.plain(t.typical_eps_per_device),
                "bytes": report.plain(t.average_event_bytes),
            }
            for t in types
        },
    }
    return render(request, "onboarding/siem/sizing.html", context)


@role_required(*MANAGERS)
@require_POST
def workshop_calculate(request: HttpRequest, workshop_id: int) -> HttpResponse:
    """The live figures for what the form holds now (htmx partial): computed on the server by
    the same pure functions as the saved sizing, nothing written."""
    workshop = selectors.workshop_get(workshop_id=workshop_id)
    types = selectors.log_source_types_for(workshop)
    form = SizingForm(request.POST)
    formset = SourceFormSet(request.POST, prefix="sources", types=types)
    errors: list[str] = []
    result = None
    arguments = _read(form, formset)
    if arguments is None:
        for bound in (form, *formset.forms):
            for field, field_errors in getattr(bound, "errors", {}).items():
                label = bound.fields[field].label if field in bound.fields else ""
                errors += [f"{label}: {e}" if label else e for e in field_errors]
        errors += list(formset.non_form_errors())
    else:
        try:
            result = _live_report(arguments)
        except ValidationError as error:
            for field, field_messages in error.message_dict.items():
                label = form.fields[field].label if field in form.fields else ""
                errors += [f"{label}: {m}" if label else m for m in field_messages]
    return render(
        request,
        "onboarding/siem/sizing_results.html",
        {"workshop": workshop, "report": result, "errors": errors, "live": True},
    )


# --------------------------------------------------------------------------- catalogue


@role_required(Role.PROVIDER_ADMIN)
def catalogue(request: HttpRequest) -> HttpResponse:
    return render(
        request,
        "onboarding/siem/catalogue.html",
        {
            "types": selectors.log_source_types(active_only=False),
            "pricing": SiemPricing.current(),
        },
    )


@role_required(Role.PROVIDER_ADMIN)
def log_source_type_edit(
    request: HttpRequest, log_source_type_id: int | None = None
) -> HttpResponse:
    instance = (
        selectors.log_source_type_get(log_source_type_id=log_source_type_id)
        if log_source_type_id is not None
        else LogSourceType()
    )
    form = LogSourceTypeForm(request.POST or None, instance=instance)
    if request.method == "POST" and form.is_valid():
        try:
            services.log_source_type_save(log_source_type=form.instance, by=request.user)
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, _("Log-source type saved."))
            return redirect("siem_catalogue")
    return render(
        request,
        "onboarding/siem/catalogue_form.html",
        {"form": form, "title": _("Log-source type")},
    )


@role_required(Role.PROVIDER_ADMIN)
def pricing_edit(request: HttpRequest) -> HttpResponse:
    form = PricingForm(request.POST or None, instance=SiemPricing.current())
    if request.method == "POST" and form.is_valid():
        try:
            services.siem_pricing_save(pricing=form.instance, by=request.user)
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, _("Licence metric and prices saved."))
            return redirect("siem_catalogue")
    return render(
        request,
        "onboarding/siem/catalogue_form.html",
        {"form": form, "title": _("Licence metric and storage prices")},
    )
