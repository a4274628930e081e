"""Reads of the onboarding plan: what the pages and the API show (SPEC O1, O3)."""

from dataclasses import dataclass, field
from datetime import date

from django.db.models import QuerySet
from django.http import Http404
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from accounts.models import Organisation
from contracts.models import Contract
from contracts.selectors import terms_accepted
from onboarding import steps as codes
from onboarding.models import OnboardingPlan, PlanStep, TrainingProgress
from onboarding.plan import domain, services

State = PlanStep.State

TITLES = {
    codes.ACTIVATION: gettext_lazy("Activation e-mail"),
    codes.TERMS: gettext_lazy("Acceptance of the terms"),
    codes.KICKOFF: gettext_lazy("Kick-off meeting"),
    codes.LOGOS: gettext_lazy("Logos"),
    codes.USER_LIST: gettext_lazy("User list"),
    codes.WHITELISTING: gettext_lazy("Whitelisting"),
    codes.GO_LIVE: gettext_lazy("Go-live"),
    codes.RELEASES: gettext_lazy("Release plan"),
    codes.SAL: gettext_lazy("Progress review (SAL)"),
}

# What the referent reads when the step is the current one, in plain words.
NEXT = {
    codes.ACTIVATION: gettext_lazy("We are sending you the activation e-mail with your contract."),
    codes.TERMS: gettext_lazy(
        "Please read and accept the licence terms, the service levels and the data-processing "
        "appointment: nothing else can start before that."
    ),
    codes.KICKOFF: gettext_lazy(
        "Next is the kick-off meeting with your Customer Success manager, who will agree a date "
        "with you."
    ),
    codes.LOGOS: gettext_lazy("Next, send us your organisation's two logos."),
    codes.USER_LIST: gettext_lazy(
        "Next, load the list of your users with the provided spreadsheet template."
    ),
    codes.WHITELISTING: gettext_lazy(
        "Next, ask your IT team to whitelist our e-mails and videos, then confirm it here."
    ),
    codes.GO_LIVE: gettext_lazy(
        "Everything is ready for go-live: we agree the date and send the message to your users."
    ),
    codes.RELEASES: gettext_lazy(
        "Your training content and phishing campaigns are being planned until the contract ends."
    ),
    codes.SAL: gettext_lazy(
        "Next is the progress review (SAL), where we look at training results together."
    ),
}

# The catalogue activity behind a step, for the one-click "log time" (H3).
ACTIVITY_OF = {
    codes.KICKOFF: "kickoff",
    codes.USER_LIST: "user-list-first-upload",
    codes.WHITELISTING: "whitelisting",
    codes.GO_LIVE: "pre-go-live",
    codes.RELEASES: "release-planning",
    codes.SAL: "sal-review",
}


def plan_for(*, organisation: Organisation) -> OnboardingPlan | None:
    """The organisation's plan, made on first need and brought up to date (see services)."""
    plan = services.plan_ensure(organisation=organisation)
    if plan is None:
        return None
    return services.plan_sync(plan=plan)


def organisation_get(*, organisation_id: int) -> Organisation:
    """An organisation in the user's scope, or 404 (missing and foreign look the same, T1)."""
    organisation = Organisation.objects.filter(
        pk=organisation_id, kind=Organisation.Kind.CUSTOMER
    ).first()
    if organisation is None:
        raise Http404
    return organisation


def step_get(*, step_id: int) -> PlanStep:
    step = PlanStep.objects.select_related("plan", "organisation").filter(pk=step_id).first()
    if step is None:
        raise Http404
    return step


def plan_list(*, today: date | None = None) -> list[OnboardingPlan]:
    """Plans in scope, those over a month first (L1), each with its progress."""
    today = today or timezone.localdate()
    # Plans not made yet (contract activated since the last daily run) are made now.
    for contract in Contract.objects.filter(
        activated_at__isnull=False,
        renewal_of__isnull=True,
        status__in=services.PLANNED,
        onboarding_plan__isnull=True,
    ).select_related("organisation"):
        services.plan_ensure(organisation=contract.organisation)
    plans = list(
        OnboardingPlan.objects.select_related("organisation", "contract").prefetch_related("steps")
    )
    for plan in plans:
        steps = list(plan.steps.all())
        plan.over_a_month = domain.is_over_a_month(
            target_on=plan.target_go_live_on, go_live_on=plan.go_live_on, today=today
        )
        plan.progress = domain.percent(sum(s.is_closed for s in steps), len(steps))
        plan.current = next((s for s in steps if not s.is_closed), None)
        if plan.current is not None:
            plan.current.title = TITLES[plan.current.code]
    plans.sort(key=lambda p: (not p.over_a_month, p.target_go_live_on, p.pk))
    return plans


@dataclass
class StepRow:
    step: PlanStep
    title: str
    state: str
    state_label: str
    blocked_reason: str
    is_current: bool
    log_url: str = ""
    request_url: str = ""


@dataclass
class ChecklistRow:
    code: str
    label: str
    done: bool
    derived: bool
    detail: str = ""


@dataclass
class PlanView:
    plan: OnboardingPlan
    steps: list[StepRow]
    current: StepRow | None
    next_sentence: str
    progress: int
    over_a_month: bool
    checklist: list[ChecklistRow]
    releases: domain.ReleasePlan
    release_explanation: list[str]
    training: list[dict] = field(default_factory=list)


def _log_links(plan: OnboardingPlan) -> dict[str, tuple[str, str]]:
    """For each step code: (log form of the open request of its activity, request form)."""
    from activities.models import Activity, ActivityRequest

    activities = {a.code: a for a in Activity.objects.filter(code__in=ACTIVITY_OF.values())}
    open_requests = {}
    for req in (
        ActivityRequest.objects.filter(
            organisation=plan.organisation, activity__code__in=ACTIVITY_OF.values()
        )
        .exclude(status__in=("completed", "cancelled", "estimate_sent"))
        .select_related("activity")
        .order_by("created_at")
    ):
        open_requests.setdefault(req.activity.code, req)
    links = {}
    for code, activity_code in ACTIVITY_OF.items():
        req = open_requests.get(activity_code)
        activity = activities.get(activity_code)
        log = reverse("work_log", args=[req.pk]) if req else ""
        new = ""
        if activity is not None and not req:
            new = (
                reverse("activity_request_create")
                + f"?organisation={plan.organisation_id}&activity={activity.pk}"
            )
        links[code] = (log, new)
    return links


def release_explanation(plan: OnboardingPlan, result: domain.ReleasePlan) -> list[str]:
    """What changed in the release plan and why, in plain words (O3)."""
    lines: list[str] = []
    if result.late_days and plan.go_live_on:
        lines.append(
            _("Go-live is on %(go_live)s, %(days)s days after the one-month target (%(target)s).")
            % {
                "go_live": plan.go_live_on.strftime("%d/%m/%Y"),
                "days": result.late_days,
                "target": plan.target_go_live_on.strftime("%d/%m/%Y"),
            }
        )
    planned = sum(i.interval_days for i in plan.releases.all()[: max(len(result.intervals), 0)])
    actual = sum(result.intervals)
    if result.compressed and planned and actual < planned:
        lines.append(
            _(
                "So that every release and campaign still ends before the contract expires on "
                "%(expiry)s, they now follow each other more often: about every %(actual)s days "
                "instead of every %(planned)s (%(percent)s%% of the planned time between them)."
            )
            % {
                "expiry": plan.contract.expires_on.strftime("%d/%m/%Y"),
                "actual": round(actual / len(result.intervals)) if result.intervals else 0,
                "planned": round(planned / len(result.intervals)) if result.intervals else 0,
                "percent": domain.percent(actual, planned),
            }
        )
    if result.needs_decision:
        lines.append(
            _(
                "%(count)s of them no longer fit before expiry even at the shortest interval "
                "(%(minimum)s days): decide together whether to drop or merge them."
            )
            % {"count": len(result.needs_decision), "minimum": domain.MINIMUM_INTERVAL_DAYS}
        )
    if not lines:
        lines.append(_("The release plan runs as planned, from go-live until before expiry."))
    return lines


def plan_view(*, plan: OnboardingPlan, staff: bool, today: date | None = None) -> PlanView:
    today = today or timezone.localdate()
    steps = list(plan.steps.select_related("closed_by", "meeting").order_by("position"))
    accepted = terms_accepted(plan.organisation)
    links = _log_links(plan) if staff else {}
    rows: list[StepRow] = []
    current: StepRow | None = None
    terms_position = next((s.position for s in steps if s.code == codes.TERMS), 0)
    for step in steps:
        state, reason = step.state, step.blocked_reason
        if not step.is_closed and not accepted and step.position > terms_position:
            state, reason = State.BLOCKED, _("Waiting for the referent to accept the terms.")
        title = str(TITLES[step.code])
        if step.code == codes.SAL:
            title = _("Progress review (SAL), licence year %(year)s") % {"year": step.year}
        row = StepRow(
            step=step,
            title=title,
            state=state,
            state_label=str(State(state).label),
            blocked_reason=reason,
            is_current=False,
        )
        if staff:
            row.log_url, row.request_url = links.get(step.code, ("", ""))
        if current is None and not step.is_closed:
            row.is_current = True
            current = row
        rows.append(row)
    checklist = _checklist(plan, steps)
    result = services.release_plan_of(plan)
    training = _training(plan, today)
    return PlanView(
        plan=plan,
        steps=rows,
        current=current,
        next_sentence=str(NEXT[current.step.code])
        if current
        else _("Onboarding is complete: thank you."),
        progress=domain.percent(sum(s.is_closed for s in steps), len(steps)),
        over_a_month=domain.is_over_a_month(
            target_on=plan.target_go_live_on, go_live_on=plan.go_live_on, today=today
        ),
        checklist=checklist,
        releases=result,
        release_explanation=release_explanation(plan, result),
        training=training,
    )


def _checklist(plan: OnboardingPlan, steps: list[PlanStep]) -> list[ChecklistRow]:
    closed = {s.code for s in steps if s.is_closed}
    rows = [
        ChecklistRow(codes.USER_LIST, _("User list loaded"), codes.USER_LIST in closed, True),
        ChecklistRow(codes.LOGOS, _("Logos received"), codes.LOGOS in closed, True),
        ChecklistRow(
            codes.WHITELISTING, _("Whitelisting confirmed"), codes.WHITELISTING in closed, True
        ),
    ]
    labels = {
        "communication_sent": _("Go-live communication sent to users"),
        "training_plan_agreed": _("Training plan agreed"),
    }
    for code in services.CHECKLIST_MANUAL:
        ticked = plan.checklist.get(code)
        detail = ""
        if ticked:
            detail = _("ticked by %(name)s") % {"name": ticked.get("by", "")}
        rows.append(ChecklistRow(code, labels[code], bool(ticked), False, detail))
    return rows


def training_rows(plan: OnboardingPlan) -> QuerySet[TrainingProgress]:
    return TrainingProgress.objects.filter(plan=plan).order_by("module", "-recorded_on", "-pk")


def _training(plan: OnboardingPlan, today: date) -> list[dict]:
    """The latest figures per module, with a suggestion when training slows at mid-term."""
    sal = plan.steps.filter(code=codes.SAL).order_by("due_on").first()
    mid_term = sal.due_on if sal else plan.contract.expires_on
    latest: dict[str, TrainingProgress] = {}
    for row in training_rows(plan):
        latest.setdefault(row.module, row)
    return [
        {
            "row": row,
            "percent": domain.percent(row.completed, row.total),
            "slow": domain.training_slow(
                completed=row.completed, total=row.total, today=today, mid_term=mid_term
            ),
        }
        for row in latest.values()
    ]
