"""SPEC S11: delivery-status reports, bounces and automatic replies are never tickets and never
reopen one or restart its SLA; they get no automatic reply; they are stored (nothing dropped)
and noted on the ticket they concern. Recognition is a pure function of the parsed message
(tested on real-world shapes: Exim, Postfix, Exchange in four languages, Gmail); ingestion is
tested against the real Dovecot."""

from pathlib import Path

import pytest
from django.core import mail
from django.utils import timezone
from django_scopes import scopes_disabled

from tests.tickets.conftest import authenticated, deliver
from tickets.mailbox import poll
from tickets.models import InboundMessage, Ticket, TicketEvent, TicketMessage
from tickets.parsing import parse

OWN = Path(__file__).parent / "corpus" / "own"
ORIGINAL_ID = "<176420000000.4242.1111@support.csm-portal.localhost>"
BOUNCES = [
    "10-mailer-daemon.eml",
    "20-bounce-exim.eml",
    "21-bounce-postfix.eml",
    "22-bounce-exchange-en.eml",
    "23-bounce-exchange-it.eml",
    "24-bounce-exchange-fr.eml",
    "25-bounce-exchange-es.eml",
    "26-bounce-gmail.eml",
]
EXCHANGE_DIAGNOSTIC = (
    "550 5.1.10 RESOLVER.ADR.RecipientNotFound; Recipient not found by SMTP address lookup"
)


def own(name: str):
    return parse((OWN / name).read_bytes())


# --------------------------------------------------------------------------- recognition


@pytest.mark.parametrize("name", BOUNCES)
def test_s11_bounces_of_every_common_mta_are_recognised(name):
    report = own(name).report
    assert report is not None and report.kind == "bounce"
    assert report.failures and all("@" in f.address for f in report.failures)


@pytest.mark.parametrize(
    ("name", "address", "diagnostic"),
    [
        ("20-bounce-exim.eml", "mario.rossi@alfa.example", "550 5.1.1 <mario.rossi@alfa.example>"),
        ("21-bounce-postfix.eml", "mario.rossi@alfa.example", "550 5.1.1 <mario.rossi@alfa"),
        ("22-bounce-exchange-en.eml", "mario.rossi@alfa.example", EXCHANGE_DIAGNOSTIC),
        ("23-bounce-exchange-it.eml", "mario.rossi@alfa.example", EXCHANGE_DIAGNOSTIC),
        ("24-bounce-exchange-fr.eml", "mario.rossi@alfa.example", EXCHANGE_DIAGNOSTIC),
        ("25-bounce-exchange-es.eml", "mario.rossi@alfa.example", EXCHANGE_DIAGNOSTIC),
        ("26-bounce-gmail.eml", "anna.bianchi@gmail.com", "550-5.1.1 The email account"),
    ],
)
def test_s11_a_bounce_tells_who_was_not_reached_why_and_which_message_of_ours(
    name, address, diagnostic
):
    """The failed recipient and the server's words come from message/delivery-status, or from
    X-Failed-Recipients and the text (Exim); the original Message-ID from the returned message
    or headers."""
    report = own(name).report
    (failure,) = report.failures
    assert failure.address == address and failure.diagnostic.startswith(diagnostic)
    assert report.original_message_ids == [ORIGINAL_ID]


@pytest.mark.parametrize("name", ["09-auto-submitted.eml", "27-out-of-office-exchange.eml"])
def test_s11_automatic_replies_are_recognised(name):
    report = own(name).report
    assert report is not None and report.kind == "auto_reply"


@pytest.mark.parametrize(
    "raw",
    [
        (OWN / "28-forward-of-a-bounce-by-a-person.eml").read_bytes(),
        (OWN / "01-utf8-qp-accents.eml").read_bytes(),
        (OWN / "02-windows-1252.eml").read_bytes(),
        # A person writing the words of a bounce subject, with no automatic mark: a question.
        b"From: referent@alfa.example\r\nSubject: Non recapitabile la mail della campagna?\r\n"
        b"Message-ID: <q@x>\r\n\r\nLa mail di phishing risulta non recapitabile.\r\n",
        b"From: referent@alfa.example\r\nSubject: Undeliverable emails in our campaign\r\n"
        b"Message-ID: <q2@x>\r\n\r\nMany are undeliverable.\r\n",
    ],
)
def test_s11_a_person_writing_about_a_bounce_is_not_a_report(raw):
    assert parse(raw).report is None


# --------------------------------------------------------------------------- ingestion


def _bounce(name: str, ticket: Ticket, message_id: str = ORIGINAL_ID) -> bytes:
    raw = (OWN / name).read_bytes()
    return raw.replace(ORIGINAL_ID.encode(), message_id.encode()).replace(
        b"T000068", ticket.number.encode()
    )


def _message(sender: str, subject: str, message_id: str) -> bytes:
    return (
        f"{authenticated(sender)}"
        f"From: {sender}\r\nTo: support@csm-test.example\r\nSubject: {subject}\r\n"
        f"Message-ID: {message_id}\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n"
        "Il report non funziona.\r\n"
    ).encode()


@pytest.fixture
def ticket_with_reply(imap_server, mailbox, alfa, django_capture_on_commit_callbacks):
    """mario.rossi@alfa.example (a licensed end user) opens an incident; the desk's
    acknowledgement carries our own Message-ID."""
    with django_capture_on_commit_callbacks(execute=True):
        deliver(imap_server, _message("mario.rossi@alfa.example", "Errore report", "<m1@alfa>"))
        poll(mailbox)
    mail.outbox.clear()
    with scopes_disabled():
        ticket = Ticket.objects.get()
        sent = TicketMessage.objects.get(ticket=ticket, direction="auto")
    return ticket, sent.message_id


def _notes(ticket: Ticket) -> list[str]:
    with scopes_disabled():
        return list(
            TicketMessage.objects.filter(ticket=ticket, direction="note").values_list(
                "body_text", flat=True
            )
        )


def _counts(ticket: Ticket) -> tuple[int, int, int]:
    with scopes_disabled():
        return (
            Ticket.objects.count(),
            TicketMessage.objects.filter(ticket=ticket, direction="in").count(),
            TicketEvent.objects.filter(ticket=ticket).count(),
        )


@pytest.mark.django_db
def test_s11_an_exim_bounce_from_the_customers_mailer_daemon_opens_no_incident(
    imap_server, mailbox, alfa, django_capture_on_commit_callbacks
):
    """Mailer-Daemon@alfa.example looked like a licensed end user of Alfa writing "error":
    it opened an incident (and got an acknowledgement, feeding a loop). Now it is stored as a
    delivery report, of Alfa, with its reason; no ticket, no mail."""
    with django_capture_on_commit_callbacks(execute=True):
        deliver(imap_server, (OWN / "20-bounce-exim.eml").read_bytes())
        report = poll(mailbox)
    assert report.new == 1
    with scopes_disabled():
        assert not Ticket.objects.exists()
        (stored,) = InboundMessage.objects.all()
    assert stored.outcome == InboundMessage.Outcome.REPORT
    assert "Delivery report" in stored.reason and "X-Failed-Recipients" in stored.reason
    assert stored.organisation_id == alfa.organisation.pk and stored.raw
    assert not mail.outbox


@pytest.mark.django_db
def test_s11_an_exchange_undeliverable_with_the_number_does_not_restart_the_sla(
    imap_server, mailbox, ticket_with_reply, django_capture_on_commit_callbacks
):
    """ "Undeliverable: [T…]" from postmaster@alfa.example was added as a customer message,
    resumed the paused SLA and reopened the ticket. Now the ticket waits on, its clock stays
    paused, and a note says to whom and why delivery failed."""
    ticket, _ = ticket_with_reply
    paused_since = timezone.now().replace(microsecond=0)
    with scopes_disabled():
        Ticket.objects.filter(pk=ticket.pk).update(status="waiting", paused_since=paused_since)
    before = _counts(ticket)
    # The number alone (the returned message's id is not one of ours) finds the ticket.
    raw = _bounce("22-bounce-exchange-en.eml", ticket, message_id="<unknown@elsewhere>")
    with django_capture_on_commit_callbacks(execute=True):
        deliver(imap_server, raw)
        poll(mailbox)
    with scopes_disabled():
        ticket.refresh_from_db()
        (stored,) = InboundMessage.objects.filter(outcome="report")
    assert ticket.status == "waiting" and ticket.paused_since == paused_since
    assert _counts(ticket) == before  # no ticket, no customer message, no event
    assert stored.ticket_id == ticket.pk
    assert _notes(ticket) == [f"Delivery failed to mario.rossi@alfa.example: {EXCHANGE_DIAGNOSTIC}"]
    assert not mail.outbox


@pytest.mark.django_db
def test_s11_bounces_in_four_languages_and_from_gmail_are_noted_on_their_ticket(
    imap_server, mailbox, ticket_with_reply
):
    """Postfix, Exchange (English, Italian, French, Spanish) and Gmail reports returning our
    acknowledgement: each is found by the Message-ID we sent, noted, and nothing else."""
    ticket, sent_id = ticket_with_reply
    names = BOUNCES[2:]
    before = _counts(ticket)
    deliver(imap_server, *[_bounce(name, ticket, sent_id) for name in names])
    report = poll(mailbox)
    assert report.new == len(names) and not report.failed
    with scopes_disabled():
        stored = list(InboundMessage.objects.filter(outcome="report"))
        ticket.refresh_from_db()
    assert len(stored) == len(names) and {m.ticket_id for m in stored} == {ticket.pk}
    assert _counts(ticket) == before and ticket.status == "new"
    notes = _notes(ticket)
    assert len(notes) == len(names)
    assert all(note.startswith("Delivery failed to ") for note in notes)
    assert any("anna.bianchi@gmail.com: 550-5.1.1" in note for note in notes)


@pytest.mark.django_db
def test_s11_an_automatic_reply_does_not_reopen_a_closed_ticket(
    imap_server, mailbox, ticket_with_reply, django_capture_on_commit_callbacks
):
    """An out-of-office answer to our closing mail reopened the ticket (within the reopen
    window): now it is only noted."""
    ticket, sent_id = ticket_with_reply
    closed_at = timezone.now().replace(microsecond=0)
    with scopes_disabled():
        Ticket.objects.filter(pk=ticket.pk).update(status="closed", closed_at=closed_at)
    raw = _bounce("27-out-of-office-exchange.eml", ticket, sent_id)
    with django_capture_on_commit_callbacks(execute=True):
        deliver(imap_server, raw)
        poll(mailbox)
    with scopes_disabled():
        ticket.refresh_from_db()
        assert Ticket.objects.count() == 1
    assert ticket.status == "closed" and ticket.closed_at == closed_at
    assert _notes(ticket) == [
        f"Automatic reply from mario.rossi@alfa.example: Risposta automatica: [{ticket.number}]"
        " Errore report"
    ]
    assert not mail.outbox


@pytest.mark.django_db
def test_s11_a_bounce_quoting_another_customers_number_is_noted_on_no_ticket(
    imap_server, mailbox, ticket_with_reply, tenant_b
):
    """A ticket number is no key to another customer's ticket, for reports too: Bravo's
    postmaster quoting Alfa's number about a Bravo address leaves Alfa's ticket alone."""
    ticket, _ = ticket_with_reply
    raw = (
        _bounce("22-bounce-exchange-en.eml", ticket, "<unknown@elsewhere>")
        .replace(b"postmaster@alfa.example", b"postmaster@bravo-segreta.example")
        .replace(b"mario.rossi@alfa.example", b"ceo@bravo-segreta.example")
    )
    deliver(imap_server, raw)
    poll(mailbox)
    with scopes_disabled():
        (stored,) = InboundMessage.objects.filter(outcome="report")
    assert stored.ticket_id is None
    assert stored.organisation_id == tenant_b.organisation.pk
    assert _notes(ticket) == []
