"""Mail the desk sends: replies threaded onto the customer's messages with the ticket number in
the subject (SPEC S1), and rate-limited acknowledgements (S11)."""

from datetime import timedelta
from email.utils import make_msgid

from django.conf import settings
from django.core.mail import EmailMessage, get_connection
from django.db import connection, transaction
from django.template.loader import render_to_string
from django.utils import timezone, translation

from tickets.models import Mailbox, Ticket, TicketMessage
from tickets.parsing import ParsedMessage, is_automatic


def own_message_id() -> str:
    return make_msgid(domain=settings.SUPPORT_MESSAGE_ID_DOMAIN)


def reply_headers(ticket: Ticket) -> dict[str, str]:
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


def subject_line(ticket: Ticket) -> str:
    return f"[{ticket.number}] {ticket.subject}"


# SPEC S11: count the automatic replies recorded for a sender in the last hour and record one
# only while under the limit, in one statement (alone, or as a step of a message's statement).
RATE_LIMITED_INSERT = (
    "INSERT INTO tickets_autoreply (sender, sent_at) SELECT %s, %s WHERE (SELECT count(*) "
    "FROM tickets_autoreply WHERE sender = %s AND sent_at >= %s) < %s RETURNING id"
)
ACKNOWLEDGEMENT_TEMPLATE = "tickets/email/auto_reply.txt"


def _rate_limit_params(sender: str) -> list:
    now = timezone.now()
    return [
        sender,
        now,
        sender,
        now - timedelta(hours=1),
        settings.AUTO_REPLIES_PER_SENDER_PER_HOUR,
    ]


def auto_reply_on_commit(
    mailbox: Mailbox,
    parsed: ParsedMessage,
    ticket: Ticket,
    *,
    together_with: TicketMessage | None = None,
    rows=None,
    bodies: dict | None = None,
    outbox: list | None = None,
) -> TicketMessage | None:
    """The acknowledgement of a message that opened or reopened ``ticket`` (SPEC S1, S11): none
    to automatic mail, to ourselves or past the per-sender limit. With ``rows`` (the message's
    one statement, ``tickets.ingest.Rows``) the limit and the record become steps of that
    statement: the record is written only if the limit let the sender's count through, after
    the customer's message ``together_with``; it is returned, its ``pk`` set once written."""
    own_domain = settings.SUPPORT_MESSAGE_ID_DOMAIN
    if is_automatic(parsed, own_domain) or parsed.from_address == mailbox.address.lower():
        return None
    if rows is None:
        if not auto_reply_allowed(parsed.from_address):
            return None
        acknowledge_on_commit(
            mailbox,
            ticket,
            to=parsed.from_address,
            in_reply_to=parsed.message_id,
            together_with=together_with,
        )
        return None
    allowed = rows.add_sql(RATE_LIMITED_INSERT, _rate_limit_params(parsed.from_address))
    record = _acknowledgement_record(ticket)
    after = (rows.name_of(together_with),) if together_with is not None else ()
    rows.add(record, when=(allowed, *after))

    def deliver() -> None:
        if record.pk is None:  # over the limit: not recorded, not sent
            return
        message = _acknowledgement_mail(
            mailbox,
            ticket,
            record,
            to=parsed.from_address,
            in_reply_to=parsed.message_id,
            bodies=bodies,
        )
        if outbox is not None:
            outbox.append(message)  # the poller sends its batch's in one connection
        else:
            message.send(fail_silently=True)

    rows.on_commit(deliver)
    return record


def auto_reply_allowed(sender: str) -> bool:
    """SPEC S11: record an automatic reply to ``sender`` unless AUTO_REPLIES_PER_SENDER_PER_HOUR
    were recorded in the last hour; True when recorded. Counted and recorded in one statement."""
    with connection.cursor() as cursor:
        cursor.execute(RATE_LIMITED_INSERT, _rate_limit_params(sender))
        return cursor.fetchone() is not None


class _NumberOnly:
    """A ticket seen by the acknowledgement template while it is rendered once for a batch:
    it knows its number (a mark replaced per ticket) and notes any other attribute asked for,
    so that a template reading more of the ticket is rendered per ticket instead."""

    def __init__(self, number: str) -> None:
        self.number = number
        self.asked: set[str] = set()

    def __getattr__(self, name: str):
        if not name.startswith("__"):
            self.asked.add(name)
        raise AttributeError(name)


NUMBER_MARK = "\x00ticket-number\x00"


def acknowledgement_body(ticket: Ticket, bodies: dict | None = None) -> str:
    """The acknowledgement's text in the requester's language. With ``bodies`` (a poll batch's)
    the template is rendered once per language and the number put in each ticket's copy: the
    text depends on nothing else (else it is rendered per ticket, as without ``bodies``)."""
    language = ticket.requester_language
    if bodies is not None:
        if language not in bodies:
            stand_in = _NumberOnly(NUMBER_MARK)
            with translation.override(language):
                body = render_to_string(ACKNOWLEDGEMENT_TEMPLATE, {"ticket": stand_in})
            bodies[language] = None if stand_in.asked or NUMBER_MARK not in body else body
        if bodies[language] is not None:
            return bodies[language].replace(NUMBER_MARK, ticket.number)
    with translation.override(language):
        return render_to_string(ACKNOWLEDGEMENT_TEMPLATE, {"ticket": ticket})


def _acknowledgement_record(ticket: Ticket) -> TicketMessage:
    """The acknowledgement's record on the ticket, with the Message-ID it is sent with."""
    return TicketMessage(
        ticket=ticket,
        organisation_id=ticket.organisation_id,
        direction=TicketMessage.Direction.AUTO,
        body_text="",
        message_id=own_message_id(),
    )


def _acknowledgement_mail(
    mailbox: Mailbox | None,
    ticket: Ticket,
    record: TicketMessage,
    *,
    to: str,
    in_reply_to: str = "",
    bodies: dict | None = None,
) -> EmailMessage:
    """The acknowledgement's mail (not sent)."""
    sender = mailbox.address if mailbox else settings.DEFAULT_FROM_EMAIL
    body = acknowledgement_body(ticket, bodies)
    with translation.override(ticket.requester_language):
        subject = subject_line(ticket)
    headers = {
        "Message-ID": record.message_id,
        "Auto-Submitted": "auto-replied",
        "X-Loop": sender,
        "Precedence": "auto_reply",
    }
    if in_reply_to:
        headers["In-Reply-To"] = in_reply_to
        headers["References"] = in_reply_to
    return EmailMessage(subject, body, sender, [to], headers=headers)


def acknowledge_on_commit(
    mailbox: Mailbox | None,
    ticket: Ticket,
    *,
    to: str,
    in_reply_to: str = "",
    together_with: TicketMessage | None = None,
) -> None:
    """The acknowledgement with the ticket number, in the requester's language, sent once the
    ticket is committed; recorded on the ticket (SPEC S1, S8), in the same INSERT as the unsaved
    message ``together_with`` (the customer's message it answers) when given."""
    record = _acknowledgement_record(ticket)
    message = _acknowledgement_mail(mailbox, ticket, record, to=to, in_reply_to=in_reply_to)
    TicketMessage.objects.bulk_create([m for m in (together_with, record) if m is not None])
    transaction.on_commit(lambda: message.send(fail_silently=True))


def send_all(messages: list[EmailMessage]) -> None:
    """Mail already committed (a poll batch's acknowledgements), sent through one connection;
    a refused one does not stop the others (as ``send(fail_silently=True)`` for each)."""
    if messages:
        get_connection(fail_silently=True).send_messages(messages)
