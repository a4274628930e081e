"""Pages of the catalogue, activity requests, time logging and statements. Thin: parse, call a
selector or service, render."""

from decimal import Decimal

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from django.views.decorators.http import require_POST

from accounts.roles import PROVIDER_ROLES, Role
from accounts.tenancy import customer_write_refusal
from activities import selectors, services
from activities.forms import (
    ActivityForm,
    EstimateForm,
    OverdraftForm,
    RequestForm,
    ScheduleForm,
    WorkLogForm,
)
from activities.models import Activity, ActivityRequest
from csm_portal import formatting, request_scope
from csm_portal.idempotency import already_done_redirects, form_once
from csm_portal.web import NOT_DONE, add_service_errors, paginate, role_required, submit

MANAGERS = (Role.PROVIDER_ADMIN, Role.CSTM)
READERS = (*PROVIDER_ROLES, Role.REFERENT)


def _write_refusal(request: HttpRequest) -> str:
    """SPEC C5: why this customer may no longer write (the central check), "" when it may;
    pages then show the reason instead of the write buttons."""
    tenancy = request.tenancy
    if not tenancy.is_customer:
        return ""
    return customer_write_refusal(tenancy.membership.organisation)


@role_required(*READERS)
def catalogue(request: HttpRequest) -> HttpResponse:
    activities = selectors.catalogue(include_inactive=request.tenancy.is_admin)
    return render(
        request,
        "activities/catalogue.html",
        {"activities": activities, "write_refusal": _write_refusal(request)},
    )


@role_required(Role.PROVIDER_ADMIN)
def activity_edit(request: HttpRequest, activity_id: int | None = None) -> HttpResponse:
    activity = selectors.activity_get(activity_id=activity_id) if activity_id else None
    form = ActivityForm(request.POST or None, instance=activity)
    if request.method == "POST" and form.is_valid():
        try:
            services.activity_save(activity=form.instance)
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(
                request,
                _("Catalogue saved. Requests already made keep the minimum they were made with."),
            )
            return redirect("catalogue")
    return render(request, "activities/activity_form.html", {"form": form, "activity": activity})


@role_required(*READERS)
def request_list(request: HttpRequest) -> HttpResponse:
    search = request.GET.get("q", "").strip()
    status = request.GET.get("status", "")
    scope = request_scope.context(request)  # issue 14: the referent's mine / organisation's
    mine = request.user if scope["scope"] == request_scope.MINE else None
    page = paginate(
        request,
        selectors.with_charged(
            selectors.request_list(search=search, status=status, requested_by=mine)
        ),
    )
    context = {
        **scope,
        "page": page,
        "search": search,
        "status": status,
        "statuses": ActivityRequest.Status.choices,
        "write_refusal": _write_refusal(request),
    }
    template = (
        "activities/partials/request_rows.html" if request.htmx else "activities/request_list.html"
    )
    return render(request, template, context)


@role_required(*MANAGERS, Role.REFERENT)
@already_done_redirects
def request_create(request: HttpRequest) -> HttpResponse:
    tenancy = request.tenancy
    refusal = _write_refusal(request)
    if refusal:
        if request.method == "POST":
            messages.error(request, refusal)
        return render(request, "activities/request_form.html", {"write_refusal": refusal})
    staff = tenancy.is_provider_staff
    organisation = None if staff else tenancy.membership.organisation
    form = RequestForm(
        request.POST or None,
        staff=staff,
        kickoff_done=organisation is not None and services.kickoff_done(organisation),
        initial={
            "organisation": request.GET.get("organisation"),
            "activity": request.GET.get("activity"),
        },
    )

    def create(data: dict) -> ActivityRequest:
        organisation = data.pop("organisation", None) or tenancy.membership.organisation
        return services.request_create(organisation=organisation, by=request.user, **data)

    created = submit(
        request,
        form,
        lambda data: form_once(
            request, lambda: create(data), url_of=lambda r: r.get_absolute_url()
        ),
    )
    if created is not NOT_DONE:
        messages.success(request, _("Request recorded."))
        return redirect(created)
    remaining = selectors.requestable_remaining(organisation=organisation) if organisation else None
    facts = _activity_facts(form.fields["activity"].queryset, remaining)
    chosen = str(form["activity"].value() or "")
    context = {"form": form, "activity_facts": facts, "chosen_facts": facts.get(chosen)}
    return render(request, "activities/request_form.html", context)


def _activity_facts(activities: QuerySet[Activity], remaining: Decimal | None) -> dict:
    """What each activity costs and needs, as sentences in the reader's language, for the
    request form (its script shows those of the chosen activity; SPEC H3, H6, H10): the
    minimum hours, the notice in working days, whether an estimate comes first, and how much
    of the remaining hours of the licence year it uses (for the referent)."""
    facts = {}
    for activity in activities:
        minimum = formatting.hours(activity.minimum_hours)
        lines = [_("Minimum charged: %(hours)s h per request.") % {"hours": minimum}]
        days = activity.lead_time_working_days
        if days:
            lines.append(
                ngettext(
                    "It needs %(days)s working day of notice.",
                    "It needs %(days)s working days of notice.",
                    days,
                )
                % {"days": days}
            )
        else:
            lines.append(_("No notice needed: it can be scheduled as soon as possible."))
        if activity.estimate_first:
            lines.append(
                _(
                    "An estimate comes first: the feasibility analysis is charged %(hours)s h "
                    "whatever its outcome, and the work starts only after you confirm the "
                    "estimate."
                )
                % {"hours": minimum}
            )
        uses = ""
        if remaining is not None:
            values = {"minimum": minimum, "remaining": formatting.hours(remaining)}
            if remaining >= activity.minimum_hours:
                uses = _("This uses at least %(minimum)s h of your %(remaining)s h.") % values
            else:
                uses = (
                    _(
                        "This uses at least %(minimum)s h, more than the %(remaining)s h you "
                        "have left: extra hours come in packs of at least 8 h."
                    )
                    % values
                )
        facts[str(activity.pk)] = {"name": str(activity.name), "facts": lines, "uses": uses}
    return facts


@role_required(*READERS)
def request_detail(request: HttpRequest, request_id: int) -> HttpResponse:
    activity_request = selectors.request_get(request_id=request_id)
    context = {
        "req": activity_request,
        "sessions": selectors.sessions_of(activity_request),
        "charges": selectors.charges_of(activity_request),
        "statement": getattr(activity_request, "statement", None),
        "kickoff_done": services.kickoff_done(activity_request.organisation),
        "write_refusal": _write_refusal(request),
        "estimate_form": EstimateForm(),
        "schedule_form": ScheduleForm(initial={"scheduled_on": activity_request.preferred_on}),
        "overdraft_form": OverdraftForm(
            initial={"hours": activity_request.overdraft_allowed_hours}
        ),
    }
    return render(request, "activities/request_detail.html", context)


TRANSITIONS = {
    # name: (roles allowed, service call, success message)
    "formalise": (
        (Role.REFERENT,),
        lambda r, user: services.request_formalise(request=r, by=user),
        gettext_lazy("Thank you: the request is confirmed in writing."),
    ),
    "accept-estimate": (
        (Role.REFERENT,),
        lambda r, user: services.estimate_decide(request=r, accept=True, by=user),
        gettext_lazy("Estimate confirmed: the work can start."),
    ),
    "decline-estimate": (
        (Role.REFERENT,),
        lambda r, user: services.estimate_decide(request=r, accept=False, by=user),
        gettext_lazy("Estimate declined: only the feasibility analysis is charged."),
    ),
    "complete": (
        MANAGERS,
        lambda r, user: services.request_complete(request=r, by=user),
        gettext_lazy("Request completed: the statement was sent to the referent."),
    ),
    "cancel": (
        (*MANAGERS, Role.REFERENT),
        lambda r, user: services.request_cancel(request=r, by=user),
        gettext_lazy("Request cancelled."),
    ),
}


@require_POST
@role_required(*READERS)
@already_done_redirects
def request_transition(request: HttpRequest, request_id: int, transition: str) -> HttpResponse:
    activity_request = selectors.request_get(request_id=request_id)
    if transition not in TRANSITIONS:
        raise Http404
    roles, action, success = TRANSITIONS[transition]
    if request.tenancy.role not in roles:
        raise Http404
    try:
        form_once(
            request,
            lambda: action(activity_request, request.user),
            url_of=lambda r: r.get_absolute_url(),
        )
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, str(success))
    return redirect(activity_request)


# The small forms on a request: (form, service, title, success message).
REQUEST_FORMS = {
    "schedule": (
        ScheduleForm,
        services.request_schedule,
        gettext_lazy("Schedule the activity"),
        gettext_lazy("Activity scheduled."),
    ),
    "estimate": (
        EstimateForm,
        services.estimate_record,
        gettext_lazy("Record the estimate"),
        gettext_lazy("Estimate sent: the referent is asked to confirm it."),
    ),
    "overdraft": (
        OverdraftForm,
        services.overdraft_approve,
        gettext_lazy("Approve an overrun of the balance"),
        gettext_lazy("Overrun of the balance approved for this request."),
    ),
}


@already_done_redirects
def _request_form(request: HttpRequest, request_id: int, kind: str) -> HttpResponse:
    form_class, service, title, success = REQUEST_FORMS[kind]
    activity_request = selectors.request_get(request_id=request_id)
    form = form_class(request.POST or None)
    done = submit(
        request,
        form,
        lambda data: form_once(
            request,
            lambda: service(request=activity_request, by=request.user, **data),
            url_of=lambda r: r.get_absolute_url(),
        ),
    )
    if done is not NOT_DONE:
        messages.success(request, str(success))
        return redirect(activity_request)
    context = {"req": activity_request, "form": form, "title": title}
    return render(request, "activities/simple_form.html", context)


@role_required(*MANAGERS)
def request_schedule(request: HttpRequest, request_id: int) -> HttpResponse:
    return _request_form(request, request_id, "schedule")


@role_required(*MANAGERS)
def estimate_record(request: HttpRequest, request_id: int) -> HttpResponse:
    return _request_form(request, request_id, "estimate")


@role_required(Role.PROVIDER_ADMIN)
def overdraft_approve(request: HttpRequest, request_id: int) -> HttpResponse:
    return _request_form(request, request_id, "overdraft")


@role_required(*MANAGERS)
@already_done_redirects
def work_log(request: HttpRequest, request_id: int) -> HttpResponse:
    """Log time in a few clicks; the charge is computed and shown before saving (H3–H5)."""
    activity_request = selectors.request_get(request_id=request_id)
    form = WorkLogForm(request.POST or None)
    result = submit(
        request,
        form,
        lambda data: form_once(
            request,
            lambda: services.work_log(request=activity_request, by=request.user, **data),
            url_of=lambda _result: activity_request.get_absolute_url(),
        ),
    )
    if result is not NOT_DONE:
        plan = result[1]
        messages.success(
            request,
            _("Time logged. %(explanation)s") % {"explanation": plan.explanation},
        )
        return redirect(activity_request)
    # After a refusal the preview still shows the submitted values: computed from a fresh form,
    # not from the one that now carries the service's errors.
    submitted = WorkLogForm(request.POST) if request.method == "POST" else form
    context = {
        "req": activity_request,
        "form": form,
        **_preview(request, activity_request, submitted),
    }
    return render(request, "activities/work_log.html", context)


@require_POST
@role_required(*MANAGERS)
def work_preview(request: HttpRequest, request_id: int) -> HttpResponse:
    activity_request = selectors.request_get(request_id=request_id)
    form = WorkLogForm(request.POST)
    return render(
        request,
        "activities/partials/charge_preview.html",
        {"req": activity_request, **_preview(request, activity_request, form)},
    )


def _preview(request: HttpRequest, activity_request: ActivityRequest, form: WorkLogForm) -> dict:
    """The charge a valid form would lead to, or why it cannot be logged (every reason of an
    invalid form, so the preview answers each input as it is typed)."""
    if not form.is_bound:
        return {"plan": None, "problems": []}
    if not form.is_valid():
        problems: list[str] = []
        for name, messages_of_field in form.errors.items():
            # Named after its field ("Data: Questo campo è obbligatorio."): the preview stands
            # apart from the inputs, and Django's own messages do not say which field.
            label = form.fields[name].label if name in form.fields else ""
            for message in messages_of_field:
                problem = f"{label}: {message}" if label else message
                if problem not in problems:
                    problems.append(problem)
        return {"plan": None, "problems": problems}
    data = form.cleaned_data
    try:
        plan = services.work_plan(
            request=activity_request,
            worked_on=data["worked_on"],
            minutes=data["minutes"],
            customer_caused=data["customer_caused"],
            overrun_reason=data["overrun_reason"],
            by=request.user,
        )
    except ValidationError as error:
        return {"plan": None, "problems": error.messages}
    overdrawn = plan.remaining_after < -activity_request.overdraft_allowed_hours
    return {"plan": plan, "problems": [], "overdrawn": overdrawn}


@role_required(*READERS)
def statement_download(request: HttpRequest, statement_id: int) -> FileResponse:
    """Statements are served through this signed-in view, never from a public media URL."""
    statement = selectors.statement_get(statement_id=statement_id)
    return FileResponse(
        statement.pdf.open("rb"),
        as_attachment=True,
        filename=f"{statement.number}.pdf",
        content_type="application/pdf",
    )
