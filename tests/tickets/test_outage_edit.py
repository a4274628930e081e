"""Issue 14 (SPEC S9, S7, T1–T3): outages recorded on an incident can be corrected and deleted
from the ticket page by the service desk only, with a confirmation for the deletion, the end
after the start, inside the ticket's own outages; a double submit does it once."""

import re
from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone, translation
from django_scopes import scopes_disabled

from tests.conftest import client_for
from tickets import outages
from tickets.models import Outage, Ticket, TicketEvent

pytestmark = pytest.mark.django_db
ROME = ZoneInfo("Europe/Rome")


def incident(tenant, number: str) -> Ticket:
    with scopes_disabled():
        return Ticket.objects.create(
            organisation=tenant.organisation,
            subject="Piattaforma ferma",
            type=Ticket.Type.INCIDENT,
            category=Ticket.Category.MALFUNCTION,
            requester=tenant.referent,
            requester_email=tenant.referent.email,
            number=number,
        )


def yesterday_at(hour: int):
    day = timezone.localtime(timezone.now(), ROME).date() - timedelta(days=1)
    return timezone.datetime(day.year, day.month, day.day, hour, 0, tzinfo=ROME)


@pytest.fixture
def recorded(tenant_a, tenant_b, agent):
    """An outage on A's incident and one on B's."""
    ours, theirs = incident(tenant_a, "T40000001"), incident(tenant_b, "T40000002")
    with scopes_disabled():
        mine = outages.outage_record(
            ticket=ours,
            by=agent,
            service="Piattaforma",
            started_at=yesterday_at(9),
            ended_at=yesterday_at(10),
        )
        foreign = outages.outage_record(
            ticket=theirs,
            by=agent,
            service="Posta",
            started_at=yesterday_at(11),
            ended_at=yesterday_at(12),
        )
    return ours, mine, theirs, foreign


def token_of(body: str) -> str:
    return re.search(r'name="write_once" value="(\w+)"', body).group(1)


def edit_url(ticket, outage) -> str:
    return f"/tickets/{ticket.pk}/outages/{outage.pk}/edit/"


def delete_url(ticket, outage) -> str:
    return f"/tickets/{ticket.pk}/outages/{outage.pk}/delete/"


def edit_data(token: str, **values) -> dict:
    day = yesterday_at(0).date().isoformat()
    return {
        "write_once": token,
        "service": "Piattaforma e posta",
        "start_date": day,
        "start_time": "08:30",
        "end_date": day,
        "end_time": "10:15",
        **values,
    }


def test_s9_agent_corrects_an_outage_from_a_form(agent, recorded):
    """The form shows the outage; the corrected service and times are saved and the ticket's
    history says what changed (S7)."""
    ticket, outage, _, _ = recorded
    client = client_for(agent)
    page = client.get(edit_url(ticket, outage))
    assert page.status_code == 200
    body = page.content.decode()
    assert 'value="Piattaforma"' in body and 'value="09:00"' in body
    response = client.post(edit_url(ticket, outage), edit_data(token_of(body)))
    assert response.status_code == 302 and response["Location"] == f"/tickets/{ticket.pk}/"
    with scopes_disabled():
        outage.refresh_from_db()
        assert outage.service == "Piattaforma e posta"
        assert outage.started_at == yesterday_at(8) + timedelta(minutes=30)
        assert outage.ended_at == yesterday_at(10) + timedelta(minutes=15)
        changed = TicketEvent.objects.filter(ticket=ticket, kind="outage").last()
    assert "Piattaforma" in changed.before and "Piattaforma e posta" in changed.after


def test_s9_end_before_start_is_refused_with_a_message_and_nothing_written(agent, recorded):
    """Bad input: the end before the start is refused in the user's language; nothing saved."""
    ticket, outage, _, _ = recorded
    client = client_for(agent)
    token = token_of(client.get(edit_url(ticket, outage)).content.decode())
    response = client.post(
        edit_url(ticket, outage), edit_data(token, start_time="11:00", end_time="10:00")
    )
    assert response.status_code == 200
    with translation.override("it"):
        assert "La fine deve venire dopo l&#x27;inizio." in response.content.decode() or (
            translation.gettext("The end must come after the start.") in response.content.decode()
        )
    with scopes_disabled():
        outage.refresh_from_db()
    assert outage.service == "Piattaforma" and outage.started_at == yesterday_at(9)


def test_s9_delete_asks_for_confirmation_then_deletes(agent, recorded):
    """GET shows a confirmation (nothing deleted); the POST deletes and the history says so."""
    ticket, outage, _, _ = recorded
    client = client_for(agent)
    page = client.get(delete_url(ticket, outage))
    assert page.status_code == 200 and "Piattaforma" in page.content.decode()
    with scopes_disabled():
        assert Outage.objects.filter(pk=outage.pk).exists()
    response = client.post(
        delete_url(ticket, outage), {"write_once": token_of(page.content.decode())}
    )
    assert response.status_code == 302
    with scopes_disabled():
        assert not Outage.objects.filter(pk=outage.pk).exists()
        gone = TicketEvent.objects.filter(ticket=ticket, kind="outage").last()
    assert "Piattaforma" in gone.before and gone.after == ""


def test_t1_another_tickets_outage_id_is_a_404_and_untouched(agent, recorded):
    """Attack: B's outage id under A's ticket (edit and delete, GET and POST) is a 404 and B's
    outage is unchanged."""
    ticket, outage, _, foreign = recorded
    client = client_for(agent)
    for url in (edit_url(ticket, foreign), delete_url(ticket, foreign)):
        assert client.get(url).status_code == 404
        token = token_of(client.get(edit_url(ticket, outage)).content.decode())
        assert client.post(url, edit_data(token)).status_code == 404
    with scopes_disabled():
        foreign.refresh_from_db()
    assert foreign.service == "Posta"


@pytest.mark.parametrize("who", ["referent", "end_user", "cstm"])
def test_t3_only_the_desk_edits_or_deletes_outages(who, tenant_a, cstm, recorded):
    """Attack: the customer (even for their own ticket) and the CSTM get 403/404, nothing
    changes."""
    ticket, outage, _, _ = recorded
    user = cstm if who == "cstm" else getattr(tenant_a, who)
    client = client_for(user)
    for url in (edit_url(ticket, outage), delete_url(ticket, outage)):
        assert client.get(url).status_code in (403, 404)
        response = client.post(url, edit_data("a" * 32))
        assert response.status_code in (403, 404)
    with scopes_disabled():
        outage.refresh_from_db()
    assert outage.service == "Piattaforma"


def test_l5_double_submit_edits_and_deletes_once(agent, recorded):
    """The same form sent twice: one change recorded, and a deletion sent twice answers
    "already recorded" instead of an error."""
    ticket, outage, _, _ = recorded
    client = client_for(agent)
    token = token_of(client.get(edit_url(ticket, outage)).content.decode())
    first = client.post(edit_url(ticket, outage), edit_data(token))
    second = client.post(edit_url(ticket, outage), edit_data(token, service="Altro"))
    assert first.status_code == second.status_code == 302
    with scopes_disabled():
        outage.refresh_from_db()
        assert outage.service == "Piattaforma e posta"
        assert TicketEvent.objects.filter(ticket=ticket, kind="outage").count() == 2
    token = token_of(client.get(delete_url(ticket, outage)).content.decode())
    first = client.post(delete_url(ticket, outage), {"write_once": token})
    second = client.post(delete_url(ticket, outage), {"write_once": token})
    assert first.status_code == second.status_code == 302
    assert second["Location"] == f"/tickets/{ticket.pk}/"
    with scopes_disabled():
        assert TicketEvent.objects.filter(ticket=ticket, kind="outage").count() == 3


def test_the_ticket_page_links_to_edit_and_delete_for_the_desk(agent, tenant_a, recorded):
    """The desk finds the two actions next to each outage; the customer does not."""
    ticket, outage, _, _ = recorded
    body = client_for(agent).get(f"/tickets/{ticket.pk}/").content.decode()
    assert edit_url(ticket, outage) in body and delete_url(ticket, outage) in body
    body = client_for(tenant_a.referent).get(f"/tickets/{ticket.pk}/").content.decode()
    assert edit_url(ticket, outage) not in body


def test_s7_history_says_the_outage_was_corrected_then_deleted(agent, recorded):
    """The history in words (S7, S8): a correction and a deletion are not "Outage recorded"."""
    from tickets.history import describe

    ticket, outage, _, _ = recorded
    with scopes_disabled():
        outages.outage_update(
            ticket=ticket,
            outage_id=outage.pk,
            by=agent,
            service="Posta",
            started_at=yesterday_at(9),
            ended_at=yesterday_at(11),
        )
        outages.outage_delete(ticket=ticket, outage_id=outage.pk, by=agent)
        recorded_, corrected, deleted = TicketEvent.objects.filter(
            ticket=ticket, kind="outage"
        ).order_by("pk")
    with translation.override("en"):
        assert describe(recorded_) == "Outage recorded"
        assert describe(corrected).startswith("Outage corrected from Piattaforma ")
        assert " to Posta " in describe(corrected)
        assert describe(deleted).startswith("Outage deleted: Posta ")
