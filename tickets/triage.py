"""Triage of held messages (SPEC S3): an agent opens a ticket for the right customer or keeps
the message as "not a ticket" with a reason. Nothing is deleted."""

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import Organisation, User
from tickets.history import note
from tickets.ingest import Sender, identify, open_ticket, participants_add, reply_onto
from tickets.models import Attachment, InboundMessage, Ticket, TicketMessage
from tickets.parsing import parse


@transaction.atomic
def held_to_ticket(
    *, inbound: InboundMessage, organisation: Organisation, category: str, by: User
) -> Ticket:
    """An agent decides a held message is a ticket of ``organisation`` after all: a reply held
    on the ticket it concerns is added to that ticket (reopening it as a reply would), anything
    else opens a ticket. The requester is kept only if they are a person of ``organisation``
    (T1); an unauthenticated mail still makes no activity request: the referent confirms it
    (S10, H8)."""
    locked = InboundMessage.objects.select_for_update().get(pk=inbound.pk)
    if locked.outcome != InboundMessage.Outcome.HELD:
        raise ValidationError(_("This message was already triaged."))
    if organisation.kind != Organisation.Kind.CUSTOMER:
        raise ValidationError({"organisation": [_("Choose a customer organisation.")]})
    with locked.raw.open("rb") as handle:
        parsed = parse(handle.read())
    found = identify(parsed.from_address)
    same = found.organisation is not None and found.organisation.pk == organisation.pk
    sender = Sender(
        organisation,
        found.user if same else None,
        found.role if same else None,
        found.language,
    )
    authenticated = locked.authentication == InboundMessage.Authentication.PASS
    now = timezone.now()
    concerned = locked.ticket
    if concerned is not None and concerned.organisation_id == organisation.pk:
        ticket, _reopened = reply_onto(
            concerned, parsed, sender, now, authenticated=authenticated, category=category
        )
        added = _("Added from the triage queue: %(why)s")
    else:
        ticket = open_ticket(parsed, sender, category, now, authenticated=authenticated)
        added = _("Opened from the triage queue: %(why)s")
        if not parsed.from_address:
            ticket.requester_email = ""
            ticket.save()
    TicketMessage.objects.create(
        ticket=ticket,
        organisation=organisation,
        direction=TicketMessage.Direction.INBOUND,
        from_address=parsed.from_address,
        body_text=parsed.text,
        body_html=parsed.html,
        inbound=locked,
        message_id=parsed.message_id,
    )
    participants_add(ticket, parsed)
    locked.outcome = InboundMessage.Outcome.TICKET
    locked.organisation = organisation
    locked.ticket = ticket
    locked.triaged_by = by
    locked.triaged_at = now
    locked.save()
    Attachment.objects.filter(inbound=locked).update(ticket=ticket, organisation=organisation)
    note(ticket, added % {"why": locked.reason})
    return ticket


@transaction.atomic
def held_dismiss(*, inbound: InboundMessage, reason: str, by: User) -> InboundMessage:
    """Not a ticket (spam, a newsletter): kept with who decided and why, never deleted."""
    if not reason.strip():
        raise ValidationError({"reason": [_("Say why this message is not a ticket.")]})
    locked = InboundMessage.objects.select_for_update().get(pk=inbound.pk)
    if locked.outcome != InboundMessage.Outcome.HELD:
        raise ValidationError(_("This message was already triaged."))
    locked.outcome = InboundMessage.Outcome.DISMISSED
    locked.reason = f"{locked.reason}\n{reason.strip()}".strip()
    locked.triaged_by = by
    locked.triaged_at = timezone.now()
    locked.save()
    return locked
