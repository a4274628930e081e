"""What the day-90 deletion removes of an organisation in the service desk (SPEC L3): its
tickets with their messages, events and warnings, every mail received from it (raw .eml files
included, held and failed ones too), attachments (files included, agents' replies' too), the
outages recorded on its incidents, the auto-replies sent to its people and the SLA terms of its
contracts. Registered in the registry of
``csm_portal.deletion`` from ``TicketsConfig.ready()``."""

import logging
from collections.abc import Callable
from email.parser import BytesHeaderParser
from email.utils import getaddresses

from django.db.models import Q, QuerySet

from accounts.deletion import address_filter, address_matches, organisation_addresses
from csm_portal.deletion import TICKETS, register
from tickets.models import (
    Attachment,
    AutoReply,
    InboundMessage,
    Outage,
    SlaPolicy,
    SlaWarning,
    Ticket,
    TicketEvent,
    TicketMessage,
    TicketParticipant,
)

logger = logging.getLogger(__name__)


def _tickets(organisation_id: int) -> QuerySet:
    return Ticket._base_manager.filter(organisation_id=organisation_id)


def _unattributed_senders(organisation_id: int) -> list[int]:
    """Mails kept with no organisation and no parsed sender (a failure to parse): the
    organisation's if the From header of the raw file is one of its addresses or domains."""
    addresses, domains = organisation_addresses(organisation_id)
    if not addresses and not domains:
        return []
    found = []
    candidates = InboundMessage._base_manager.filter(organisation__isnull=True, from_address="")
    for pk, name in candidates.exclude(raw="").values_list("pk", "raw"):
        storage = InboundMessage._meta.get_field("raw").storage
        try:
            with storage.open(name, "rb") as raw:
                headers = BytesHeaderParser().parse(raw)
        except (OSError, ValueError):
            logger.warning("received message #%s: raw file unreadable", pk)
            continue
        values = [*headers.get_all("From", []), *headers.get_all("Sender", [])]
        senders = getaddresses([str(value) for value in values])
        if any(address_matches(address, addresses, domains) for _, address in senders):
            found.append(pk)
    return found


def _received_mails(organisation_id: int) -> QuerySet:
    # A mail held without an organisation (an unknown sender at the time) is the organisation's
    # if it came from one of its people or its domains.
    return InboundMessage._base_manager.filter(
        Q(organisation_id=organisation_id)
        | Q(ticket__organisation_id=organisation_id)
        | (Q(organisation__isnull=True) & address_filter("from_address", organisation_id))
        | Q(pk__in=_unattributed_senders(organisation_id))
    )


def _attachments(organisation_id: int) -> QuerySet:
    return Attachment._base_manager.filter(
        Q(organisation_id=organisation_id)
        | Q(ticket__organisation_id=organisation_id)
        | Q(inbound__in=_received_mails(organisation_id).values("pk"))
    )


def _auto_replies(organisation_id: int) -> QuerySet:
    # Auto-replies keep only the address they went to: its people's, its domains', and whoever
    # wrote into its tickets or mails (a requester outside its domains, a triaged stranger).
    writers = {
        address.lower()
        for address in _tickets(organisation_id).values_list("requester_email", flat=True)
    } | {
        address.lower()
        for address in _received_mails(organisation_id).values_list("from_address", flat=True)
    }
    writers.discard("")
    query = address_filter("sender", organisation_id)
    for address in writers:
        query |= Q(sender__iexact=address)
    return AutoReply.objects.filter(query)


def _of_tickets(model: type) -> Callable[[int], QuerySet]:
    def rows(organisation_id: int) -> QuerySet:
        return model._base_manager.filter(
            Q(organisation_id=organisation_id) | Q(ticket__organisation_id=organisation_id)
        )

    return rows


def _sla_policies(organisation_id: int) -> QuerySet:
    return SlaPolicy.objects.filter(contract__organisation_id=organisation_id)


def register_steps() -> None:
    # First: it finds its rows through the tickets and mails deleted below.
    register(count="auto_replies", model=AutoReply, rows=_auto_replies, order=TICKETS + 10)
    register(
        count="sla_warnings", model=SlaWarning, rows=_of_tickets(SlaWarning), order=TICKETS + 20
    )
    register(
        count="ticket_events", model=TicketEvent, rows=_of_tickets(TicketEvent), order=TICKETS + 30
    )
    register(count="outages", model=Outage, rows=_of_tickets(Outage), order=TICKETS + 35)
    register(
        count="attachments",
        model=Attachment,
        rows=_attachments,
        order=TICKETS + 40,
        files=("file",),
    )
    register(
        count="ticket_participants",
        model=TicketParticipant,
        rows=_of_tickets(TicketParticipant),
        order=TICKETS + 45,
    )
    register(
        count="ticket_messages",
        model=TicketMessage,
        rows=_of_tickets(TicketMessage),
        order=TICKETS + 50,
    )
    register(
        count="received_mails",
        model=InboundMessage,
        rows=_received_mails,
        order=TICKETS + 60,
        files=("raw",),
    )
    register(count="tickets", model=Ticket, rows=_tickets, order=TICKETS + 70)
    register(count="sla_policies", model=SlaPolicy, rows=_sla_policies, order=TICKETS + 80)
