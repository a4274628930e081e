"""Pages of the purpose questionnaire (W1), the retention decision (W5) and the alignment
charter (W3), with the buttons that publish the sizing sheet and the charter as PDFs. Thin:
parse, call a selector or a service, render. Who sees what:

- CSTMs (their customers) and admins write; agents read.
- The referent reads the purpose, the charter and the decisions; the organisation's other
  users see the retention decisions. Only CSTMs and admins write (anyone else's POST is a 404).
- Nothing is written for a read-only or closed customer (C5): the pages say why instead."""

from decimal import Decimal
from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import formats, timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from accounts.roles import PROVIDER_ROLES, Role
from accounts.tenancy import customer_write_refusal
from csm_portal import charts
from csm_portal.idempotency import already_done_redirects, form_once
from csm_portal.web import NOT_DONE, role_required, submit
from onboarding.models import Deliverable, RetentionDecision, SiemWorkshop
from onboarding.siem.access import MANAGERS
from onboarding.siem.charter import frozen, pdf, prefill, selectors, services
from onboarding.siem.charter.forms import CharterForm, PurposeForm, RetentionDecisionForm
from onboarding.siem.charter.sections import CHARTER_SECTIONS, PURPOSE_QUESTIONS, labelled

READERS = (*PROVIDER_ROLES, Role.REFERENT)
EVERYONE = (*READERS, Role.END_USER)


def _is_manager(request: HttpRequest) -> bool:
    return request.tenancy.role in MANAGERS  # type: ignore[attr-defined]


def _refuse_posts_of_readers(request: HttpRequest) -> None:
    if request.method == "POST" and not _is_manager(request):
        raise Http404


def readout_template() -> str:
    return _("{months} months: {storage} GB of storage, {cost} {currency} a month")


def readout(months: int, storage: Any, cost: Any, currency: str) -> str:
    return readout_template().format(
        months=months,
        storage=formats.number_format(
            frozen.two_places(storage), 2, use_l10n=True, force_grouping=True
        ),
        cost=formats.number_format(frozen.two_places(cost), 2, use_l10n=True, force_grouping=True),
        currency=currency,
    )


def curve_chart(curve: list[dict], *, marker_months: int | None, currency: str) -> dict:
    """The chart of monthly cost and storage against months of retention (SPEC W5)."""
    labels = [str(point["months"]) for point in curve]
    marker = None
    if marker_months is not None:
        marker = next((i for i, p in enumerate(curve) if p["months"] == marker_months), None)
    return charts.two_lines(
        labels=labels,
        left=[Decimal(point["monthly_cost"]) for point in curve],
        left_label=_("Monthly cost (%(currency)s)") % {"currency": currency},
        right=[Decimal(point["storage_gb"]) for point in curve],
        right_label=_("Storage (GB)"),
        x_label=_("Months of retention"),
        marker_at=marker,
        marker_label=_("Retention chosen"),
    )


def _decision_sentences(decision: RetentionDecision | None) -> dict[str, Any]:
    context = pdf.decision_context(decision)
    point = context.get("decision_point")
    if decision is not None and point is not None:
        context["decision_readout"] = readout(
            decision.months,
            point["storage_gb"],
            point["monthly_cost"],
            context["decision_currency"],
        )
    return context


# --------------------------------------------------------------------------- W5 retention


@role_required(*EVERYONE)
@already_done_redirects
def retention(request: HttpRequest, workshop_id: int) -> HttpResponse:
    _refuse_posts_of_readers(request)
    workshop = selectors.workshop_get(workshop_id=workshop_id)
    in_force = selectors.decision_in_force(workshop)
    chosen = in_force.months if in_force else workshop.retention_months
    form = RetentionDecisionForm(
        request.POST or None,
        workshop=workshop,
        initial={"months": chosen, "decided_on": timezone.localdate()},
    )
    decision = submit(
        request,
        form,
        lambda _data: form_once(
            request,
            lambda: services.retention_decision_record(
                workshop=workshop, by=request.user, **form.service_arguments()
            ),
            url_of=lambda made: reverse("siem_decision_detail", args=[made.pk]),
        ),
    )
    if decision is not NOT_DONE:
        messages.success(
            request,
            _("Decision recorded: %(months)s months of retention.") % {"months": decision.months},
        )
        return redirect("siem_decision_detail", decision.pk)
    points, pricing = selectors.live_curve(workshop)
    curve = frozen.curve_of(points)
    chosen_point = next((p for p in curve if p["months"] == chosen), None)
    context = {
        "workshop": workshop,
        "curve": curve,
        "chart": curve_chart(curve, marker_months=chosen, currency=pricing.currency)
        if curve
        else None,
        "chosen": chosen,
        "pricing": pricing,
        "readout": readout(
            chosen, chosen_point["storage_gb"], chosen_point["monthly_cost"], pricing.currency
        )
        if chosen_point
        else "",
        "retention_data": {
            "template": readout_template(),
            "currency": pricing.currency,
            "curve": curve,
        },
        "form": form,
        "is_manager": _is_manager(request),
        "write_refusal": customer_write_refusal(workshop.organisation),
        "decisions": selectors.decision_list(workshop=workshop),
        **_decision_sentences(in_force),
    }
    return render(request, "onboarding/siem/charter/retention.html", context)


@role_required(*EVERYONE)
def decision_detail(request: HttpRequest, decision_id: int) -> HttpResponse:
    """A decision as it was taken: its frozen chart and figures, never recomputed (SPEC W5)."""
    decision = selectors.decision_get(decision_id=decision_id)
    context = {
        "workshop": decision.workshop,
        "chart": curve_chart(
            decision.curve,
            marker_months=decision.months,
            currency=str(decision.inputs.get("currency", "")),
        ),
        "frozen_sources": decision.inputs.get("sources", []),
        "frozen_prices": decision.inputs.get("prices", {}),
        **_decision_sentences(decision),
    }
    return render(request, "onboarding/siem/charter/decision_detail.html", context)


# --------------------------------------------------------------------------- W1 purpose


@role_required(*READERS)
def purpose(request: HttpRequest, workshop_id: int) -> HttpResponse:
    _refuse_posts_of_readers(request)
    workshop = selectors.workshop_get(workshop_id=workshop_id)
    form = PurposeForm(request.POST or None, initial=workshop.purpose or {})
    done = submit(
        request,
        form,
        lambda _data: services.workshop_purpose_record(
            workshop=workshop, answers=form.texts(), by=request.user
        ),
    )
    if done is not NOT_DONE:
        messages.success(request, _("Purpose questionnaire saved."))
        return redirect("siem_purpose", workshop.pk)
    context = {
        "workshop": workshop,
        "form": form,
        "answers": labelled(workshop.purpose or {}, PURPOSE_QUESTIONS),
        "is_manager": _is_manager(request),
        "write_refusal": customer_write_refusal(workshop.organisation),
    }
    return render(request, "onboarding/siem/charter/purpose.html", context)


# --------------------------------------------------------------------------- W3 charter


@role_required(*READERS)
def charter(request: HttpRequest, workshop_id: int) -> HttpResponse:
    _refuse_posts_of_readers(request)
    workshop = selectors.workshop_get(workshop_id=workshop_id)
    form = CharterForm(request.POST or None, initial=prefill.charter_draft(workshop))
    done = submit(
        request,
        form,
        lambda _data: services.workshop_charter_record(
            workshop=workshop, sections=form.texts(), by=request.user
        ),
    )
    if done is not NOT_DONE:
        messages.success(request, _("Alignment charter saved."))
        return redirect("siem_charter", workshop.pk)
    context = {
        "workshop": workshop,
        "form": form,
        "sections": labelled(workshop.charter or {}, CHARTER_SECTIONS),
        "is_manager": _is_manager(request),
        "write_refusal": customer_write_refusal(workshop.organisation),
        "documents": selectors.published_documents(workshop),
        **pdf.sizing_context(workshop),
    }
    return render(request, "onboarding/siem/charter/charter.html", context)


def _publish(request: HttpRequest, workshop_id: int, service: Any) -> HttpResponse:
    workshop: SiemWorkshop = selectors.workshop_get(workshop_id=workshop_id)
    back = reverse("siem_charter", args=[workshop.pk])
    try:
        document: Deliverable = form_once(
            request,
            lambda: service(workshop=workshop, by=request.user),
            url_of=lambda _made: back,
        )
    except ValidationError as error:
        for message in error.messages:
            messages.error(request, message)
        return redirect(back)
    messages.success(
        request,
        _("Published: %(title)s, version %(version)s.")
        % {"title": document.title, "version": document.version},
    )
    return redirect(back)


@require_POST
@role_required(*MANAGERS)
@already_done_redirects
def publish_sizing_sheet(request: HttpRequest, workshop_id: int) -> HttpResponse:
    return _publish(request, workshop_id, services.sizing_sheet_publish)


@require_POST
@role_required(*MANAGERS)
@already_done_redirects
def publish_charter(request: HttpRequest, workshop_id: int) -> HttpResponse:
    return _publish(request, workshop_id, services.charter_publish)
