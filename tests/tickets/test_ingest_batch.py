"""Issue 15, SPEC S1, S3, S8, S11, L2, L4: mail ingestion by batches, asserted by its structure
(statements, connections, renders, query plans), never by time. Against the real Dovecot and
PostgreSQL; the timing itself is `make bench` (scripts/bench_ingestion.py).

A new or held message is written by ONE statement (a data-modifying CTE per row), which is the
message's transaction; what a message needs to be routed is read once per batch for all its
messages; acknowledgements are rendered once per language and batch and sent through one
connection after the commits."""

from datetime import timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from django.core import mail
from django.core.mail.backends.locmem import EmailBackend
from django.db import connection
from django.test.utils import CaptureQueriesContext, override_settings
from django.utils import timezone
from django_scopes import scopes_disabled

from accounts.models import Membership, Organisation, User
from tests.tickets.conftest import authenticated, count, deliver, message
from tests.tickets.test_ingest_speed import mail_from, plans_of, provider_of
from tickets import ingest, outgoing, sla
from tickets.mailbox import poll
from tickets.models import (
    Attachment,
    InboundMessage,
    SlaPolicy,
    Ticket,
    TicketEvent,
    TicketMessage,
    TicketParticipant,
)

pytestmark = pytest.mark.django_db(transaction=True)
TRANSACTION_CONTROL = ("BEGIN", "COMMIT", "ROLLBACK", "SAVEPOINT", "RELEASE SAVEPOINT")


def statements(queries) -> list[str]:
    """What went to PostgreSQL, transaction control (BEGIN, COMMIT, savepoints) left out."""
    return [
        q["sql"] for q in queries.captured_queries if not q["sql"].startswith(TRANSACTION_CONTROL)
    ]


def crowd_senders(first: int, number: int) -> list[str]:
    """The people ``provider_of`` made, each of their own customer organisation."""
    with scopes_disabled():
        organisations = list(
            Organisation.objects.filter(name__startswith="Crowd").order_by("pk")[
                first : first + number
            ]
        )
    assert len(organisations) == number
    return [f"person.{o.pk}@crowd-{o.pk}.example" for o in organisations]


def polled_statements(imap_server, mailbox, senders: list[str], start: int) -> list[str]:
    deliver(imap_server, *(mail_from(s, start + n) for n, s in enumerate(senders)))
    with scopes_disabled(), CaptureQueriesContext(connection) as queries:
        report = poll(mailbox)
    assert report.new == len(senders) and not report.errors
    return statements(queries)


def test_l2_a_new_ticket_by_mail_is_one_statement_whatever_the_batch_size(
    imap_server, mailbox, alfa
):
    """Ten then forty messages, each from a person of another customer (the worst case for
    the lookups): each opens an acknowledged ticket with ONE statement (19 before issue 15, 7
    after its first round), and what a poll reads for its batch (its mailbox, who is already
    stored, the senders, their domains, contracts and SLA policies) is the same few statements
    for 10 messages as for 40: the statements per message do not grow with the batch."""
    from tickets.portal import support_address

    with scopes_disabled():
        provider_of(60)
    support_address()  # the footer's address, cached in Redis for every page and mail
    small = polled_statements(imap_server, mailbox, crowd_senders(0, 10), 0)
    large = polled_statements(imap_server, mailbox, crowd_senders(10, 40), 100)
    assert len(large) - len(small) == 30, "\n".join(q[:100] for q in [*small, "--", *large])
    writes = [s for s in large if s.startswith("WITH ")]
    assert len(writes) == 40  # one statement a message: the ticket and everything with it
    fixed = len(small) - 10
    assert fixed == len(large) - 40 <= 10, small
    with scopes_disabled():
        assert Ticket.objects.count() == InboundMessage.objects.count() == 50
        assert TicketMessage.objects.filter(direction="auto").count() == 50
        assert TicketEvent.objects.filter(kind="opened", contractual=True).count() == 50
        assert TicketParticipant.objects.count() == 50  # the sender; our mailbox is not one
    assert len(mail.outbox) == 50


def test_s1_a_reply_onto_an_open_ticket_is_found_locked_and_written_in_two_statements(
    imap_server, mailbox, alfa
):
    """A reply (In-Reply-To the customer's first message) finds its ticket and locks it in one
    statement, then writes its event, the received and the customer's message and the
    participants in one more; the ticket is not changed and gets no acknowledgement."""
    deliver(imap_server, mail_from("user@alfa.example", 1))
    poll(mailbox)
    reply = mail_from(
        "user@alfa.example",
        2,
        extra="In-Reply-To: <speed-1@alfa.example>\r\nCc: collega@alfa.example\r\n",
    )
    deliver(imap_server, reply)
    sent = len(mail.outbox)
    with scopes_disabled(), CaptureQueriesContext(connection) as queries:
        ingest_queries_before = len(queries)
        assert poll(mailbox).new == 1
    del ingest_queries_before
    sql = statements(queries)
    locking = [s for s in sql if "FOR UPDATE" in s]
    writes = [s for s in sql if s.startswith("WITH ")]
    assert len(locking) == 1 and len(writes) == 1, sql
    with scopes_disabled():
        ticket = Ticket.objects.get()
        assert ticket.messages.filter(direction="in").count() == 2
        assert ticket.events.filter(kind="message").count() == 1
        assert set(ticket.participants.values_list("address", flat=True)) == {
            "user@alfa.example",
            "collega@alfa.example",
        }
    assert len(mail.outbox) == sent


def test_l4_a_message_whose_statement_fails_writes_nothing_and_the_poll_goes_on(
    imap_server, mailbox, alfa, settings, tmp_path
):
    """A message between two good ones fails inside its one statement (its address is too
    long for the ticket's requester column, after the other rows of the statement were
    planned): none of its rows stays (no ticket, no received message, no participant, no
    file), it is kept as failed with its error and moved to Failed, and the good ones around
    it are stored: each message is its own transaction (SPEC L4)."""
    settings.MEDIA_ROOT = tmp_path
    long_sender = f"{'x' * 250}@alfa.example"
    deliver(
        imap_server,
        mail_from("user@alfa.example", 1),
        mail_from(long_sender, 2),
        mail_from("user@alfa.example", 3),
    )
    report = poll(mailbox)
    assert (report.new, report.failed) == (2, 1)
    assert (count(imap_server, "Processed"), count(imap_server, "Failed")) == (2, 1)
    with scopes_disabled():
        assert Ticket.objects.count() == 2
        (failed,) = InboundMessage.objects.filter(outcome="failed")
        assert "DataError" in failed.reason or "too long" in failed.reason
        assert not TicketParticipant.objects.filter(address=long_sender).exists()
        assert not TicketMessage.objects.filter(from_address=long_sender).exists()
        stored = {Path(m.raw.path) for m in InboundMessage.objects.all()}
    assert set(p for p in tmp_path.rglob("*") if p.is_file()) == stored


class CountingBackend(EmailBackend):
    """The test outbox (locmem), noting each connection that sent something and whether the
    messages it sent were committed by then (no transaction open on the connection)."""

    connections: list[int] = []
    inside_transaction: list[bool] = []

    def send_messages(self, messages):
        CountingBackend.connections.append(len(messages))
        CountingBackend.inside_transaction.append(connection.in_atomic_block)
        return super().send_messages(messages)


def test_s11_a_batchs_acknowledgements_go_through_one_connection_after_the_commits(
    imap_server, mailbox, alfa
):
    """Six new tickets from six people: their six acknowledgements are sent through ONE mail
    connection (one SMTP session instead of six), after the messages were committed, and the
    per-sender limit still counts them."""
    CountingBackend.connections = []
    CountingBackend.inside_transaction = []
    deliver(imap_server, *(mail_from(f"person{n}@alfa.example", n) for n in range(6)))
    with override_settings(EMAIL_BACKEND="tests.tickets.test_ingest_batch.CountingBackend"):
        assert poll(mailbox).new == 6
    assert CountingBackend.connections == [6]
    assert CountingBackend.inside_transaction == [False]
    assert len(mail.outbox) == 6
    with scopes_disabled():
        assert TicketMessage.objects.filter(direction="auto").count() == 6
        assert outgoing.auto_reply_allowed("person0@alfa.example")  # 1 of 5 used


def test_s8_the_acknowledgement_rendered_once_per_language_is_the_one_rendered_per_ticket(
    alfa,
):
    """Within a batch the acknowledgement's template is rendered once per language and each
    ticket's number put in: the text is exactly the one rendered for each ticket, in each of
    the four languages (SPEC S8)."""
    from django.test.signals import template_rendered

    renders = []

    def rendered(sender, template, context, **kwargs):
        if template.name == outgoing.ACKNOWLEDGEMENT_TEMPLATE:
            renders.append(template.name)

    bodies: dict = {}
    template_rendered.connect(rendered)
    try:
        with scopes_disabled():
            for language in ("it", "en", "fr", "es"):
                for number in ("T12345678", "T87654321"):
                    ticket = Ticket(
                        organisation=alfa.organisation,
                        number=number,
                        subject="Errore",
                        requester_language=language,
                    )
                    batched = outgoing.acknowledgement_body(ticket, bodies)
                    alone = outgoing.acknowledgement_body(ticket)
                    assert batched == alone and number in batched
    finally:
        template_rendered.disconnect(rendered)
    # 4 languages: 4 renders for the batch (plus the 8 per-ticket renders of the comparison)
    assert len(renders) == 4 + 8


NUMBER_AND_SUBJECT = "{{ ticket.number }}: {{ ticket.subject }}"


def test_s8_a_template_reading_more_than_the_number_is_rendered_per_ticket(alfa, settings):
    """The once-per-language render stands in a ticket that only has a number: a template
    reading anything else of the ticket (its subject here) is noticed and rendered per ticket,
    never sent with another ticket's words."""
    settings.TEMPLATES = [
        {
            "BACKEND": "django.template.backends.django.DjangoTemplates",
            "OPTIONS": {
                "loaders": [
                    (
                        "django.template.loaders.locmem.Loader",
                        {outgoing.ACKNOWLEDGEMENT_TEMPLATE: NUMBER_AND_SUBJECT},
                    )
                ]
            },
        }
    ]
    bodies: dict = {}
    with scopes_disabled():
        first = Ticket(organisation=alfa.organisation, number="T11111111", subject="Uno")
        second = Ticket(organisation=alfa.organisation, number="T22222222", subject="Due")
        assert outgoing.acknowledgement_body(first, bodies) == "T11111111: Uno"
        assert outgoing.acknowledgement_body(second, bodies) == "T22222222: Due"


def test_s3_a_sender_known_only_after_a_batch_is_known_in_the_next(imap_server, mailbox, alfa):
    """The senders a batch read are its own (the batch "cache" ends with it): a stranger held
    in one poll, made a referent of Alfa in between, opens a ticket in the next poll."""
    stranger = "nuovo.referente@altrove.example"
    deliver(imap_server, mail_from(stranger, 1))
    assert poll(mailbox).new == 1
    with scopes_disabled():
        assert InboundMessage.objects.get().outcome == "held"
        user = User.objects.create(email="Nuovo.Referente@altrove.example")
        Membership.objects.create(user=user, organisation=alfa.organisation, role="referent")
    deliver(imap_server, mail_from(stranger, 2))
    assert poll(mailbox).new == 1
    with scopes_disabled():
        ticket = Ticket.objects.get()
        assert ticket.requester == user and ticket.organisation == alfa.organisation


def test_l2_a_batchs_senders_are_one_indexed_query_at_3000_people(mailbox, alfa):
    """The senders of a batch of 50 (known people, people known only by their customer's
    domain, strangers) are read in one query for the people and one for the domains, both
    index scans with 3,000 people and 3,000 domains; each sender is what ``identify`` alone
    says of it."""
    with scopes_disabled():
        provider_of(3000)
        known = crowd_senders(100, 20)
        by_domain = [a.replace("person.", "someone.") for a in crowd_senders(1000, 20)]
        strangers = [f"nobody{n}@nowhere.example" for n in range(10)]
        senders = [*known, *by_domain, *strangers]
        messages = [ingest.parse(mail_from(s, n)) for n, s in enumerate(senders)]
        with CaptureQueriesContext(connection) as queries:
            batch = ingest.batch_start(mailbox, frozenset(), messages, outbox=None)
        sql = statements(queries)
        people = [q for q in queries.captured_queries if '"accounts_user"' in q["sql"]]
        domains = [
            q for q in queries.captured_queries if '"accounts_organisationdomain"' in q["sql"]
        ]
        assert len(people) == 1 and len(domains) == 1, sql
        plans = plans_of([*people, *domains])
        assert all("Seq Scan" not in plan for plan in plans), "\n\n".join(plans)
        for address in senders:
            assert batch.senders[address] == ingest.senders_read([address])[address]
        assert all(batch.senders[a].user is not None for a in known)
        assert all(batch.senders[a].organisation is not None for a in by_domain)
        assert all(batch.senders[a].organisation is None for a in strangers)


def same_row(model, saved, written, *, ignore=()) -> None:
    """Every column of the two rows is equal but the id, auto_now stamps and ``ignore``."""
    auto_now = {f.attname for f in model._meta.concrete_fields if getattr(f, "auto_now", False)}
    skip = {"id", *auto_now, *ignore}
    with scopes_disabled():
        a, b = (model._base_manager.filter(pk=o.pk).values()[0] for o in (saved, written))
    assert {k: v for k, v in a.items() if k not in skip} == {
        k: v for k, v in b.items() if k not in skip
    }
    assert all(b[k] is not None for k in auto_now)


def test_l4_the_one_statement_writes_every_column_as_the_models_save_would(mailbox, alfa):
    """A row written by the one statement (``ingest.Rows``) holds what ``Model.save()`` writes
    for the same object, column by column, for every model mail ingestion writes: defaults,
    computed SLA instants, foreign keys to rows of the same statement and to saved rows. A
    column added to these models with a default, or computed in ``save()``, shows here."""
    now = timezone.now()
    with scopes_disabled():
        policy = SlaPolicy.objects.create(
            name="Urgenze",
            ticket_type="incident",
            priority="urgent",
            first_response_minutes=30,
            resolution_minutes=240,
            warn_before_minutes=15,
            availability_target=Decimal("99.5"),
        )

        def ticket(number: str) -> Ticket:
            made = Ticket(
                organisation=alfa.organisation,
                number=number,
                subject="Piattaforma irraggiungibile",
                type="incident",
                category="outage",
                priority="urgent",
                requester=alfa.end_user,
                requester_email=alfa.end_user.email,
                requester_language="fr",
                contract=alfa.contract,
                created_at=now - timedelta(days=3),
            )
            sla.apply_policy(made, policies=[policy])
            return made

        def inbound(key: str, on: Ticket) -> InboundMessage:
            made = InboundMessage(
                mailbox=mailbox,
                organisation=alfa.organisation,
                message_key=key,
                content_hash="c" * 64,
                uid=7,
                uidvalidity=9,
                from_address=alfa.end_user.email,
                from_name="Mario Rossi",
                to="support@csm-test.example",
                subject="Piattaforma irraggiungibile",
                sent_at=now - timedelta(minutes=5),
                received_at=now,
                outcome="ticket",
                ticket=on,
                authentication="pass",
                authentication_detail="dmarc=pass",
            )
            made.raw.name = "mail/raw/example.eml"
            return made

        saved_ticket = ticket("T10000001")
        saved_ticket.save()
        saved_inbound = inbound("<saved@x>", saved_ticket)
        saved_inbound.save()
        saved = [saved_ticket, saved_inbound]
        rows = ingest.Rows()
        written_ticket = ticket("T10000002")
        written_inbound = inbound("<written@x>", written_ticket)
        written = [written_ticket, written_inbound]
        rows.add(written_ticket)
        rows.add(written_inbound)
        for on, into in ((saved_ticket, saved), (written_ticket, written)):
            into.append(ingest.event_build(on, "opened", actor=alfa.end_user, label="x", at=now))
            source = into[1]
            into.append(
                TicketMessage(
                    ticket=on,
                    organisation=alfa.organisation,
                    direction="in",
                    from_address="a@alfa.example",
                    body_text="Testo",
                    body_html="<p>Testo</p>",
                    inbound=source,
                    message_id=f"<{on.number}@x>",
                    created_at=now,
                )
            )
            attachment = Attachment(
                inbound=source,
                ticket=on,
                organisation=alfa.organisation,
                filename="log.txt",
                content_type="text/plain",
                size=12,
                rejected_reason="",
            )
            attachment.file.name = "mail/attachments/example"
            into.append(attachment)
            into.append(
                TicketParticipant(
                    ticket=on, organisation_id=alfa.organisation.pk, address="a@alfa.example"
                )
            )
        for obj in saved[2:]:
            obj.save()
        for obj in written[2:]:
            rows.add(obj)
        rows.execute()
    ignore = {
        Ticket: ("number",),
        InboundMessage: ("message_key", "ticket_id"),
        TicketEvent: ("ticket_id",),
        TicketMessage: ("ticket_id", "inbound_id", "message_id"),
        Attachment: ("ticket_id", "inbound_id"),
        TicketParticipant: ("ticket_id", "added_at"),
    }
    for a, b in zip(saved, written, strict=True):
        assert b.pk is not None and not b._state.adding
        same_row(type(a), a, b, ignore=ignore[type(a)])
    # The foreign keys to rows of the same statement point at them.
    assert written_inbound.ticket_id == written_ticket.pk
    with scopes_disabled():
        assert TicketMessage.objects.get(pk=written[3].pk).inbound_id == written_inbound.pk
        assert Ticket.objects.get(pk=written_ticket.pk).resolution_warn_at is not None


def test_s11_the_acknowledgement_limit_holds_within_one_batch(imap_server, mailbox, alfa):
    """Eight messages of one sender in one batch: each is its own transaction, so the
    per-sender limit counted in each message's statement stops at
    AUTO_REPLIES_PER_SENDER_PER_HOUR acknowledgements, recorded and sent (SPEC S11)."""
    from django.conf import settings

    deliver(imap_server, *(mail_from("loop@alfa.example", n) for n in range(8)))
    assert poll(mailbox).new == 8
    limit = settings.AUTO_REPLIES_PER_SENDER_PER_HOUR
    with scopes_disabled():
        assert TicketMessage.objects.filter(direction="auto").count() == limit
        assert Ticket.objects.count() == 8
    assert len(mail.outbox) == limit


def test_s10_forged_and_unknown_senders_are_held_by_one_statement(imap_server, mailbox, alfa):
    """A forged referent (the trusted server says DMARC failed) and a stranger are held with
    their reasons, each written by one statement; nothing opens a ticket (SPEC S3, S10)."""
    from tests.tickets.conftest import forged

    deliver(
        imap_server,
        message(
            "referent@alfa.example",
            "Errore",
            extra="Message-ID: <forged@x>\r\n",
            authentication=forged("referent@alfa.example"),
        ),
        message(
            "stranger@elsewhere.example",
            "Errore",
            extra="Message-ID: <stranger@x>\r\n",
            authentication=authenticated("stranger@elsewhere.example"),
        ),
    )
    with scopes_disabled(), CaptureQueriesContext(connection) as queries:
        assert poll(mailbox).new == 2
    assert len([s for s in statements(queries) if s.startswith("WITH ")]) == 2
    with scopes_disabled():
        held = {m.message_key: m for m in InboundMessage.objects.all()}
        assert not Ticket.objects.exists()
    assert held["<forged@x>"].outcome == "held" and "forged" in held["<forged@x>"].reason
    assert held["<forged@x>"].authentication == "fail"
    assert held["<stranger@x>"].outcome == "held" and "Unknown" in held["<stranger@x>"].reason
