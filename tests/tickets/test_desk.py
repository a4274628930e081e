"""Working tickets: replies, closing with an outcome, reopening, history (SPEC S1, S6, S7, T1).
Messages enter through the same ingest() the poller uses."""

from datetime import timedelta

import pytest
import time_machine
from django.core import mail
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone
from django_scopes import scopes_disabled

from accounts.roles import AgentLevel, Role
from tests.conftest import client_for
from tests.factories import person
from tests.tickets.conftest import TRUSTED_AUTHSERV_ID, authenticated
from tickets import desk, ingest
from tickets.models import Mailbox, Ticket, TicketEvent

pytestmark = pytest.mark.django_db


@pytest.fixture
def box(db) -> Mailbox:
    return Mailbox.objects.create(
        name="Support",
        address="support@csm-test.example",
        host="127.0.0.1",
        username="x",
        trusted_authserv_id=TRUSTED_AUTHSERV_ID,
    )


@pytest.fixture
def l2(provider_org):
    return person(provider_org, Role.AGENT, level=AgentLevel.L2, email="l2@provider.example")


def receive(box, sender: str, subject: str, message_id: str, extra: str = "") -> Ticket:
    raw = (
        f"{authenticated(sender)}From: {sender}\r\nSubject: {subject}\r\n"
        f"Message-ID: {message_id}\r\n{extra}"
        "Content-Type: text/plain; charset=utf-8\r\n\r\nIl corso non si apre.\r\n"
    ).encode()
    inbound, _ = ingest.ingest(box, raw)
    with scopes_disabled():
        return Ticket.objects.get(pk=inbound.ticket_id) if inbound.ticket_id else None


def test_s7_closing_needs_an_outcome_and_records_the_contractual_events(box, tenant_a, agent):
    ticket = receive(box, "user@alfa.example", "Errore corso", "<d1@x>")
    with pytest.raises(ValidationError) as error, scopes_disabled():
        desk.ticket_update(ticket=ticket, by=agent, status="closed")
    assert "outcome" in error.value.message_dict
    with scopes_disabled():
        desk.ticket_update(
            ticket=ticket, by=agent, status="closed", outcome="solved", priority="high"
        )
        kinds = list(TicketEvent.objects.filter(ticket=ticket).values_list("kind", "contractual"))
    assert ("opened", True) in kinds and ("closed", True) in kinds and ("outcome", True) in kinds
    assert ("priority", False) in kinds and ("status", False) in kinds


def test_s1_a_reply_to_a_closed_ticket_reopens_it_within_the_window_else_links_a_new_one(
    box, tenant_a, agent
):
    ticket = receive(box, "user@alfa.example", "Errore corso", "<r1@x>")
    with scopes_disabled():
        desk.ticket_update(ticket=ticket, by=agent, status="closed", outcome="solved")
    again = receive(box, "user@alfa.example", f"Re: [{ticket.number}] Errore", "<r2@x>")
    assert again.pk == ticket.pk and again.status == "open"
    with scopes_disabled():
        desk.ticket_update(ticket=again, by=agent, status="closed", outcome="solved")
    with time_machine.travel(timezone.now() + timedelta(days=30)):
        late = receive(box, "user@alfa.example", f"Re: [{ticket.number}] Errore", "<r3@x>")
    assert late.pk != ticket.pk and late.linked_to_id == ticket.pk


def test_s6_agent_reply_goes_out_threaded_and_the_owner_stays(
    box, tenant_a, agent, django_capture_on_commit_callbacks
):
    ticket = receive(box, "referent@alfa.example", "Errore report", "<o1@x>")
    with django_capture_on_commit_callbacks(execute=True), scopes_disabled():
        desk.ticket_reply(ticket=ticket, body="Ci stiamo lavorando.", by=agent, wait=True)
    (sent,) = [m for m in mail.outbox if m.to == ["referent@alfa.example"]]
    assert sent.subject == f"[{ticket.number}] Errore report"
    assert sent.extra_headers["In-Reply-To"] == "<o1@x>"
    with scopes_disabled():
        ticket.refresh_from_db()
    assert ticket.owner == agent and ticket.status == "waiting" and ticket.paused_since
    assert ticket.first_response_at is not None
    # The customer's answer resumes the clock and keeps the owner (S6).
    receive(box, "referent@alfa.example", f"Re: [{ticket.number}] Errore report", "<o2@x>")
    with scopes_disabled():
        ticket.refresh_from_db()
    assert ticket.status == "open" and ticket.paused_since is None and ticket.owner == agent


def test_t1_customers_see_their_own_tickets_only(box, tenant_a, tenant_b, agent):
    alfa_ticket = receive(box, "referent@alfa.example", "Errore A", "<v1@x>")
    own = receive(box, "user@alfa.example", "Errore utente", "<v2@x>")
    bravo_ticket = receive(box, "referent@bravo-segreta.example", "Errore B", "<v3@x>")
    referent = client_for(tenant_a.referent)
    assert referent.get(reverse("ticket_detail", args=[alfa_ticket.pk])).status_code == 200
    assert referent.get(reverse("ticket_detail", args=[bravo_ticket.pk])).status_code == 404
    end_user = client_for(tenant_a.end_user)
    assert end_user.get(reverse("ticket_detail", args=[own.pk])).status_code == 200
    assert end_user.get(reverse("ticket_detail", args=[alfa_ticket.pk])).status_code == 404
    listing = referent.get(reverse("ticket_list")).content.decode()
    assert alfa_ticket.number in listing and bravo_ticket.number not in listing


def test_the_referent_replies_in_the_portal_and_the_agent_sees_it(box, tenant_a, agent):
    ticket = receive(box, "referent@alfa.example", "Errore A", "<p1@x>")
    response = client_for(tenant_a.referent).post(
        reverse("ticket_detail", args=[ticket.pk]), {"body": "Ecco lo screenshot."}
    )
    assert response.status_code == 302
    page = client_for(agent).get(reverse("ticket_detail", args=[ticket.pk])).content.decode()
    assert "Ecco lo screenshot." in page


def test_held_messages_are_triaged_never_dropped(box, tenant_a, agent):
    assert receive(box, "stranger@elsewhere.example", "Errore", "<h1@x>") is None
    client = client_for(agent)
    queue = client.get(reverse("triage")).content.decode()
    assert "stranger@elsewhere.example" in queue
    with scopes_disabled():
        from tickets.models import InboundMessage

        held = InboundMessage.objects.get(message_key="<h1@x>")
    response = client.post(
        reverse("triage_item", args=[held.pk]),
        {"organisation": tenant_a.organisation.pk, "category": "malfunction"},
    )
    assert response.status_code == 302
    with scopes_disabled():
        held.refresh_from_db()
        assert held.outcome == "ticket" and held.ticket.organisation == tenant_a.organisation


def test_s9_kpi_page(box, tenant_a, agent):
    receive(box, "referent@alfa.example", "Errore A", "<k1@x>")
    page = client_for(agent).get(reverse("ticket_kpi"))
    assert page.status_code == 200
    assert page.context["backlog"] == 1
    assert page.context["by_organisation"][0]["organisation__name"] == tenant_a.organisation.name


def test_s8_the_auto_reply_speaks_the_requesters_language(
    box, tenant_a, django_capture_on_commit_callbacks
):
    tenant_a.referent.language = "fr"
    tenant_a.referent.save(update_fields=["language"])
    with django_capture_on_commit_callbacks(execute=True):
        ticket = receive(box, "referent@alfa.example", "Problème de connexion", "<fr1@x>")
    (reply,) = [m for m in mail.outbox if m.to == ["referent@alfa.example"]]
    assert ticket.number in reply.subject and ticket.number in reply.body
    assert "ticket" in reply.body and "Nous avons" in reply.body
