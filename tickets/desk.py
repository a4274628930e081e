"""The desk's work on tickets (SPEC S6, S7): replies, notes, changes with their history, and
the triage of held messages (S3). Every service validates first and changes everything in one
transaction."""

from datetime import timedelta

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.core.mail import EmailMessage
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import Membership, User
from accounts.roles import AgentLevel, Role
from accounts.tenancy import customer_write_refusal, tenancy_for
from csm_portal.files import files_removed_on_failure, save_file
from tickets import selectors, sla
from tickets.history import event
from tickets.models import Attachment, Mailbox, Ticket, TicketEvent, TicketMessage
from tickets.outgoing import own_message_id, reply_headers, subject_line
from tickets.parsing import safe_filename
from tickets.portal import attachment_problems

Kind = TicketEvent.Kind

# Who works tickets: only they change them and only they become owners (SPEC S6).
DESK_ROLES = (Role.AGENT, Role.PROVIDER_ADMIN)
# The same text by the same author within this time, with nothing in between, is a double submit.
REPEAT_WINDOW = timedelta(minutes=10)


# --------------------------------------------------------------------------- agents' work


def reply_refusal(*, ticket: Ticket, by: User) -> str:
    """Why ``by`` may not write into ``ticket`` ("" when they may), in the active language. SPEC
    C5: a customer whose contract expired (read-only days 1–30, closed from day 31) reads its
    tickets but writes nothing, as decided by ``accounts.tenancy.customer_write_refusal``. The
    page uses it to replace the reply form; ``ticket_reply`` enforces it for pages and API."""
    tenancy = tenancy_for(by)
    if tenancy.role is None:  # deactivated, or no role at all
        return _("You cannot reply to this ticket.")
    if tenancy.is_provider_staff:
        return ""
    if customer_write_refusal(ticket.organisation):
        return _("Your contract has expired: you can read your tickets but no longer reply.")
    return ""


def _repeated(ticket: Ticket, *, by: User, text: str, direction: str, now) -> TicketMessage | None:
    """SPEC L5: a double submit (two clicks, a retried request, two tabs) of the same text by
    the same author, with no other message in between, is the message already recorded: it is
    not recorded, and not mailed, twice. The ticket row lock serialises the two requests."""
    last = ticket.messages.order_by("-created_at", "-pk").first()
    if (
        last is not None
        and last.author_id == by.pk
        and last.direction == direction
        and last.body_text == text
        and now - last.created_at < REPEAT_WINDOW
    ):
        return last
    return None


def ticket_reply(
    *,
    ticket: Ticket,
    body: str,
    by: User,
    internal: bool = False,
    wait: bool = False,
    attachments: list[UploadedFile] | None = None,
) -> TicketMessage:
    """An agent's reply goes out by mail, threaded, with the number in the subject; a referent's
    or end user's reply from the portal is a customer message. A note stays internal. SPEC C5:
    an expired customer's reply is refused (PermissionDenied) and nothing is written. SPEC S6:
    the first reply of an active agent or admin (not a CSTM) makes them the owner. SPEC L5: a
    double submit records and sends once. Staff may attach files (the checks of customers'
    attachments; stored under random names, sent with the mail); a customer posting files here
    is refused and nothing is written."""
    files = list(attachments or [])
    if files:
        if not tenancy_for(by).is_provider_staff:
            raise PermissionDenied(_("Only the service desk attaches files to replies here."))
        if problems := attachment_problems(files):
            raise ValidationError({"attachments": problems})
    with files_removed_on_failure():
        return _reply(ticket=ticket, body=body, by=by, internal=internal, wait=wait, files=files)


def _store_attachments(message: TicketMessage, files: list[UploadedFile]) -> list[Attachment]:
    stored = []
    for upload in files:
        upload.seek(0)
        attachment = Attachment(
            ticket_id=message.ticket_id,
            organisation_id=message.organisation_id,
            message=message,
            filename=safe_filename(upload.name or "attachment"),
            content_type=(upload.content_type or "application/octet-stream")[:150],
            size=upload.size,
        )
        save_file(attachment.file, "attachment", upload.read())
        attachment.save()
        stored.append(attachment)
    return stored


@transaction.atomic
def _reply(
    *, ticket: Ticket, body: str, by: User, internal: bool, wait: bool, files: list[UploadedFile]
) -> TicketMessage:
    locked = Ticket.objects.select_for_update().get(pk=ticket.pk)
    refusal = reply_refusal(ticket=locked, by=by)
    if refusal:
        raise PermissionDenied(refusal)
    text = body.strip()
    if not text:
        raise ValidationError({"body": [_("Write the reply.")]})
    role = tenancy_for(by).role
    staff = role in (Role.AGENT, Role.PROVIDER_ADMIN, Role.CSTM)
    if locked.status == Ticket.Status.CLOSED:
        raise ValidationError(_("This ticket is closed."))
    now = timezone.now()
    if not staff:
        internal = wait = False
    direction = (
        TicketMessage.Direction.INBOUND
        if not staff
        else TicketMessage.Direction.NOTE
        if internal
        else TicketMessage.Direction.OUTBOUND
    )
    repeated = _repeated(locked, by=by, text=text, direction=direction, now=now)
    if repeated is not None:
        return repeated
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
        _store_attachments(message, files)
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
    stored = _store_attachments(message, files)
    if locked.first_response_at is None:
        locked.first_response_at = now
    if locked.owner is None and role in DESK_ROLES and by.is_active:
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
    for attachment in stored:
        with attachment.file.open("rb") as handle:
            mail.attach(attachment.filename, handle.read(), attachment.content_type)
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
    if tenancy_for(by).role not in DESK_ROLES:
        raise PermissionDenied(_("Only the service desk can change a ticket."))
    locked = Ticket.objects.select_for_update().get(pk=ticket.pk)
    now = timezone.now()
    errors: dict[str, list[str]] = {}
    new_status = changes.get("status", locked.status)
    if new_status == Ticket.Status.CLOSED and not (outcome or locked.outcome):
        errors["outcome"] = [_("Record the outcome to close the ticket.")]
    owner = changes.get("owner")
    if owner is not None and not can_own(owner):
        errors["owner"] = [_("The owner must be an active service-desk agent.")]
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


def can_own(user: User) -> bool:
    """SPEC S6: only an active service-desk agent or admin owns a ticket."""
    return selectors.desk_people().filter(pk=user.pk).exists()


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
