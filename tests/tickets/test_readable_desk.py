"""The desk, readable (SPEC S5, S7, S8, S9): the status filter tells "every open ticket" from the
status Open, the history reads as sentences in the reader's language, links in messages work
without letting HTML through, and the SLA badge names its target and due time."""

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone, translation
from django_scopes import scopes_disabled

from tests.conftest import client_for
from tests.tickets.test_desk import receive
from tickets import desk
from tickets.history import describe
from tickets.models import Ticket, TicketEvent

pytestmark = pytest.mark.django_db


def test_s9_the_open_status_is_filtered_apart_from_every_open_ticket(box, tenant_a, agent):
    new = receive(box, "user@alfa.example", "Errore uno", "<r1@x>")
    opened = receive(box, "user@alfa.example", "Errore due", "<r2@x>")
    waiting = receive(box, "user@alfa.example", "Errore tre", "<r3@x>")
    with scopes_disabled():
        desk.ticket_update(ticket=opened, by=agent, status=Ticket.Status.OPEN)
        desk.ticket_update(ticket=waiting, by=agent, status=Ticket.Status.WAITING)
    client = client_for(agent)

    def numbers(**query) -> set[str]:
        page = client.get(reverse("ticket_list"), query)
        return {ticket.number for ticket, _clock in page.context["rows"]}

    assert numbers() == {new.number, opened.number, waiting.number}  # the default: all open
    assert numbers(status="open") == {opened.number}
    assert numbers(status="waiting") == {waiting.number}


def test_s7_s8_the_history_reads_as_sentences_in_the_readers_language(box, tenant_a, agent):
    ticket = receive(box, "user@alfa.example", "Errore", "<r4@x>")
    with scopes_disabled():
        desk.ticket_update(ticket=ticket, by=agent, status=Ticket.Status.WAITING)
        change = TicketEvent.objects.get(ticket=ticket, kind=TicketEvent.Kind.STATUS)
    with translation.override("en"):
        assert describe(change) == "Status changed from New to Waiting on customer"
    with translation.override("it"):
        sentence = describe(change)
    assert sentence.startswith("Stato") and "Nuovo" in sentence and "new" not in sentence
    agent.language = "en"
    agent.save(update_fields=["language"])
    page = client_for(agent).get(reverse("ticket_detail", args=[ticket.pk])).content.decode()
    assert "Status changed from New to Waiting on customer" in page


def test_s8_links_in_messages_work_and_html_stays_text(box, tenant_a):
    ticket = receive(box, "referent@alfa.example", "Errore", "<r5@x>")
    with scopes_disabled():
        desk.ticket_reply(
            ticket=ticket,
            body="Vedi https://status.example.com/incidents/42 <script>alert(1)</script>",
            by=tenant_a.referent,
        )
    page = client_for(tenant_a.referent).get(reverse("ticket_detail", args=[ticket.pk]))
    html = page.content.decode()
    assert 'href="https://status.example.com/incidents/42"' in html
    assert "<script>alert(1)</script>" not in html and "&lt;script&gt;" in html


@time_machine.travel(datetime(2026, 11, 25, 15, 0, tzinfo=ZoneInfo("Europe/Rome")), tick=False)
def test_s5_the_sla_badge_names_its_target_and_due_time(box, tenant_a, agent):
    """A Wednesday at 15:00 in Rome, inside support hours: 30 minutes left, past the policy's
    warning instant, is amber and names the first-response target; five hours past it is red
    and says how late."""
    ticket = receive(box, "referent@alfa.example", "Errore", "<r6@x>")
    with scopes_disabled():
        Ticket.objects.filter(pk=ticket.pk).update(
            first_response_due=timezone.now() + timedelta(minutes=30),
            first_response_warn_at=timezone.now() - timedelta(minutes=30),
            resolution_due=timezone.now() + timedelta(days=3),
            paused_since=None,
        )
    agent.language = "en"
    agent.save(update_fields=["language"])
    client = client_for(agent)
    badge = _badge(client.get(reverse("ticket_list")).content.decode())
    assert "First response due" in badge and "min left" in badge and "sla-soon" in badge
    with scopes_disabled():
        Ticket.objects.filter(pk=ticket.pk).update(
            first_response_due=timezone.now() - timedelta(hours=5)
        )
    badge = _badge(client.get(reverse("ticket_list")).content.decode())
    assert "First response overdue" in badge and "sla-breached" in badge


def _badge(html: str) -> str:
    start = html.index('data-testid="sla-clock"')
    return html[html.rindex("<span", 0, start) : html.index("</span>", start)]
