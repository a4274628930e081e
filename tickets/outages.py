"""Outages recorded on incident tickets (SPEC S9): they give each customer's monthly
availability. Only the service desk records them, on an open incident of the customer, and
corrects or deletes them (issue 14) from the ticket page: the services, then the two views."""

from datetime import datetime
from zoneinfo import ZoneInfo

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User
from accounts.roles import Role
from accounts.tenancy import tenancy_for
from csm_portal.idempotency import already_done_redirects, form_once
from csm_portal.web import NOT_DONE, role_required, submit
from tickets import selectors
from tickets.forms import OutageForm
from tickets.history import event
from tickets.models import Outage, Ticket, TicketEvent

DESK_ROLES = ("agent", "provider_admin")
ROME = ZoneInfo("Europe/Rome")


def _check(*, by: User, service: str, started_at: datetime | None, ended_at: datetime | None):
    if tenancy_for(by).role not in DESK_ROLES:
        raise PermissionDenied(_("Only the service desk records outages."))
    now = timezone.now()
    errors: dict[str, list[str]] = {}
    if not service.strip():
        errors["service"] = [_("Name the affected service.")]
    if started_at is None:
        errors["started_at"] = [_("Give the start of the outage.")]
    elif started_at > now:
        errors["started_at"] = [_("An outage cannot start in the future.")]
    if ended_at is not None:
        if ended_at > now:
            errors["ended_at"] = [_("An outage cannot end in the future.")]
        elif started_at is not None and ended_at <= started_at:
            errors["ended_at"] = [_("The end must come after the start.")]
    if errors:
        raise ValidationError(errors)


@transaction.atomic
def outage_record(
    *,
    ticket: Ticket,
    by: User,
    service: str,
    started_at: datetime | None,
    ended_at: datetime | None = None,
) -> Outage:
    """Record an outage on an incident ticket (SPEC S9); the history says so (S7)."""
    _check(by=by, service=service, started_at=started_at, ended_at=ended_at)
    locked = Ticket.objects.select_for_update().get(pk=ticket.pk)
    if locked.type != Ticket.Type.INCIDENT:
        raise ValidationError(_("Outages are recorded on incident tickets."))
    outage = Outage(
        organisation_id=locked.organisation_id,
        ticket=locked,
        service=service.strip(),
        started_at=started_at,
        ended_at=ended_at,
        recorded_by=by,
    )
    outage.full_clean()
    outage.save()
    event(locked, TicketEvent.Kind.OUTAGE, actor=by, after=outage.service)
    return outage


@transaction.atomic
def outage_end(*, outage: Outage, by: User, ended_at: datetime | None) -> Outage:
    """Record (or correct) the end of an outage."""
    locked = Outage.objects.select_for_update().get(pk=outage.pk)
    if ended_at is None:
        raise ValidationError({"ended_at": [_("Give the end of the outage.")]})
    _check(by=by, service=locked.service, started_at=locked.started_at, ended_at=ended_at)
    locked.ended_at = ended_at
    locked.full_clean()
    locked.save(update_fields=["ended_at"])
    event(locked.ticket, TicketEvent.Kind.OUTAGE, actor=by, after=locked.service)
    return locked


def _described(outage: Outage) -> str:
    """The outage as the ticket's history keeps it: service and times in Rome, no words to
    translate."""
    start = timezone.localtime(outage.started_at, ROME).strftime("%d/%m/%Y %H:%M")
    end = (
        timezone.localtime(outage.ended_at, ROME).strftime("%d/%m/%Y %H:%M")
        if outage.ended_at
        else "…"
    )
    return f"{outage.service} {start} – {end}"


def _locked(ticket: Ticket, outage_id: int) -> Outage:
    """The ticket's own outage, locked; another ticket's or a missing one is a 404 (T1)."""
    outage = Outage.objects.select_for_update().filter(ticket=ticket, pk=outage_id).first()
    if outage is None:
        raise Http404
    return outage


@transaction.atomic
def outage_update(
    *,
    ticket: Ticket,
    outage_id: int,
    by: User,
    service: str,
    started_at: datetime | None,
    ended_at: datetime | None,
) -> Outage:
    """Correct an outage of this ticket (service, start, end: the end after the start, nothing
    in the future); the history keeps the old and the new (SPEC S7, S9)."""
    _check(by=by, service=service, started_at=started_at, ended_at=ended_at)
    outage = _locked(ticket, outage_id)
    before = _described(outage)
    outage.service = service.strip()
    outage.started_at = started_at
    outage.ended_at = ended_at
    outage.full_clean()
    outage.save(update_fields=["service", "started_at", "ended_at"])
    event(ticket, TicketEvent.Kind.OUTAGE, actor=by, before=before, after=_described(outage))
    return outage


@transaction.atomic
def outage_delete(*, ticket: Ticket, outage_id: int, by: User) -> Ticket:
    """Delete an outage of this ticket (recorded by mistake); the history keeps what it was."""
    if tenancy_for(by).role not in DESK_ROLES:
        raise PermissionDenied(_("Only the service desk records outages."))
    outage = _locked(ticket, outage_id)
    before = _described(outage)
    outage.delete()
    event(ticket, TicketEvent.Kind.OUTAGE, actor=by, before=before, after="")
    return ticket


# --------------------------------------------------------------------------- views

DESK = (Role.AGENT, Role.PROVIDER_ADMIN)


def _initial(outage: Outage) -> dict:
    start = timezone.localtime(outage.started_at, ROME)
    end = timezone.localtime(outage.ended_at, ROME) if outage.ended_at else None
    return {
        "service": outage.service,
        "start_date": start.date().isoformat(),
        "start_time": start.strftime("%H:%M"),
        "end_date": end.date().isoformat() if end else "",
        "end_time": end.strftime("%H:%M") if end else "",
    }


def _ticket_and_outage(request: HttpRequest, ticket_id: int, outage_id: int):
    ticket = selectors.ticket_get(tenancy=request.tenancy, user=request.user, ticket_id=ticket_id)
    outage = Outage.objects.filter(ticket=ticket, pk=outage_id).first()
    if outage is None:
        raise Http404
    return ticket, outage


@role_required(*DESK)
@already_done_redirects
def outage_edit(request: HttpRequest, ticket_id: int, outage_id: int) -> HttpResponse:
    """Correct an outage (issue 14, SPEC S9): the form prefilled, sent once."""
    ticket, outage = _ticket_and_outage(request, ticket_id, outage_id)
    form = OutageForm(request.POST or None, initial=_initial(outage))
    done = submit(
        request,
        form,
        lambda data: form_once(
            request,
            lambda: outage_update(
                ticket=ticket, outage_id=outage.pk, by=request.user, **form.service_arguments()
            ),
            url_of=lambda _outage: ticket.get_absolute_url(),
        ),
    )
    if done is not NOT_DONE:
        messages.success(request, _("Outage corrected."))
        return redirect(ticket)
    return render(
        request, "tickets/outage_edit.html", {"ticket": ticket, "outage": outage, "form": form}
    )


@role_required(*DESK)
@already_done_redirects
def outage_remove(request: HttpRequest, ticket_id: int, outage_id: int) -> HttpResponse:
    """Delete an outage after a confirmation page (issue 14, SPEC S9), sent once: a second
    submit says it was already done."""
    if request.method == "POST":
        ticket = selectors.ticket_get(
            tenancy=request.tenancy, user=request.user, ticket_id=ticket_id
        )
        try:
            form_once(
                request,
                lambda: outage_delete(ticket=ticket, outage_id=outage_id, by=request.user),
                url_of=lambda done: done.get_absolute_url(),
            )
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
            return redirect(request.path)
        messages.success(request, _("Outage deleted."))
        return redirect(ticket)
    ticket, outage = _ticket_and_outage(request, ticket_id, outage_id)
    return render(request, "tickets/outage_delete.html", {"ticket": ticket, "outage": outage})
