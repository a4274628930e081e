"""Mail routing: a received message becomes a ticket, a reply on its ticket or a held item with
its reason (SPEC S1–S3, L4). Each message is stored and routed in one transaction."""

import logging
import re
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django_scopes import scopes_disabled

from accounts.models import Membership, Organisation, OrganisationDomain, User
from accounts.roles import Role
from accounts.tenancy import customer_write_refusal
from csm_portal import numbering
from tickets import sla
from tickets.history import event, note
from tickets.models import Attachment, InboundMessage, Mailbox, Ticket, TicketEvent, TicketMessage
from tickets.outgoing import auto_reply_on_commit
from tickets.parsing import ParsedMessage, content_key, parse

logger = logging.getLogger(__name__)
Kind = TicketEvent.Kind
INCIDENT_CATEGORIES = (Ticket.Category.MALFUNCTION, Ticket.Category.OUTAGE)

# Words that tell what a message is about, in the four support languages (SPEC S2, S8). The
# agent corrects type and category when the guess is wrong.
KEYWORDS = [
    (
        Ticket.Category.PASSWORD_RESET,
        ("password", "mot de passe", "contraseña", "credenziali", "reimpost", "reset"),
    ),
    (
        Ticket.Category.OUTAGE,
        ("outage", "down", "irraggiungibile", "non raggiungibile", "panne", "caída", "disservizio"),
    ),
    (
        Ticket.Category.MALFUNCTION,
        (
            "errore",
            "error",
            "non funziona",
            "not working",
            "bug",
            "problema",
            "problème",
            "no funciona",
            "ne fonctionne",
            "bloccat",
            "crash",
            "malfunzion",
        ),
    ),
    (
        Ticket.Category.CST_ACTIVITY,
        (
            "kick-off",
            "kickoff",
            "riunione di sal",
            "sal ",
            "attività cst",
            "cst activity",
            "richiesta attività",
            "workshop",
        ),
    ),
    (
        Ticket.Category.CAMPAIGN,
        ("campagna", "campaign", "campagne", "campaña"),
    ),
    (
        Ticket.Category.CONTENT_RELEASE,
        ("rilascio", "release", "contenut", "contenu", "contenido"),
    ),
    (
        Ticket.Category.CONFIGURATION,
        ("configura", "sso", "whitelist", "ldap", "impostazion", "paramètre", "configuración"),
    ),
]


def classify(subject: str, text: str) -> str:
    haystack = f" {subject} {text[:2000]} ".lower()
    for category, words in KEYWORDS:
        if any(word in haystack for word in words):
            return category
    return Ticket.Category.OTHER


def type_of(category: str) -> str:
    return Ticket.Type.INCIDENT if category in INCIDENT_CATEGORIES else Ticket.Type.SERVICE_REQUEST


# --------------------------------------------------------------------------- who wrote (S3)


@dataclass(frozen=True)
class Sender:
    organisation: Organisation | None
    user: User | None
    role: str | None  # referent / end_user, or None when unknown
    language: str


def identify(address: str) -> Sender:
    """The organisation from the sender's address (a known person) or its domain (a licensed end
    user of the customer); provider staff and strangers are unknown here."""
    default = settings.LANGUAGE_CODE
    if not address:
        return Sender(None, None, None, default)
    membership = (
        Membership.objects.with_scopes_disabled()
        .select_related("user", "organisation")
        .filter(user__email__iexact=address, user__is_active=True)
        .first()
    )
    if membership is not None:
        if membership.role in (Role.REFERENT, Role.END_USER):
            return Sender(
                membership.organisation,
                membership.user,
                membership.role,
                membership.user.language or default,
            )
        return Sender(None, membership.user, None, membership.user.language or default)
    domain = address.rsplit("@", 1)[-1].lower()
    found = (
        OrganisationDomain.objects.with_scopes_disabled()
        .select_related("organisation")
        .filter(domain__iexact=domain, organisation__kind=Organisation.Kind.CUSTOMER)
        .first()
    )
    if found is not None:
        return Sender(
            found.organisation, None, Role.END_USER, found.organisation.language or default
        )
    return Sender(None, None, None, default)


def may_open(sender: Sender, category: str) -> str:
    """SPEC S3: "" if the sender may open this kind of ticket, else the reason it is held."""
    if sender.organisation is None:
        return _("Unknown sender: the address belongs to no customer organisation.")
    refusal = customer_write_refusal(sender.organisation)
    if refusal:
        return refusal
    if sender.role == Role.REFERENT:
        return ""
    if category in (*INCIDENT_CATEGORIES, Ticket.Category.PASSWORD_RESET):
        return ""
    return _("A licensed end user may open only password-reset and incident tickets.")


# --------------------------------------------------------------------------- ingestion (L4)


def _find_ticket(parsed: ParsedMessage) -> Ticket | None:
    """Threading (S1): the ticket number in the subject, else In-Reply-To / References."""
    numbers = parsed.ticket_numbers
    if numbers:
        ticket = Ticket.objects.filter(number__in=numbers).order_by("-pk").first()
        if ticket is not None:
            return ticket
    ids = [*parsed.in_reply_to, *parsed.references]
    if ids:
        message = TicketMessage.objects.filter(message_id__in=ids).select_related("ticket").last()
        if message is not None:
            return message.ticket
    return None


def _sender_belongs(ticket: Ticket, sender: Sender, address: str) -> bool:
    if sender.organisation is not None and sender.organisation.pk == ticket.organisation_id:
        return True
    return address.lower() == ticket.requester_email.lower()


def ingest(
    mailbox: Mailbox, raw: bytes, *, uid: int | None = None, uidvalidity: int | None = None
) -> tuple[InboundMessage, bool]:
    """Store and route one received message in one transaction; returns it and whether it is
    new. The same message polled again (after a crash before it was moved) creates nothing."""
    parsed = parse(raw)
    with scopes_disabled():
        existing = InboundMessage.objects.filter(mailbox=mailbox, message_key=parsed.key).first()
        if existing is not None:
            return existing, False
        try:
            with transaction.atomic():
                return _ingest(mailbox, raw, parsed, uid, uidvalidity), True
        except IntegrityError:  # another poller stored it at the same instant
            existing = InboundMessage.objects.get(mailbox=mailbox, message_key=parsed.key)
            return existing, False


def _ingest(
    mailbox: Mailbox, raw: bytes, parsed: ParsedMessage, uid: int | None, uidvalidity: int | None
) -> InboundMessage:
    now = timezone.now()
    inbound = InboundMessage(
        mailbox=mailbox,
        message_key=parsed.key,
        uid=uid,
        uidvalidity=uidvalidity,
        from_address=parsed.from_address,
        from_name=parsed.from_name,
        to=", ".join(parsed.to)[:2000],
        subject=parsed.subject,
        sent_at=parsed.sent_at,
        received_at=now,
        outcome=InboundMessage.Outcome.HELD,
    )
    inbound.raw.save("message.eml", ContentFile(raw), save=False)
    sender = identify(parsed.from_address)
    ticket = _find_ticket(parsed) if parsed.from_address else None
    if ticket is not None and not _sender_belongs(ticket, sender, parsed.from_address):
        ticket = None  # a ticket number is no key to another customer's ticket
    reopened_or_new = False
    if ticket is not None:
        ticket, reopened_or_new = _thread_onto(ticket, parsed, sender, now)
    else:
        category = classify(parsed.subject, parsed.text)
        reason = (
            _("The message has no sender (From is missing or invalid).")
            if not parsed.from_address
            else may_open(sender, category)
        )
        if reason:
            inbound.organisation = sender.organisation
            inbound.reason = reason
            inbound.save()
            _store_attachments(inbound, parsed, None)
            return inbound
        ticket = open_ticket(parsed, sender, category, now)
        reopened_or_new = True
    inbound.organisation = ticket.organisation
    inbound.outcome = InboundMessage.Outcome.TICKET
    inbound.ticket = ticket
    inbound.save()
    TicketMessage.objects.create(
        ticket=ticket,
        organisation=ticket.organisation,
        direction=TicketMessage.Direction.INBOUND,
        from_address=parsed.from_address,
        body_text=parsed.text,
        body_html=parsed.html,
        inbound=inbound,
        message_id=parsed.message_id,
        created_at=now,
    )
    _store_attachments(inbound, parsed, ticket)
    if reopened_or_new:
        auto_reply_on_commit(mailbox, parsed, ticket)
    return inbound


def open_ticket(parsed: ParsedMessage, sender: Sender, category: str, now) -> Ticket:
    from activities.services import running_contract

    organisation = sender.organisation
    ticket = Ticket.objects.create(
        organisation=organisation,
        subject=(parsed.subject or _("(no subject)"))[:300],
        type=type_of(category),
        category=category,
        requester=sender.user,
        requester_email=parsed.from_address,
        requester_language=sender.language,
        contract=running_contract(organisation, timezone.localdate()),
        created_at=now,
    )
    numbering.number_assign(ticket, numbering.ticket_number)  # random, unique (S1, issue 11)
    sla.apply_policy(ticket)
    ticket.save()
    event(ticket, Kind.OPENED, actor=sender.user, label=parsed.from_address, at=now)
    if category == Ticket.Category.CST_ACTIVITY and sender.role == Role.REFERENT:
        _activity_request_from_mail(ticket, parsed, sender)
    return ticket


def _activity_request_from_mail(ticket: Ticket, parsed: ParsedMessage, sender: Sender) -> None:
    """SPEC H8: a referent's written request by mail becomes an activity request when the
    catalogue activity can be told from the subject; otherwise the agent links it by hand."""
    from activities import services as activity_services
    from activities.models import Activity

    subject = parsed.subject.lower()
    match = None
    for activity in Activity.objects.filter(active=True).order_by("-minimum_hours"):
        names = [activity.name_it, activity.name_en, activity.name_fr, activity.name_es]
        if activity.is_kickoff:
            names += ["kick-off", "kickoff"]
        if activity.code == "sal-review":
            names += ["sal"]
        if any(n and re.search(rf"\b{re.escape(n.lower())}\b", subject) for n in names):
            match = activity
            break
    if match is None or sender.user is None:
        return
    try:
        with transaction.atomic():
            request = activity_services.request_create(
                organisation=ticket.organisation,
                activity=match,
                by=sender.user,
                details=parsed.text[:5000],
                channel="email",
            )
    except ValidationError as error:
        note(ticket, _("Not turned into an activity request: %(why)s") % {"why": error.messages})
        return
    ticket.activity_request = request
    ticket.save(update_fields=["activity_request", "updated_at"])


def _thread_onto(ticket: Ticket, parsed: ParsedMessage, sender: Sender, now) -> tuple[Ticket, bool]:
    """A reply joins its ticket; on a closed ticket it reopens it within the reopen window,
    else it opens a new ticket linked to the old one."""
    ticket = Ticket.objects.select_for_update().get(pk=ticket.pk)
    label = parsed.from_address
    if ticket.status in (Ticket.Status.CLOSED, Ticket.Status.RESOLVED):
        finished = ticket.closed_at or ticket.resolved_at or ticket.updated_at
        if finished and now - finished > timedelta(days=settings.TICKET_REOPEN_DAYS):
            category = classify(parsed.subject, parsed.text)
            new = open_ticket(parsed, sender, category, now)
            new.linked_to = ticket
            new.save(update_fields=["linked_to"])
            return new, True
        before = ticket.status
        ticket.status = Ticket.Status.OPEN
        ticket.closed_at = None
        ticket.resolved_at = None
        ticket.outcome = ""
        ticket.save()
        event(ticket, Kind.REOPENED, label=label, before=before, after=ticket.status, at=now)
        return ticket, True
    if ticket.status == Ticket.Status.WAITING:
        sla.resume(ticket, now)
        ticket.status = Ticket.Status.OPEN
        ticket.save()
        event(ticket, Kind.STATUS, label=label, before="waiting", after="open", at=now)
    event(ticket, Kind.MESSAGE, label=label, at=now)
    return ticket, False


def _store_attachments(inbound: InboundMessage, parsed: ParsedMessage, ticket: Ticket | None):
    kept_out = []
    for part in parsed.attachments:
        attachment = Attachment(
            inbound=inbound,
            ticket=ticket,
            organisation=inbound.organisation,
            filename=part.filename,
            content_type=part.content_type[:150],
            size=part.size,
        )
        if part.is_executable:
            attachment.rejected_reason = _("Executable file: kept out for safety.")
        elif part.size > settings.TICKET_MAX_ATTACHMENT_BYTES:
            attachment.rejected_reason = _("Larger than %(mb)s MB: kept out.") % {
                "mb": settings.TICKET_MAX_ATTACHMENT_BYTES // (1024 * 1024)
            }
        else:
            attachment.file.save("attachment", ContentFile(part.payload), save=False)
        attachment.save()
        if attachment.rejected_reason:
            kept_out.append(f"{attachment.filename} ({attachment.rejected_reason})")
    if kept_out and ticket is not None:
        note(ticket, _("Attachments kept out: %(files)s") % {"files": "; ".join(kept_out)})


def record_failure(mailbox: Mailbox, raw: bytes, uid: int | None, error: BaseException) -> None:
    """A message the parser cannot handle is kept, with its error, for an admin (L4)."""
    key = content_key(raw)
    with scopes_disabled(), transaction.atomic():
        if InboundMessage.objects.filter(mailbox=mailbox, message_key=key).exists():
            return
        inbound = InboundMessage(
            mailbox=mailbox,
            message_key=key,
            uid=uid,
            outcome=InboundMessage.Outcome.FAILED,
            reason=f"{type(error).__name__}: {error}"[:2000],
        )
        inbound.raw.save("message.eml", ContentFile(raw), save=False)
        inbound.save()
