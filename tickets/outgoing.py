"""Mail the desk sends: replies threaded onto the customer's messages with the ticket number in
the subject (SPEC S1), and rate-limited acknowledgements (S11)."""

from datetime import timedelta
from email.utils import make_msgid

from django.conf import settings
from django.core.mail import EmailMessage
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


def auto_reply_on_commit(
    mailbox: Mailbox,
    parsed: ParsedMessage,
    ticket: Ticket,
    *,
    together_with: TicketMessage | None = None,
) -> None:
    own_domain = settings.SUPPORT_MESSAGE_ID_DOMAIN
    if is_automatic(parsed, own_domain) or parsed.from_address == mailbox.address.lower():
        return
    if not auto_reply_allowed(parsed.from_address):
        return
    acknowledge_on_commit(
        mailbox,
        ticket,
        to=parsed.from_address,
        in_reply_to=parsed.message_id,
        together_with=together_with,
    )


def auto_reply_allowed(sender: str) -> bool:
    """SPEC S11: record an automatic reply to ``sender`` unless AUTO_REPLIES_PER_SENDER_PER_HOUR
    were recorded in the last hour; True when recorded. Counted and recorded in one statement."""
    now = timezone.now()
    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO tickets_autoreply (sender, sent_at) SELECT %s, %s WHERE (SELECT count(*) "
            "FROM tickets_autoreply WHERE sender = %s AND sent_at >= %s) < %s RETURNING id",
            [
                sender,
                now,
                sender,
                now - timedelta(hours=1),
                settings.AUTO_REPLIES_PER_SENDER_PER_HOUR,
            ],
        )
        return cursor.fetchone() is not None


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
    sender = mailbox.address if mailbox else settings.DEFAULT_FROM_EMAIL
    message_id = own_message_id()
    record = TicketMessage(
        ticket=ticket,
        organisation_id=ticket.organisation_id,
        direction=TicketMessage.Direction.AUTO,
        body_text="",
        message_id=message_id,
    )
    TicketMessage.objects.bulk_create([m for m in (together_with, record) if m is not None])
    with translation.override(ticket.requester_language):
        body = render_to_string("tickets/email/auto_reply.txt", {"ticket": ticket})
        subject = subject_line(ticket)
    headers = {
        "Message-ID": message_id,
        "Auto-Submitted": "auto-replied",
        "X-Loop": sender,
        "Precedence": "auto_reply",
    }
    if in_reply_to:
        headers["In-Reply-To"] = in_reply_to
        headers["References"] = in_reply_to
    message = EmailMessage(subject, body, sender, [to], headers=headers)
    transaction.on_commit(lambda: message.send(fail_silently=True))
