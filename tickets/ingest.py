"""Mail routing: a received message becomes a ticket, a reply on its ticket or a held item with
its reason (SPEC S1–S3, L4). Each message is stored and routed in one transaction."""

import contextlib
import functools
import logging
import re
from contextvars import ContextVar
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import DEFAULT_DB_ALIAS, IntegrityError, connection, connections, models, transaction
from django.db.models.expressions import DatabaseDefault
from django.utils import timezone
from django.utils.translation import gettext as _
from django_scopes import scopes_disabled

from accounts.models import Membership, Organisation, OrganisationDomain, User
from accounts.roles import Role
from accounts.tenancy import customer_write_refusal
from activities.services import RUNNING, running_contract
from csm_portal import numbering
from csm_portal.files import files_removed_on_failure, save_file
from tickets import authentication, sla
from tickets.authentication import Verdict
from tickets.history import event, event_build, note
from tickets.models import (
    Attachment,
    InboundMessage,
    Mailbox,
    SlaPolicy,
    Ticket,
    TicketEvent,
    TicketMessage,
    TicketParticipant,
)
from tickets.outgoing import auto_reply_on_commit
from tickets.parsing import ParsedMessage, content_hash, content_key, parse

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
    user of the customer); provider staff and strangers are unknown here. In a poll batch, read
    for all the batch's senders at once (``senders_read``)."""
    batch = _batch.get()
    if batch is not None and address in batch.senders:
        return batch.senders[address]
    found = senders_read([address])[address]
    if batch is not None:
        batch.senders[address] = found
    return found


def _columns(model: type[models.Model], alias: str) -> tuple[list[str], str]:
    """The attnames of ``model``'s concrete fields and their columns under ``alias``."""
    fields = model._meta.concrete_fields
    quote = connection.ops.quote_name
    return [f.attname for f in fields], ", ".join(f"{alias}.{quote(f.column)}" for f in fields)


def _one_statement_sql() -> bool:
    """Whether the database takes this module's PostgreSQL statements (``unnest``, ``ANY``,
    ``FOR UPDATE OF``, ``Rows``' data-modifying CTEs); elsewhere (the SQLite of ``make run``)
    the same lookups go through the ORM and a message is written record by record."""
    return connection.vendor == "postgresql"


def _probe(sql: str, keys: list[str], *models_: type[models.Model], orm) -> dict[str, list]:
    """Run a lookup of one row per key (``sql`` selects the key then each model's columns)
    and build the models of each key's row; elsewhere than on PostgreSQL, ``orm(key)`` gives
    the same models, or None."""
    found: dict[str, list] = {}
    if not keys:
        return found
    if not _one_statement_sql():
        return {key: row for key in keys if (row := orm(key)) is not None}
    names = [_columns(m, "x")[0] for m in models_]
    with connection.cursor() as cursor:
        cursor.execute(sql, [keys])
        for row in cursor.fetchall():
            values, start, built = row[1:], 0, []
            for model, attnames in zip(models_, names, strict=True):
                end = start + len(attnames)
                built.append(model.from_db(connection.alias, attnames, values[start:end]))
                start = end
            found[row[0]] = built
    return found


def _table(model: type[models.Model]) -> str:
    return connection.ops.quote_name(model._meta.db_table)


@functools.cache
def _people_sql() -> str:
    _, membership = _columns(Membership, "m")
    _, user = _columns(User, "u")
    _, organisation = _columns(Organisation, "o")
    # One probe of the UPPER(email) index per address (LATERAL: never a scan of the people,
    # whatever their number), then the person's membership by its unique user_id: what
    # ``filter(user__email__iexact=address, user__is_active=True).first()`` gives.
    return (
        f"SELECT sender.address, {membership}, {user}, {organisation} "  # noqa: S608
        "FROM unnest(%s::text[]) AS sender(address) CROSS JOIN LATERAL ("
        f"SELECT m.id FROM {_table(User)} u JOIN {_table(Membership)} m ON m.user_id = u.id "
        "WHERE UPPER(u.email::text) = UPPER(sender.address) AND u.is_active "
        "ORDER BY m.id LIMIT 1) AS found "
        f"JOIN {_table(Membership)} m ON m.id = found.id "
        f"JOIN {_table(User)} u ON u.id = m.user_id "
        f"JOIN {_table(Organisation)} o ON o.id = m.organisation_id"
    )


def _person(address: str) -> list | None:
    """``_people_sql``'s row of one address, through the ORM."""
    membership = (
        Membership.objects.with_scopes_disabled()
        .filter(user__email__iexact=address, user__is_active=True)
        .select_related("user", "organisation")
        .order_by("pk")
        .first()
    )
    return membership and [membership, membership.user, membership.organisation]


CUSTOMER = str(Organisation.Kind.CUSTOMER.value)


@functools.cache
def _domains_sql() -> str:
    _, domain = _columns(OrganisationDomain, "d")
    _, organisation = _columns(Organisation, "o")
    # One probe of the unique LOWER(domain) index per domain (organisation_domain_unique_any_
    # case): the customer's domain row, or none.
    return (
        f"SELECT wanted.domain, {domain}, {organisation} "  # noqa: S608
        "FROM unnest(%s::text[]) AS wanted(domain) CROSS JOIN LATERAL ("
        f"SELECT d.id FROM {_table(OrganisationDomain)} d "
        "WHERE LOWER(d.domain::text) = LOWER(wanted.domain) LIMIT 1) AS found "
        f"JOIN {_table(OrganisationDomain)} d ON d.id = found.id "
        f"JOIN {_table(Organisation)} o ON o.id = d.organisation_id AND o.kind = '{CUSTOMER}'"
    )


def _customer_domain(domain: str) -> list | None:
    """``_domains_sql``'s row of one domain, through the ORM."""
    row = (
        OrganisationDomain.objects.with_scopes_disabled()
        .filter(domain__iexact=domain, organisation__kind=CUSTOMER)
        .select_related("organisation")
        .first()
    )
    return row and [row, row.organisation]


def senders_read(addresses: list[str]) -> dict[str, Sender]:
    """``identify`` for several addresses: one query for the known people among them, one for
    the customer domains of the others, each an index probe per address (PostgreSQL's UPPER
    and LOWER, as ``email__iexact`` and the domain index compare)."""
    default = settings.LANGUAGE_CODE
    wanted = list(dict.fromkeys(a for a in addresses if a))
    people = _probe(_people_sql(), wanted, Membership, User, Organisation, orm=_person)
    unknown = [a for a in wanted if a not in people]
    domains = customer_domains([a.rsplit("@", 1)[-1].lower() for a in unknown])
    result = {a: Sender(None, None, None, default) for a in addresses if not a}
    for address in wanted:
        if address in people:
            membership, user, organisation = people[address]
            membership.user, membership.organisation = user, organisation
            if membership.role in (Role.REFERENT, Role.END_USER):
                result[address] = Sender(
                    organisation, user, membership.role, user.language or default
                )
            else:
                result[address] = Sender(None, user, None, user.language or default)
            continue
        domain = domains.get(address.rsplit("@", 1)[-1].lower())
        if domain is not None:
            organisation = domain.organisation
            result[address] = Sender(
                organisation, None, Role.END_USER, organisation.language or default
            )
        else:
            result[address] = Sender(None, None, None, default)
    return result


def customer_domains(domains: list[str]) -> dict[str, OrganisationDomain | None]:
    """The customers' domain rows (with their organisation) of these lower-case domains: read
    once per poll batch, in one query."""
    batch = _batch.get()
    known = batch.domains if batch is not None else {}
    result = {d: known[d] for d in domains if d in known}
    missing = [d for d in dict.fromkeys(domains) if d not in result]
    if missing:
        found = {}
        for key, (domain, organisation) in _probe(
            _domains_sql(), missing, OrganisationDomain, Organisation, orm=_customer_domain
        ).items():
            domain.organisation = organisation
            found[key] = domain
        for domain in missing:
            result[domain] = found.get(domain)
            known[domain] = result[domain]
    return result


def customer_domain(domain: str) -> OrganisationDomain | None:
    """The customer's domain row (with its organisation), once per poll batch."""
    return customer_domains([domain])[domain]


def _running_contract(organisation: Organisation):
    batch = _batch.get()
    if batch is None:
        return running_contract(organisation, timezone.localdate())
    if organisation.pk not in batch.contracts:
        batch.contracts[organisation.pk] = running_contract(organisation, timezone.localdate())
    return batch.contracts[organisation.pk]


def running_contracts(organisations: list[Organisation]) -> dict[int, object]:
    """``activities.services.running_contract`` of each organisation today, in one query: the
    same filter and the same order, the first row of each organisation."""
    from contracts.models import Contract

    today = timezone.localdate()
    ids = {o.pk for o in organisations}
    result: dict[int, object] = dict.fromkeys(ids)
    if not ids:
        return result
    rows = Contract.objects.filter(
        organisation_id__in=ids, status__in=RUNNING, starts_on__lte=today, expires_on__gte=today
    ).order_by("organisation_id", "-hours_per_year", "expires_on")
    for contract in rows:
        if result[contract.organisation_id] is None:
            result[contract.organisation_id] = contract
    return result


def _sla_policies() -> list[SlaPolicy] | None:
    batch = _batch.get()
    if batch is None:
        return None
    if batch.policies is None:
        batch.policies = list(SlaPolicy.objects.all())
    return batch.policies


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


# --------------------------------------------------------------------------- who may post (S3)


@functools.cache
def _ticket_sql(by: str) -> str:
    """The ticket (with its organisation) found ``by`` number or by our message ids, its row
    locked until the transaction ends; what the ORM lookups in ``_find_ticket``'s docstring
    give, without building a query each time."""
    _, ticket = _columns(Ticket, "t")
    _, organisation = _columns(Organisation, "o")
    if by == "number":
        where = "t.number = ANY(%s::text[]) ORDER BY t.id DESC"
    else:
        # The ticket of the latest message named (TicketMessage's order, reversed).
        latest = f"SELECT m.ticket_id FROM {_table(TicketMessage)} m "  # noqa: S608
        where = (
            f"t.id = ({latest}WHERE m.message_id = ANY(%s::text[]) "
            "ORDER BY m.created_at DESC, m.id DESC LIMIT 1)"
        )
    return (
        f"SELECT {ticket}, {organisation} FROM {_table(Ticket)} t "  # noqa: S608
        f"JOIN {_table(Organisation)} o ON o.id = t.organisation_id WHERE {where} "
        "LIMIT 1 FOR UPDATE OF t"
    )


def _locked_ticket(by: str, keys: list[str]) -> Ticket | None:
    if not _one_statement_sql():  # the same ticket through the ORM
        if by != "number":
            latest = TicketMessage.objects.filter(message_id__in=keys)
            keys = latest.order_by("-created_at", "-pk").values("ticket_id")[:1]
        found = _locked().filter(**{"number__in" if by == "number" else "pk__in": keys})
        return found.order_by("-pk").first()
    ticket_names = _columns(Ticket, "t")[0]
    organisation_names = _columns(Organisation, "o")[0]
    with connection.cursor() as cursor:
        cursor.execute(_ticket_sql(by), [keys])
        row = cursor.fetchone()
    if row is None:
        return None
    ticket = Ticket.from_db(connection.alias, ticket_names, row[: len(ticket_names)])
    ticket.organisation = Organisation.from_db(
        connection.alias, organisation_names, row[len(ticket_names) :]
    )
    return ticket


def _find_ticket(parsed: ParsedMessage) -> Ticket | None:
    """Threading (S1): the ticket number in the subject (the latest ticket of those numbers),
    else In-Reply-To / References (the ticket of the latest of those messages). The ticket
    comes locked until the transaction ends, with its organisation, in one statement (as
    ``locked`` would give it)."""
    numbers = parsed.ticket_numbers
    if numbers:
        ticket = _locked_ticket("number", numbers)
        if ticket is not None:
            return ticket
    ids = [*parsed.in_reply_to, *parsed.references]
    if ids:
        return _locked_ticket("message_id", ids)
    return None


def _locked():
    return Ticket.objects.select_for_update(of=("self",)).select_related("organisation")


def locked(ticket: Ticket) -> Ticket:
    """The ticket again, its row locked until the transaction ends, with its organisation (read
    by the checks and the records that follow) in the same statement."""
    return _locked().get(pk=ticket.pk)


def is_on_ticket(ticket: Ticket, address: str) -> bool:
    address = address.lower()
    return address == ticket.requester_email.lower() or (
        TicketParticipant.objects.filter(ticket=ticket, address=address).exists()
    )


def may_post(ticket: Ticket, sender: Sender, address: str) -> str:
    """SPEC S3: "" if the sender may write into the ticket by mail (its requester, a referent
    of its organisation, somebody already on it), else the reason it is held."""
    referent = (
        sender.role == Role.REFERENT
        and sender.organisation is not None
        and sender.organisation.pk == ticket.organisation_id
    )
    if referent or is_on_ticket(ticket, address):
        return ""
    return _(
        "The sender is not on ticket %(number)s: only its requester, the organisation's "
        "referents and the people already on the ticket may write to it by mail."
    ) % {"number": ticket.number}


def poster(ticket: Ticket, sender: Sender) -> Sender:
    """The sender as a person of the ticket's organisation: somebody on the ticket who is not
    one of its people (a stranger an agent triaged in) writes as a licensed end user."""
    if sender.organisation is not None and sender.organisation.pk == ticket.organisation_id:
        return sender
    return Sender(ticket.organisation, None, Role.END_USER, ticket.requester_language)


def participant_addresses(parsed: ParsedMessage, own: frozenset[str]) -> list[str]:
    """From, To and Cc of a message, lower case, once each, our own mailboxes excepted."""
    addresses = [parsed.from_address, *parsed.to, *parsed.cc]
    keep = dict.fromkeys(a.lower()[:300] for a in addresses if a and a.lower() not in own)
    return list(keep)[:50]


def participants_add(
    ticket: Ticket, parsed: ParsedMessage, *, own: frozenset[str] | None = None
) -> None:
    """Who wrote and who was written to join the ticket (our own mailboxes excepted; a poller
    reads them once per poll)."""
    own = own_addresses() if own is None else own
    TicketParticipant.objects.bulk_create(
        [
            TicketParticipant(ticket=ticket, organisation_id=ticket.organisation_id, address=a)
            for a in participant_addresses(parsed, own)
        ],
        ignore_conflicts=True,
    )


# ---------------------------------------------------------------- routing (S1, S3, S10, C5)


@dataclass
class Routed:
    """What becomes of a message, decided before anything is written: held with its reason
    (for the organisation and the ticket it concerns when known), else a new ticket of
    ``sender`` (``ticket`` is None) or a reply by ``sender`` onto ``ticket`` (locked)."""

    verdict: Verdict
    ticket: Ticket | None = None
    reason: str = ""
    organisation: Organisation | None = None
    sender: Sender | None = None
    category: str = ""


def unauthenticated_reason(verdict: Verdict, mailbox: Mailbox) -> str:
    """SPEC S10: "" for an authenticated sender, else why the message waits for confirmation."""
    if verdict.status == authentication.PASS:
        return ""
    if verdict.status == authentication.FAIL:
        return _(
            "Sender authentication failed (%(results)s): the From address may be forged. "
            "Held for confirmation."
        ) % {"results": verdict.summary}
    if not mailbox.trusted_authserv_id:
        return _(
            "Sender not authenticated: the mailbox has no trusted authserv-id configured. "
            "Held for confirmation."
        )
    return _(
        "Sender not authenticated: no Authentication-Results from %(server)s. "
        "Held for confirmation."
    ) % {"server": mailbox.trusted_authserv_id}


def _concerning(reason: str, ticket: Ticket) -> str:
    return _("%(why)s It concerns ticket %(number)s, which was left unchanged.") % {
        "why": reason,
        "number": ticket.number,
    }


def past_reopen_window(ticket: Ticket, now) -> bool:
    if ticket.status not in (Ticket.Status.CLOSED, Ticket.Status.RESOLVED):
        return False
    finished = ticket.closed_at or ticket.resolved_at or ticket.updated_at
    return bool(finished and now - finished > timedelta(days=settings.TICKET_REOPEN_DAYS))


def route(mailbox: Mailbox, parsed: ParsedMessage, now) -> Routed:
    """Decide what a received message becomes. Nothing unauthenticated (S10), from a customer
    that may not write (C5) or from somebody not on the ticket (S3) opens, reopens or changes a
    ticket: it is held with the reason and the ticket it concerns."""
    verdict = authentication.verdict(
        parsed.authentication_results, mailbox.trusted_authserv_id, parsed.from_address
    )
    if not parsed.from_address:
        return Routed(verdict, reason=_("The message has no sender (From is missing or invalid)."))
    address = parsed.from_address
    sender = identify(address)
    ticket = _find_ticket(parsed)  # locked
    if (
        ticket is not None
        and sender.organisation is not None
        and sender.organisation.pk != ticket.organisation_id
        and not is_on_ticket(ticket, address)
    ):
        ticket = None  # a ticket number is no key to another customer's ticket
    if ticket is None:
        category = classify(parsed.subject, parsed.text)
        reason = may_open(sender, category) or unauthenticated_reason(verdict, mailbox)
        if reason:
            return Routed(verdict, reason=reason, organisation=sender.organisation)
        return Routed(verdict, sender=sender, category=category)
    reason = (
        may_post(ticket, sender, address)
        or customer_write_refusal(ticket.organisation)
        or unauthenticated_reason(verdict, mailbox)
    )
    category = ""
    if not reason and past_reopen_window(ticket, now):
        # The reply opens a new ticket: the same who-may-open-what rule as any new one (S3).
        category = classify(parsed.subject, parsed.text)
        reason = may_open(poster(ticket, sender), category)
    if reason:
        return Routed(
            verdict,
            ticket=ticket,
            reason=_concerning(reason, ticket),
            organisation=ticket.organisation,
        )
    return Routed(verdict, ticket=ticket, sender=poster(ticket, sender), category=category)


def reply_onto(
    ticket: Ticket, parsed: ParsedMessage, sender: Sender, now, *, authenticated: bool, category=""
) -> tuple[Ticket, bool]:
    """A reply joins its ticket; on a closed ticket it reopens it within the reopen window,
    else it opens a new ticket linked to the old one."""
    if past_reopen_window(ticket, now):
        category = category or classify(parsed.subject, parsed.text)
        new = open_ticket(parsed, sender, category, now, authenticated=authenticated)
        new.linked_to = ticket
        new.save(update_fields=["linked_to"])
        return new, True
    return _thread_onto(ticket, parsed, sender, now)


# --------------------------------------------------------------------------- ingestion (L4)


@dataclass
class Batch:
    """What a poll reads once for a whole batch instead of once a message: our own mailbox
    addresses (never participants) and the identities of the batch's messages already stored
    (re-deliveries, or messages a crashed poller committed but did not move)."""

    own_addresses: frozenset[str]
    stored: set[tuple[str, str]]
    # Read at most once per batch (a few seconds): senders (people and customer domains),
    # running contracts and SLA policies change rarely, and a message of the batch sees them as
    # of the batch's start; nothing outlives the batch.
    senders: dict[str, Sender] = field(default_factory=dict)
    domains: dict[str, OrganisationDomain | None] = field(default_factory=dict)
    contracts: dict[int, object] = field(default_factory=dict)
    policies: list[SlaPolicy] | None = None
    # The acknowledgement's text per language, rendered once (tickets.outgoing).
    bodies: dict[str, str | None] = field(default_factory=dict)
    # Acknowledgements of committed messages, sent by the poller after the batch in one
    # connection; None: each is sent as its transaction commits.
    outbox: list | None = None


def batch_start(
    mailbox: Mailbox, own: frozenset[str], messages: list[ParsedMessage], *, outbox: list | None
) -> Batch:
    """A poll batch with what its messages need read at once: which are stored already, who
    sent them (people, then customer domains) and their organisations' running contracts."""
    with scopes_disabled():
        batch = Batch(own_addresses=own, stored=stored_identities(mailbox, messages), outbox=outbox)
        token = _batch.set(batch)
        try:
            batch.senders.update(senders_read([m.from_address for m in messages]))
        finally:
            _batch.reset(token)
        customers = {
            s.organisation.pk: s.organisation
            for s in batch.senders.values()
            if s.organisation is not None
        }
        batch.contracts.update(running_contracts(list(customers.values())))
        batch.policies = list(SlaPolicy.objects.all())
    return batch


# The batch of the message being ingested, for the lookups above; None outside a poll.
_batch: ContextVar[Batch | None] = ContextVar("ingest_batch", default=None)
# Set while ingest() retries a message whose transaction hit a taken ticket number: a new
# ticket then takes its number in its INSERT, without a savepoint of its own.
_whole_message_retried: ContextVar[bool] = ContextVar("whole_message_retried", default=False)
NUMBER_ATTEMPTS = numbering.ATTEMPTS


def own_addresses() -> frozenset[str]:
    return frozenset(a.lower() for a in Mailbox.objects.values_list("address", flat=True))


def stored_identities(mailbox: Mailbox, messages: list[ParsedMessage]) -> set[tuple[str, str]]:
    """(message key, content hash) of those of ``messages`` already stored: one SELECT."""
    if not messages:
        return set()
    with scopes_disabled():
        rows = InboundMessage.objects.filter(
            mailbox=mailbox, message_key__in={m.key for m in messages}
        ).values_list("message_key", "content_hash")
        return set(rows)


def ingest(
    mailbox: Mailbox,
    raw: bytes,
    *,
    uid: int | None = None,
    uidvalidity: int | None = None,
    parsed: ParsedMessage | None = None,
    batch: Batch | None = None,
) -> tuple[InboundMessage, bool]:
    """Store and route one received message in one transaction; returns it and whether it is
    new. The same message polled again (after a crash before it was moved) or re-delivered with
    other trace headers creates nothing; another message reusing its Message-ID is stored and
    routed as itself (SPEC L4: Message-ID and content hash). A poller passes the message parsed
    and its ``batch``: what the batch already holds is known without a SELECT per message;
    the unique constraint settles whatever is stored meanwhile."""
    parsed = parsed if parsed is not None else parse(raw)
    identity = {"mailbox": mailbox, "message_key": parsed.key, "content_hash": parsed.content_hash}
    pair = (parsed.key, parsed.content_hash)
    with scopes_disabled():
        if batch is None or pair in batch.stored:
            existing = InboundMessage.objects.filter(**identity).first()
            if existing is not None:
                return existing, False
        batch_token = _batch.set(batch)
        retried_token = _whole_message_retried.set(True)
        try:
            for attempt in range(1, NUMBER_ATTEMPTS + 1):
                try:
                    with files_removed_on_failure():  # _ingest: the message's transaction
                        inbound = _ingest(mailbox, raw, parsed, uid, uidvalidity, batch)
                    break
                except IntegrityError:
                    # Another poller stored it at the same instant; else the drawn ticket
                    # number was taken (S1): the whole message again, with another number.
                    existing = InboundMessage.objects.filter(**identity).first()
                    if existing is not None:
                        return existing, False
                    if attempt == NUMBER_ATTEMPTS:
                        raise
        finally:
            _whole_message_retried.reset(retried_token)
            _batch.reset(batch_token)
        if batch is not None:
            batch.stored.add(pair)
        return inbound, True


def _thread_keys(parsed: ParsedMessage) -> bool:
    """Whether the message names a ticket (number in the subject, In-Reply-To, References)."""
    return bool(parsed.ticket_numbers or parsed.in_reply_to or parsed.references)


def _one_statement(routed: Routed) -> bool:
    """Whether the routed message is written by one statement: held, or a new ticket that is
    not a referent's possible activity request (H8). Only on PostgreSQL."""
    if not _one_statement_sql():
        return False
    if routed.reason:
        return True
    assert routed.sender is not None
    return routed.ticket is None and not (
        routed.category == Ticket.Category.CST_ACTIVITY and routed.sender.role == Role.REFERENT
    )


def _statement_transaction():
    """The transaction of a message written by one statement: the statement itself when the
    caller holds no transaction (PostgreSQL runs it all or nothing, without the round trips of
    BEGIN and COMMIT), else a savepoint of the caller's."""
    if connection.get_autocommit() and not connection.in_atomic_block:
        return contextlib.nullcontext()
    return transaction.atomic()


def _ingest(
    mailbox: Mailbox,
    raw: bytes,
    parsed: ParsedMessage,
    uid: int | None,
    uidvalidity: int | None,
    batch: Batch | None = None,
) -> InboundMessage:
    """One message, one transaction. A message that needs no ticket looked up and locked (no
    delivery report, no number or reference to thread onto) is routed from the batch's lookups
    alone; held or opening a ticket, it is then written by ONE statement, which is its
    transaction. Any other message is routed and written in a transaction block."""
    now = timezone.now()
    routed = None
    if parsed.report is None and not _thread_keys(parsed):
        routed = route(mailbox, parsed, now)  # nothing to find, nothing locked
        if _one_statement(routed):
            with _statement_transaction():
                return _write(mailbox, raw, parsed, uid, uidvalidity, batch, routed, now)
    with transaction.atomic():
        return _write(mailbox, raw, parsed, uid, uidvalidity, batch, routed, now)


def _write(
    mailbox: Mailbox,
    raw: bytes,
    parsed: ParsedMessage,
    uid: int | None,
    uidvalidity: int | None,
    batch: Batch | None,
    routed: Routed | None,
    now,
) -> InboundMessage:
    inbound = InboundMessage(
        mailbox=mailbox,
        message_key=parsed.key,
        content_hash=parsed.content_hash,
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
    save_file(inbound.raw, "message.eml", raw)
    if parsed.report is not None:  # a bounce or an automatic reply: never a ticket (S11)
        return _record_report(inbound, parsed)
    if routed is None:
        routed = route(mailbox, parsed, now)
    inbound.authentication = routed.verdict.status
    inbound.authentication_detail = routed.verdict.summary
    own = batch.own_addresses if batch is not None else None
    if routed.reason:
        inbound.organisation = routed.organisation
        inbound.ticket = routed.ticket  # the ticket it concerns, left unchanged
        inbound.reason = routed.reason
        if not _one_statement_sql():
            inbound.save()
            _store_attachments(inbound, parsed, None)
            return inbound
        rows = Rows()
        rows.add(inbound)
        _attachments(rows, inbound, parsed, None)
        rows.execute()
        return inbound
    sender, ticket = routed.sender, routed.ticket
    assert sender is not None
    if _one_statement(routed):  # PostgreSQL
        return _new_ticket(mailbox, inbound, parsed, sender, routed.category, now, batch)
    open_ = ticket is not None and ticket.status in (Ticket.Status.NEW, Ticket.Status.OPEN)
    if open_ and _one_statement_sql():
        return _reply(inbound, parsed, ticket, now, own)
    # The rarer ways, record by record: a referent's mail that may become an activity request
    # (H8), a reply resuming a waiting ticket, reopening or following up a closed one; and on
    # SQLite (``make run``) every message, the same rows.
    if ticket is None:
        ticket = open_ticket(parsed, sender, routed.category, now, authenticated=True)
        reopened_or_new = True
    else:
        ticket, reopened_or_new = reply_onto(
            ticket, parsed, sender, now, authenticated=True, category=routed.category
        )
    inbound.organisation = ticket.organisation
    inbound.outcome = InboundMessage.Outcome.TICKET
    inbound.ticket = ticket
    inbound.save()
    message = _customer_message(ticket, inbound, parsed, now)
    participants_add(ticket, parsed, own=own)
    _store_attachments(inbound, parsed, ticket)
    if reopened_or_new:  # the acknowledgement is recorded in the message's INSERT
        auto_reply_on_commit(mailbox, parsed, ticket, together_with=message)
    if message.pk is None:
        message.save()
    return inbound


def _customer_message(
    ticket: Ticket, inbound: InboundMessage, parsed: ParsedMessage, now
) -> TicketMessage:
    return TicketMessage(
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


def _new_ticket(
    mailbox: Mailbox,
    inbound: InboundMessage,
    parsed: ParsedMessage,
    sender: Sender,
    category: str,
    now,
    batch: Batch | None,
) -> InboundMessage:
    """A message that opens a ticket, in ONE statement: the ticket with its number, contract
    and SLA clock, its "opened" event, the received message, the customer's message, the
    participants, the attachments, the acknowledgement's rate limit and its record. A taken
    number fails the statement: ``ingest()`` retries the whole message."""
    ticket = ticket_build(
        sender=sender,
        subject=parsed.subject,
        category=category,
        address=parsed.from_address,
        at=now,
    )
    ticket.number = numbering.ticket_number()
    rows = Rows()
    rows.add(ticket)
    rows.add(event_build(ticket, Kind.OPENED, actor=sender.user, label=parsed.from_address, at=now))
    inbound.organisation = ticket.organisation
    inbound.outcome = InboundMessage.Outcome.TICKET
    inbound.ticket = ticket
    rows.add(inbound)
    message = _customer_message(ticket, inbound, parsed, now)
    rows.add(message)
    own = batch.own_addresses if batch is not None else own_addresses()
    rows.add_participants(ticket, participant_addresses(parsed, own))
    _attachments(rows, inbound, parsed, ticket)
    auto_reply_on_commit(
        mailbox,
        parsed,
        ticket,
        together_with=message,
        rows=rows,
        bodies=batch.bodies if batch is not None else None,
        outbox=batch.outbox if batch is not None else None,
    )
    rows.execute()
    return inbound


def _reply(
    inbound: InboundMessage, parsed: ParsedMessage, ticket: Ticket, now, own: frozenset | None
) -> InboundMessage:
    """A reply onto an open ticket (locked), in ONE statement: its event, the received message,
    the customer's message, new participants and the attachments."""
    rows = Rows()
    rows.add(event_build(ticket, Kind.MESSAGE, label=parsed.from_address, at=now))
    inbound.organisation = ticket.organisation
    inbound.outcome = InboundMessage.Outcome.TICKET
    inbound.ticket = ticket
    rows.add(inbound)
    rows.add(_customer_message(ticket, inbound, parsed, now))
    own = own_addresses() if own is None else own
    rows.add_participants(ticket, participant_addresses(parsed, own))
    _attachments(rows, inbound, parsed, ticket)
    rows.execute()
    return inbound


# Fields whose value of this exact type goes to the database unchanged through
# ``get_db_prep_save`` (their ``get_prep_value`` is ``to_python``/``int``/``bool`` of it):
# ``Rows`` passes such a value as it is and sends any other through the field.
_PLAIN = {
    models.CharField: str,
    models.EmailField: str,
    models.TextField: str,
    models.IntegerField: int,
    models.PositiveIntegerField: int,
    models.BigIntegerField: int,
    models.PositiveBigIntegerField: int,
    models.BooleanField: bool,
    models.ForeignKey: int,
    models.OneToOneField: int,
}


@functools.cache
def _insert_plan(model: type[models.Model]) -> tuple:
    """(field, attname, quoted column, is a relation, plain type or None) of each column an
    INSERT of ``model`` writes: its concrete fields but the primary key and generated ones."""
    quote = connection.ops.quote_name
    plan = []
    for f in model._meta.local_concrete_fields:
        if f.primary_key or getattr(f, "generated", False):
            continue
        plain = _PLAIN.get(type(f)) if type(f).pre_save is models.Field.pre_save else None
        plan.append((f, f.attname, quote(f.column), f.is_relation, plain))
    return tuple(plan)


class Rows:
    """The rows of one message written by ONE SQL statement (issue 15): each row is a
    data-modifying CTE, ``INSERT … SELECT … RETURNING id``, in the order added; a row whose
    foreign key points at an unsaved object added before takes that row's id in the statement,
    and ``when`` names earlier CTEs that must return a row for this one to be written (the
    acknowledgement's rate limit). PostgreSQL writes all of it or nothing, inside the message's
    transaction. Each value is what the model's save would write: every concrete field's
    ``pre_save`` (defaults, ``auto_now``) and ``get_db_prep_save``; a column left to the
    database (``db_default``) is left out. No signals are sent (the ticket models have none)."""

    def __init__(self) -> None:
        self._ctes: list[str] = []
        self._params: list = []
        self._returning: list[tuple[str, models.Model]] = []
        self._links: list[tuple[models.Model, models.Field, models.Model]] = []
        self._names: dict[int, str] = {}
        self._after: list = []
        self._connection = connections[DEFAULT_DB_ALIAS]

    def name_of(self, obj: models.Model) -> str:
        return self._names[id(obj)]

    def _name(self) -> str:
        return f"w{len(self._ctes)}"

    def add(
        self,
        obj: models.Model,
        *,
        when: tuple[str, ...] = (),
        expressions: dict[str, str] | None = None,
        source: tuple[str, list] | None = None,
        conflict: str = "",
        returning: bool = True,
    ) -> str:
        name = self._name()
        expressions = expressions or {}
        columns: list[str] = []
        values: list[str] = []
        params: list = []
        sources: list[str] = []
        names = self._names
        for f, attname, column, is_relation, plain in _insert_plan(type(obj)):
            if expressions and f.name in expressions:
                columns.append(column)
                values.append(expressions[f.name])
                continue
            if is_relation:
                related = f.get_cached_value(obj, None)
                if related is not None and id(related) in names:
                    columns.append(column)
                    values.append(f"{names[id(related)]}.id")
                    sources.append(names[id(related)])
                    self._links.append((obj, f, related))
                    continue
                if related is not None and getattr(obj, attname) is None:
                    if related.pk is None:
                        raise ValueError(f"{type(obj).__name__}.{f.name}: unsaved related row")
                    setattr(obj, attname, related.pk)
            if plain is not None:
                value = getattr(obj, attname)
                if value is None or type(value) is plain:
                    columns.append(column)
                    values.append("%s")
                    params.append(value)
                    continue
            value = f.pre_save(obj, True)
            if isinstance(value, DatabaseDefault):
                continue
            columns.append(column)
            values.append("%s")
            params.append(f.get_db_prep_save(value, self._connection))
        froms = list(dict.fromkeys([*sources, *when]))
        if source is not None:
            froms.append(source[0])
            params.extend(source[1])
        # Names and columns come from the models and this class, every value is a parameter.
        table = _table(type(obj))
        select = f"SELECT {', '.join(values)}"  # noqa: S608
        sql = (
            f"{name} AS (INSERT INTO {table} ({', '.join(columns)}) "
            f"{select}{' FROM ' + ', '.join(froms) if froms else ''}"
            f"{' ' + conflict if conflict else ''}{' RETURNING id' if returning else ''})"
        )
        self._ctes.append(sql)
        self._params.extend(params)
        if returning:
            self._returning.append((name, obj))
        self._names[id(obj)] = name
        return name

    def add_sql(self, sql: str, params: list) -> str:
        """A statement of its own (``INSERT … RETURNING id``, at most one row) as a step."""
        name = self._name()
        self._ctes.append(f"{name} AS ({sql})")
        self._params.extend(params)
        return name

    def add_participants(self, ticket: Ticket, addresses: list[str]) -> None:
        """The ticket's participants (one row per address; those already on it kept)."""
        if addresses:
            self.add(
                TicketParticipant(
                    ticket=ticket, organisation_id=ticket.organisation_id, address=""
                ),
                expressions={"address": "participant.address"},
                source=("unnest(%s::text[]) AS participant(address)", [addresses]),
                conflict="ON CONFLICT DO NOTHING",
                returning=False,
            )

    def on_commit(self, callback) -> None:
        """``callback`` once the statement is written and its transaction committed."""
        self._after.append(callback)

    def execute(self) -> None:
        """Write every row; set the ids of those written (a row whose ``when`` returned no
        row keeps ``pk`` None); then hand the ``on_commit`` callbacks to the transaction (run
        at once when the statement was its own transaction)."""
        ids = ", ".join(f"(SELECT id FROM {name})" for name, _obj in self._returning)  # noqa: S608
        with self._connection.cursor() as cursor:
            cursor.execute(f"WITH {', '.join(self._ctes)} SELECT {ids or 1}", self._params)
            written = cursor.fetchone()
        alias = self._connection.alias
        for (_name, obj), pk in zip(self._returning, written, strict=False):
            if pk is not None:
                obj.pk = pk
                obj._state.adding = False
                obj._state.db = alias
        for obj, f, related in self._links:
            if related.pk is not None:
                setattr(obj, f.attname, related.pk)
        for callback in self._after:
            transaction.on_commit(callback, robust=True)


def ticket_build(
    *, sender: Sender, subject: str, category: str, address: str, at: datetime
) -> Ticket:
    """A new ticket of ``sender``'s organisation, not saved and without its number: contract
    and SLA clock set (SPEC S5)."""
    organisation = sender.organisation
    ticket = Ticket(
        organisation=organisation,
        subject=(subject or _("(no subject)"))[:300],
        type=type_of(category),
        category=category,
        requester=sender.user,
        requester_email=address,
        requester_language=sender.language,
        contract=_running_contract(organisation),
        created_at=at,
    )
    sla.apply_policy(ticket, policies=_sla_policies())
    return ticket


def ticket_create(
    *, sender: Sender, subject: str, category: str, address: str, at: datetime
) -> Ticket:
    """A new ticket of ``sender``'s organisation with its number, contract, SLA clock and the
    contractual "opened" event (SPEC S1, S5, S7): one way in for mail and the portal."""
    ticket = ticket_build(sender=sender, subject=subject, category=category, address=address, at=at)

    def insert(number: str) -> Ticket:
        ticket.number = number
        ticket.save(force_insert=True)
        return ticket

    # One INSERT with its random, unique number (S1, issue 11), drawn again if taken: by
    # ingest(), which retries the whole message, or else inside a savepoint.
    if _whole_message_retried.get():
        insert(numbering.ticket_number())
    else:
        numbering.create_numbered(Ticket, insert, numbering.ticket_number)
    event(ticket, Kind.OPENED, actor=sender.user, label=address, at=at)
    return ticket


def open_ticket(
    parsed: ParsedMessage, sender: Sender, category: str, now, *, authenticated: bool
) -> Ticket:
    """A new ticket of ``sender``'s organisation. An activity request is made from it only when
    the receiving server authenticated the referent (SPEC S10, H8)."""
    ticket = ticket_create(
        sender=sender,
        subject=parsed.subject,
        category=category,
        address=parsed.from_address,
        at=now,
    )
    if category == Ticket.Category.CST_ACTIVITY and sender.role == Role.REFERENT:
        if authenticated:
            _activity_request_from_mail(ticket, parsed, sender)
        else:
            note(
                ticket,
                _(
                    "Not turned into an activity request: the mail was not authenticated "
                    "(SPEC S10). The referent confirms the request in the portal or by an "
                    "authenticated mail."
                ),
            )
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
    """A reply joins its ticket, reopening it when it was resolved or closed (within the reopen
    window: ``reply_onto`` decides)."""
    ticket = locked(ticket)
    label = parsed.from_address
    if ticket.status in (Ticket.Status.CLOSED, Ticket.Status.RESOLVED):
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


def _attachment_rows(
    inbound: InboundMessage, parsed: ParsedMessage, ticket: Ticket | None
) -> tuple[list[Attachment], list[str]]:
    """The message's attachments, unsaved, their files written (executables and files over
    the cap kept out, with the reason), and the kept-out ones named for the ticket's note."""
    rows, kept_out = [], []
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
            save_file(attachment.file, "attachment", part.payload)
        rows.append(attachment)
        if attachment.rejected_reason:
            kept_out.append(f"{attachment.filename} ({attachment.rejected_reason})")
    return rows, kept_out


def _note_kept_out(ticket: Ticket | None, kept_out: list[str]) -> None:
    if kept_out and ticket is not None:
        note(ticket, _("Attachments kept out: %(files)s") % {"files": "; ".join(kept_out)})


def _attachments(
    rows: Rows, inbound: InboundMessage, parsed: ParsedMessage, ticket: Ticket | None
) -> None:
    """The attachments as steps of the message's statement, with the note naming those kept
    out when there is a ticket (``tickets.history.note``'s row)."""
    attachments, kept_out = _attachment_rows(inbound, parsed, ticket)
    for attachment in attachments:
        rows.add(attachment)
    if kept_out and ticket is not None:
        rows.add(
            TicketMessage(
                ticket=ticket,
                organisation_id=ticket.organisation_id,
                direction=TicketMessage.Direction.NOTE,
                body_text=_("Attachments kept out: %(files)s") % {"files": "; ".join(kept_out)},
            )
        )


def _store_attachments(inbound: InboundMessage, parsed: ParsedMessage, ticket: Ticket | None):
    attachments, kept_out = _attachment_rows(inbound, parsed, ticket)
    for attachment in attachments:
        attachment.save()
    _note_kept_out(ticket, kept_out)


def record_failure(mailbox: Mailbox, raw: bytes, uid: int | None, error: BaseException) -> None:
    """A message the parser cannot handle is kept, with its error, for an admin (L4)."""
    key = content_key(raw)
    digest = content_hash(raw)
    with scopes_disabled(), files_removed_on_failure(), transaction.atomic():
        if InboundMessage.objects.filter(
            mailbox=mailbox, message_key=key, content_hash=digest
        ).exists():
            return
        inbound = InboundMessage(
            mailbox=mailbox,
            message_key=key,
            content_hash=digest,
            uid=uid,
            outcome=InboundMessage.Outcome.FAILED,
            reason=f"{type(error).__name__}: {error}"[:2000],
        )
        save_file(inbound.raw, "message.eml", raw)
        inbound.save()


# --------------------------------------------------------------------------- reports (S11)


def _report_ticket(parsed: ParsedMessage) -> Ticket | None:
    """The ticket a delivery report or automatic reply concerns: the one whose message we sent
    is quoted (its Message-ID, which nobody else knows), else the number in the subject when
    the report comes from, or is about, that customer's people."""
    report = parsed.report
    assert report is not None
    ids = [*report.original_message_ids, *parsed.in_reply_to, *parsed.references]
    if ids:
        ours = (
            TicketMessage.objects.filter(
                message_id__in=ids,
                direction__in=[TicketMessage.Direction.OUTBOUND, TicketMessage.Direction.AUTO],
            )
            .select_related("ticket")
            .order_by("-pk")
            .first()
        )
        if ours is not None:
            return ours.ticket
    numbers = parsed.ticket_numbers or re.findall(r"\bT\d{6,}\b", report.original_subject)
    if not numbers:
        return None
    ticket = Ticket.objects.filter(number__in=numbers).order_by("-pk").first()
    if ticket is None:
        return None
    domains = {
        d.lower()
        for d in OrganisationDomain.objects.with_scopes_disabled()
        .filter(organisation_id=ticket.organisation_id)
        .values_list("domain", flat=True)
    }
    addresses = [f.address for f in report.failures] + [parsed.from_address]
    for address in addresses:
        if address == ticket.requester_email.lower() or address.rsplit("@", 1)[-1] in domains:
            return ticket
    return None  # a number is no key to another customer's ticket


def _record_report(inbound: InboundMessage, parsed: ParsedMessage) -> InboundMessage:
    """SPEC S11: a delivery report or automatic reply is stored with its kind, never opens,
    reopens or restarts anything, gets no automatic reply, and is noted on its ticket."""
    report = parsed.report
    assert report is not None
    ticket = _report_ticket(parsed)
    if report.kind == "bounce":
        inbound.reason = _("Delivery report (bounce): %(signals)s") % {
            "signals": ", ".join(report.signals)
        }
    else:
        inbound.reason = _("Automatic reply: %(signals)s") % {"signals": ", ".join(report.signals)}
    inbound.outcome = InboundMessage.Outcome.REPORT
    inbound.ticket = ticket
    inbound.organisation = (
        ticket.organisation if ticket is not None else identify(parsed.from_address).organisation
    )
    inbound.save()
    _store_attachments(inbound, parsed, None)
    if ticket is None:
        return inbound
    if report.kind == "auto_reply":
        note(
            ticket,
            _("Automatic reply from %(address)s: %(subject)s")
            % {"address": parsed.from_address or "?", "subject": parsed.subject},
        )
    elif report.failures:
        for failure in report.failures:
            note(
                ticket,
                _("Delivery failed to %(address)s: %(diagnostic)s")
                % {"address": failure.address, "diagnostic": failure.diagnostic or "?"},
            )
    else:
        note(ticket, _("Delivery failed: %(subject)s") % {"subject": parsed.subject})
    return inbound
