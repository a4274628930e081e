"""Pages of the onboarding plan (SPEC O1, O3): the referent's plan, the CSTM's plan per
organisation and list of plans, go-live, the release calendar. Thin: parse, call, render."""

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from accounts.roles import PROVIDER_ROLES, Role
from accounts.tenancy import customer_write_refusal
from csm_portal.web import NOT_DONE, paginate, role_required, submit
from onboarding.models import OnboardingPlan
from onboarding.plan import selectors, services
from onboarding.plan.forms import (
    ChecklistForm,
    GoLiveForm,
    StepCloseForm,
    StepUpdateForm,
    TrainingForm,
)

READERS = (*PROVIDER_ROLES, Role.REFERENT)
MANAGERS = (Role.PROVIDER_ADMIN, Role.CSTM)


def _plan_or_404(organisation_id: int) -> OnboardingPlan:
    organisation = selectors.organisation_get(organisation_id=organisation_id)
    plan = selectors.plan_for(organisation=organisation)
    if plan is None:
        raise Http404
    return plan


def _plan_page(request: HttpRequest, plan: OnboardingPlan) -> HttpResponse:
    staff = request.tenancy.is_provider_staff
    view = selectors.plan_view(plan=plan, staff=staff)
    return render(
        request,
        "onboarding/plan/plan.html",
        {
            "view": view,
            "plan": plan,
            "staff": staff,
            "manager": request.tenancy.role in MANAGERS,
            "write_refusal": customer_write_refusal(plan.organisation),
            "close_form": StepCloseForm(),
        },
    )


@role_required(*READERS)
def plan_home(request: HttpRequest) -> HttpResponse:
    """The referent's plan; for staff, the plans of their organisations (over a month first)."""
    if request.tenancy.role == Role.REFERENT:
        organisation = request.tenancy.membership.organisation
        plan = selectors.plan_for(organisation=organisation)
        if plan is None:
            return render(request, "onboarding/plan/no_plan.html")
        return _plan_page(request, plan)
    plans = selectors.plan_list()
    return render(request, "onboarding/plan/list.html", {"page": paginate(request, plans)})


@role_required(*READERS)
def plan_detail(request: HttpRequest, organisation_id: int) -> HttpResponse:
    return _plan_page(request, _plan_or_404(organisation_id))


def _back(step) -> HttpResponse:
    return redirect("plan_detail", step.organisation_id)


@require_POST
@role_required(*MANAGERS, Role.REFERENT)
def step_close(request: HttpRequest, step_id: int, action: str) -> HttpResponse:
    step = selectors.step_get(step_id=step_id)
    if action not in ("complete", "skip"):
        raise Http404
    form = StepCloseForm(request.POST)
    # A referent on a provider's step: PermissionDenied, a 403 after the scoped lookup (T1).
    result = submit(
        request,
        form,
        lambda data: services.plan_step_close(
            step=step, by=request.user, skip=action == "skip", note=data["note"]
        ),
    )
    if result is NOT_DONE:
        for error in form.errors.values():
            messages.error(request, " ".join(error))
    else:
        messages.success(request, _("Step closed: the plan moves on."))
    return _back(step)


@require_POST
@role_required(*MANAGERS)
def step_update(request: HttpRequest, step_id: int) -> HttpResponse:
    step = selectors.step_get(step_id=step_id)
    form = StepUpdateForm(request.POST)
    result = submit(
        request,
        form,
        lambda data: services.plan_step_update(
            step=step, by=request.user, due_on=data["due_on"], blocked_reason=data["blocked_reason"]
        ),
    )
    if result is NOT_DONE:
        for error in form.errors.values():
            messages.error(request, " ".join(error))
    else:
        messages.success(request, _("Step updated."))
    return _back(step)


@role_required(*READERS)
def go_live(request: HttpRequest, organisation_id: int) -> HttpResponse:
    plan = _plan_or_404(organisation_id)
    manager = request.tenancy.role in MANAGERS
    form = GoLiveForm(request.POST or None, initial={"go_live_on": plan.go_live_on})
    if request.method == "POST":
        if not manager:
            raise PermissionDenied
        result = submit(
            request,
            form,
            lambda data: services.plan_go_live_set(
                plan=plan, go_live_on=data["go_live_on"], by=request.user
            ),
        )
        if result is not NOT_DONE:
            messages.success(request, _("Go-live date saved; the release plan was recomputed."))
            return redirect("plan_go_live", organisation_id)
    view = selectors.plan_view(plan=plan, staff=request.tenancy.is_provider_staff)
    return render(
        request,
        "onboarding/plan/go_live.html",
        {"plan": plan, "view": view, "form": form, "manager": manager},
    )


@require_POST
@role_required(*MANAGERS)
def checklist_tick(request: HttpRequest, organisation_id: int) -> HttpResponse:
    plan = _plan_or_404(organisation_id)
    form = ChecklistForm(request.POST)
    try:
        submit(
            request,
            form,
            lambda data: services.plan_checklist_tick(
                plan=plan, item=data["item"], ticked=data["ticked"], by=request.user
            ),
        )
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    if form.errors:
        messages.error(request, _("The checklist item could not be saved."))
    return redirect("plan_go_live", organisation_id)


@role_required(*READERS)
def go_live_communication(request: HttpRequest, organisation_id: int) -> HttpResponse:
    """The message to users about go-live, in the organisation's language, ready to send."""
    plan = _plan_or_404(organisation_id)
    from django.conf import settings

    with translation.override(plan.organisation.language or settings.LANGUAGE_CODE):
        body = render_to_string(
            "onboarding/plan/go_live_communication.txt",
            {
                "organisation": plan.organisation,
                "go_live_on": plan.go_live_on or plan.target_go_live_on,
                "portal": settings.PORTAL_BASE_URL.rstrip("/") + reverse("home"),
            },
        )
    response = HttpResponse(body, content_type="text/plain; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="go-live-communication.txt"'
    return response


@role_required(*READERS)
def releases(request: HttpRequest, organisation_id: int) -> HttpResponse:
    plan = _plan_or_404(organisation_id)
    if request.method == "POST":
        if request.tenancy.role not in MANAGERS:
            raise PermissionDenied
        refusal = customer_write_refusal(plan.organisation)
        if refusal:
            messages.error(request, refusal)
        else:
            services.release_plan_recompute(plan=plan)
            messages.success(request, _("Release plan recomputed."))
        return redirect("plan_releases", organisation_id)
    view = selectors.plan_view(plan=plan, staff=request.tenancy.is_provider_staff)
    items = list(plan.releases.order_by("position"))
    months: dict[str, list] = {}
    for item in items:
        if item.starts_on:
            months.setdefault(item.starts_on.strftime("%Y-%m"), []).append(item)
    return render(
        request,
        "onboarding/plan/releases.html",
        {
            "plan": plan,
            "view": view,
            "months": sorted(months.items()),
            "undecided": [i for i in items if i.needs_decision],
            "manager": request.tenancy.role in MANAGERS,
        },
    )


@require_POST
@role_required(*MANAGERS)
def training_record(request: HttpRequest, organisation_id: int) -> HttpResponse:
    plan = _plan_or_404(organisation_id)
    form = TrainingForm(request.POST)
    result = submit(
        request,
        form,
        lambda data: services.training_progress_record(plan=plan, by=request.user, **data),
    )
    if result is NOT_DONE:
        for error in form.errors.values():
            messages.error(request, " ".join(error))
    else:
        messages.success(request, _("Training progress recorded."))
    return redirect("plan_detail", organisation_id)
