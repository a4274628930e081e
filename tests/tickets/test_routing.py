"""Who may write into the service desk by mail, and what their mail may change (SPEC C5, S3,
T1): one check of the customer's access, the who-may-open-what rule on replies that would open
a ticket, only the people on a ticket may post into it, and triage keeps tickets in one
organisation."""

from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone
from django_scopes import scopes_disabled

from accounts.models import Organisation
from tests.tickets.conftest import message
from tickets import desk, ingest
from tickets.models import InboundMessage, Mailbox, Ticket, TicketEvent
from tickets.triage import held_to_ticket

pytestmark = pytest.mark.django_db
REFERENT = "referent@alfa.example"
USER = "user@alfa.example"


def receive(box: Mailbox, sender: str, subject: str, key: str, extra: str = "") -> InboundMessage:
    inbound, _ = ingest.ingest(
        box, message(sender, subject, extra=f"Message-ID: <{key}@x>\r\n{extra}")
    )
    with scopes_disabled():
        return InboundMessage.objects.select_related("ticket").get(pk=inbound.pk)


def set_access(organisation: Organisation, access: str) -> None:
    with scopes_disabled():
        Organisation.objects.filter(pk=organisation.pk).update(access=access)


def close(ticket: Ticket, agent) -> None:
    with scopes_disabled():
        desk.ticket_update(ticket=ticket, by=agent, status="closed", outcome="solved")


def fresh(ticket: Ticket) -> Ticket:
    with scopes_disabled():
        return Ticket.objects.get(pk=ticket.pk)


def tickets() -> int:
    with scopes_disabled():
        return Ticket.objects.count()


# --------------------------------------------------------------------------- C5 by mail


@pytest.mark.parametrize("access", ["read_only", "closed"])
def test_c5_a_reply_from_a_customer_who_may_not_write_is_held_and_reopens_nothing(
    box, tenant_a, agent, access
):
    """The attack: after expiry the referent replies to a closed ticket; today it reopened and
    its SLA clock started again. Now it is held with the reason, linked to the ticket."""
    ticket = receive(box, REFERENT, "Errore report", "c1").ticket
    close(ticket, agent)
    set_access(tenant_a.organisation, access)
    held = receive(box, REFERENT, f"Re: [{ticket.number}] Errore report", "c2")
    assert held.outcome == "held" and held.ticket_id == ticket.pk
    assert "contract" in held.reason and ticket.number in held.reason
    ticket = fresh(ticket)
    assert ticket.status == "closed" and ticket.closed_at is not None
    with scopes_disabled():
        assert not TicketEvent.objects.filter(ticket=ticket, kind="reopened").exists()


def test_c5_a_reply_to_a_waiting_ticket_does_not_restart_its_sla(box, tenant_a, agent):
    ticket = receive(box, REFERENT, "Errore report", "w1").ticket
    with scopes_disabled():
        desk.ticket_reply(ticket=ticket, body="Attendiamo i log.", by=agent, wait=True)
    paused = fresh(ticket).paused_since
    set_access(tenant_a.organisation, "read_only")
    held = receive(box, REFERENT, f"Re: [{ticket.number}] Errore report", "w2")
    assert held.outcome == "held" and "read-only" in held.reason
    ticket = fresh(ticket)
    assert ticket.status == "waiting" and ticket.paused_since == paused


def test_c5_a_late_reply_of_a_closed_customer_opens_no_new_ticket(box, tenant_a, agent):
    """After the reopen window a reply opens a new ticket: not for a closed customer."""
    ticket = receive(box, REFERENT, "Errore report", "l1").ticket
    close(ticket, agent)
    set_access(tenant_a.organisation, "closed")
    before = tickets()
    with time_machine.travel(timezone.now() + timedelta(days=40)):
        held = receive(box, REFERENT, f"Re: [{ticket.number}] Errore report", "l2")
    assert held.outcome == "held" and held.ticket_id == ticket.pk and "closed" in held.reason
    assert tickets() == before


# --------------------------------------------------------------------------- S3 on replies


def test_s3_an_end_user_cannot_open_a_service_request_by_replying_to_an_old_ticket(
    box, tenant_a, agent
):
    """The attack: a licensed end user replies, after the reopen window, to their old
    password-reset ticket with a campaign request; today that opened a service request."""
    ticket = receive(box, USER, "Password dimenticata", "p1").ticket
    assert ticket.category == "password_reset"
    close(ticket, agent)
    before = tickets()
    with time_machine.travel(timezone.now() + timedelta(days=30)):
        held = receive(box, USER, f"Re: [{ticket.number}] Campagna di Natale", "p2")
        allowed = receive(box, USER, f"Re: [{ticket.number}] Errore: non funziona", "p3")
    assert held.outcome == "held" and held.ticket_id == ticket.pk
    assert "only password-reset and incident" in held.reason
    assert allowed.outcome == "ticket" and allowed.ticket.linked_to_id == ticket.pk
    assert allowed.ticket.type == "incident" and tickets() == before + 1


# --------------------------------------------------------------------------- who may post


def test_s3_only_the_people_on_a_ticket_may_post_into_it_by_mail(box, tenant_a, agent):
    """The attack: any address of the customer's domain quoted the number and wrote into the
    ticket. Now: the requester, the referent and whoever was written to (Cc) may; another
    colleague is held with the reason, linked to the ticket."""
    ticket = receive(
        box, USER, "Errore login", "o1", extra="Cc: Collega <collega@alfa.example>\r\n"
    ).ticket
    subject = f"Re: [{ticket.number}] Errore login"
    other = receive(box, "curioso@alfa.example", subject, "o2")
    assert other.outcome == "held" and other.ticket_id == ticket.pk
    assert "not on ticket" in other.reason and ticket.number in other.reason
    with scopes_disabled():
        assert not ticket.messages.filter(from_address="curioso@alfa.example").exists()
    for sender, key in ((USER, "o3"), (REFERENT, "o4"), ("collega@alfa.example", "o5")):
        posted = receive(box, sender, subject, key)
        assert posted.outcome == "ticket" and posted.ticket_id == ticket.pk, sender
    # Somebody a participant writes to (Cc) joins the ticket in turn.
    receive(box, REFERENT, subject, "o6", extra="Cc: curioso@alfa.example\r\n")
    assert receive(box, "curioso@alfa.example", subject, "o7").ticket_id == ticket.pk


def test_s3_in_reply_to_is_no_way_around_the_people_on_the_ticket(box, tenant_a):
    ticket = receive(box, USER, "Errore login", "i1").ticket
    held = receive(box, "curioso@alfa.example", "Re: Errore login", "i2", "In-Reply-To: <i1@x>\r\n")
    assert held.outcome == "held" and held.ticket_id == ticket.pk


# --------------------------------------------------------------------------- triage (T1)


def test_t1_a_ticket_triaged_into_an_organisation_keeps_no_requester_of_another(
    box, tenant_a, tenant_b, agent
):
    """B's referent writes about A (say, a consultant of both); the agent files it under A:
    the ticket must not name B's user as requester (B's user would be a person of A's ticket)."""
    set_access(tenant_b.organisation, "read_only")  # held for B: the agent triages it
    held = receive(box, "referent@bravo-segreta.example", "Errore su Alfa", "t1")
    assert held.outcome == "held"
    with scopes_disabled():
        ticket = held_to_ticket(
            inbound=held, organisation=tenant_a.organisation, category="malfunction", by=agent
        )
    assert ticket.organisation_id == tenant_a.organisation.pk
    assert ticket.requester_id is None
    assert ticket.requester_email == "referent@bravo-segreta.example"


def test_s3_a_late_reply_from_a_triaged_stranger_threads_instead_of_failing(box, tenant_a, agent):
    """A stranger's mail an agent turned into a ticket of A: their replies join it, and after
    the reopen window their reply opens a follow-up in A (it used to fail: no organisation)."""
    stranger = "consulente@esterno.example"
    held = receive(box, stranger, "Errore integrazione", "s1")
    assert held.outcome == "held" and "Unknown sender" in held.reason
    with scopes_disabled():
        ticket = held_to_ticket(
            inbound=held, organisation=tenant_a.organisation, category="malfunction", by=agent
        )
    subject = f"Re: [{ticket.number}] Errore integrazione"
    reply = receive(box, stranger, subject, "s2")
    assert reply.outcome == "ticket" and reply.ticket_id == ticket.pk
    close(ticket, agent)
    with time_machine.travel(timezone.now() + timedelta(days=30)):
        late = receive(box, stranger, subject, "s3")
    assert late.outcome == "ticket", late.reason
    assert late.ticket.linked_to_id == ticket.pk
    assert late.ticket.organisation_id == tenant_a.organisation.pk
    assert late.ticket.requester_id is None
