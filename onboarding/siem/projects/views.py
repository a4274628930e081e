"""Pages of SIEM projects (SPEC W4), the operations model and the dashboards catalogue (W6).
Thin: parse, call a selector or a service, render. Who does what:

- CSTMs (their organisations) and admins write projects, deficiencies and any operations line;
- the referent steps in and out of operations tasks and ticks dashboards and reports (staff may
  do both on the customer's behalf);
- the organisation's people and the other staff read. Nothing is written past expiry (C5)."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from accounts.roles import PROVIDER_ROLES, Role
from accounts.tenancy import customer_write_refusal
from csm_portal.web import NOT_DONE, role_required, submit
from onboarding.models import DashboardOffer, OperationsDuty, SiemProject, SiemWorkshop
from onboarding.siem.access import MANAGERS
from onboarding.siem.projects import domain, selectors, services
from onboarding.siem.projects.forms import (
    CloseForm,
    DashboardsForm,
    DeficiencyForm,
    DeficiencyStatusForm,
    DutyForm,
    ProjectForm,
)

CUSTOMER_SIDE = (*MANAGERS, Role.REFERENT)
READERS = (*PROVIDER_ROLES, Role.REFERENT, Role.END_USER)


def _refused(request: HttpRequest, error: ValidationError) -> None:
    for message in error.messages:
        messages.error(request, message)


def _context(request: HttpRequest, workshop: SiemWorkshop, **extra) -> dict:
    role = request.tenancy.role
    return {
        "workshop": workshop,
        "write_refusal": customer_write_refusal(workshop.organisation),
        "is_manager": role in MANAGERS,
        "is_customer_side": role in CUSTOMER_SIDE,
        **extra,
    }


# --------------------------------------------------------------------------- projects


@role_required(*READERS)
def project_list(request: HttpRequest, workshop_id: int) -> HttpResponse:
    workshop = selectors.workshop_get(workshop_id=workshop_id)
    projects = list(selectors.project_list(workshop=workshop))
    today = timezone.localdate()
    rows = [(p, domain.progress(p.starts_on, p.ends_on, today)) for p in projects]
    context = _context(
        request,
        workshop,
        rows=rows,
        has_open=any(p.status == SiemProject.Status.OPEN for p in projects),
    )
    return render(request, "onboarding/siem/projects/project_list.html", context)


@role_required(*MANAGERS)
def project_create(request: HttpRequest, workshop_id: int) -> HttpResponse:
    workshop = selectors.workshop_get(workshop_id=workshop_id)
    today = timezone.localdate()
    form = ProjectForm(
        request.POST or None,
        initial={"starts_on": today, "ends_on": domain.latest_end(today)},
    )
    project = submit(
        request,
        form,
        lambda data: services.project_create(workshop=workshop, by=request.user, **data),
    )
    if project is not NOT_DONE:
        messages.success(request, _("Project started."))
        return redirect("siem_project_detail", project_id=project.pk)
    previous = selectors.last_closed(workshop)
    return render(
        request,
        "onboarding/siem/projects/project_form.html",
        _context(request, workshop, form=form, previous=previous),
    )


def _project_page(
    request: HttpRequest, project: SiemProject, deficiency_form: DeficiencyForm | None = None
) -> HttpResponse:
    context = _context(
        request,
        project.workshop,
        project=project,
        deficiencies=list(project.deficiencies.all()),
        next_project=selectors.next_of(project),
        progress=domain.progress(project.starts_on, project.ends_on, timezone.localdate()),
        deficiency_form=deficiency_form or DeficiencyForm(),
        statuses=DeficiencyStatusForm.base_fields["status"].choices,
    )
    return render(request, "onboarding/siem/projects/project_detail.html", context)


@role_required(*READERS)
def project_detail(request: HttpRequest, project_id: int) -> HttpResponse:
    return _project_page(request, selectors.project_get(project_id=project_id))


@role_required(*MANAGERS)
@require_POST
def deficiency_add(request: HttpRequest, project_id: int) -> HttpResponse:
    project = selectors.project_get(project_id=project_id)
    form = DeficiencyForm(request.POST)
    done = submit(
        request,
        form,
        lambda data: services.deficiency_add(project=project, by=request.user, **data),
    )
    if done is NOT_DONE:
        return _project_page(request, project, deficiency_form=form)
    messages.success(request, _("Deficiency added."))
    return redirect("siem_project_detail", project_id=project.pk)


@role_required(*MANAGERS)
@require_POST
def deficiency_status(request: HttpRequest, deficiency_id: int) -> HttpResponse:
    deficiency = selectors.deficiency_get(deficiency_id=deficiency_id)
    form = DeficiencyStatusForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Choose a status."))
    else:
        try:
            services.deficiency_set_status(
                deficiency=deficiency, status=form.cleaned_data["status"], by=request.user
            )
            messages.success(request, _("Status changed."))
        except ValidationError as error:
            _refused(request, error)
    return redirect("siem_project_detail", project_id=deficiency.project_id)


@role_required(*MANAGERS)
def project_close(request: HttpRequest, project_id: int) -> HttpResponse:
    project = selectors.project_get(project_id=project_id)
    form = CloseForm(
        request.POST or None,
        initial={"went_well": project.went_well, "to_improve": project.to_improve},
    )
    done = submit(
        request,
        form,
        lambda data: services.project_close(project=project, by=request.user, **data),
    )
    if done is not NOT_DONE:
        messages.success(request, _("Project closed with its deficiency list and evaluation."))
        return redirect("siem_project_detail", project_id=project.pk)
    return render(
        request,
        "onboarding/siem/projects/project_close.html",
        _context(
            request,
            project.workshop,
            form=form,
            project=project,
            deficiencies=list(project.deficiencies.all()),
        ),
    )


# --------------------------------------------------------------------------- operations model


@role_required(*READERS)
def operations(request: HttpRequest, workshop_id: int) -> HttpResponse:
    workshop = selectors.workshop_get(workshop_id=workshop_id)
    context = _context(
        request,
        workshop,
        duties=list(selectors.duty_list(workshop=workshop)),
        may_step=request.tenancy.role in CUSTOMER_SIDE,
    )
    return render(request, "onboarding/siem/projects/operations.html", context)


@role_required(*MANAGERS)
@require_POST
def operations_propose(request: HttpRequest, workshop_id: int) -> HttpResponse:
    workshop = selectors.workshop_get(workshop_id=workshop_id)
    try:
        added = services.operations_propose_standard(workshop=workshop, by=request.user)
    except ValidationError as error:
        _refused(request, error)
    else:
        if added:
            messages.success(
                request, _("Standard model proposed: %(n)s tasks added.") % {"n": added}
            )
        else:
            messages.info(request, _("Every task of the standard model is already there."))
    return redirect("siem_operations", workshop_id=workshop.pk)


@role_required(*MANAGERS)
def duty_add(request: HttpRequest, workshop_id: int) -> HttpResponse:
    workshop = selectors.workshop_get(workshop_id=workshop_id)
    form = DutyForm(request.POST or None, initial={"provider": "R", "customer": "I"})
    done = submit(
        request, form, lambda data: services.duty_add(workshop=workshop, by=request.user, **data)
    )
    if done is not NOT_DONE:
        messages.success(request, _("Task added."))
        return redirect("siem_operations", workshop_id=workshop.pk)
    return render(
        request,
        "onboarding/siem/projects/duty_form.html",
        _context(request, workshop, form=form, duty=None),
    )


@role_required(*MANAGERS)
def duty_edit(request: HttpRequest, duty_id: int) -> HttpResponse:
    duty = selectors.duty_get(duty_id=duty_id)
    form = DutyForm(
        request.POST or None,
        initial={"task": duty.task, "provider": duty.provider, "customer": duty.customer},
    )
    done = submit(
        request, form, lambda data: services.duty_update(duty=duty, by=request.user, **data)
    )
    if done is not NOT_DONE:
        messages.success(request, _("Task changed."))
        return redirect("siem_operations", workshop_id=duty.workshop_id)
    return render(
        request,
        "onboarding/siem/projects/duty_form.html",
        _context(request, duty.workshop, form=form, duty=duty),
    )


def _step(request: HttpRequest, duty_id: int, *, step_in: bool) -> HttpResponse:
    duty = selectors.duty_get(duty_id=duty_id)
    if request.method == "POST":
        if step_in:
            already = duty.customer == domain.RESPONSIBLE
        else:
            already = (duty.provider, duty.customer) == domain.stepped_out()
        service = services.duty_step_in if step_in else services.duty_step_out
        try:
            service(duty=duty, by=request.user)
        except ValidationError as error:
            _refused(request, error)
        else:
            if already:
                messages.info(request, _("Already recorded: nothing changed."))
            elif step_in:
                messages.success(
                    request, _("The customer now runs “%(task)s”.") % {"task": duty.task}
                )
            else:
                messages.success(
                    request, _("“%(task)s” is handed back to the provider.") % {"task": duty.task}
                )
        return redirect(reverse("siem_operations", args=[duty.workshop_id]) + f"#duty-{duty.pk}")
    provider, customer = domain.stepped_in() if step_in else domain.stepped_out()
    context = _context(
        request,
        duty.workshop,
        duty=duty,
        step_in=step_in,
        new_provider=dict(OperationsDuty.Raci.choices)[provider],
        new_customer=dict(OperationsDuty.Raci.choices)[customer],
    )
    return render(request, "onboarding/siem/projects/duty_confirm.html", context)


@role_required(*CUSTOMER_SIDE)
def duty_step_in(request: HttpRequest, duty_id: int) -> HttpResponse:
    return _step(request, duty_id, step_in=True)


@role_required(*CUSTOMER_SIDE)
def duty_step_out(request: HttpRequest, duty_id: int) -> HttpResponse:
    return _step(request, duty_id, step_in=False)


# --------------------------------------------------------------------------- dashboards


@role_required(*READERS)
def dashboards(request: HttpRequest, workshop_id: int) -> HttpResponse:
    workshop = selectors.workshop_get(workshop_id=workshop_id)
    may_choose = request.tenancy.role in CUSTOMER_SIDE
    catalogue = selectors.catalogue_of(workshop)
    offers = DashboardOffer.objects.filter(pk__in=[row["offer"].pk for row in catalogue])
    form = DashboardsForm(
        request.POST or None,
        offers=offers,
        initial={"offers": [row["offer"].pk for row in catalogue if row["choice"]]},
    )
    if request.method == "POST":
        if not may_choose:
            return redirect("siem_dashboards", workshop_id=workshop.pk)
        done = submit(
            request,
            form,
            lambda data: services.dashboards_choose(
                workshop=workshop, offers=data["offers"], by=request.user
            ),
        )
        if done is not NOT_DONE:
            messages.success(request, _("Your choice of dashboards and reports is recorded."))
            return redirect("siem_dashboards", workshop_id=workshop.pk)
    context = _context(request, workshop, catalogue=catalogue, form=form, may_choose=may_choose)
    return render(request, "onboarding/siem/projects/dashboards.html", context)
