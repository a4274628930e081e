"""Writes of the onboarding plan (SPEC O1, O3, C3, C4, L1, L4).

Where the plan comes from: contracts sits below onboarding and must not import it, so the
activation service does not create the plan. The plan is created lazily and idempotently from
onboarding for every activated first contract (a renewal continues the same onboarding): by the
daily job, by the plan pages and by ``step_done``. Its dates come from the contract's
``activated_at`` (the day the activation e-mail was sent, C3), so a plan created a day later is
the same plan."""

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.mail import send_mail
from django.db import IntegrityError, transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from accounts.models import Organisation, User
from accounts.roles import Role
from accounts.tenancy import customer_write_refusal, tenancy_for
from contracts.models import Acceptance, Contract
from contracts.selectors import terms_accepted
from csm_portal import formatting
from onboarding import steps as codes
from onboarding.models import (
    Meeting,
    OnboardingPlan,
    PlanStep,
    PlanWarning,
    ReleaseItem,
    TrainingProgress,
)
from onboarding.plan import domain

PROVIDER = PlanStep.Owner.PROVIDER
CUSTOMER = PlanStep.Owner.CUSTOMER
State = PlanStep.State
# (code, owner, days after the start the step is due; None: the target go-live)
LAYOUT = (
    (codes.ACTIVATION, PROVIDER, 0),
    (codes.TERMS, CUSTOMER, 5),
    (codes.KICKOFF, PROVIDER, 10),
    (codes.LOGOS, CUSTOMER, 20),
    (codes.USER_LIST, CUSTOMER, 20),
    (codes.WHITELISTING, CUSTOMER, 25),
    (codes.GO_LIVE, PROVIDER, None),
)
# Steps closed from facts, never by hand (C3 activation e-mail, C4 acceptance).
DERIVED = (codes.ACTIVATION, codes.TERMS)
PLANNED = (Contract.Status.ACTIVE, Contract.Status.RENEWED, Contract.Status.EXPIRED)


def plan_contract(organisation: Organisation) -> Contract | None:
    """The first activated contract of the organisation, the one its onboarding belongs to."""
    return (
        Contract.objects.filter(
            organisation=organisation,
            activated_at__isnull=False,
            renewal_of__isnull=True,
            status__in=PLANNED,
        )
        .order_by("-activated_at", "-pk")
        .first()
    )


def _start_of(contract: Contract) -> date:
    return timezone.localdate(contract.activated_at)


@transaction.atomic
def plan_ensure(*, organisation: Organisation) -> OnboardingPlan | None:
    """The organisation's plan, created with its steps, SAL reviews and default release plan the
    first time it is needed (idempotent; two concurrent calls make one plan)."""
    contract = plan_contract(organisation)
    if contract is None:
        return None
    existing = OnboardingPlan.objects.filter(contract=contract).first()
    if existing is not None:
        return existing
    started = _start_of(contract)
    target = domain.target_go_live(started)
    try:
        with transaction.atomic():
            plan = OnboardingPlan.objects.create(
                organisation=organisation,
                contract=contract,
                started_on=started,
                target_go_live_on=target,
            )
    except IntegrityError:
        return OnboardingPlan.objects.get(contract=contract)
    position = 0
    for code, owner, days in LAYOUT:
        position += 1
        due = target if days is None else started + timedelta(days=days)
        PlanStep.objects.create(
            organisation=organisation,
            plan=plan,
            code=code,
            position=position,
            owner=owner,
            due_on=due,
        )
    position += 1
    PlanStep.objects.create(
        organisation=organisation,
        plan=plan,
        code=codes.RELEASES,
        position=position,
        owner=PROVIDER,
        due_on=target + timedelta(days=7),
    )
    for year in contract.licence_years.order_by("index"):
        position += 1
        mid = domain.mid_point(year.starts_on, year.ends_on)
        meeting = Meeting.objects.create(
            organisation=organisation,
            kind=Meeting.Kind.SAL,
            title=_("Progress review (SAL), licence year %(year)s") % {"year": year.index},
            scheduled_at=timezone.make_aware(datetime.combine(mid, datetime.min.time()))
            + timedelta(hours=10),
        )
        PlanStep.objects.create(
            organisation=organisation,
            plan=plan,
            code=codes.SAL,
            year=year.index,
            position=position,
            owner=PROVIDER,
            due_on=mid,
            meeting=meeting,
        )
    items = domain.default_items(target_on=target, expires_on=contract.expires_on)
    for index, item in enumerate(items, start=1):
        ReleaseItem.objects.create(
            organisation=organisation,
            plan=plan,
            position=index,
            kind=item.kind,
            title=item.title,
            duration_days=item.duration_days,
            interval_days=item.interval_days,
        )
    release_plan_recompute(plan=plan)
    return plan


def _close(step: PlanStep, *, state: str, by: AbstractBaseUser | None, at: datetime) -> None:
    step.state = state
    step.closed_by = by  # type: ignore[assignment]
    step.closed_at = at
    step.blocked_reason = ""
    step.save(update_fields=["state", "closed_by", "closed_at", "blocked_reason"])


def _advance(plan: OnboardingPlan) -> None:
    """The first open step is the current one: it is in progress unless it is blocked."""
    current = plan.steps.exclude(state__in=(State.DONE, State.SKIPPED)).order_by("position").first()
    if current is not None and current.state == State.TODO:
        current.state = State.IN_PROGRESS
        current.save(update_fields=["state"])


@transaction.atomic
def plan_sync(*, plan: OnboardingPlan, today: date | None = None) -> OnboardingPlan:
    """Close the steps that facts have closed: the activation e-mail (C3), the acceptance of the
    terms (C4), the completed kick-off request, the go-live day. Idempotent."""
    today = today or timezone.localdate()
    plan = OnboardingPlan.objects.select_for_update().select_related("contract").get(pk=plan.pk)
    open_steps = {
        (s.code, s.year): s
        for s in plan.steps.exclude(state__in=(State.DONE, State.SKIPPED)).select_for_update()
    }
    activation = open_steps.get((codes.ACTIVATION, 0))
    if activation and plan.contract.activated_at:
        _close(activation, state=State.DONE, by=None, at=plan.contract.activated_at)
    terms = open_steps.get((codes.TERMS, 0))
    if terms and terms_accepted(plan.organisation):
        last = Acceptance.objects.filter(organisation=plan.organisation).order_by("-accepted_at")
        acceptance = last.first()
        _close(
            terms,
            state=State.DONE,
            by=acceptance.accepted_by if acceptance else None,
            at=acceptance.accepted_at if acceptance else timezone.now(),
        )
    kickoff = open_steps.get((codes.KICKOFF, 0))
    if kickoff and terms_accepted(plan.organisation):
        from activities.models import ActivityRequest

        done = (
            ActivityRequest.objects.filter(
                organisation=plan.organisation,
                activity__is_kickoff=True,
                status=ActivityRequest.Status.COMPLETED,
            )
            .order_by("completed_at")
            .first()
        )
        if done is not None:
            _close(kickoff, state=State.DONE, by=None, at=done.completed_at or timezone.now())
    go_live = open_steps.get((codes.GO_LIVE, 0))
    if go_live and plan.go_live_on and plan.go_live_on <= today:
        _close(go_live, state=State.DONE, by=None, at=timezone.now())
    _advance(plan)
    return plan


def _terms_gate(plan: OnboardingPlan, step: PlanStep) -> None:
    terms_position = next(p for c, _o, p in _positions() if c == codes.TERMS)
    if step.position > terms_position and not terms_accepted(plan.organisation):
        raise ValidationError(
            _("The referent has not accepted the current terms yet: nothing proceeds until then.")
        )


def _positions() -> list[tuple[str, str, int]]:
    return [(code, owner, index) for index, (code, owner, _d) in enumerate(LAYOUT, start=1)]


def plan_write_refusal(organisation: Organisation) -> None:
    """SPEC C5: no writes on the plan of a read-only or closed customer (staff included)."""
    refusal = customer_write_refusal(organisation)
    if refusal:
        raise ValidationError(refusal)


@transaction.atomic
def plan_step_complete(
    *,
    organisation: Organisation,
    code: str,
    by: AbstractBaseUser | None,
    year: int | None = None,
    note: str = "",
) -> PlanStep | None:
    """Mark a step of the organisation's plan done and move the plan on (O1). Idempotent (L4):
    a step already closed stays as it was closed, by whom and when. Refused while the terms
    are pending (C4). ``year`` picks a SAL review; without it the earliest open one."""
    if code not in codes.SEQUENCE:
        raise ValidationError(_("Unknown step."))
    plan = plan_ensure(organisation=organisation)
    if plan is None:
        return None
    steps = PlanStep.objects.select_for_update().filter(plan=plan, code=code)
    if year is not None:
        steps = steps.filter(year=year)
    step = steps.exclude(state__in=(State.DONE, State.SKIPPED)).order_by("position").first()
    if step is None:
        return steps.order_by("position").first()
    _terms_gate(plan, step)
    if note:
        step.note = note
        step.save(update_fields=["note"])
    _close(step, state=State.DONE, by=by, at=timezone.now())
    plan_sync(plan=plan)
    step.refresh_from_db()
    return step


def _check_may_close(step: PlanStep, by: User, *, skip: bool) -> None:
    tenancy = tenancy_for(by)
    if step.code in DERIVED:
        raise ValidationError(
            _(
                "This step closes by itself when the activation e-mail is sent or the terms "
                "are accepted."
            )
        )
    if tenancy.role in (Role.PROVIDER_ADMIN, Role.CSTM):
        return
    if tenancy.role == Role.REFERENT and step.owner == CUSTOMER and not skip:
        return
    raise PermissionDenied(_("Only the provider's team can close this step."))


@transaction.atomic
def plan_step_close(*, step: PlanStep, by: User, skip: bool = False, note: str = "") -> PlanStep:
    """Close a manual step by hand: staff complete or skip any (with a note), the referent
    completes the customer's own. Twice is once (L4)."""
    locked = PlanStep.objects.select_for_update().select_related("plan").get(pk=step.pk)
    _check_may_close(locked, by, skip=skip)
    plan_write_refusal(locked.organisation)
    if locked.is_closed:
        return locked
    if skip and not note.strip():
        raise ValidationError({"note": [_("Say why the step is skipped.")]})
    _terms_gate(locked.plan, locked)
    if note.strip():
        locked.note = note.strip()
        locked.save(update_fields=["note"])
    _close(locked, state=State.SKIPPED if skip else State.DONE, by=by, at=timezone.now())
    plan_sync(plan=locked.plan)
    locked.refresh_from_db()
    return locked


@transaction.atomic
def plan_step_update(
    *,
    step: PlanStep,
    by: User,
    due_on: date | None = None,
    blocked_reason: str | None = None,
) -> PlanStep:
    """Staff move a due date or mark what blocks a step (an empty reason unblocks it)."""
    if tenancy_for(by).role not in (Role.PROVIDER_ADMIN, Role.CSTM):
        raise PermissionDenied
    locked = PlanStep.objects.select_for_update().select_related("plan").get(pk=step.pk)
    plan_write_refusal(locked.organisation)
    if locked.is_closed:
        raise ValidationError(_("This step is already closed."))
    if due_on is not None:
        locked.due_on = due_on
    if blocked_reason is not None:
        reason = blocked_reason.strip()
        locked.blocked_reason = reason
        locked.state = State.BLOCKED if reason else State.TODO
    locked.full_clean()
    locked.save()
    _advance(locked.plan)
    locked.refresh_from_db()
    return locked


def kickoff_closed_on(plan: OnboardingPlan) -> date | None:
    step = plan.steps.filter(code=codes.KICKOFF).first()
    if step is None or step.state != State.DONE or step.closed_at is None:
        return None
    return timezone.localdate(step.closed_at)


@transaction.atomic
def plan_go_live_set(*, plan: OnboardingPlan, go_live_on: date, by: User) -> OnboardingPlan:
    """Set the go-live date: not before the kick-off is done, before expiry; the release plan
    is recomputed from it (O3)."""
    if tenancy_for(by).role not in (Role.PROVIDER_ADMIN, Role.CSTM):
        raise PermissionDenied
    locked = OnboardingPlan.objects.select_for_update().select_related("contract").get(pk=plan.pk)
    plan_write_refusal(locked.organisation)
    kickoff_on = kickoff_closed_on(locked)
    if kickoff_on is None:
        raise ValidationError(
            {"go_live_on": [_("The kick-off is not done yet: go-live comes after it.")]}
        )
    if go_live_on < kickoff_on:
        raise ValidationError(
            {
                "go_live_on": [
                    _("Go-live cannot be before the kick-off (%(date)s).")
                    % {"date": formatting.day(kickoff_on)}
                ]
            }
        )
    if go_live_on >= locked.contract.expires_on:
        raise ValidationError({"go_live_on": [_("Go-live must be before the contract expires.")]})
    locked.go_live_on = go_live_on
    locked.save(update_fields=["go_live_on"])
    release_plan_recompute(plan=locked)
    plan_sync(plan=locked)
    return locked


CHECKLIST_MANUAL = ("communication_sent", "training_plan_agreed")


@transaction.atomic
def plan_checklist_tick(
    *, plan: OnboardingPlan, item: str, ticked: bool, by: User
) -> OnboardingPlan:
    if tenancy_for(by).role not in (Role.PROVIDER_ADMIN, Role.CSTM):
        raise PermissionDenied
    if item not in CHECKLIST_MANUAL:
        raise ValidationError(_("Unknown checklist item."))
    locked = OnboardingPlan.objects.select_for_update().get(pk=plan.pk)
    plan_write_refusal(locked.organisation)
    checklist = dict(locked.checklist)
    if ticked:
        checklist.setdefault(item, {"by": by.display_name, "at": timezone.now().isoformat()})
    else:
        checklist.pop(item, None)
    locked.checklist = checklist
    locked.save(update_fields=["checklist"])
    return locked


def planned_items(plan: OnboardingPlan) -> list[domain.PlannedItem]:
    return [
        domain.PlannedItem(str(i.pk), i.kind, i.title, i.duration_days, i.interval_days)
        for i in plan.releases.order_by("position")
    ]


def release_plan_of(plan: OnboardingPlan) -> domain.ReleasePlan:
    return domain.release_plan(
        go_live_on=plan.go_live_on or plan.target_go_live_on,
        target_on=plan.target_go_live_on,
        expires_on=plan.contract.expires_on,
        items=planned_items(plan),
    )


@transaction.atomic
def release_plan_recompute(*, plan: OnboardingPlan) -> domain.ReleasePlan:
    """Write the dates of the release plan computed from go-live (or its target) to expiry
    (O3); items that no longer fit are marked as needing a decision, with no dates."""
    result = release_plan_of(plan)
    by_key = {s.key: s for s in result.scheduled}
    for item in plan.releases.select_for_update():
        placed = by_key.get(str(item.pk))
        item.starts_on = placed.starts_on if placed else None
        item.ends_on = placed.ends_on if placed else None
        item.needs_decision = placed is None
        item.save(update_fields=["starts_on", "ends_on", "needs_decision"])
    return result


@transaction.atomic
def training_progress_record(
    *, plan: OnboardingPlan, module: str, completed: int, total: int, by: User
) -> TrainingProgress:
    """The CSTM records how many of the user list completed a module."""
    if tenancy_for(by).role not in (Role.PROVIDER_ADMIN, Role.CSTM):
        raise PermissionDenied
    plan_write_refusal(plan.organisation)
    row = TrainingProgress(
        organisation=plan.organisation,
        plan=plan,
        module=module.strip(),
        completed=completed,
        total=total,
        recorded_by=by,
    )
    if total <= 0:
        raise ValidationError({"total": [_("The number of users must be more than zero.")]})
    if completed > total:
        raise ValidationError(
            {"completed": [_("More users completed the module than there are users.")]}
        )
    row.full_clean()
    row.save()
    return row


# --------------------------------------------------------------------------- daily job (L1)


@dataclass
class DailyReport:
    plans_created: int = 0
    flagged: int = 0
    warnings_sent: int = 0


def _cstm_of(plan: OnboardingPlan) -> User | None:
    from accounts.models import CstmAssignment

    if plan.contract.cstm_id:
        return plan.contract.cstm
    assignment = (
        CstmAssignment.objects.active_on(timezone.localdate())
        .filter(organisation=plan.organisation)
        .select_related("cstm")
        .first()
    )
    return assignment.cstm if assignment else None


def plan_warn_over_a_month(*, plan: OnboardingPlan, today: date) -> bool:
    """Warn the CSTM once that onboarding takes over a month (L1). The warning row is the
    record: inserted under its unique constraint, so two runs (or two workers) send one mail."""
    if not domain.is_over_a_month(
        target_on=plan.target_go_live_on, go_live_on=plan.go_live_on, today=today
    ):
        return False
    with transaction.atomic():
        warning, created = PlanWarning.objects.get_or_create(
            plan=plan,
            kind=PlanWarning.Kind.OVER_A_MONTH,
            defaults={"organisation": plan.organisation},
        )
        if not created:
            return False
        cstm = _cstm_of(plan)
        if cstm is not None:
            url = settings.PORTAL_BASE_URL.rstrip("/") + reverse(
                "plan_detail", args=[plan.organisation_id]
            )
            language = cstm.language or settings.LANGUAGE_CODE
            with translation.override(language):
                subject = _("Onboarding of %(name)s is taking over a month") % {
                    "name": plan.organisation.name
                }
                body = render_to_string(
                    "onboarding/plan/email/over_a_month.txt",
                    {"plan": plan, "cstm": cstm, "url": url, "today": today},
                )
            email = cstm.email
            transaction.on_commit(lambda: send_mail(subject, body, None, [email]))
    return True


def plans_run_daily(*, today: date | None = None) -> DailyReport:
    """L1, L4: create missing plans, close what facts closed, flag and warn about plans over a
    month. Each organisation in its own transaction; safe twice, late or concurrently."""
    from django_scopes import scopes_disabled

    today = today or timezone.localdate()
    report = DailyReport()
    with scopes_disabled():
        organisations = Organisation.objects.filter(
            pk__in=Contract.objects.filter(
                activated_at__isnull=False, renewal_of__isnull=True, status__in=PLANNED
            ).values("organisation_id")
        ).order_by("pk")
        for organisation in organisations:
            existed = OnboardingPlan.objects.filter(organisation=organisation).exists()
            plan = plan_ensure(organisation=organisation)
            if plan is None:
                continue
            report.plans_created += 0 if existed else 1
            plan = plan_sync(plan=plan, today=today)
            if domain.is_over_a_month(
                target_on=plan.target_go_live_on, go_live_on=plan.go_live_on, today=today
            ):
                report.flagged += 1
                if plan_warn_over_a_month(plan=plan, today=today):
                    report.warnings_sent += 1
    return report
