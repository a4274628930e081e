"""Writes of the service desk: a received message becomes a ticket, a reply on its ticket or a
held item with its reason (SPEC S1–S3, L4); agents work tickets (S6, S7) on the SLA clock (S5).
Every service validates first and changes everything in one transaction."""

import base64
import hashlib
import logging
import os
import re
from dataclasses import dataclass
from datetime import timedelta
from email.utils import make_msgid

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.core.mail import EmailMessage
from django.db import IntegrityError, transaction
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django_scopes import scopes_disabled

from accounts.models import Membership, Organisation, OrganisationDomain, User
from accounts.roles import AgentLevel, Role
from accounts.tenancy import tenancy_for
from tickets import sla
from tickets.models import (
    Attachment,
    AutoReply,
    InboundMessage,
    Mailbox,
    Ticket,
    TicketEvent,
    TicketMessage,
)
from tickets.parsing import ParsedMessage, content_key, is_automatic, parse

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


# --------------------------------------------------------------------------- mailbox secrets


def _fernet():
    from cryptography.fernet import Fernet

    digest = hashlib.sha256(("mailbox:" + settings.SECRET_KEY).encode()).digest()
    return Fernet(base64.urlsafe_b64encode(digest))


def mailbox_set_password(mailbox: Mailbox, password: str) -> None:
    mailbox.password_encrypted = _fernet().encrypt(password.encode()).decode() if password else ""


def mailbox_password(mailbox: Mailbox) -> str:
    if mailbox.password_env:
        return os.environ.get(mailbox.password_env, "")
    if not mailbox.password_encrypted:
        return ""
    return _fernet().decrypt(mailbox.password_encrypted.encode()).decode()


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
    access = sender.organisation.access
    if access == Organisation.Access.CLOSED:
        return _("The organisation's contract is closed.")
    if access == Organisation.Access.READ_ONLY:
        return _("The organisation's contract has expired (read-only period: no support owed).")
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


def _event(
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
        ticket = _open_ticket(parsed, sender, category, now)
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
        _auto_reply_on_commit(mailbox, parsed, ticket)
    return inbound


def _open_ticket(parsed: ParsedMessage, sender: Sender, category: str, now) -> Ticket:
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
    ticket.number = f"T{ticket.pk:06d}"  # from the sequence: unique and never reused (S1)
    sla.apply_policy(ticket)
    ticket.save()
    _event(ticket, Kind.OPENED, actor=sender.user, label=parsed.from_address, at=now)
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
        _note(ticket, _("Not turned into an activity request: %(why)s") % {"why": error.messages})
        return
    ticket.activity_request = request
    ticket.save(update_fields=["activity_request", "updated_at"])


def _note(ticket: Ticket, text: str) -> None:
    TicketMessage.objects.create(
        ticket=ticket,
        organisation_id=ticket.organisation_id,
        direction=TicketMessage.Direction.NOTE,
        body_text=text,
    )


def _thread_onto(ticket: Ticket, parsed: ParsedMessage, sender: Sender, now) -> tuple[Ticket, bool]:
    """A reply joins its ticket; on a closed ticket it reopens it within the reopen window,
    else it opens a new ticket linked to the old one."""
    ticket = Ticket.objects.select_for_update().get(pk=ticket.pk)
    label = parsed.from_address
    if ticket.status in (Ticket.Status.CLOSED, Ticket.Status.RESOLVED):
        finished = ticket.closed_at or ticket.resolved_at or ticket.updated_at
        if finished and now - finished > timedelta(days=settings.TICKET_REOPEN_DAYS):
            category = classify(parsed.subject, parsed.text)
            new = _open_ticket(parsed, sender, category, now)
            new.linked_to = ticket
            new.save(update_fields=["linked_to"])
            return new, True
        before = ticket.status
        ticket.status = Ticket.Status.OPEN
        ticket.closed_at = None
        ticket.resolved_at = None
        ticket.outcome = ""
        ticket.save()
        _event(ticket, Kind.REOPENED, label=label, before=before, after=ticket.status, at=now)
        return ticket, True
    if ticket.status == Ticket.Status.WAITING:
        sla.resume(ticket, now)
        ticket.status = Ticket.Status.OPEN
        ticket.save()
        _event(ticket, Kind.STATUS, label=label, before="waiting", after="open", at=now)
    _event(ticket, Kind.MESSAGE, label=label, at=now)
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
        _note(ticket, _("Attachments kept out: %(files)s") % {"files": "; ".join(kept_out)})


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


# --------------------------------------------------------------------------- outgoing mail


def _own_message_id() -> str:
    return make_msgid(domain=settings.SUPPORT_MESSAGE_ID_DOMAIN)


def _reply_headers(ticket: Ticket) -> dict[str, str]:
    rows = list(
        TicketMessage.objects.filter(ticket=ticket)
        .exclude(message_id="")
        .order_by("created_at", "pk")
        .values_list("message_id", "direction")
    )
    headers = {}
    customer = [mid for mid, direction in rows if direction == TicketMessage.Direction.INBOUND]
    if rows:
        # In reply to the customer's latest message; References carry the whole thread.
        headers["In-Reply-To"] = customer[-1] if customer else rows[-1][0]
        headers["References"] = " ".join(mid for mid, _ in rows[-10:])
    return headers


def _subject(ticket: Ticket) -> str:
    return f"[{ticket.number}] {ticket.subject}"


def _auto_reply_on_commit(mailbox: Mailbox, parsed: ParsedMessage, ticket: Ticket) -> None:
    own_domain = settings.SUPPORT_MESSAGE_ID_DOMAIN
    if is_automatic(parsed, own_domain) or parsed.from_address == mailbox.address.lower():
        return
    hour_ago = timezone.now() - timedelta(hours=1)
    if (
        AutoReply.objects.filter(sender=parsed.from_address, sent_at__gte=hour_ago).count()
        >= settings.AUTO_REPLIES_PER_SENDER_PER_HOUR
    ):
        return
    AutoReply.objects.create(sender=parsed.from_address)
    message_id = _own_message_id()
    TicketMessage.objects.create(
        ticket=ticket,
        organisation_id=ticket.organisation_id,
        direction=TicketMessage.Direction.AUTO,
        body_text="",
        message_id=message_id,
    )
    with translation.override(ticket.requester_language):
        body = render_to_string("tickets/email/auto_reply.txt", {"ticket": ticket})
        subject = _subject(ticket)
    headers = {
        "Message-ID": message_id,
        "Auto-Submitted": "auto-replied",
        "X-Loop": mailbox.address,
        "Precedence": "auto_reply",
    }
    if parsed.message_id:
        headers["In-Reply-To"] = parsed.message_id
        headers["References"] = parsed.message_id
    message = EmailMessage(subject, body, mailbox.address, [parsed.from_address], headers=headers)
    transaction.on_commit(lambda: message.send(fail_silently=True))


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
            message_id=_own_message_id(),
        )
        if locked.status in (Ticket.Status.WAITING, Ticket.Status.RESOLVED):
            before = locked.status
            sla.resume(locked, now)
            locked.status = Ticket.Status.OPEN
            locked.resolved_at = None
            locked.save()
            _event(locked, Kind.STATUS, actor=by, before=before, after=locked.status)
        _event(locked, Kind.MESSAGE, actor=by)
        return message
    if internal:
        message = TicketMessage.objects.create(
            ticket=locked,
            organisation_id=locked.organisation_id,
            direction=TicketMessage.Direction.NOTE,
            author=by,
            body_text=text,
        )
        _event(locked, Kind.NOTE, actor=by)
        return message
    headers = _reply_headers(locked)
    message_id = _own_message_id()
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
        _event(locked, Kind.OWNER, actor=by, after=by.email)
    before = locked.status
    if wait:
        locked.status = Ticket.Status.WAITING
        sla.pause(locked, now)
    elif locked.status == Ticket.Status.NEW:
        locked.status = Ticket.Status.OPEN
    locked.save()
    if before != locked.status:
        _event(locked, Kind.STATUS, actor=by, before=before, after=locked.status)
    _event(locked, Kind.REPLY, actor=by)
    mailbox = Mailbox.objects.filter(active=True).order_by("pk").first()
    sender = mailbox.address if mailbox else settings.DEFAULT_FROM_EMAIL
    mail = EmailMessage(
        _subject(locked),
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
        _event(
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
        _event(locked, Kind.OUTCOME, actor=by, after=outcome, at=now)
    if new_status == Ticket.Status.CLOSED and locked.closed_at is None:
        locked.closed_at = now
        _event(locked, Kind.CLOSED, actor=by, at=now)
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


# --------------------------------------------------------------------------- triage (S3)


@transaction.atomic
def held_to_ticket(
    *, inbound: InboundMessage, organisation: Organisation, category: str, by: User
) -> Ticket:
    """An agent decides a held message is a ticket of ``organisation`` after all."""
    locked = InboundMessage.objects.select_for_update().get(pk=inbound.pk)
    if locked.outcome != InboundMessage.Outcome.HELD:
        raise ValidationError(_("This message was already triaged."))
    if organisation.kind != Organisation.Kind.CUSTOMER:
        raise ValidationError({"organisation": [_("Choose a customer organisation.")]})
    with locked.raw.open("rb") as handle:
        parsed = parse(handle.read())
    sender = identify(parsed.from_address)
    sender = Sender(organisation, sender.user, sender.role, sender.language)
    now = timezone.now()
    ticket = _open_ticket(parsed, sender, category, now)
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
    locked.outcome = InboundMessage.Outcome.TICKET
    locked.organisation = organisation
    locked.ticket = ticket
    locked.triaged_by = by
    locked.triaged_at = now
    locked.save()
    Attachment.objects.filter(inbound=locked).update(ticket=ticket, organisation=organisation)
    _note(ticket, _("Opened from the triage queue: %(why)s") % {"why": locked.reason})
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
