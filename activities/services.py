"""Writes on activity requests: request, formalise, schedule, log time and charge, estimate,
complete with a statement (SPEC H3–H8, O1, C5). Each service validates first and changes
everything in one transaction, so bad input writes nothing."""

from dataclasses import dataclass
from datetime import date, datetime, time
from decimal import Decimal
from typing import Any

from django.apps import apps
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.core.mail import EmailMessage
from django.db import transaction
from django.db.models import Q, Sum
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django_scopes import scopes_disabled

from accounts.branding import letterhead
from accounts.models import Organisation, User
from accounts.roles import Role
from accounts.tenancy import customer_write_refusal, tenancy_for
from activities import domain
from activities.models import (
    Activity,
    ActivityRequest,
    RequestCharge,
    Statement,
    UsageWarning,
    WorkSession,
)
from contracts.models import Contract, LedgerEntry, LicenceYear
from contracts.services import ledger_charge, referent_of
from csm_portal import formatting, numbering
from csm_portal.business_calendar import add_working_days

Status = ActivityRequest.Status
RUNNING = (Contract.Status.ACTIVE, Contract.Status.RENEWED)
STAFF_CHANNELS = (ActivityRequest.Channel.PHONE, ActivityRequest.Channel.VIDEO)


# --------------------------------------------------------------------------- requesting


def running_contract(organisation: Organisation, today: date) -> Contract | None:
    """The contract under which the organisation requests activities today."""
    return (
        Contract.objects.filter(
            organisation=organisation,
            status__in=RUNNING,
            starts_on__lte=today,
            expires_on__gte=today,
        )
        .order_by("-hours_per_year", "expires_on")
        .first()
    )


def kickoff_done(organisation: Organisation) -> bool:
    """SPEC O1: the kick-off meeting is mandatory and comes first."""
    return ActivityRequest.objects.filter(
        organisation=organisation, activity__is_kickoff=True, status=Status.COMPLETED
    ).exists()


def _refuse_customer_write(organisation: Organisation) -> None:
    """SPEC C5: the one check of every customer write (accounts.tenancy): after expiry a
    customer may view and download, nothing else; the CST owes no support."""
    refusal = customer_write_refusal(organisation)
    if refusal:
        raise ValidationError(refusal)


def _check_can_request(organisation: Organisation, today: date) -> Contract:
    _refuse_customer_write(organisation)
    contract = running_contract(organisation, today)
    if contract is None:
        raise ValidationError(_("There is no active contract to request activities under."))
    if not contract.has_csm_hours:
        raise ValidationError(
            _("Contract %(number)s has no CSM hours: activities cannot be charged to it.")
            % {"number": contract.number}
        )
    return contract


def _check_timing(
    activity: Activity, organisation: Organisation, preferred_on: date | None, today: date
) -> dict[str, list[str]]:
    errors: dict[str, list[str]] = {}
    if preferred_on is not None and preferred_on < today:
        errors["preferred_on"] = [_("The preferred date cannot be in the past.")]
    if activity.lead_time_working_days:
        earliest = add_working_days(today, activity.lead_time_working_days)
        if preferred_on is not None and preferred_on < earliest:
            errors["preferred_on"] = [
                _(
                    "This activity needs %(days)s working days of notice: the earliest date "
                    "is %(date)s."
                )
                % {"days": activity.lead_time_working_days, "date": formatting.day(earliest)}
            ]
    if activity.frequency == Activity.Frequency.MONTHLY:
        same_month = ActivityRequest.objects.filter(
            organisation=organisation,
            activity=activity,
            created_at__year=today.year,
            created_at__month=today.month,
        ).exclude(status=Status.CANCELLED)
        if same_month.exists():
            errors["activity"] = [
                _("This activity is requested at most once a month: one is already on record.")
            ]
    return errors


@transaction.atomic
def request_create(
    *,
    organisation: Organisation,
    activity: Activity,
    by: User,
    details: str = "",
    preferred_on: date | None = None,
    channel: str = ActivityRequest.Channel.PORTAL,
    ticket_number: str = "",
    today: date | None = None,
) -> ActivityRequest:
    """SPEC H8: only the referent requests, in writing (portal or support mailbox). A CSTM may
    record a request agreed by phone or video: it stays "to be formalised" until the referent
    confirms it in writing. Staff recording a request received by email name the ticket the
    referent's email came in on (``ticket_number``): the request is linked to it; without it
    the request is to be formalised like a phone request."""
    today = today or timezone.localdate()
    role = tenancy_for(by).role
    errors: dict[str, list[str]] = {}
    ticket = None
    if not activity.active:
        errors["activity"] = [_("This activity is no longer offered.")]
    if role == Role.REFERENT:
        if channel not in (ActivityRequest.Channel.PORTAL, ActivityRequest.Channel.EMAIL):
            errors["channel"] = [_("Requests are made in writing: in the portal or by email.")]
        if ticket_number.strip():
            errors["ticket_number"] = [_("Only provider staff link a ticket to a request.")]
        referent = by
        status = Status.REQUESTED
    elif role in (Role.CSTM, Role.PROVIDER_ADMIN, Role.AGENT):
        referent = referent_of(organisation)
        if referent is None:
            raise ValidationError(_("The organisation has no service referent yet."))
        status = Status.TO_BE_FORMALISED
        if ticket_number.strip():
            if channel != ActivityRequest.Channel.EMAIL:
                errors["ticket_number"] = [_("Only a request received by email has a ticket.")]
            else:
                ticket = _written_source(
                    organisation=organisation, number=ticket_number, referent=referent
                )
                if isinstance(ticket, str):
                    errors["ticket_number"] = [ticket]
                else:
                    status = Status.REQUESTED
    else:
        raise ValidationError(_("Only the service referent may request CST activities."))
    contract = _check_can_request(organisation, today)
    if activity.is_kickoff and kickoff_done(organisation):
        # SPEC O1: the kick-off comes once, first; the request form no longer offers it.
        errors["activity"] = [
            _("The kick-off meeting has already taken place: it is not requested again.")
        ]
    elif (
        activity.is_kickoff
        and ActivityRequest.objects.filter(
            organisation=organisation, activity=activity, status__in=ActivityRequest.OPEN_STATUSES
        ).exists()
    ):
        errors["activity"] = [_("A kick-off meeting is already requested.")]
    errors.update(_check_timing(activity, organisation, preferred_on, today))
    if errors:
        raise ValidationError(errors)
    now = timezone.now()
    created = ActivityRequest.objects.create(
        organisation=organisation,
        contract=contract,
        activity=activity,
        status=status,
        channel=channel,
        details=details.strip(),
        preferred_on=preferred_on,
        requested_by=referent,
        recorded_by=by,
        formalised_at=now if status == Status.REQUESTED else None,
        minimum_hours=activity.minimum_hours,
        estimate_first=activity.estimate_first,
    )
    if ticket is not None:
        ticket.activity_request = created
        ticket.save(update_fields=["activity_request", "updated_at"])
    return created


def _written_source(*, organisation: Organisation, number: str, referent: User) -> Any:
    """SPEC H8: the referent's email a request recorded by staff came from: the ticket it came
    in on, of the same organisation, written by the referent, not yet linked to another
    request. Returns the ticket, or why it cannot be linked. A number of another organisation
    gets the same answer as a number that does not exist (SPEC T1).

    Tickets sit above activities: the model is looked up by name, as the ticket's own foreign
    key to activity requests is, so this module imports nothing of the tickets app."""
    ticket_model = apps.get_model("tickets", "Ticket")
    ticket = (
        ticket_model.objects.select_for_update()
        .filter(organisation=organisation, number__iexact=number.strip())
        .first()
    )
    if ticket is None:
        return _("No ticket of this organisation has this number.")
    written_by_referent = ticket.requester_id == referent.pk or (
        ticket.requester_email.lower() == referent.email.lower()
    )
    if not written_by_referent:
        return _("This ticket was not written by the service referent (H8).")
    if ticket.activity_request_id is not None:
        return _("This ticket is already linked to request #%(id)s.") % {
            "id": ticket.activity_request_id
        }
    return ticket


def _lock(request: ActivityRequest) -> ActivityRequest:
    return (
        ActivityRequest.objects.select_for_update(of=("self",))
        .select_related("activity", "contract", "organisation", "requested_by")
        .get(pk=request.pk)
    )


@transaction.atomic
def request_formalise(*, request: ActivityRequest, by: User) -> ActivityRequest:
    """SPEC H8: the same referent confirms in writing a request agreed by phone or video."""
    locked = _lock(request)
    _refuse_customer_write(locked.organisation)
    if locked.status != Status.TO_BE_FORMALISED:
        raise ValidationError(_("This request does not need confirming."))
    if locked.requested_by_id != by.pk:
        raise ValidationError(_("Only the referent who agreed the request can confirm it."))
    locked.status = Status.REQUESTED
    locked.formalised_at = timezone.now()
    locked.save(update_fields=["status", "formalised_at", "updated_at"])
    return locked


def _check_terms_accepted(organisation: Organisation) -> None:
    """SPEC C4: nothing proceeds before the referent has accepted the current terms."""
    from contracts.selectors import terms_refusal

    if refusal := terms_refusal(organisation):
        raise ValidationError(refusal)


def _check_kickoff_first(request: ActivityRequest) -> None:
    if not request.activity.is_kickoff and not kickoff_done(request.organisation):
        raise ValidationError(
            _("The kick-off meeting comes first: nothing else is scheduled until it is done.")
        )


def _check_contract_running(request: ActivityRequest, day: date) -> None:
    _refuse_customer_write(request.organisation)
    contract = request.contract
    if contract.status not in RUNNING:
        raise ValidationError(_("The contract of this request has expired or is closed."))
    if not (contract.starts_on <= day <= contract.expires_on):
        raise ValidationError(_("The date is outside the contract's period."))


@transaction.atomic
def request_schedule(
    *, request: ActivityRequest, scheduled_on: date, by: User, today: date | None = None
) -> ActivityRequest:
    today = today or timezone.localdate()
    locked = _lock(request)
    if locked.status not in (Status.TO_BE_FORMALISED, Status.REQUESTED, Status.SCHEDULED):
        raise ValidationError(_("This request can no longer be scheduled."))
    _check_terms_accepted(locked.organisation)
    _check_kickoff_first(locked)
    if scheduled_on < today:
        raise ValidationError({"scheduled_on": [_("The date cannot be in the past.")]})
    _check_contract_running(locked, scheduled_on)
    locked.scheduled_on = scheduled_on
    if locked.status == Status.REQUESTED:
        locked.status = Status.SCHEDULED
    locked.save(update_fields=["scheduled_on", "status", "updated_at"])
    return locked


@transaction.atomic
def request_cancel(*, request: ActivityRequest, by: User) -> ActivityRequest:
    locked = _lock(request)
    if tenancy_for(by).is_customer:
        _refuse_customer_write(locked.organisation)
    if not locked.is_open:
        raise ValidationError(_("This request is already closed."))
    if locked.charges.exists():
        raise ValidationError(
            _("Hours were already charged: complete the request instead of cancelling it.")
        )
    locked.status = Status.CANCELLED
    locked.save(update_fields=["status", "updated_at"])
    return locked


@transaction.atomic
def overdraft_approve(*, request: ActivityRequest, hours: Decimal, by: User) -> ActivityRequest:
    """An admin lets this request take the licence year below zero by up to ``hours``."""
    if tenancy_for(by).role != Role.PROVIDER_ADMIN:
        raise ValidationError(_("Only an admin can approve an overrun of the balance."))
    if hours < 0:
        raise ValidationError({"hours": [_("Give a positive number of hours.")]})
    locked = _lock(request)
    locked.overdraft_allowed_hours = hours
    locked.overdraft_approved_by = by
    locked.save(update_fields=["overdraft_allowed_hours", "overdraft_approved_by", "updated_at"])
    return locked


# --------------------------------------------------------------------------- logging time


@dataclass(frozen=True)
class WorkPlan:
    """What logging a session would do: shown before saving, then done by ``work_log``."""

    stage: str
    minutes_total: int
    charge: domain.Charge
    already: Decimal
    licence_year: LicenceYear
    remaining_before: Decimal
    customer_caused: bool
    reason: str
    explanation: str

    @property
    def delta(self) -> Decimal:
        return max(self.charge.hours - self.already, Decimal("0"))

    @property
    def remaining_after(self) -> Decimal:
        return self.remaining_before - self.delta


def minutes_from(starts_at: time | None, ends_at: time | None, minutes: int | None) -> int:
    """The session's duration from start and end, or as given; refuses nonsense with its reason
    (the log form's preview shows it as the user types)."""
    if starts_at is not None or ends_at is not None:
        if minutes is not None:
            raise ValidationError(
                {"minutes": [_("Give either the start and end times or the duration, not both.")]}
            )
        if ends_at is None:
            raise ValidationError({"ends_at": [_("Give the end time too, or only the duration.")]})
        if starts_at is None:
            raise ValidationError(
                {"starts_at": [_("Give the start time too, or only the duration.")]}
            )
        start = datetime.combine(date.min, starts_at)
        end = datetime.combine(date.min, ends_at)
        minutes = int((end - start).total_seconds() // 60)
        if minutes <= 0:
            raise ValidationError({"ends_at": [_("The end must be after the start.")]})
        return minutes
    if minutes is None:
        raise ValidationError(
            {"minutes": [_("Give the start and end times, or the duration in minutes.")]}
        )
    if minutes <= 0:
        raise ValidationError({"minutes": [_("The duration must be more than zero.")]})
    if minutes > domain.MINUTES_PER_DAY:
        raise ValidationError({"minutes": [_("A session cannot last more than 24 hours.")]})
    return minutes


def _minimum_for(request: ActivityRequest, stage: str) -> Decimal:
    if stage == WorkSession.Stage.WORK and request.estimate_first and request.estimate_hours:
        return request.estimate_hours  # H6: the confirmed estimate is the work's minimum
    return request.minimum_hours


def _net_hours(entry_ids: list[int]) -> Decimal:
    """Hours of these charges net of their reversals (SPEC H9)."""
    if not entry_ids:
        return Decimal("0")
    entries = LedgerEntry.objects.filter(Q(pk__in=entry_ids) | Q(reverses_id__in=entry_ids))
    return entries.aggregate(t=Sum("hours"))["t"] or Decimal("0")


def _already_charged(request: ActivityRequest, stage: str) -> Decimal:
    """Net hours charged to the request's stage so far: its charges' entries and their
    reversals (at most one each), in one statement that walks from the request's few charges
    along the ledger's primary key and its unique ``reverses`` index (issue 15)."""
    totals = RequestCharge.objects.filter(request=request, stage=stage).aggregate(
        charged=Sum("entry__hours"), reversed=Sum("entry__reversed_by__hours")
    )
    return (totals["charged"] or Decimal("0")) + (totals["reversed"] or Decimal("0"))


def _format_minutes(minutes: int) -> str:
    hours, rest = divmod(minutes, 60)
    if hours and rest:
        return _("%(h)s h %(m)s min") % {"h": hours, "m": rest}
    if hours:
        return _("%(h)s h") % {"h": hours}
    return _("%(m)s min") % {"m": rest}


def explain(charge: domain.Charge, *, reason: str, already: Decimal) -> str:
    """Why the hours were charged, in words the referent reads (SPEC H7, H10): plain sentences
    in their language, never the rule codes of the SPEC, which mean nothing to a customer."""
    values = {
        "logged": _format_minutes(charge.minutes),
        "minimum": formatting.hours(charge.minimum),
        "hours": formatting.hours(charge.hours),
        # The cause is written by the CSTM; the sentence adds its own full stop (no "..").
        "reason": reason.strip().rstrip(".").rstrip(),
    }
    texts = {
        domain.Rule.MINIMUM: _(
            "%(logged)s logged in total, within the minimum of %(minimum)s h per request: "
            "the minimum of %(minimum)s h is charged."
        ),
        domain.Rule.OVERRUN_CUSTOMER: _(
            "%(logged)s logged in total, above the minimum of %(minimum)s h. The overrun was "
            "caused by the customer: %(reason)s. The actual time, rounded up to the next half "
            "hour, is charged: %(hours)s h."
        ),
        domain.Rule.OVERRUN_ABSORBED: _(
            "%(logged)s logged in total, above the minimum of %(minimum)s h. The overrun was "
            "not caused by the customer: the minimum of %(minimum)s h is charged and the "
            "provider absorbs the rest."
        ),
        domain.Rule.LEGACY: _(
            "Legacy contract: its own terms apply; the actual time of %(logged)s is charged: "
            "%(hours)s h."
        ),
        domain.Rule.FEASIBILITY: _(
            "Feasibility analysis, charged at its predetermined %(hours)s h whatever the outcome."
        ),
    }
    text = texts[charge.rule] % values
    if already > 0:
        text += " " + _(
            "%(already)s h were already charged for this request; this entry adds %(delta)s h."
        ) % {
            "already": formatting.hours(already),
            "delta": formatting.hours(charge.hours - already),
        }
    return text


def _check_day_total(by: User, worked_on: date, minutes: int) -> None:
    with scopes_disabled():
        logged = (
            WorkSession.objects.filter(worked_by=by, worked_on=worked_on).aggregate(
                t=Sum("minutes")
            )["t"]
            or 0
        )
    if logged + minutes > domain.MINUTES_PER_DAY:
        raise ValidationError(
            {
                "minutes": [
                    _(
                        "More than 24 hours in one day: %(logged)s are already logged by you "
                        "on %(date)s."
                    )
                    % {"logged": _format_minutes(logged), "date": formatting.day(worked_on)}
                ]
            }
        )


def work_plan(
    *,
    request: ActivityRequest,
    worked_on: date,
    minutes: int,
    customer_caused: bool = False,
    overrun_reason: str = "",
    by: User,
    today: date | None = None,
) -> WorkPlan:
    """Validate a session and compute the charge it leads to, without writing anything."""
    today = today or timezone.localdate()
    if minutes <= 0:
        raise ValidationError({"minutes": [_("The duration must be more than zero.")]})
    if minutes > domain.MINUTES_PER_DAY:
        raise ValidationError({"minutes": [_("A session cannot last more than 24 hours.")]})
    if worked_on > today:
        raise ValidationError({"worked_on": [_("Time cannot be logged for a future date.")]})
    if not request.is_open or request.status == Status.ESTIMATE_SENT:
        raise ValidationError(
            _("Time can only be logged on an open request (not while an estimate awaits).")
        )
    _check_terms_accepted(request.organisation)
    _check_kickoff_first(request)
    _check_contract_running(request, worked_on)
    contract = request.contract
    if not contract.has_csm_hours:
        raise ValidationError(
            _("Contract %(number)s has no CSM hours: nothing can be charged to it.")
            % {"number": contract.number}
        )
    reason = overrun_reason.strip()
    if customer_caused and not reason:
        raise ValidationError(
            {"overrun_reason": [_("Document the customer-side cause of the overrun.")]}
        )
    _check_day_total(by, worked_on, minutes)
    year = LicenceYear.objects.filter(
        contract=contract, starts_on__lte=worked_on, ends_on__gte=worked_on, lapsed_at=None
    ).first()
    if year is None:
        raise ValidationError(_("No open licence year covers this date."))
    stage = WorkSession.Stage.FEASIBILITY if request.in_feasibility else WorkSession.Stage.WORK
    logged = request.sessions.filter(stage=stage).aggregate(t=Sum("minutes"))["t"] or 0
    total = logged + minutes
    caused = request.customer_caused or customer_caused
    reasons = "; ".join(r for r in (request.overrun_reason, reason) if r)
    minimum = _minimum_for(request, stage)
    if stage == WorkSession.Stage.FEASIBILITY:
        charge = domain.Charge(minimum, domain.Rule.FEASIBILITY, total, minimum)
    else:
        charge = domain.charge_for(
            minutes=total, minimum=minimum, customer_caused=caused, legacy=contract.is_legacy
        )
    already = _already_charged(request, stage)
    referent = request.requested_by
    # The explanation is for the referent, in their language; errors are for whoever logs.
    with translation.override(referent.language if referent else settings.LANGUAGE_CODE):
        explanation = explain(charge, reason=reasons, already=already)
    return WorkPlan(
        stage=stage,
        minutes_total=total,
        charge=charge,
        already=already,
        licence_year=year,
        # The row just read carries the stored totals (no second read, issue 15); the charge
        # itself is checked again under the licence year's lock (contracts.ledger_charge).
        remaining_before=year.allocation + year.pack_hours - year.charged_hours,
        customer_caused=caused,
        reason=reasons,
        explanation=explanation,
    )


@transaction.atomic
def work_log(
    *,
    request: ActivityRequest,
    worked_on: date,
    minutes: int,
    by: User,
    starts_at: time | None = None,
    ends_at: time | None = None,
    notes: str = "",
    customer_caused: bool = False,
    overrun_reason: str = "",
    today: date | None = None,
) -> tuple[WorkSession, WorkPlan]:
    """Log a session and append to the ledger what the request's charge grows by. The request
    row is locked first, then the licence year (inside ``ledger_charge``), so two CSTMs logging
    at the same instant are serialised and cannot both overdraw."""
    locked = _lock(request)
    plan = work_plan(
        request=locked,
        worked_on=worked_on,
        minutes=minutes,
        customer_caused=customer_caused,
        overrun_reason=overrun_reason,
        by=by,
        today=today,
    )
    referent = locked.requested_by
    with translation.override(referent.language if referent else settings.LANGUAGE_CODE):
        description = _("%(activity)s (request #%(id)s)") % {
            "activity": locked.activity.name,
            "id": locked.pk,
        }
    session = WorkSession.objects.create(
        request=locked,
        organisation=locked.organisation,
        stage=plan.stage,
        worked_by=by,
        worked_on=worked_on,
        starts_at=starts_at,
        ends_at=ends_at,
        minutes=minutes,
        notes=notes.strip(),
    )
    if plan.delta > 0:
        entry = ledger_charge(
            licence_year=plan.licence_year,
            hours=plan.delta,
            description=description[:300],
            occurred_on=worked_on,
            explanation=plan.explanation,
            by=by,
            overdraft_allowed=locked.overdraft_allowed_hours,
        )
        RequestCharge.objects.create(
            request=locked,
            organisation=locked.organisation,
            entry=entry,
            stage=plan.stage,
            rule=plan.charge.rule,
        )
        _warn_on_usage(entry.licence_year, plan.delta)
    if plan.customer_caused != locked.customer_caused or plan.reason != locked.overrun_reason:
        locked.customer_caused = plan.customer_caused
        locked.overrun_reason = plan.reason
    if locked.status in (Status.REQUESTED, Status.SCHEDULED) and not locked.in_feasibility:
        locked.status = Status.IN_PROGRESS
    locked.save(update_fields=["customer_caused", "overrun_reason", "status", "updated_at"])
    return session, plan


def _warn_on_usage(year: LicenceYear, added: Decimal) -> None:
    """SPEC H10: tell the referent and the CSTM when a charge passes 80 % or 95 % of the year.
    ``year`` is the row ``ledger_charge`` locked and read before adding ``added``: nobody else
    can change it until this transaction ends, so the totals before and after the charge are
    known without reading the row again (issue 15); it is read again only to mail a warning."""
    from contracts.selectors import licence_years_with_balances

    total = year.allocation + year.pack_hours
    crossed = domain.usage_thresholds_crossed(
        total=total, charged_before=year.charged_hours, charged_after=year.charged_hours + added
    )
    if not crossed:
        return
    fresh = licence_years_with_balances().select_related("contract__cstm").get(pk=year.pk)
    for percent in crossed:
        _, created = UsageWarning.objects.get_or_create(
            licence_year=fresh, organisation=fresh.organisation, percent=percent
        )
        if created:
            transaction.on_commit(lambda p=percent: _mail_usage_warning(fresh, p))


def _mail_usage_warning(year: LicenceYear, percent: int) -> None:
    from accounts.selectors import current_cstms
    from contracts.selectors import balance_of

    balance = balance_of(year)
    with scopes_disabled():
        cstms = [year.contract.cstm] if year.contract.cstm else []
        cstms = cstms or current_cstms(organisation=year.organisation)
    recipients = [u for u in (referent_of(year.organisation), *cstms) if u]
    for person in recipients:
        with translation.override(person.language):
            subject = _("CSM hours: %(percent)s%% of the licence year used") % {"percent": percent}
            body = render_to_string(
                "activities/email/usage_warning.txt",
                {"year": year, "balance": balance, "percent": percent, "person": person},
            )
        EmailMessage(subject, body, None, [person.email]).send()


# --------------------------------------------------------------------------- estimates (H6)


@transaction.atomic
def estimate_record(
    *, request: ActivityRequest, hours: Decimal, note: str, by: User
) -> ActivityRequest:
    """SPEC H6: after the feasibility analysis (already charged at its fixed hours) the CSTM
    records the estimate; the work starts only when the referent confirms it."""
    locked = _lock(request)
    _refuse_customer_write(locked.organisation)
    if not locked.in_feasibility:
        raise ValidationError(_("This request has no feasibility analysis in progress."))
    if not locked.charges.filter(stage=WorkSession.Stage.FEASIBILITY).exists():
        raise ValidationError(_("Log the time of the feasibility analysis first."))
    if not domain.is_half_hour_multiple(hours):
        raise ValidationError({"hours": [_("Estimate in half hours, more than zero.")]})
    locked.estimate_hours = hours
    locked.estimate_note = note.strip()
    locked.status = Status.ESTIMATE_SENT
    locked.save(update_fields=["estimate_hours", "estimate_note", "status", "updated_at"])
    referent = locked.requested_by
    if referent is not None:
        transaction.on_commit(lambda: _mail_estimate(locked, referent))
    return locked


def _mail_estimate(request: ActivityRequest, referent: User) -> None:
    portal = settings.PORTAL_BASE_URL.rstrip("/") + request.get_absolute_url()
    with translation.override(referent.language):
        subject = _("Estimate for %(activity)s: your confirmation is needed") % {
            "activity": request.activity.name
        }
        body = render_to_string(
            "activities/email/estimate.txt",
            {"request": request, "referent": referent, "portal": portal},
        )
    EmailMessage(subject, body, None, [referent.email]).send()


@transaction.atomic
def estimate_decide(*, request: ActivityRequest, accept: bool, by: User) -> ActivityRequest:
    """The referent confirms the estimate (work starts) or declines it (the request closes with
    only the feasibility charged, and its statement)."""
    locked = _lock(request)
    _refuse_customer_write(locked.organisation)
    if locked.status != Status.ESTIMATE_SENT:
        raise ValidationError(_("There is no estimate awaiting your decision."))
    if tenancy_for(by).role != Role.REFERENT:
        raise ValidationError(_("Only the service referent decides on an estimate."))
    locked.estimate_decided_at = timezone.now()
    if accept:
        locked.status = Status.IN_PROGRESS
        locked.save(update_fields=["estimate_decided_at", "status", "updated_at"])
        return locked
    locked.status = Status.DECLINED
    locked.completed_at = timezone.now()
    locked.save(update_fields=["estimate_decided_at", "status", "completed_at", "updated_at"])
    statement_issue(locked)
    return locked


# --------------------------------------------------------------------------- completion (H7)


@transaction.atomic
def request_complete(*, request: ActivityRequest, by: User) -> ActivityRequest:
    locked = _lock(request)
    if locked.status == Status.TO_BE_FORMALISED:
        raise ValidationError(_("The referent has not confirmed this request in writing yet (H8)."))
    if locked.status not in (Status.REQUESTED, Status.SCHEDULED, Status.IN_PROGRESS):
        raise ValidationError(_("This request cannot be completed now."))
    if locked.in_feasibility:
        raise ValidationError(_("Record the estimate first: the referent must confirm it (H6)."))
    _check_terms_accepted(locked.organisation)
    if not locked.charges.filter(stage=WorkSession.Stage.WORK).exists():
        raise ValidationError(_("Log the time spent before completing the request."))
    locked.status = Status.COMPLETED
    locked.completed_at = timezone.now()
    locked.save(update_fields=["status", "completed_at", "updated_at"])
    statement_issue(locked)
    return locked


def statement_issue(request: ActivityRequest) -> Statement:
    """SPEC H7: the activity, dates, hours charged, how they were computed and the remaining
    balance, as a PDF kept on the hours page and emailed to the referent in their language."""
    from contracts.selectors import balance_of, licence_years_with_balances

    charges = list(
        RequestCharge.objects.filter(request=request)
        .select_related("entry")
        .order_by("entry__occurred_on", "entry_id")
    )
    net = _net_hours([c.entry_id for c in charges])
    last_year_id = charges[-1].entry.licence_year_id
    year = licence_years_with_balances().select_related("contract").get(pk=last_year_id)
    balance = balance_of(year)
    sessions = list(request.sessions.select_related("worked_by").order_by("worked_on", "pk"))
    referent = request.requested_by
    language = referent.language if referent else settings.LANGUAGE_CODE
    explanation = "\n".join(c.entry.explanation for c in charges)

    def insert(number: str) -> Statement:
        statement = Statement(
            request=request,
            organisation=request.organisation,
            licence_year=year,
            number=number,
            hours_charged=net,
            explanation=explanation,
            remaining_after=balance.remaining,
            emailed_to=referent.email if referent else "",
        )
        statement.save()
        return statement

    # Random and unique, drawn again on a collision: no volume to read from it (issue 11).
    statement = numbering.create_numbered(
        Statement, insert, lambda: numbering.statement_number(timezone.localdate().year)
    )
    number = statement.number
    context = {
        "request": request,
        "organisation": request.organisation,
        "contract": request.contract,
        "sessions": sessions,
        "charges": charges,
        "hours_charged": net,
        "year": year,
        "balance": balance,
        "number": number,
        "issued_on": timezone.localdate(),
        "letterhead": letterhead(),  # the provider's name and logo (issue 14)
    }
    with translation.override(language):
        html = render_to_string("activities/statement_pdf.html", context)
        subject = _("Statement %(number)s: %(activity)s") % {
            "number": number,
            "activity": request.activity.name,
        }
        body = render_to_string("activities/email/statement.txt", {**context, "referent": referent})
    pdf = render_pdf(html)
    statement.pdf.save(f"{number}.pdf", ContentFile(pdf), save=False)
    statement.save(update_fields=["pdf"])
    if referent is not None:

        def send() -> None:
            message = EmailMessage(subject, body, None, [referent.email])
            message.attach(f"{number}.pdf", pdf, "application/pdf")
            message.send()

        transaction.on_commit(send)
    return statement


def render_pdf(html: str) -> bytes:
    from weasyprint import HTML

    return HTML(string=html, base_url=str(settings.BASE_DIR)).write_pdf()


# --------------------------------------------------------------------------- catalogue


@transaction.atomic
def activity_save(*, activity: Activity) -> Activity:
    """Admins edit the catalogue. A new minimum applies to new requests only: the minimum of
    each request is fixed when it is made, so hours already charged never change (H3)."""
    if not domain.is_half_hour_multiple(activity.minimum_hours):
        raise ValidationError(
            {"minimum_hours": [_("The minimum is counted in half hours (0.5, 1, 1.5 …).")]}
        )
    activity.full_clean()
    activity.save()
    return activity


def catalogue_seed() -> int:
    """Add the activities of the SPEC table that are missing (by code); returns how many. The
    data migration seeds a new database; tests that flush tables call this again."""
    from activities.catalogue_seed import CATALOGUE, SIEM_WORKSHOPS

    existing = set(Activity.objects.values_list("code", flat=True))
    missing = [
        Activity(**row) for row in (*CATALOGUE, *SIEM_WORKSHOPS) if row["code"] not in existing
    ]
    Activity.objects.bulk_create(missing)
    return len(missing)
