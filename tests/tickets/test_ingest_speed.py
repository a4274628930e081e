"""Issue 15, SPEC S1, S3, L2, L4: mail ingestion at speed, asserted by its structure (statements,
IMAP commands, query plans, header parses), never by time. Against the real Dovecot and
PostgreSQL; the timing itself is `make bench` (scripts/bench_ingestion.py)."""

import email.headerregistry
import imaplib
import math

import imap_tools
import pytest
from django.conf import settings
from django.contrib.auth.hashers import make_password
from django.core import mail
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django_scopes import scopes_disabled

from accounts.models import Membership, Organisation, OrganisationDomain, User
from tests.tickets.conftest import authenticated, count, deliver, sla_policy
from tickets import ingest, parsing
from tickets import mailbox as mailbox_module
from tickets.mailbox import poll
from tickets.models import InboundMessage, SlaPolicy, Ticket, TicketMessage

pytestmark = pytest.mark.django_db(transaction=True)


def mail_from(sender: str, n: int, extra: str = "") -> bytes:
    return (
        f"{authenticated(sender)}From: {sender}\r\nTo: support@csm-test.example\r\n"
        f"Subject: Errore numero {n}: non funziona\r\nMessage-ID: <speed-{n}@alfa.example>\r\n"
        f"Date: Mon, 23 Nov 2026 10:00:00 +0100\r\n{extra}"
        f"Content-Type: text/plain; charset=utf-8\r\n\r\nIl corso {n} non si apre.\r\n"
    ).encode()


def provider_of(people: int) -> None:
    """``people`` people in as many customer organisations, each with its own domain, then
    ANALYZE: the planner sees a provider of that size."""
    organisations = Organisation.objects.bulk_create(
        Organisation(name=f"Crowd {n}") for n in range(people)
    )
    OrganisationDomain.objects.bulk_create(
        OrganisationDomain(organisation=o, domain=f"crowd-{o.pk}.example") for o in organisations
    )
    password = make_password(None)
    users = User.objects.bulk_create(
        User(email=f"Person.{o.pk}@Crowd-{o.pk}.example", password=password) for o in organisations
    )
    Membership.objects.bulk_create(
        Membership(user=u, organisation=o, role="end_user")
        for u, o in zip(users, organisations, strict=True)
    )
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")


def plans_of(queries) -> list[str]:
    plans = []
    with connection.cursor() as cursor:
        for query in queries:
            cursor.execute("EXPLAIN " + query["sql"])
            plans.append("\n".join(row[0] for row in cursor.fetchall()))
    return plans


def test_l2_sender_lookup_is_an_index_scan_at_3000_people(alfa):
    """The sender lookup (a known person matched case-insensitively, then an unknown person's
    domain) is what PostgreSQL plans as an index scan with 3,000 people and 3,000 domains: its
    cost does not grow with the provider. The exact statements ``identify`` runs are EXPLAINed."""
    with scopes_disabled():
        provider_of(3000)
        pk = Organisation.objects.filter(name__startswith="Crowd").order_by("pk")[1500].pk
        with CaptureQueriesContext(connection) as person_queries:
            known = ingest.identify(f"person.{pk}@crowd-{pk}.example")
        with CaptureQueriesContext(connection) as domain_queries:
            by_domain = ingest.identify(f"someone@crowd-{pk}.example")
    assert known.user is not None and known.role == "end_user"
    assert by_domain.user is None and by_domain.organisation is not None
    plans = plans_of([*person_queries.captured_queries, *domain_queries.captured_queries])
    assert plans and all("Seq Scan" not in plan for plan in plans), "\n\n".join(plans)
    assert any("accounts_user" in p and "Index" in p for p in plans), plans


def test_s3_the_indexed_sender_lookup_still_ignores_case(alfa):
    """A person whose address was saved with capitals is still recognised when the mail's From
    is written in lower case, and the other way round (SPEC S3)."""
    with scopes_disabled():
        user = User.objects.create(email="Mario.Rossi@Alfa.example")
        Membership.objects.create(user=user, organisation=alfa.organisation, role="referent")
        assert ingest.identify("mario.rossi@alfa.example").user == user
        assert ingest.identify("MARIO.ROSSI@ALFA.EXAMPLE").role == "referent"


def new_ticket_statements(mailbox, n: int) -> int:
    """Statements to ingest one message as the poller does (its batch read once per poll)."""
    batch = ingest.Batch(own_addresses=ingest.own_addresses(), stored=set())
    raw = mail_from(f"user{n}@alfa.example", n)
    with scopes_disabled(), CaptureQueriesContext(connection) as queries:
        _, created = ingest.ingest(mailbox, raw, uid=n, batch=batch)
    assert created
    return len(queries)


def test_l2_a_new_ticket_by_mail_takes_few_statements_whatever_the_number_of_people(mailbox, alfa):
    """A message that opens a ticket and is acknowledged takes at most 5 statements with a
    fresh batch (19 before issue 15, 13 after its first round): the sender's person and domain,
    contract and SLA policies (read once per batch by a poller), then ONE statement for the
    ticket with its number, its event, the received and the customer's message, participants,
    the acknowledgement's rate limit and record, which is the message's transaction (no BEGIN,
    no COMMIT); and the same number with 3,000 more people."""
    with scopes_disabled():
        new_ticket_statements(mailbox, 0)  # the SLA policies and contract caches are warm
        few = new_ticket_statements(mailbox, 1)
        provider_of(3000)
        many = new_ticket_statements(mailbox, 2)
        assert Ticket.objects.filter(number__isnull=True).count() == 0
    assert few == many
    assert few <= 5, few


def test_s11_the_acknowledgement_rate_limit_is_one_statement_and_still_holds(mailbox, alfa):
    """The per-sender acknowledgement limit (SPEC S11) counts and records in one statement, and
    still stops at AUTO_REPLIES_PER_SENDER_PER_HOUR acknowledgements an hour."""
    limit = settings.AUTO_REPLIES_PER_SENDER_PER_HOUR
    with scopes_disabled():
        for n in range(limit + 3):
            ingest.ingest(mailbox, mail_from("loop@alfa.example", 100 + n))
        acknowledgements = TicketMessage.objects.filter(direction="auto").count()
    assert acknowledgements == limit
    assert len(mail.outbox) == limit


class CommandLog:
    """The IMAP commands the poller sends to the real server (recorded, then sent)."""

    def __init__(self, monkeypatch):
        self.commands: list[str] = []
        real_simple = imaplib.IMAP4._simple_command

        def recording(client, name, *args):
            self.commands.append(name.upper() if name.upper() != "UID" else f"UID {args[0]}")
            return real_simple(client, name, *args)

        monkeypatch.setattr(imaplib.IMAP4, "_simple_command", recording)

    def number(self, command: str) -> int:
        return sum(1 for c in self.commands if c.upper() == command)


def test_l2_a_poll_fetches_and_moves_by_batches_not_per_message(
    imap_server, mailbox, alfa, monkeypatch
):
    """60 messages are fetched and moved in a few UID FETCH and UID MOVE commands (one each per
    batch of FETCH_BATCH, plus one FETCH of the sizes), never per message, never COPY +
    EXPUNGE; each message is still stored in its own transaction, once, and ends in
    Processed."""
    messages = 60
    deliver(imap_server, *(mail_from(f"user{n}@alfa.example", n) for n in range(messages)))
    log = CommandLog(monkeypatch)
    report = poll(mailbox)
    batches = math.ceil(messages / mailbox_module.FETCH_BATCH)
    assert report.seen == report.new == messages and not report.errors
    assert log.number("UID FETCH") <= batches + 1, log.commands
    assert log.number("UID MOVE") <= batches, log.commands
    assert log.number("UID COPY") == log.number("EXPUNGE") == 0
    assert (count(imap_server, "INBOX"), count(imap_server, "Processed")) == (0, messages)
    with scopes_disabled():
        assert InboundMessage.objects.count() == Ticket.objects.count() == messages


def test_l4_a_crash_between_commit_and_move_stores_and_acknowledges_once(
    imap_server, mailbox, alfa, monkeypatch
):
    """The batch is committed message by message, then moved: a poller that dies after the
    commits and before the move leaves the messages in INBOX; the next poll finds them stored,
    creates no second ticket or acknowledgement, and moves them (SPEC L4)."""

    class Died(Exception):
        pass

    def dying_move(box, uids, folder, *args, **kwargs):
        raise Died("killed before the move")

    messages = 7
    deliver(imap_server, *(mail_from(f"user{n}@alfa.example", n) for n in range(messages)))
    monkeypatch.setattr(imap_tools.BaseMailBox, "move", dying_move)
    first = poll(mailbox)
    monkeypatch.undo()
    assert first.errors and count(imap_server, "INBOX") == messages
    with scopes_disabled():
        assert Ticket.objects.count() == messages
    sent = len(mail.outbox)
    second = poll(mailbox)
    assert (second.seen, second.new, second.duplicates) == (messages, 0, messages)
    assert (count(imap_server, "INBOX"), count(imap_server, "Processed")) == (0, messages)
    with scopes_disabled():
        assert InboundMessage.objects.count() == Ticket.objects.count() == messages
        assert TicketMessage.objects.filter(direction="auto").count() == messages
    assert len(mail.outbox) == sent == messages


def test_l4_the_same_message_twice_in_one_batch_is_stored_once(imap_server, mailbox, alfa):
    """A re-delivery landing in the same batch as the original (same Message-ID, same
    content, other trace headers) is stored once and both copies leave the inbox."""
    original = mail_from("user1@alfa.example", 1)
    redelivered = b"Received: from relay.example by mx.example; Mon, 23 Nov 2026\r\n" + original
    deliver(imap_server, original, redelivered)
    report = poll(mailbox)
    assert (report.seen, report.new, report.duplicates) == (2, 1, 1)
    assert (count(imap_server, "INBOX"), count(imap_server, "Processed")) == (0, 2)
    with scopes_disabled():
        assert InboundMessage.objects.count() == Ticket.objects.count() == 1


def test_s1_headers_are_parsed_once_per_message(monkeypatch):
    """Each header of a message goes through the strict header parser at most once (the
    parser used to read ~35 headers a message, the same ones again and again)."""
    parsed_headers: list[tuple[str, str]] = []
    real_call = email.headerregistry.HeaderRegistry.__call__

    def counting(registry, name, value):
        parsed_headers.append((name.lower(), value))
        return real_call(registry, name, value)

    monkeypatch.setattr(email.headerregistry.HeaderRegistry, "__call__", counting)
    raw = (
        b"From: Mario <mario@alfa.example>\r\nTo: support@csm-test.example\r\n"
        b"Subject: Errore\r\nMessage-ID: <once@alfa.example>\r\nMIME-Version: 1.0\r\n"
        b"Content-Type: multipart/mixed; boundary=B\r\n\r\n--B\r\n"
        b"Content-Type: text/plain; charset=utf-8\r\n\r\nTesto.\r\n--B\r\n"
        b"Content-Type: application/pdf; name=a.pdf\r\n"
        b"Content-Disposition: attachment; filename=a.pdf\r\n\r\n%PDF-1.4\r\n--B--\r\n"
    )
    parsing._parsed_header.cache_clear()
    parsed = parsing.parse(raw)
    assert parsed.text == "Testo." and parsed.attachments[0].filename == "a.pdf"
    assert parsed_headers and len(parsed_headers) == len(set(parsed_headers)), parsed_headers


def test_l2_batch_lookups_are_read_once_per_batch_and_fresh_in_the_next(imap_server, mailbox, alfa):
    """Domains, running contracts and SLA policies are read once per poll batch (not once a
    message) and never outlive it: a policy changed between two polls applies to the next
    poll's tickets (the batch "cache" is invalidated by its end)."""
    with scopes_disabled():
        policy = sla_policy(
            name="Incidenti",
            ticket_type="incident",
            priority="normal",
            first_response_minutes=60,
            resolution_minutes=480,
        )
    deliver(imap_server, *(mail_from(f"user{n}@alfa.example", n) for n in range(5)))
    with scopes_disabled(), CaptureQueriesContext(connection) as queries:
        assert poll(mailbox).new == 5
    sql = [q["sql"] for q in queries.captured_queries]
    assert sum('FROM "tickets_slapolicy"' in q for q in sql) == 1, sql
    assert sum('FROM "contracts_contract"' in q for q in sql) == 1, sql
    assert sum('"accounts_organisationdomain"' in q for q in sql) == 1, sql
    with scopes_disabled():
        first = Ticket.objects.order_by("pk").first()
        assert first.sla_policy_id == policy.pk and first.first_response_target == 60
        SlaPolicy.objects.filter(pk=policy.pk).update(first_response_minutes=7)
    deliver(imap_server, mail_from("user9@alfa.example", 9))
    with scopes_disabled():
        assert poll(mailbox).new == 1
        latest = Ticket.objects.order_by("-pk").first()
    assert latest.sla_policy_id == first.sla_policy_id
    assert latest.first_response_target == 7


def test_l4_a_taken_ticket_number_retries_the_whole_message(mailbox, alfa, monkeypatch):
    """The number is drawn into the ticket's INSERT (no UPDATE after it, no savepoint): when the
    draw is taken the message's transaction is retried whole with another number, storing the
    message, its ticket and acknowledgement once (SPEC S1, L4)."""
    from csm_portal import numbering

    with scopes_disabled():
        ingest.ingest(mailbox, mail_from("user1@alfa.example", 1))
        taken = Ticket.objects.get().number
    draws = iter([taken, "T12345678"])
    monkeypatch.setattr(numbering, "ticket_number", lambda rng=None: next(draws))
    batch = ingest.Batch(own_addresses=ingest.own_addresses(), stored=set())
    with scopes_disabled():
        inbound, created = ingest.ingest(mailbox, mail_from("user2@alfa.example", 2), batch=batch)
        assert created and inbound.ticket.number == "T12345678"
        assert InboundMessage.objects.count() == Ticket.objects.count() == 2
        assert TicketMessage.objects.filter(direction="auto").count() == 2
    assert len(mail.outbox) == 2


def test_l2_after_the_worker_warm_up_a_poll_imports_nothing(imap_server, mailbox, alfa):
    """The worker warms up as it starts (tickets/tasks.py): the holiday calendars, the template
    engine and the parser's libraries are loaded then, not inside the first poll (~1 s)."""
    import sys

    from tickets.mailbox import warm_up

    warm_up()
    before = set(sys.modules)
    deliver(imap_server, mail_from("user1@alfa.example", 1))
    with scopes_disabled():
        assert poll(mailbox).new == 1
    assert set(sys.modules) - before == set()


def test_l2_batches_hold_at_most_fifty_messages_and_sixteen_megabytes():
    """A batch is fetched into memory whole: at most FETCH_BATCH messages and FETCH_BYTES
    bytes (a bigger message alone), in the inbox's order, none left out."""
    limit = mailbox_module.FETCH_BYTES
    uids = [str(n) for n in range(1, 131)]
    sizes = {uid: 1000 for uid in uids} | {"60": limit + 1, "61": limit // 2, "62": limit // 2}
    del sizes["100"]  # size unknown: counted as FETCH_BYTES
    batches = mailbox_module.batches(uids, sizes)
    assert [uid for batch in batches for uid in batch] == uids
    assert all(len(batch) <= mailbox_module.FETCH_BATCH for batch in batches)
    for batch in batches:
        assert len(batch) == 1 or sum(sizes.get(u, limit) for u in batch) <= limit, batch
    assert ["60"] in batches and ["100"] in batches
