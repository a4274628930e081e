"""The support mailbox becomes tickets, against a real Dovecot IMAP server on loopback
(SPEC S1, S2, S3, L2, L4). Nothing is lost, nothing is duplicated, nothing is dropped."""

from pathlib import Path

import pytest
from django.core import mail
from django.test import override_settings
from django_scopes import scopes_disabled

from tests.tickets.conftest import authenticated, count, deliver, message
from tickets.mailbox import poll
from tickets.models import Attachment, InboundMessage, Ticket, TicketEvent
from tickets.parsing import parse

pytestmark = pytest.mark.django_db
CORPUS = Path(__file__).parent / "corpus"
OWN = CORPUS / "own"


def inbound(**filters) -> list[InboundMessage]:
    with scopes_disabled():
        return list(InboundMessage.objects.filter(**filters).select_related("ticket"))


def test_l4_the_whole_corpus_is_ingested_without_loss_or_duplicates(
    imap_server, mailbox, alfa, closed_org
):
    raws = [p.read_bytes() for p in sorted(CORPUS.rglob("*")) if p.suffix in (".txt", ".eml")]
    assert len(raws) >= 60
    deliver(imap_server, *raws)
    report = poll(mailbox)
    assert report.seen == len(raws) and not report.errors
    # CPython's corpus reuses two Message-IDs for different messages: each is stored (L4).
    keys = {(parse(raw).key, parse(raw).content_hash) for raw in raws}
    stored = inbound()
    assert len(stored) == len(keys)  # one record per distinct message: none lost
    assert {(m.message_key, m.content_hash) for m in stored} == keys
    assert count(imap_server, "INBOX") == 0
    assert count(imap_server, "Processed") + count(imap_server, "Failed") == len(raws)
    assert report.failed == count(imap_server, "Failed")
    # Every message is a ticket, held with its reason, a delivery report or automatic reply
    # (S11), or failed with its error.
    assert all(m.outcome in ("ticket", "held", "report", "failed") for m in stored)
    assert all(m.reason for m in stored if m.outcome != "ticket")
    with scopes_disabled():
        tickets = Ticket.objects.count()
    # A second poll, and the same messages delivered again, create nothing.
    assert poll(mailbox).seen == 0
    deliver(imap_server, *raws)
    again = poll(mailbox)
    assert again.new == 0 and again.duplicates + again.failed == len(raws)
    assert len(inbound()) == len(keys)
    with scopes_disabled():
        assert Ticket.objects.count() == tickets


def test_s3_who_may_open_what(imap_server, mailbox, alfa, closed_org):
    deliver(
        imap_server,
        message("referent@alfa.example", "Rilascio contenuti", extra="Message-ID: <a1@x>\r\n"),
        message("user@alfa.example", "Password dimenticata", extra="Message-ID: <a2@x>\r\n"),
        message("anyone@alfa.example", "Errore: non funziona", extra="Message-ID: <a3@x>\r\n"),
        message("user@alfa.example", "Campagna di Natale", extra="Message-ID: <a4@x>\r\n"),
        message("stranger@elsewhere.example", "Errore", extra="Message-ID: <a5@x>\r\n"),
        (OWN / "18-closed-org-sender.eml").read_bytes(),
        (OWN / "06-no-from.eml").read_bytes(),
    )
    poll(mailbox)
    by_id = {m.message_key: m for m in inbound()}
    assert by_id["<a1@x>"].ticket.type == "service_request"  # the referent: any type
    assert by_id["<a2@x>"].ticket.category == "password_reset"  # end user: password reset
    assert by_id["<a3@x>"].ticket.type == "incident"  # licensed user of the domain: incident
    held = {k: m.reason for k, m in by_id.items() if m.outcome == "held"}
    assert "only password-reset and incident" in held["<a4@x>"]
    assert "Unknown sender" in held["<a5@x>"]
    assert "closed" in held["<own-18@charlie-closed.example>"]
    assert "no sender" in held["<own-06@nowhere.example>"]
    with scopes_disabled():
        ticket = by_id["<a1@x>"].ticket
        assert len(ticket.number) == 9 and ticket.number[1:].isdigit()  # T + 8 random digits
        event = TicketEvent.objects.get(ticket=ticket, kind="opened")
    assert event.contractual and event.actor_label == "referent@alfa.example"  # S7


def test_s1_replies_thread_onto_their_ticket_and_auto_reply_carries_the_number(
    imap_server, mailbox, alfa, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        deliver(
            imap_server,
            message("referent@alfa.example", "Errore report", extra="Message-ID: <t1@x>\r\n"),
        )
        poll(mailbox)
    (ticket_in,) = inbound(message_key="<t1@x>")
    ticket = ticket_in.ticket
    (auto,) = [m for m in mail.outbox if ticket.number in m.subject]
    assert auto.to == ["referent@alfa.example"]
    assert auto.extra_headers["Auto-Submitted"] == "auto-replied"
    assert "ticket" in auto.body.lower() and ticket.number in auto.body
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        deliver(
            imap_server,
            message(
                "referent@alfa.example",
                f"Re: [{ticket.number}] Errore report",
                extra="Message-ID: <t2@x>\r\n",
            ),
            message(
                "referent@alfa.example",
                "Re: Errore report",
                extra=f"Message-ID: <t3@x>\r\nIn-Reply-To: {auto.extra_headers['Message-ID']}\r\n",
            ),
        )
        poll(mailbox)
    assert {m.ticket_id for m in inbound(message_key__in=["<t2@x>", "<t3@x>"])} == {ticket.pk}
    assert not mail.outbox  # no auto-reply to replies


def test_s1_a_ticket_number_is_no_key_to_another_customers_ticket(
    imap_server, mailbox, alfa, tenant_b
):
    deliver(imap_server, message("referent@alfa.example", "Errore", extra="Message-ID: <n1@x>\r\n"))
    poll(mailbox)
    (first,) = inbound(message_key="<n1@x>")
    deliver(
        imap_server,
        message(
            "referent@bravo-segreta.example",
            f"[{first.ticket.number}] Errore",
            extra="Message-ID: <n2@x>\r\n",
        ),
    )
    poll(mailbox)
    (second,) = inbound(message_key="<n2@x>")
    assert second.ticket.organisation_id == tenant_b.organisation.pk
    assert second.ticket_id != first.ticket_id


def test_no_auto_reply_to_automatic_mail_and_a_per_sender_limit(
    imap_server, mailbox, alfa, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        deliver(imap_server, (OWN / "09-auto-submitted.eml").read_bytes())
        poll(mailbox)
    assert not mail.outbox
    with (
        override_settings(AUTO_REPLIES_PER_SENDER_PER_HOUR=2),
        django_capture_on_commit_callbacks(execute=True),
    ):
        deliver(
            imap_server,
            *[
                message("user@alfa.example", f"Errore {n}", extra=f"Message-ID: <l{n}@x>\r\n")
                for n in range(4)
            ],
        )
        poll(mailbox)
    assert len([m for m in mail.outbox if m.to == ["user@alfa.example"]]) == 2


@override_settings(TICKET_MAX_ATTACHMENT_BYTES=1000)
def test_executable_and_huge_attachments_are_kept_out_and_noted(imap_server, mailbox, alfa):
    big = "A" * 4000
    huge = (
        authenticated("referent@alfa.example")
        + "From: referent@alfa.example\r\nTo: support@csm-test.example\r\n"
        "Subject: Configurazione\r\n"
        "Message-ID: <big@x>\r\nMIME-Version: 1.0\r\n"
        "Content-Type: multipart/mixed; boundary=Q\r\n\r\n"
        "--Q\r\nContent-Type: text/plain\r\n\r\nFile allegato.\r\n--Q\r\n"
        "Content-Type: text/csv\r\nContent-Disposition: attachment; filename=users.csv\r\n\r\n"
        f"{big}\r\n--Q--\r\n"
    ).encode()
    deliver(imap_server, (OWN / "08-executable-attachment.eml").read_bytes(), huge)
    poll(mailbox)
    with scopes_disabled():
        attachments = {a.filename: a for a in Attachment.objects.all()}
        notes = list(
            Ticket.objects.get(inbound__message_key="<big@x>")
            .messages.filter(direction="note")
            .values_list("body_text", flat=True)
        )
    assert attachments["setup.exe"].rejected_reason and not attachments["setup.exe"].file
    assert attachments["metadata.pdf"].file and not attachments["metadata.pdf"].rejected_reason
    assert attachments["users.csv"].rejected_reason and not attachments["users.csv"].file
    assert any("users.csv" in note for note in notes)


def test_l4_a_uidvalidity_change_creates_nothing_twice(imap_server, mailbox, alfa):
    """The folder is recreated on the server (new UIDVALIDITY, UIDs start again) and the same
    messages arrive again with a new one: only the new one is stored."""
    import imaplib

    mailbox.folder = "Support"
    mailbox.save()
    client = imaplib.IMAP4(imap_server.host, imap_server.port)
    client.login(imap_server.user, imap_server.password)
    client.create("Support")
    first = [
        message("user@alfa.example", f"Errore {n}", extra=f"Message-ID: <u{n}@x>\r\n")
        for n in range(3)
    ]
    for raw in first:
        client.append("Support", None, None, raw)
    poll(mailbox)
    mailbox.refresh_from_db()
    before = mailbox.uidvalidity
    client.delete("Support")
    client.create("Support")
    extra = message("user@alfa.example", "Errore 3", extra="Message-ID: <u3@x>\r\n")
    for raw in [*first, extra]:
        client.append("Support", None, None, raw)
    client.logout()
    report = poll(mailbox)
    mailbox.refresh_from_db()
    assert mailbox.uidvalidity != before
    assert (report.new, report.duplicates) == (1, 3)
    assert len(inbound()) == 4


def test_l4_a_message_that_cannot_be_handled_goes_to_failed_and_the_poll_goes_on(
    imap_server, mailbox, alfa, monkeypatch
):
    """A bug in routing is simulated for one message (the parser itself is tolerant by design):
    it is kept with its error for an admin, moved to the failed folder, and the next message of
    the same poll still becomes a ticket."""
    from tickets import ingest

    real_ingest = ingest.ingest

    def failing_ingest(box, raw, **kwargs):
        if b"<boom@x>" in raw:
            raise RuntimeError("simulated routing bug")
        return real_ingest(box, raw, **kwargs)

    monkeypatch.setattr(ingest, "ingest", failing_ingest)
    deliver(
        imap_server,
        message("user@alfa.example", "Errore A", extra="Message-ID: <boom@x>\r\n"),
        message("user@alfa.example", "Errore\x00 B", extra="Message-ID: <fine@x>\r\n"),
    )
    report = poll(mailbox)
    assert (report.failed, report.new) == (1, 1)
    (failed,) = inbound(outcome="failed")
    assert "simulated routing bug" in failed.reason and failed.raw
    assert count(imap_server, "Failed") == 1 and count(imap_server, "Processed") == 1
    (fine,) = inbound(message_key="<fine@x>")
    # A NUL byte in a header (Dovecot stores it as 0x80) is no reason to fail.
    assert fine.ticket.subject.startswith("Errore") and fine.ticket.subject.endswith("B")
