"""Requests customers open in the portal (SPEC S2, S3, C5): the same who-may-open-what rule and
contract-state check as mail, the same ticket, clock and acknowledgement; attachments pass the
same checks as mail attachments, but here a refused file refuses the request (the customer is
there to fix it) and nothing is written."""

from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import connection, transaction
from django.db.models import Q, QuerySet
from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User
from accounts.tenancy import customer_write_refusal, tenancy_for
from csm_portal import request_scope
from csm_portal.files import files_removed_on_failure, save_file
from tickets.ingest import Sender, may_open, ticket_create
from tickets.mailbox import Mailbox
from tickets.models import Attachment, Ticket, TicketMessage, TicketParticipant
from tickets.outgoing import acknowledge_on_commit, own_message_id
from tickets.parsing import EXECUTABLE_EXTENSIONS, EXECUTABLE_MAGIC, safe_filename

MAX_ATTACHMENTS = 10
SUPPORT_ADDRESS_SECONDS = 3600
# What a customer may choose in the portal; CST activities are requested on their own page.
PORTAL_CATEGORIES = tuple(
    value for value in Ticket.Category.values if value != Ticket.Category.CST_ACTIVITY
)


def sender_of(user: User) -> Sender:
    """The signed-in customer as the desk's rules see a sender."""
    membership = tenancy_for(user).membership
    organisation = membership.organisation if membership else None
    language = user.language or (organisation.language if organisation else "")
    return Sender(organisation, user, membership.role if membership else None, language)


def categories_for(sender: Sender) -> list[tuple[str, str]]:
    """The request types this customer may open (SPEC S3, one rule with mail): the referent
    any, a licensed end user password resets and incidents."""
    return [
        (value, label)
        for value, label in Ticket.Category.choices
        if value in PORTAL_CATEGORIES and not may_open(sender, value)
    ]


def attachment_problems(files: list[UploadedFile]) -> list[str]:
    problems = []
    if len(files) > MAX_ATTACHMENTS:
        problems.append(_("At most %(n)s files per request.") % {"n": MAX_ATTACHMENTS})
    limit = settings.TICKET_MAX_ATTACHMENT_BYTES
    for upload in files:
        name = safe_filename(upload.name or "")
        head = upload.read(8)
        upload.seek(0)
        if not upload.size:
            problems.append(_("%(name)s is empty.") % {"name": name})
        elif upload.size > limit:
            problems.append(
                _("%(name)s is larger than %(mb)s MB.") % {"name": name, "mb": limit // 2**20}
            )
        elif name.lower().endswith(tuple(EXECUTABLE_EXTENSIONS)) or head.startswith(
            EXECUTABLE_MAGIC
        ):
            problems.append(_("%(name)s is a program: it cannot be attached.") % {"name": name})
    return problems


def ticket_open(
    *,
    by: User,
    category: str,
    subject: str,
    description: str,
    attachments: list[UploadedFile] | None = None,
) -> Ticket:
    """A customer's request from the portal becomes a ticket of their organisation with their
    message and files, and the acknowledgement with its number goes out (SPEC S1–S3, C5)."""
    if not tenancy_for(by).is_customer:
        raise PermissionDenied
    sender = sender_of(by)
    organisation = sender.organisation
    refusal = customer_write_refusal(organisation)
    if refusal:
        raise PermissionDenied(refusal)
    files = list(attachments or [])
    errors: dict[str, list[str]] = {}
    reason = (
        may_open(sender, category)
        if category in PORTAL_CATEGORIES
        else _("Choose the type of request.")
    )
    if reason:
        errors["category"] = [reason]
    if not subject.strip():
        errors["subject"] = [_("Write a subject.")]
    if not description.strip():
        errors["description"] = [_("Describe the request.")]
    if problems := attachment_problems(files):
        errors["attachments"] = problems
    if errors:
        raise ValidationError(errors)
    with files_removed_on_failure(), transaction.atomic():
        now = timezone.now()
        ticket = ticket_create(
            sender=sender, subject=subject.strip(), category=category, address=by.email, at=now
        )
        TicketMessage.objects.create(
            ticket=ticket,
            organisation=organisation,
            direction=TicketMessage.Direction.INBOUND,
            author=by,
            from_address=by.email,
            body_text=description.strip(),
            message_id=own_message_id(),
            created_at=now,
        )
        for upload in files:
            attachment = Attachment(
                ticket=ticket,
                organisation=organisation,
                filename=safe_filename(upload.name or "attachment"),
                content_type=(upload.content_type or "application/octet-stream")[:150],
                size=upload.size,
            )
            save_file(attachment.file, "attachment", upload.read())
            attachment.save()
        TicketParticipant.objects.create(
            ticket=ticket, organisation=organisation, address=by.email.lower()[:300]
        )
        mailbox = Mailbox.objects.filter(active=True).order_by("pk").first()
        acknowledge_on_commit(mailbox, ticket, to=by.email)
    return ticket


def requests_in_scope(tickets: QuerySet[Ticket], *, user: User, scope: str) -> QuerySet[Ticket]:
    """Issue 14: a customer's "my requests" are the tickets they asked for (in the portal or
    from their address); "my organisation's" (the referent only, see csm_portal.request_scope)
    leaves the organisation's list as the data-access layer gave it (SPEC T1, T3)."""
    if scope == request_scope.MINE:
        return tickets.filter(Q(requester=user) | Q(requester_email__iexact=user.email))
    return tickets


def support_address_key() -> str:
    # One Redis may serve several databases (staging beside production, the tests' parallel
    # workers): the database's name keeps their addresses apart.
    return f"tickets:support-address:{connection.settings_dict['NAME']}"


def support_address() -> str:
    """The support mailbox customers write to, printed on every customer page and in every
    notification e-mail (issue 14). Cached (no query per page); forgotten whenever a mailbox
    is saved or deleted (below), and after an hour in case one was changed by a bulk update."""
    key = support_address_key()
    address = cache.get(key)
    if address is None:
        mailbox = Mailbox.objects.filter(active=True).order_by("pk").only("address").first()
        address = mailbox.address if mailbox else settings.DEFAULT_FROM_EMAIL
        cache.set(key, address, SUPPORT_ADDRESS_SECONDS)
    return address


def support_address_forget() -> None:
    """Drop the cached address now and again once the change is committed (a page rendered in
    between must not keep the old one)."""
    key = support_address_key()
    cache.delete(key)
    transaction.on_commit(lambda: cache.delete(key))


@receiver(post_save, sender=Mailbox, dispatch_uid="tickets.portal.support_address.save")
@receiver(post_delete, sender=Mailbox, dispatch_uid="tickets.portal.support_address.delete")
def _mailbox_changed(**kwargs: object) -> None:
    support_address_forget()
