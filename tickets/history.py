"""The history of a ticket (SPEC S7): every change is an event with its time and actor; notes
are internal messages. Shared by mail ingestion and the desk."""

from django.utils import timezone

from accounts.models import User
from tickets.models import Ticket, TicketEvent, TicketMessage


def event(
    ticket: Ticket,
    kind: str,
    *,
    actor: User | None = None,
    label: str = "",
    before: str = "",
    after: str = "",
    at=None,
) -> TicketEvent:
    return TicketEvent.objects.create(
        ticket=ticket,
        organisation_id=ticket.organisation_id,
        kind=kind,
        contractual=kind in TicketEvent.CONTRACTUAL,
        actor=actor,
        actor_label=(label or (actor.email if actor else ""))[:300],
        before=str(before)[:300],
        after=str(after)[:300],
        at=at or timezone.now(),
    )


def note(ticket: Ticket, text: str) -> None:
    TicketMessage.objects.create(
        ticket=ticket,
        organisation_id=ticket.organisation_id,
        direction=TicketMessage.Direction.NOTE,
        body_text=text,
    )
