"""The desk's work on tickets (SPEC S6, S7): replies, notes, changes with their history, and
the triage of held messages (S3). Every service validates first and changes everything in one
transaction."""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.mail import EmailMessage
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import Membership, User
from accounts.roles import AgentLevel, Role
from accounts.tenancy import tenancy_for
from tickets import sla
from tickets.history import event
from tickets.models import Mailbox, Ticket, TicketEvent, TicketMessage
from tickets.outgoing import own_message_id, reply_headers, subject_line

Kind = TicketEvent.Kind


# --------------------------------------------------------------------------- agents' work


@transaction.atomic
def ticket_reply(
    *, ticket: Ticket, body: str, by: User, internal: bool = False, wait: bool = False
) -> TicketMessage:
    """An agent's reply goes out by mail, threaded, with the number in the subject; a referent's
    or end user's reply from the portal is a customer message. A note stays internal."""
    text = body.strip()
    if not text:
        raise ValidationError({"body": [_("Write the reply.")]})
    locked = Ticket.objects.select_for_update().get(pk=ticket.pk)
    role = tenancy_for(by).role
    staff = role in (Role.AGENT, Role.PROVIDER_ADMIN, Role.CSTM)
    if locked.status == Ticket.Status.CLOSED:
        raise ValidationError(_("This ticket is closed."))
    now = timezone.now()
    if not staff:
        message = TicketMessage.objects.create(
            ticket=locked,
            organisation_id=locked.organisation_id,
            direction=TicketMessage.Direction.INBOUND,
            author=by,
            from_address=by.email,
            body_text=text,
            message_id=own_message_id(),
        )
        if locked.status in (Ticket.Status.WAITING, Ticket.Status.RESOLVED):
            before = locked.status
            sla.resume(locked, now)
            locked.status = Ticket.Status.OPEN
            locked.resolved_at = None
            locked.save()
            event(locked, Kind.STATUS, actor=by, before=before, after=locked.status)
        event(locked, Kind.MESSAGE, actor=by)
        return message
    if internal:
        message = TicketMessage.objects.create(
            ticket=locked,
            organisation_id=locked.organisation_id,
            direction=TicketMessage.Direction.NOTE,
            author=by,
            body_text=text,
        )
        event(locked, Kind.NOTE, actor=by)
        return message
    headers = reply_headers(locked)
    message_id = own_message_id()
    message = TicketMessage.objects.create(
        ticket=locked,
        organisation_id=locked.organisation_id,
        direction=TicketMessage.Direction.OUTBOUND,
        author=by,
        from_address=by.email,
        body_text=text,
        message_id=message_id,
    )
    if locked.first_response_at is None:
        locked.first_response_at = now
    if locked.owner is None:
        locked.owner = by
        event(locked, Kind.OWNER, actor=by, after=by.email)
    before = locked.status
    if wait:
        locked.status = Ticket.Status.WAITING
        sla.pause(locked, now)
    elif locked.status == Ticket.Status.NEW:
        locked.status = Ticket.Status.OPEN
    locked.save()
    if before != locked.status:
        event(locked, Kind.STATUS, actor=by, before=before, after=locked.status)
    event(locked, Kind.REPLY, actor=by)
    mailbox = Mailbox.objects.filter(active=True).order_by("pk").first()
    sender = mailbox.address if mailbox else settings.DEFAULT_FROM_EMAIL
    mail = EmailMessage(
        subject_line(locked),
        text,
        sender,
        [locked.requester_email],
        headers={"Message-ID": message_id, **headers},
    )
    transaction.on_commit(lambda: mail.send(fail_silently=True))
    return message


EDITABLE = {
    "status": Kind.STATUS,
    "priority": Kind.PRIORITY,
    "level": Kind.LEVEL,
    "owner": Kind.OWNER,
    "type": Kind.TYPE,
    "category": Kind.CATEGORY,
}


@transaction.atomic
def ticket_update(*, ticket: Ticket, by: User, outcome: str = "", **changes: object) -> Ticket:
    """Change what an agent may change; every change is a history event (S7). Closing needs an
    outcome and records the contractual events closed and outcome."""
    locked = Ticket.objects.select_for_update().get(pk=ticket.pk)
    now = timezone.now()
    errors: dict[str, list[str]] = {}
    new_status = changes.get("status", locked.status)
    if new_status == Ticket.Status.CLOSED and not (outcome or locked.outcome):
        errors["outcome"] = [_("Record the outcome to close the ticket.")]
    owner = changes.get("owner")
    if (
        owner is not None
        and not Membership.objects.with_scopes_disabled()
        .filter(user=owner, role__in=(Role.AGENT, Role.PROVIDER_ADMIN))
        .exists()
    ):
        errors["owner"] = [_("The owner must be a service-desk agent.")]
    if errors:
        raise ValidationError(errors)
    resla = False
    for field_name, kind in EDITABLE.items():
        if field_name not in changes:
            continue
        value = changes[field_name]
        old = getattr(locked, field_name)
        if value == old:
            continue
        setattr(locked, field_name, value)
        if field_name in ("type", "priority"):
            resla = True
        event(
            locked,
            kind,
            actor=by,
            before=getattr(old, "email", old) or "",
            after=getattr(value, "email", value) or "",
            at=now,
        )
    if "status" in changes:
        _status_effects(locked, changes["status"], now)
    if new_status == Ticket.Status.CLOSED and outcome:
        locked.outcome = outcome
        event(locked, Kind.OUTCOME, actor=by, after=outcome, at=now)
    if new_status == Ticket.Status.CLOSED and locked.closed_at is None:
        locked.closed_at = now
        event(locked, Kind.CLOSED, actor=by, at=now)
    if resla:
        sla.apply_policy(locked)
    locked.save()
    return locked


def _status_effects(ticket: Ticket, status: str, now) -> None:
    if status == Ticket.Status.WAITING:
        sla.pause(ticket, now)
    else:
        sla.resume(ticket, now)
    if status == Ticket.Status.RESOLVED and ticket.resolved_at is None:
        ticket.resolved_at = now
    if status in (Ticket.Status.NEW, Ticket.Status.OPEN, Ticket.Status.WAITING):
        ticket.resolved_at = None
        ticket.closed_at = None


def l2_leads() -> list[User]:
    return [
        m.user
        for m in Membership.objects.with_scopes_disabled()
        .select_related("user")
        .filter(role=Role.AGENT, agent_level=AgentLevel.L2, user__is_active=True)
    ]
