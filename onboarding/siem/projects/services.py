"""Writes of SIEM projects (SPEC W4), the operations model and the dashboards chosen (SPEC W6).

Staff (the customer's CSTM, admins) write projects, deficiencies and any line of the operations
model; the customer's referent steps in and out of operations tasks and ticks dashboards and
reports (staff may tick on the customer's behalf). Nothing is written for a customer past
expiry (SPEC C5), whoever asks. Every service validates everything before it writes."""

from collections.abc import Iterable
from datetime import date, datetime

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from accounts.models import User
from accounts.roles import Role
from accounts.tenancy import tenancy_for
from onboarding.models import (
    DashboardChoice,
    DashboardOffer,
    Deficiency,
    OperationsDuty,
    SiemProject,
    SiemWorkshop,
)
from onboarding.siem.access import MANAGERS
from onboarding.siem.access import check_staff as _check_staff
from onboarding.siem.access import check_writable as _check_writable
from onboarding.siem.access import locked_workshop as _locked_workshop
from onboarding.siem.projects import domain, selectors

# --------------------------------------------------------------------------- checks


def _check_customer_side(by: User, workshop: SiemWorkshop) -> None:
    """The organisation's referent, or staff acting on its behalf."""
    tenancy = tenancy_for(by)
    if tenancy.role in MANAGERS:
        return
    if tenancy.role == Role.REFERENT and tenancy.home_organisation_id == workshop.organisation_id:
        return
    raise ValidationError(_("Only the service referent or the CSTM can do this."))


def _text(value: str, field: str, message: str, limit: int, errors: dict) -> str:
    value = value.strip()
    if not value:
        errors[field] = [message]
    elif len(value) > limit:
        errors[field] = [_("At most %(n)s characters.") % {"n": limit}]
    return value


# --------------------------------------------------------------------------- projects


@transaction.atomic
def project_create(
    *,
    workshop: SiemWorkshop,
    title: str,
    goals: str,
    starts_on: date,
    ends_on: date,
    by: User,
) -> SiemProject:
    """SPEC W4: a project of at most three months; one open at a time; the next one is linked
    to the previous closed one and starts with new goals."""
    _check_staff(by)
    locked = _locked_workshop(workshop)  # serialises two creations in the same workshop
    _check_writable(locked)
    errors: dict[str, list[str]] = {}
    title = _text(title, "title", _("Give the project a title."), 200, errors)
    goals = _text(goals, "goals", _("Write the project's goals."), 5000, errors)
    for field, message in domain.period_problems(starts_on, ends_on).items():
        errors[field] = [message]
    projects = SiemProject.objects.filter(workshop=locked)
    if projects.filter(status=SiemProject.Status.OPEN).exists():
        errors["__all__"] = [_("Close the project in progress before starting the next one.")]
    previous = selectors.last_closed(locked)
    if previous is not None and goals and domain.same_goals(previous.goals, goals):
        errors["goals"] = [
            _("The next project starts with new goals: these are the previous project's.")
        ]
    if errors:
        raise ValidationError(errors)
    project = SiemProject(
        organisation=locked.organisation,
        workshop=locked,
        previous=previous,
        title=title,
        goals=goals,
        starts_on=starts_on,
        ends_on=ends_on,
    )
    project.full_clean()
    project.save()
    return project


def _locked_project(project: SiemProject) -> SiemProject:
    return (
        SiemProject.objects.select_for_update(of=("self",))
        .select_related("organisation", "workshop")
        .get(pk=project.pk)
    )


@transaction.atomic
def project_close(
    *,
    project: SiemProject,
    went_well: str,
    to_improve: str,
    by: User,
    now: datetime | None = None,
) -> SiemProject:
    """SPEC W4: a project closes with its deficiency list (at least one item) and its
    evaluation (what went well, what to improve); one message names everything missing."""
    _check_staff(by)
    locked = _locked_project(project)
    _check_writable(locked.workshop)
    if locked.status == SiemProject.Status.CLOSED:
        raise ValidationError(_("This project is already closed."))
    missing = domain.closing_problems(
        deficiencies=locked.deficiencies.count(), went_well=went_well, to_improve=to_improve
    )
    if missing:
        raise ValidationError(
            _("To close the project, add: %(missing)s.") % {"missing": "; ".join(missing)}
        )
    locked.went_well = went_well.strip()
    locked.to_improve = to_improve.strip()
    locked.status = SiemProject.Status.CLOSED
    locked.closed_at = now or timezone.now()
    locked.closed_by = by
    locked.full_clean()
    locked.save()
    return locked


@transaction.atomic
def deficiency_add(
    *, project: SiemProject, description: str, owner: str, status: str, by: User
) -> Deficiency:
    """SPEC W4: an item of the project's deficiency list, with its owner and status."""
    _check_staff(by)
    locked = _locked_project(project)
    _check_writable(locked.workshop)
    if locked.status == SiemProject.Status.CLOSED:
        raise ValidationError(_("The project is closed: its deficiency list is final."))
    errors: dict[str, list[str]] = {}
    description = _text(description, "description", _("Describe the deficiency."), 300, errors)
    owner = _text(owner, "owner", _("Say who owns it."), 120, errors)
    if status not in Deficiency.Status.values:
        errors["status"] = [_("Choose a status.")]
    if errors:
        raise ValidationError(errors)
    item = Deficiency(
        organisation=locked.organisation,
        project=locked,
        description=description,
        owner=owner,
        status=status,
    )
    item.full_clean()
    item.save()
    return item


@transaction.atomic
def deficiency_set_status(*, deficiency: Deficiency, status: str, by: User) -> Deficiency:
    """Follow a deficiency up (also after the project closed: it is worked on in the next)."""
    _check_staff(by)
    locked = (
        Deficiency.objects.select_for_update(of=("self",))
        .select_related("project__workshop__organisation")
        .get(pk=deficiency.pk)
    )
    _check_writable(locked.project.workshop)
    if status not in Deficiency.Status.values:
        raise ValidationError({"status": [_("Choose a status.")]})
    locked.status = status
    locked.save(update_fields=["status"])
    return locked


# --------------------------------------------------------------------------- operations model


def _check_letters(provider: str, customer: str, errors: dict) -> None:
    for field, letter in (("provider", provider), ("customer", customer)):
        if letter not in domain.LETTERS:
            errors[field] = [_("Choose R, A, C, I or “-”.")]


@transaction.atomic
def operations_propose_standard(*, workshop: SiemWorkshop, by: User) -> int:
    """SPEC W6: add the standard tasks the workshop does not have yet, in the customer's
    language; returns how many were added (none on a second click)."""
    _check_staff(by)
    locked = _locked_workshop(workshop)
    _check_writable(locked)
    existing = OperationsDuty.objects.filter(workshop=locked)
    tasks = {task.casefold() for task in existing.values_list("task", flat=True)}
    position = existing.count()
    now = timezone.now()
    added = []
    with translation.override(locked.organisation.language):
        for task, provider, customer in domain.STANDARD_MODEL:
            name = _(task)
            if name.casefold() in tasks:
                continue
            position += 1
            added.append(
                OperationsDuty(
                    organisation=locked.organisation,
                    workshop=locked,
                    task=name,
                    provider=provider,
                    customer=customer,
                    position=position,
                    changed_by=by,
                    changed_at=now,
                )
            )
    OperationsDuty.objects.bulk_create(added)
    return len(added)


@transaction.atomic
def duty_add(
    *, workshop: SiemWorkshop, task: str, provider: str, customer: str, by: User
) -> OperationsDuty:
    """Staff add a line of their own to the operations model."""
    _check_staff(by)
    locked = _locked_workshop(workshop)
    _check_writable(locked)
    errors: dict[str, list[str]] = {}
    task = _text(task, "task", _("Name the task."), 200, errors)
    _check_letters(provider, customer, errors)
    if task and OperationsDuty.objects.filter(workshop=locked, task__iexact=task).exists():
        errors["task"] = [_("This task is already in the operations model.")]
    if errors:
        raise ValidationError(errors)
    duty = OperationsDuty(
        organisation=locked.organisation,
        workshop=locked,
        task=task,
        provider=provider,
        customer=customer,
        position=OperationsDuty.objects.filter(workshop=locked).count() + 1,
        changed_by=by,
        changed_at=timezone.now(),
    )
    duty.full_clean()
    duty.save()
    return duty


def _locked_duty(duty: OperationsDuty) -> OperationsDuty:
    return (
        OperationsDuty.objects.select_for_update(of=("self",))
        .select_related("workshop__organisation")
        .get(pk=duty.pk)
    )


@transaction.atomic
def duty_update(
    *, duty: OperationsDuty, task: str, provider: str, customer: str, by: User
) -> OperationsDuty:
    """Staff change any line of the operations model; who and when are recorded."""
    _check_staff(by)
    locked = _locked_duty(duty)
    _check_writable(locked.workshop)
    errors: dict[str, list[str]] = {}
    task = _text(task, "task", _("Name the task."), 200, errors)
    _check_letters(provider, customer, errors)
    clash = OperationsDuty.objects.filter(workshop=locked.workshop_id, task__iexact=task)
    if task and clash.exclude(pk=locked.pk).exists():
        errors["task"] = [_("This task is already in the operations model.")]
    if errors:
        raise ValidationError(errors)
    if (locked.task, locked.provider, locked.customer) != (task, provider, customer):
        locked.task, locked.provider, locked.customer = task, provider, customer
        locked.changed_by, locked.changed_at = by, timezone.now()
        locked.full_clean()
        locked.save()
    return locked


def _change(locked: OperationsDuty, by: User, letters: tuple[str, str]) -> OperationsDuty:
    locked.provider, locked.customer = letters
    locked.changed_by, locked.changed_at = by, timezone.now()
    locked.save(update_fields=["provider", "customer", "changed_by", "changed_at"])
    return locked


@transaction.atomic
def duty_step_in(*, duty: OperationsDuty, by: User) -> OperationsDuty:
    """SPEC W6: the customer takes the task on (customer R, provider consulted). A second
    click (a double submit) finds the customer responsible already and changes nothing."""
    locked = _locked_duty(duty)
    _check_customer_side(by, locked.workshop)
    _check_writable(locked.workshop)
    if locked.customer == domain.RESPONSIBLE:
        return locked
    return _change(locked, by, domain.stepped_in())


@transaction.atomic
def duty_step_out(*, duty: OperationsDuty, by: User) -> OperationsDuty:
    """SPEC W6: the customer hands the task back (provider R, customer informed). Only a task
    the customer runs can be handed back; a second click changes nothing."""
    locked = _locked_duty(duty)
    _check_customer_side(by, locked.workshop)
    _check_writable(locked.workshop)
    if (locked.provider, locked.customer) == domain.stepped_out():
        return locked
    if locked.customer != domain.RESPONSIBLE:
        raise ValidationError(_("The customer does not run this task: nothing to hand back."))
    return _change(locked, by, domain.stepped_out())


# --------------------------------------------------------------------------- dashboards


@transaction.atomic
def dashboards_choose(
    *, workshop: SiemWorkshop, offers: Iterable[DashboardOffer], by: User
) -> list[DashboardChoice]:
    """SPEC W6: the dashboards and reports the customer wants are exactly ``offers``: new ticks
    are recorded with who and when, unticked ones removed, unchanged ones keep their record."""
    locked = _locked_workshop(workshop)
    _check_customer_side(by, locked)
    _check_writable(locked)
    wanted = {offer.pk: offer for offer in offers}
    current = {c.offer_id: c for c in DashboardChoice.objects.filter(workshop=locked)}
    inactive = [o for pk, o in wanted.items() if not o.active and pk not in current]
    if inactive:
        raise ValidationError(
            {"offers": [_("%(name)s is no longer offered.") % {"name": inactive[0].name}]}
        )
    DashboardChoice.objects.filter(workshop=locked).exclude(offer_id__in=wanted).delete()
    now = timezone.now()
    DashboardChoice.objects.bulk_create(
        [
            DashboardChoice(
                organisation=locked.organisation,
                workshop=locked,
                offer=offer,
                chosen_by=by,
                chosen_at=now,
            )
            for pk, offer in wanted.items()
            if pk not in current
        ]
    )
    return list(DashboardChoice.objects.filter(workshop=locked).select_related("offer"))
