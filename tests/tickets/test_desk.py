"""Working tickets: replies, closing with an outcome, reopening, history (SPEC S1, S6, S7, T1).
Messages enter through the same ingest() the poller uses."""

import re
from datetime import timedelta

import pytest
import time_machine
from django.core import mail
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from django_scopes import scopes_disabled

from accounts.models import Organisation
from accounts.roles import AgentLevel, Role
from tests.conftest import client_for
from tests.factories import person
from tests.tickets.conftest import authenticated
from tickets import desk, ingest
from tickets.models import Ticket, TicketEvent, TicketMessage

pytestmark = pytest.mark.django_db


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
        {
            "action": "open",
            "open-organisation": tenant_a.organisation.pk,
            "open-category": "malfunction",
        },
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


def test_s9_the_kpi_chart_shows_six_months_quiet_ones_included(box, tenant_a, agent):
    """The volume chart has one bar per month of the last six, a month without tickets as a
    zero (a gap would hide it), and the compliance line on its own 0–100 axis."""
    receive(box, "referent@alfa.example", "Errore A", "<k2@x>")
    with time_machine.travel(timezone.now() + timedelta(days=70)):
        page = client_for(agent).get(reverse("ticket_kpi"))
        api = client_for(agent).get("/api/v1/ticket-kpi/").json()
    months = [row["month"] for row in page.context["by_month"]]
    assert len(months) == 6 and months == sorted(months)
    chart = page.context["month_chart"]
    opened = chart["data"]["datasets"][0]["data"]
    assert len(chart["data"]["labels"]) == 6 and sum(opened) == 1 and opened.count(0) == 5
    assert chart["options"]["scales"]["y1"]["max"] == 100
    assert 'data-chart="kpi-month-chart"' in page.content.decode()
    assert [row["month"] for row in api["by_month"]] == [m.isoformat() for m in months]


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


# --------------------------------------------------------------------------- issue 11

EXPIRED = "Your contract has expired: you can read your tickets but no longer reply."


def api(user):
    """A personal API token of ``user`` (provider staff have TOTP through tests.factories)."""
    from accounts import services as account_services

    _token, secret = account_services.api_token_create(user=user, name=f"test {user.pk}")
    return Client(HTTP_AUTHORIZATION=f"Bearer {secret}")


def post_json(client, url: str, data: dict):
    return client.post(url, data, content_type="application/json")


def set_access(organisation, access: str) -> None:
    with scopes_disabled():
        Organisation.objects.filter(pk=organisation.pk).update(access=access)


def snapshot(ticket: Ticket) -> tuple:
    """Everything a customer reply could change: messages, events, status and SLA clock."""
    with scopes_disabled():
        fresh = Ticket.objects.get(pk=ticket.pk)
        return (
            fresh.messages.count(),
            fresh.events.count(),
            fresh.status,
            fresh.paused_since,
            fresh.first_response_due,
            fresh.resolution_due,
            fresh.resolved_at,
        )


@pytest.fixture
def waiting(box, tenant_a, agent, django_capture_on_commit_callbacks) -> Ticket:
    """A referent's ticket the agent answered and put on hold (SLA clock paused)."""
    ticket = receive(box, "referent@alfa.example", "Errore report", "<c5-1@x>")
    with django_capture_on_commit_callbacks(execute=True), scopes_disabled():
        desk.ticket_reply(ticket=ticket, body="Ci mandi uno screenshot?", by=agent, wait=True)
    tenant_a.referent.language = "en"
    tenant_a.referent.save(update_fields=["language"])
    return ticket


def test_c5_a_read_only_customer_cannot_reply_in_the_portal(waiting, tenant_a):
    """SPEC C5: days 1–30 after expiry the referent reads the ticket but the reply form is
    replaced by a sentence in their language, and a forged POST writes nothing: no message, no
    reopen, no SLA clock restarted."""
    set_access(tenant_a.organisation, Organisation.Access.READ_ONLY)
    before = snapshot(waiting)
    client = client_for(tenant_a.referent)
    page = client.get(reverse("ticket_detail", args=[waiting.pk]))
    assert page.status_code == 200
    html = page.content.decode()
    assert EXPIRED in html and 'data-testid="reply-form"' not in html
    assert "Ci mandi uno screenshot?" in html  # reading still works
    response = client.post(reverse("ticket_detail", args=[waiting.pk]), {"body": "Eccolo."})
    assert response.status_code == 403 and EXPIRED in response.content.decode()
    assert snapshot(waiting) == before


def test_c5_a_read_only_customer_cannot_reply_through_the_api(waiting, tenant_a):
    """SPEC C5: the API answers 403 with the same sentence; nothing is written."""
    set_access(tenant_a.organisation, Organisation.Access.READ_ONLY)
    before = snapshot(waiting)
    client = api(tenant_a.referent)
    assert client.get(f"/api/v1/tickets/{waiting.pk}/messages/").status_code == 200
    response = post_json(client, f"/api/v1/tickets/{waiting.pk}/reply/", {"body": "Eccolo."})
    assert response.status_code == 403
    assert response.json()["detail"] == EXPIRED
    assert snapshot(waiting) == before


def test_c5_a_closed_customer_cannot_reply_by_service_token_or_session(waiting, tenant_a):
    """SPEC C5: from day 31 the customer cannot sign in (session logged out, token refused),
    and the service itself refuses the write for the portal and the API alike."""
    set_access(tenant_a.organisation, Organisation.Access.CLOSED)
    before = snapshot(waiting)
    with pytest.raises(PermissionDenied, match="no longer reply"), scopes_disabled():
        desk.ticket_reply(ticket=waiting, body="Eccolo.", by=tenant_a.end_user)
    with pytest.raises(PermissionDenied), scopes_disabled():
        desk.ticket_reply(ticket=waiting, body="Eccolo.", by=tenant_a.referent)
    session = client_for(tenant_a.referent)
    response = session.post(reverse("ticket_detail", args=[waiting.pk]), {"body": "Eccolo."})
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]
    token = Client(HTTP_AUTHORIZATION=f"Bearer {tenant_a.token_secret}")
    response = post_json(token, f"/api/v1/tickets/{waiting.pk}/reply/", {"body": "Eccolo."})
    assert response.status_code in (401, 403)
    assert snapshot(waiting) == before


def test_c5_a_customer_with_full_access_still_replies_and_reopens(waiting, tenant_a):
    """The refusal is for expired contracts only: a running customer's reply resumes the clock."""
    response = post_json(
        api(tenant_a.referent), f"/api/v1/tickets/{waiting.pk}/reply/", {"body": "Eccolo."}
    )
    assert response.status_code == 201
    with scopes_disabled():
        waiting.refresh_from_db()
    assert waiting.status == "open" and waiting.paused_since is None


def test_s6_a_cstm_reply_does_not_make_the_cstm_the_owner(
    box, tenant_a, cstm, agent, django_capture_on_commit_callbacks
):
    """SPEC S6: the owner is a service-desk agent who keeps the ticket; a CSTM answering first
    (they are provider staff) does not take it over; the next agent who replies does."""
    ticket = receive(box, "referent@alfa.example", "Domanda sul report", "<own-c1@x>")
    with django_capture_on_commit_callbacks(execute=True), scopes_disabled():
        desk.ticket_reply(ticket=ticket, body="Ne parlo con il team.", by=cstm)
        ticket.refresh_from_db()
        assert ticket.owner is None
        assert not ticket.events.filter(kind=TicketEvent.Kind.OWNER).exists()
        desk.ticket_reply(ticket=ticket, body="Ci stiamo lavorando.", by=agent)
        ticket.refresh_from_db()
    assert ticket.owner == agent


def test_s6_a_deactivated_agent_cannot_become_owner(box, tenant_a, agent, admin_user, l2):
    """SPEC S6: an owner must be an active agent (or admin): the service, the API and the form's
    choices all refuse a deactivated one, and nothing changes."""
    ticket = receive(box, "referent@alfa.example", "Errore", "<own-d1@x>")
    api_client = api(agent)  # the token is made while l2 is still active: the call comes later
    l2.is_active = False
    l2.save(update_fields=["is_active"])
    with pytest.raises(ValidationError) as error, scopes_disabled():
        desk.ticket_update(ticket=ticket, by=agent, owner=l2)
    assert "owner" in error.value.message_dict
    response = post_json(api_client, f"/api/v1/tickets/{ticket.pk}/update/", {"owner": l2.pk})
    assert response.status_code == 400 and "owner" in response.json()
    from tickets.forms import TicketUpdateForm

    assert l2 not in TicketUpdateForm().fields["owner"].queryset
    with scopes_disabled():
        ticket.refresh_from_db()
        assert ticket.owner is None
        desk.ticket_update(ticket=ticket, by=agent, owner=admin_user)
        ticket.refresh_from_db()
    assert ticket.owner == admin_user


def test_t1_another_tenants_ticket_is_a_404_on_every_desk_route(box, tenant_a, tenant_b):
    """SPEC T1: a referent of A reaching B's ticket by id, in the portal and the API, reads and
    writes nothing and learns nothing (404, never 403)."""
    theirs = receive(box, "referent@bravo-segreta.example", "Segreto", "<t1-b@x>")
    before = snapshot(theirs)
    portal = client_for(tenant_a.referent)
    assert portal.get(reverse("ticket_detail", args=[theirs.pk])).status_code == 404
    assert portal.post(reverse("ticket_detail", args=[theirs.pk]), {"body": "x"}).status_code == (
        404
    )
    assert portal.post(
        reverse("ticket_update", args=[theirs.pk]), {"status": "closed"}
    ).status_code == (404)
    token = Client(HTTP_AUTHORIZATION=f"Bearer {tenant_a.token_secret}")
    base = f"/api/v1/tickets/{theirs.pk}"
    for url in (f"{base}/", f"{base}/messages/", f"{base}/history/"):
        assert token.get(url).status_code == 404, url
    assert post_json(token, f"{base}/reply/", {"body": "x"}).status_code == 404
    assert post_json(token, f"{base}/update/", {"status": "closed"}).status_code == 404
    assert snapshot(theirs) == before


def test_t1_a_referent_cannot_make_agent_only_updates(box, tenant_a, agent):
    """Only the desk changes status, owner, priority…: a referent on their own ticket gets the
    portal's 404 and the API's 403 (it may see the ticket), and the service itself refuses."""
    ticket = receive(box, "referent@alfa.example", "Errore", "<t1-u@x>")
    before = snapshot(ticket)
    portal = client_for(tenant_a.referent)
    response = portal.post(
        reverse("ticket_update", args=[ticket.pk]),
        {"status": "closed", "outcome": "solved", "priority": "critical"},
    )
    assert response.status_code == 404
    token = Client(HTTP_AUTHORIZATION=f"Bearer {tenant_a.token_secret}")
    response = post_json(
        token, f"/api/v1/tickets/{ticket.pk}/update/", {"priority": "critical", "owner": agent.pk}
    )
    assert response.status_code == 403
    with pytest.raises(PermissionDenied), scopes_disabled():
        desk.ticket_update(ticket=ticket, by=tenant_a.referent, priority="critical")
    with scopes_disabled():
        ticket.refresh_from_db()
    assert ticket.priority != "critical" and ticket.owner is None
    assert snapshot(ticket) == before


def test_l5_a_double_post_of_a_reply_sends_one_mail(
    box, tenant_a, agent, django_capture_on_commit_callbacks
):
    """SPEC L5: a double click (the same reply posted twice, page or API) records and sends the
    reply once; a different reply afterwards goes out normally."""
    ticket = receive(box, "referent@alfa.example", "Errore", "<l5-1@x>")
    mail.outbox.clear()
    portal = client_for(agent)
    url = reverse("ticket_detail", args=[ticket.pk])
    with django_capture_on_commit_callbacks(execute=True):
        first = portal.post(url, {"body": "Ci stiamo lavorando."})
        second = portal.post(url, {"body": "Ci stiamo lavorando."})
        again = post_json(
            api(agent), f"/api/v1/tickets/{ticket.pk}/reply/", {"body": "Ci stiamo lavorando."}
        )
    assert first.status_code == second.status_code == 302 and again.status_code == 201
    assert len([m for m in mail.outbox if m.to == ["referent@alfa.example"]]) == 1
    with scopes_disabled():
        assert ticket.messages.filter(direction=TicketMessage.Direction.OUTBOUND).count() == 1
    with django_capture_on_commit_callbacks(execute=True):
        portal.post(url, {"body": "Risolto, può verificare?"})
    assert len([m for m in mail.outbox if m.to == ["referent@alfa.example"]]) == 2


def test_l5_a_double_post_of_a_customer_reply_records_it_once(waiting, tenant_a):
    """The customer's double submit adds one message too."""
    client = client_for(tenant_a.referent)
    url = reverse("ticket_detail", args=[waiting.pk])
    client.post(url, {"body": "Eccolo."})
    client.post(url, {"body": "Eccolo."})
    with scopes_disabled():
        assert (
            waiting.messages.filter(
                direction=TicketMessage.Direction.INBOUND, body_text="Eccolo."
            ).count()
            == 1
        )


def test_s1_ticket_numbers_are_not_consecutive_and_reveal_no_volume(box, tenant_a):
    """Issue 11: numbers were `T` + the primary key, so a customer could infer the platform's
    volume. Two tickets in a row now get unrelated, unique, 8-digit numbers."""
    first = receive(box, "referent@alfa.example", "Errore uno", "<n1@x>")
    second = receive(box, "referent@alfa.example", "Errore due", "<n2@x>")
    pattern = re.compile(r"T[1-9]\d{7}")
    assert pattern.fullmatch(first.number) and pattern.fullmatch(second.number)
    assert first.number != second.number
    assert abs(int(second.number[1:]) - int(first.number[1:])) != 1
    assert int(first.number[1:]) != first.pk and int(second.number[1:]) != second.pk


def test_s1_a_reply_quoting_a_new_format_number_threads_onto_its_ticket(box, tenant_a):
    """SPEC S1: replies thread by the number in the subject, old (T000068) and new (T48213907)."""
    ticket = receive(box, "referent@alfa.example", "Errore report", "<thr-1@x>")
    assert len(ticket.number) == 9
    again = receive(
        box, "referent@alfa.example", f"RE: [{ticket.number}] Errore report", "<thr-2@x>"
    )
    assert again.pk == ticket.pk
    with scopes_disabled():
        Ticket.objects.filter(pk=ticket.pk).update(number="T000068")
    old = receive(box, "referent@alfa.example", "R: [T000068] Errore report", "<thr-3@x>")
    assert old.pk == ticket.pk


def test_s1_a_number_collision_is_retried_and_numbers_stay_unique(box, tenant_a, monkeypatch):
    """The number is random, so two tickets could draw the same: the database refuses the second
    (unique constraint) and the service draws again inside a savepoint."""
    import random

    from csm_portal import numbering

    monkeypatch.setattr(numbering, "RNG", random.Random(11))
    first = receive(box, "referent@alfa.example", "Errore uno", "<col-1@x>")
    monkeypatch.setattr(numbering, "RNG", random.Random(11))  # the same draw again
    second = receive(box, "referent@alfa.example", "Errore due", "<col-2@x>")
    draws = random.Random(11)
    expected = [numbering.ticket_number(draws), numbering.ticket_number(draws)]
    # The second ticket drew the first one's number, was refused, and drew the next one.
    assert [first.number, second.number] == expected
    with pytest.raises(IntegrityError), scopes_disabled(), transaction.atomic():
        Ticket.objects.filter(pk=second.pk).update(number=first.number)


@pytest.mark.django_db(transaction=True)
def test_l5_two_tabs_posting_the_same_reply_at_once_send_one_mail(box, tenant_a, agent):
    """SPEC L5 on real PostgreSQL with two connections: the same reply posted at the same
    instant from two tabs (API and page alike go through ticket_reply) is recorded and mailed
    once, because the ticket row lock makes the second see the first."""
    import threading

    from django.db import connection

    ticket = receive(box, "referent@alfa.example", "Errore", "<l5-tabs@x>")
    mail.outbox.clear()
    barrier = threading.Barrier(2)
    errors: list[Exception] = []

    def post() -> None:
        try:
            with scopes_disabled():
                barrier.wait(timeout=10)
                desk.ticket_reply(ticket=ticket, body="Ci stiamo lavorando.", by=agent)
        except Exception as error:  # reported by the assertion below
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=post) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert errors == []
    assert len([m for m in mail.outbox if m.to == ["referent@alfa.example"]]) == 1
    with scopes_disabled():
        assert ticket.messages.filter(direction=TicketMessage.Direction.OUTBOUND).count() == 1
