"""What the desk tells the customer-360 (issue 14): the open tickets, and the touchpoints —
tickets opened, replies sent and the acknowledgements e-mailed on receipt."""

from datetime import date

from django.utils.translation import gettext as _

from csm_portal.timeline import (
    EMAILS,
    OPEN_TICKETS,
    TICKETS,
    Touchpoint,
    register_panel,
    register_source,
)
from tickets.models import Ticket, TicketMessage

SHOWN = 10


def _open_tickets_panel(*, organisation, today: date) -> dict:
    # 1 query: the open tickets, nearest deadline first (one more than shown: "and more").
    tickets = list(
        Ticket.objects.filter(organisation=organisation, status__in=Ticket.OPEN_STATUSES)
        .select_related("owner")
        .order_by("resolution_due", "-created_at")[: SHOWN + 1]
    )
    return {"open_tickets": tickets[:SHOWN], "more_open_tickets": len(tickets) > SHOWN}


def _opened(ticket: Ticket) -> Touchpoint:
    return Touchpoint(
        title=_("Ticket %(number)s opened") % {"number": ticket.number or ""},
        detail=ticket.subject,
        url=ticket.get_absolute_url(),
    )


def _reply(message: TicketMessage) -> Touchpoint:
    author = message.author.display_name if message.author else ""
    return Touchpoint(
        title=_("Reply sent on ticket %(number)s") % {"number": message.ticket.number or ""},
        detail=" · ".join(part for part in (author, message.ticket.subject) if part),
        url=message.ticket.get_absolute_url(),
    )


def _acknowledgement(message: TicketMessage) -> Touchpoint:
    return Touchpoint(
        title=_("Acknowledgement e-mailed for ticket %(number)s")
        % {"number": message.ticket.number or ""},
        detail=message.ticket.subject,
        url=message.ticket.get_absolute_url(),
    )


def _messages(organisation_id: int, direction: str):
    return TicketMessage.objects.filter(
        organisation_id=organisation_id, direction=direction
    ).select_related("ticket", "author")


def register_timeline() -> None:
    register_panel(
        slot=OPEN_TICKETS,
        template="accounts/customer360/panel_open_tickets.html",
        context=_open_tickets_panel,
    )
    register_source(
        name="tickets.opened",
        kind=TICKETS,
        rows=lambda organisation_id: Ticket.objects.filter(organisation_id=organisation_id),
        at="created_at",
        touchpoint=_opened,
    )
    register_source(
        name="tickets.reply",
        kind=TICKETS,
        rows=lambda organisation_id: _messages(organisation_id, TicketMessage.Direction.OUTBOUND),
        at="created_at",
        touchpoint=_reply,
    )
    register_source(
        name="tickets.acknowledgement",
        kind=EMAILS,
        rows=lambda organisation_id: _messages(organisation_id, TicketMessage.Direction.AUTO),
        at="created_at",
        touchpoint=_acknowledgement,
    )
