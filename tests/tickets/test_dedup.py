"""SPEC L4: a re-delivered message (same Message-ID, same content) is stored once; two different
messages are two, whatever their Message-IDs say. What makes a re-delivery a re-delivery is the
Message-ID and a hash of the content without the trace headers servers add on the way
(tickets.parsing.TRACE_HEADERS). Against the real Dovecot."""

import pytest
from django_scopes import scopes_disabled

from tests.tickets.conftest import authenticated, count, deliver
from tickets.mailbox import poll
from tickets.models import InboundMessage, Ticket
from tickets.parsing import content_hash, parse

pytestmark = pytest.mark.django_db

TRACE = (
    "Return-Path: <user@alfa.example>\r\n"
    "Delivered-To: support@csm-test.example\r\n"
    "X-Original-To: support@csm-test.example\r\n"
    "Received: from mx2.csm-test.example (mx2.csm-test.example [192.0.2.7])\r\n"
    "\tby imap.csm-test.example (Postfix) with ESMTPS id 4ZrX\r\n"
    "\tfor <support@csm-test.example>; Tue, 24 Nov 2026 08:00:00 +0100 (CET)\r\n"
    "Authentication-Results: mx2.csm-test.example; spf=pass smtp.mailfrom=alfa.example;\r\n"
    " dkim=pass header.d=alfa.example\r\n"
    "ARC-Seal: i=1; a=rsa-sha256; t=1764000000; cv=none; d=csm-test.example; s=arc; b=abc\r\n"
    "DKIM-Signature: v=1; a=rsa-sha256; d=forwarder.example; s=s1; bh=x; b=y\r\n"
)


def message(subject: str, body: str, message_id: str = "") -> bytes:
    mid = f"Message-ID: {message_id}\r\n" if message_id else ""
    return (
        f"{authenticated('user@alfa.example')}"
        f"From: user@alfa.example\r\nTo: support@csm-test.example\r\nSubject: {subject}\r\n"
        f"Date: Mon, 23 Nov 2026 10:15:00 +0100\r\n{mid}"
        f"Content-Type: text/plain; charset=utf-8\r\n\r\n{body}\r\n"
    ).encode()


def stored() -> list[InboundMessage]:
    with scopes_disabled():
        return list(InboundMessage.objects.select_related("ticket").order_by("pk"))


def test_l4_two_different_messages_with_the_same_message_id_are_both_stored_and_routed(
    imap_server, mailbox, alfa
):
    """The second message reusing a Message-ID (a broken mailer, or on purpose) was kept out of
    the database: only the IMAP folder had it. Now each is stored and routed as itself."""
    first = message("Errore: il portale non funziona", "Errore 500 al login.", "<same@alfa>")
    second = message("Password dimenticata", "Potete reimpostarla?", "<same@alfa>")
    deliver(imap_server, first, second)
    report = poll(mailbox)
    assert (report.new, report.duplicates) == (2, 0)
    one, two = stored()
    assert one.message_key == two.message_key == "<same@alfa>"
    assert one.content_hash != two.content_hash
    assert {one.ticket.category, two.ticket.category} == {"malfunction", "password_reset"}
    assert one.ticket_id != two.ticket_id
    assert count(imap_server, "Processed") == 2


@pytest.mark.parametrize("message_id", ["<redelivered@alfa>", ""], ids=["with-id", "without-id"])
def test_l4_a_redelivery_with_other_trace_headers_is_stored_once(
    imap_server, mailbox, alfa, message_id
):
    """The same message delivered again through another route (new Received, Return-Path,
    Delivered-To, Authentication-Results, ARC and DKIM headers, CRLF/LF differences) is one
    message. Without a Message-ID it was stored twice (the key hashed the trace headers)."""
    raw = message("Errore: il report non funziona", "Il report è vuoto.", message_id)
    deliver(imap_server, raw)
    assert poll(mailbox).new == 1
    redelivered = (TRACE.encode() + raw).replace(b"\r\n", b"\n")
    deliver(imap_server, redelivered)
    report = poll(mailbox)
    assert (report.new, report.duplicates) == (0, 1)
    (only,) = stored()
    with scopes_disabled():
        assert Ticket.objects.count() == 1
    assert only.content_hash == parse(redelivered).content_hash
    assert count(imap_server, "INBOX") == 0 and count(imap_server, "Processed") == 2


def test_l4_the_content_hash_ignores_trace_headers_and_nothing_else():
    raw = message("Errore", "Testo.", "<h@alfa>")
    digest = content_hash(raw)
    assert content_hash(TRACE.encode() + raw) == digest
    assert content_hash(raw.replace(b"\r\n", b"\n")) == digest
    assert content_hash(raw + b"\r\n\r\n") == digest  # trailing blank lines added in transit
    assert content_hash(message("Errore!", "Testo.", "<h@alfa>")) != digest
    assert content_hash(message("Errore", "Testo!", "<h@alfa>")) != digest
    assert content_hash(raw.replace(b"From: user@", b"From: other@")) != digest
    assert content_hash(b"X-Mailer: Outlook\r\n" + raw) != digest  # written by the sender
    # A "Received:" line in the body is content, not a trace header.
    assert content_hash(raw + b"Received: from nowhere\r\n") != digest
