"""Outages recorded on incident tickets (SPEC S9): they give each customer's monthly
availability. Only the service desk records them, on an open incident of the customer."""

from datetime import datetime

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User
from accounts.tenancy import tenancy_for
from tickets.history import event
from tickets.models import Outage, Ticket, TicketEvent

DESK_ROLES = ("agent", "provider_admin")


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
