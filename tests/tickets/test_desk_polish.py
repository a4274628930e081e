"""The desk, readable (issue 14): SLA warnings and badges at the policy's own "warn before"
(SPEC S5, L2), the "breaching soon" filter, files on agents' replies, canned responses in the
requester's language (S8), SLA policies edited in the portal, triage's two distinct actions
(S3) — each with the attacks that must fail (another tenant's ids, customers posting the desk's
actions, an L1 agent editing policies, forged ids, double submits)."""

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core import mail
from django.core.exceptions import PermissionDenied
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django_scopes import scopes_disabled

from accounts.roles import AgentLevel, Role
from tests.conftest import client_for
from tests.factories import person
from tests.tickets.conftest import sla_policy
from tests.tickets.test_desk import receive
from tickets import desk, desk_settings, selectors, sla
from tickets.clock import warn_due
from tickets.models import (
    Attachment,
    CannedResponse,
    InboundMessage,
    SlaPolicy,
    SlaWarning,
    Ticket,
    TicketMessage,
)

pytestmark = pytest.mark.django_db
ROME = ZoneInfo("Europe/Rome")
MONDAY_9 = datetime(2026, 11, 23, 9, 0, tzinfo=ROME)


def incident_policy(**fields) -> SlaPolicy:
    values = {
        "name": "Incident normal",
        "ticket_type": "incident",
        "priority": "normal",
        "first_response_minutes": 240,
        "resolution_minutes": 960,
        "warn_before_minutes": 90,
        **fields,
    }
    return sla_policy(**values)


def ticket_at(box, when: datetime, message_id: str, sender: str = "user@alfa.example") -> Ticket:
    with time_machine.travel(when, tick=False):
        return receive(box, sender, "Errore piattaforma", message_id)


# --------------------------------------------------------------------------- SLA warn before


def test_s5_the_warning_comes_at_the_policys_warn_before_not_a_fixed_hour(
    box, tenant_a, agent, provider_org
):
    """First response due Monday 13:00 (4 support hours after 09:00); the policy warns 90
    minutes before: nothing at 11:29, the warning at 11:30. Changed to 15 minutes in the portal,
    the open ticket's next warning (resolution, due Tuesday 16:00 after 16 support hours) comes
    at 15:45, not an hour before."""
    incident_policy()
    ticket = ticket_at(box, MONDAY_9, "<w1@x>")
    with scopes_disabled():
        assert ticket.first_response_due == datetime(2026, 11, 23, 13, 0, tzinfo=ROME)
        assert warn_due(now=datetime(2026, 11, 23, 11, 29, tzinfo=ROME)) == 0
        assert warn_due(now=datetime(2026, 11, 23, 11, 30, tzinfo=ROME)) == 1
        assert SlaWarning.objects.get().target == "first_response"
        Ticket.objects.filter(pk=ticket.pk).update(
            first_response_at=datetime(2026, 11, 23, 11, 40, tzinfo=ROME)
        )
        admin = person(provider_org, Role.PROVIDER_ADMIN, email="boss@provider.example")
        policy = SlaPolicy.objects.get(ticket_type="incident", priority="normal", contract=None)
        desk_settings.sla_policy_save(
            by=admin,
            policy=policy,
            name=policy.name,
            ticket_type="incident",
            priority="normal",
            first_response_minutes=240,
            resolution_minutes=960,
            warn_before_minutes=15,
        )
        ticket.refresh_from_db()
        assert ticket.resolution_due == datetime(2026, 11, 24, 16, 0, tzinfo=ROME)
        assert warn_due(now=datetime(2026, 11, 24, 15, 0, tzinfo=ROME)) == 0  # 1 h before
        assert warn_due(now=datetime(2026, 11, 24, 15, 44, tzinfo=ROME)) == 0
        assert warn_due(now=datetime(2026, 11, 24, 15, 45, tzinfo=ROME)) == 1


def test_s5_breaching_soon_lists_open_tickets_past_their_policys_warning_not_yet_breached(
    box, tenant_a, agent
):
    """At Monday 12:00: one ticket opened at 09:00 (first response due 13:00, warned from 11:30)
    is breaching soon; one opened at 11:00 (due 15:00) is not yet; one opened at 08:00 on the
    Friday before is breached, and one waiting on the customer is paused: neither is listed.
    The list page filters the same and counts its queries without a calendar per row."""
    incident_policy()
    soon = ticket_at(box, MONDAY_9, "<b1@x>")
    later = ticket_at(box, datetime(2026, 11, 23, 11, 0, tzinfo=ROME), "<b2@x>")
    late = ticket_at(box, datetime(2026, 11, 20, 8, 0, tzinfo=ROME), "<b3@x>")
    paused = ticket_at(box, MONDAY_9, "<b4@x>")
    with scopes_disabled():
        desk.ticket_update(ticket=paused, by=agent, status=Ticket.Status.WAITING)
    noon = datetime(2026, 11, 23, 12, 0, tzinfo=ROME)
    with scopes_disabled():
        assert list(selectors.breaching_soon(now=noon)) == [soon]
        assert set(selectors.breached(now=noon)) == {late}
    client = client_for(agent)
    with time_machine.travel(noon, tick=False):
        page = client.get(reverse("ticket_list"), {"sla": "soon"})
        html = page.content.decode()
        assert [t.number for t, _clock in page.context["rows"]] == [soon.number]
        assert 'data-sla-state="soon"' in html
        breached = client.get(reverse("ticket_list"), {"sla": "breached"})
        assert [t.number for t, _clock in breached.context["rows"]] == [late.number]
        assert 'data-sla-state="breached"' in breached.content.decode()
        everything = client.get(reverse("ticket_list"))
    assert {t.number for t, _c in everything.context["rows"]} >= {soon.number, later.number}


def test_s5_the_badge_is_amber_from_the_policys_warning_and_red_once_breached(box, tenant_a, agent):
    """Warn before 90 minutes: at 11:29 the badge names the target and its due time, plain; at
    11:30 amber; at 13:01 red with how late."""
    incident_policy()
    ticket_at(box, MONDAY_9, "<c1@x>")
    agent.language = "en"
    agent.save(update_fields=["language"])
    client = client_for(agent)
    states = {}
    for hour, minute in ((11, 29), (11, 30), (13, 1)):
        with time_machine.travel(datetime(2026, 11, 23, hour, minute, tzinfo=ROME), tick=False):
            html = client.get(reverse("ticket_list")).content.decode()
        states[(hour, minute)] = html
    assert 'data-sla-state="ok"' in states[(11, 29)]
    assert "First response due 13:00" in states[(11, 29)]  # 24-hour times in European English
    assert 'data-sla-state="soon"' in states[(11, 30)] and "sla-soon" in states[(11, 30)]
    assert 'data-sla-state="breached"' in states[(13, 1)]
    assert "First response overdue 0 h 1 min" in states[(13, 1)]


def test_t1_a_customer_asking_for_breaching_soon_sees_only_their_own_tickets(
    box, tenant_a, tenant_b, agent
):
    """The "time left" filter is the desk's: for a referent it changes nothing and never shows
    another organisation's tickets."""
    incident_policy()
    own = ticket_at(box, MONDAY_9, "<t1@x>", sender="referent@alfa.example")
    ticket_at(box, MONDAY_9, "<t2@x>", sender="referent@bravo-segreta.example")
    with time_machine.travel(datetime(2026, 11, 23, 12, 0, tzinfo=ROME), tick=False):
        page = client_for(tenant_a.referent).get(reverse("ticket_list"), {"sla": "soon"})
    assert [t.number for t, _c in page.context["rows"]] == [own.number]
    assert b"Bravo" not in page.content


# --------------------------------------------------------------------------- SLA policies


def policy_post(**fields) -> dict:
    values = {
        "name": "Incidente urgente (contratto)",
        "ticket_type": "incident",
        "priority": "urgent",
        "contract": "",
        "first_response_minutes_0": "1",
        "first_response_minutes_1": "30",
        "resolution_minutes_0": "8",
        "resolution_minutes_1": "0",
        "warn_before_minutes_0": "0",
        "warn_before_minutes_1": "20",
        "availability_target": "99.5",
        **fields,
    }
    return values


def test_s5_an_admin_edits_sla_policies_in_the_portal_in_hours_and_minutes(tenant_a, admin_user):
    """1 h 30 min, 8 h and 20 min are stored as 90, 480 and 20 support minutes, for the
    customer's contract; the list shows them back in hours and minutes."""
    client = client_for(admin_user)
    response = client.post(
        reverse("sla_policy_new"), policy_post(contract=str(tenant_a.contract.pk))
    )
    assert response.status_code == 302
    with scopes_disabled():
        policy = SlaPolicy.objects.get(contract=tenant_a.contract)
    assert (
        policy.first_response_minutes,
        policy.resolution_minutes,
        policy.warn_before_minutes,
    ) == (90, 480, 20)
    assert str(policy.availability_target) == "99.500"
    listing = client.get(reverse("sla_policy_list")).content.decode()
    assert "1 h 30 min" in listing and "20 min" in listing
    edit = client.get(reverse("sla_policy_edit", args=[policy.pk])).content.decode()
    assert 'name="first_response_minutes_0" value="1"' in edit


def test_s5_a_resolution_target_before_the_first_response_is_refused_and_nothing_written(
    admin_user,
):
    client = client_for(admin_user)
    before = SlaPolicy.objects.count()
    response = client.post(
        reverse("sla_policy_new"),
        policy_post(resolution_minutes_0="1", resolution_minutes_1="0", priority="urgent"),
    )
    assert response.status_code == 200
    assert "cannot come before the first response" in response.content.decode() or (
        "non può" in response.content.decode()
    )
    assert SlaPolicy.objects.count() == before


def test_attack_an_l1_agent_cannot_edit_sla_policies(provider_org):
    """The pages answer 404 to an agent, the service refuses them, and nothing changes."""
    l1 = person(provider_org, Role.AGENT, level=AgentLevel.L1, email="l1@provider.example")
    policy = SlaPolicy.objects.filter(contract=None).first()
    client = client_for(l1)
    assert client.get(reverse("sla_policy_list")).status_code == 404
    post = client.post(
        reverse("sla_policy_edit", args=[policy.pk]),
        policy_post(ticket_type=policy.ticket_type, priority=policy.priority),
    )
    assert post.status_code == 404
    with pytest.raises(PermissionDenied):
        desk_settings.sla_policy_save(
            by=l1,
            policy=policy,
            name="x",
            ticket_type=policy.ticket_type,
            priority=policy.priority,
            first_response_minutes=1,
            resolution_minutes=2,
            warn_before_minutes=1,
        )
    assert SlaPolicy.objects.get(pk=policy.pk).name == policy.name


def test_attack_a_second_general_policy_for_the_same_type_and_priority_is_refused(admin_user):
    client = client_for(admin_user)
    before = SlaPolicy.objects.count()
    response = client.post(
        reverse("sla_policy_new"), policy_post(ticket_type="incident", priority="normal")
    )
    assert response.status_code == 200 and SlaPolicy.objects.count() == before


# --------------------------------------------------------------------------- reply attachments


def reply_post(body: str, *files: SimpleUploadedFile, **extra) -> dict:
    return {"body": body, "attachments": list(files), **extra}


def test_s6_an_agents_reply_carries_its_files_in_the_mail_stored_under_random_names(
    box, tenant_a, tenant_b, agent, django_capture_on_commit_callbacks
):
    """The file goes out with the reply, is stored under a random name, and is downloadable
    by the ticket's referent, never by another customer's referent."""
    ticket = receive(box, "referent@alfa.example", "Report", "<a1@x>")
    client = client_for(agent)
    mail.outbox.clear()
    upload = SimpleUploadedFile("istruzioni.pdf", b"%PDF-1.4 guida", content_type="application/pdf")
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("ticket_detail", args=[ticket.pk]), reply_post("Ecco la guida.", upload)
        )
    assert response.status_code == 302
    (sent,) = [m for m in mail.outbox if m.to == ["referent@alfa.example"]]
    assert [(name, content) for name, content, _type in sent.attachments] == [
        ("istruzioni.pdf", b"%PDF-1.4 guida")
    ]
    with scopes_disabled():
        attachment = Attachment.objects.get(ticket=ticket)
    assert attachment.message.direction == TicketMessage.Direction.OUTBOUND
    assert "istruzioni" not in attachment.file.name
    url = reverse("attachment_download", args=[attachment.pk])
    download = client_for(tenant_a.referent).get(url)
    assert download.status_code == 200 and b"".join(download.streaming_content) == (
        b"%PDF-1.4 guida"
    )
    assert client_for(tenant_b.referent).get(url).status_code == 404
    page = client_for(tenant_a.referent).get(reverse("ticket_detail", args=[ticket.pk]))
    assert 'data-testid="message-attachments"' in page.content.decode()


def test_attack_a_program_attached_to_a_reply_is_refused_and_nothing_written(box, tenant_a, agent):
    ticket = receive(box, "referent@alfa.example", "Report", "<a2@x>")
    mail.outbox.clear()
    program = SimpleUploadedFile("fix.exe", b"MZ\x90\x00 program")
    response = client_for(agent).post(
        reverse("ticket_detail", args=[ticket.pk]), reply_post("Esegui questo.", program)
    )
    assert response.status_code == 200
    assert "fix.exe" in response.content.decode()
    with scopes_disabled():
        assert not Attachment.objects.filter(ticket=ticket).exists()
        assert not TicketMessage.objects.filter(ticket=ticket, body_text="Esegui questo.").exists()
    assert mail.outbox == []


def test_attack_a_customer_posting_files_with_a_reply_stores_none(box, tenant_a):
    """Files are the desk's action: the referent's page ignores them and the service refuses
    them (nothing written)."""
    ticket = receive(box, "referent@alfa.example", "Report", "<a3@x>")
    upload = SimpleUploadedFile("log.txt", b"log")
    client_for(tenant_a.referent).post(
        reverse("ticket_detail", args=[ticket.pk]), reply_post("Allego il log.", upload)
    )
    with scopes_disabled():
        assert not Attachment.objects.filter(ticket=ticket).exists()
        with pytest.raises(PermissionDenied):
            desk.ticket_reply(
                ticket=ticket,
                body="Ancora.",
                by=tenant_a.referent,
                attachments=[SimpleUploadedFile("b.txt", b"b")],
            )
        assert not TicketMessage.objects.filter(ticket=ticket, body_text="Ancora.").exists()


def test_t1_a_file_on_an_internal_note_never_reaches_the_customer(box, tenant_a, agent):
    ticket = receive(box, "referent@alfa.example", "Report", "<a4@x>")
    client_for(agent).post(
        reverse("ticket_detail", args=[ticket.pk]),
        reply_post("Nota interna.", SimpleUploadedFile("diag.txt", b"segreto"), internal="on"),
    )
    with scopes_disabled():
        attachment = Attachment.objects.get(ticket=ticket)
    url = reverse("attachment_download", args=[attachment.pk])
    assert client_for(agent).get(url).status_code == 200
    assert client_for(tenant_a.referent).get(url).status_code == 404
    page = client_for(tenant_a.referent).get(reverse("ticket_detail", args=[ticket.pk]))
    assert b"diag.txt" not in page.content


def test_l5_a_double_submitted_reply_with_a_file_is_stored_and_mailed_once(
    box, tenant_a, agent, django_capture_on_commit_callbacks
):
    ticket = receive(box, "referent@alfa.example", "Report", "<a5@x>")
    client = client_for(agent)
    mail.outbox.clear()
    for _ in range(2):
        with django_capture_on_commit_callbacks(execute=True):
            client.post(
                reverse("ticket_detail", args=[ticket.pk]),
                reply_post("Ecco.", SimpleUploadedFile("a.txt", b"uno")),
            )
    with scopes_disabled():
        assert Attachment.objects.filter(ticket=ticket).count() == 1
    assert len([m for m in mail.outbox if m.to == ["referent@alfa.example"]]) == 1


# --------------------------------------------------------------------------- canned responses


def canned_post(**fields) -> dict:
    return {
        "title_it": "Reset password",
        "body_it": "Gentile {name}, la richiesta {number} è presa in carico. {{ settings }}",
        "title_en": "Password reset",
        "body_en": "Dear {name}, request {number} is being handled.",
        "title_fr": "Mot de passe",
        "body_fr": "Bonjour {name}, la demande {number} est prise en charge.",
        "title_es": "",
        "body_es": "",
        "active": "on",
        **fields,
    }


def test_s8_a_canned_response_comes_in_the_requesters_language_with_its_placeholders(
    box, tenant_a, admin_user, agent
):
    """The admin writes it in the portal; for a French requester the agent gets the French
    text with the requester's name and the ticket number; for a Spanish one (no Spanish text)
    the Italian; template syntax stays text."""
    assert client_for(admin_user).post(reverse("canned_new"), canned_post()).status_code == 302
    canned = CannedResponse.objects.get()
    ticket = receive(box, "referent@alfa.example", "Password", "<k1@x>")
    with scopes_disabled():
        Ticket.objects.filter(pk=ticket.pk).update(requester_language="fr")
        name = tenant_a.referent.get_full_name() or tenant_a.referent.email
    client = client_for(agent)
    url = reverse("canned_insert", args=[ticket.pk, canned.pk])
    text = client.get(url).json()["text"]
    assert text == f"Bonjour {name}, la demande {ticket.number} est prise en charge."
    with scopes_disabled():
        Ticket.objects.filter(pk=ticket.pk).update(requester_language="es")
    text = client.get(url).json()["text"]
    assert text.startswith(f"Gentile {name}, la richiesta {ticket.number}")
    assert text.endswith("{{ settings }}")
    page = client.get(reverse("ticket_detail", args=[ticket.pk])).content.decode()
    assert f'value="{url}"' in page and "js/desk.js" in page


def test_attack_forged_or_foreign_canned_response_ids_are_404(
    box, tenant_a, tenant_b, admin_user, agent
):
    """An id of nothing, a retired response, a customer asking, a referent naming another
    organisation's ticket: 404 each time."""
    client_for(admin_user).post(reverse("canned_new"), canned_post())
    canned = CannedResponse.objects.get()
    ticket = receive(box, "referent@alfa.example", "Password", "<k2@x>")
    foreign = receive(box, "referent@bravo-segreta.example", "Password", "<k3@x>")
    agent_client = client_for(agent)
    assert agent_client.get(reverse("canned_insert", args=[ticket.pk, 999_999])).status_code == (
        404
    )
    referent = client_for(tenant_a.referent)
    assert referent.get(reverse("canned_insert", args=[ticket.pk, canned.pk])).status_code == 404
    assert referent.get(reverse("canned_insert", args=[foreign.pk, canned.pk])).status_code == 404
    client_for(admin_user).post(reverse("canned_edit", args=[canned.pk]), canned_post(active=""))
    assert agent_client.get(reverse("canned_insert", args=[ticket.pk, canned.pk])).status_code == (
        404
    )


def test_attack_an_agent_cannot_manage_canned_responses(agent):
    client = client_for(agent)
    assert client.get(reverse("canned_list")).status_code == 404
    assert client.post(reverse("canned_new"), canned_post()).status_code == 404
    assert not CannedResponse.objects.exists()


def test_s8_a_title_without_its_text_in_a_language_is_refused_and_nothing_written(admin_user):
    response = client_for(admin_user).post(
        reverse("canned_new"), canned_post(title_es="Contraseña", body_es="")
    )
    assert response.status_code == 200 and not CannedResponse.objects.exists()


# --------------------------------------------------------------------------- triage


def held(box) -> InboundMessage:
    from tests.tickets.conftest import message
    from tickets import ingest

    inbound, _ = ingest.ingest(box, message("sconosciuto@altrove.example", "Info prodotto"))
    assert inbound.outcome == InboundMessage.Outcome.HELD
    return inbound


def test_s3_triage_has_two_distinct_actions_never_one_ambiguous_save(box, tenant_a, agent):
    """Without an action nothing happens (400); "not a ticket" needs its reason even when a
    customer was also chosen, and opens nothing; "open a ticket for" opens one; a second submit
    of either changes nothing."""
    inbound = held(box)
    client = client_for(agent)
    url = reverse("triage_item", args=[inbound.pk])
    organisation = str(tenant_a.organisation.pk)
    ambiguous = client.post(url, {"open-organisation": organisation, "dismiss-reason": "spam"})
    assert ambiguous.status_code == 400
    missing = client.post(
        url, {"action": "dismiss", "open-organisation": organisation, "dismiss-reason": ""}
    )
    assert missing.status_code == 200
    with scopes_disabled():
        inbound.refresh_from_db()
        assert inbound.outcome == InboundMessage.Outcome.HELD and inbound.ticket_id is None
    opened = client.post(
        url,
        {"action": "open", "open-organisation": organisation, "open-category": "incident"},
    )
    assert opened.status_code == 200  # "incident" is a type, not a category: refused
    opened = client.post(
        url,
        {"action": "open", "open-organisation": organisation, "open-category": "malfunction"},
    )
    assert opened.status_code == 302
    with scopes_disabled():
        inbound.refresh_from_db()
        assert inbound.outcome == InboundMessage.Outcome.TICKET
        tickets = Ticket.objects.filter(organisation=tenant_a.organisation).count()
    again = client.post(url, {"action": "dismiss", "dismiss-reason": "doppio"})
    assert again.status_code == 200
    with scopes_disabled():
        inbound.refresh_from_db()
        assert inbound.outcome == InboundMessage.Outcome.TICKET
        assert Ticket.objects.filter(organisation=tenant_a.organisation).count() == tickets
    page = client.get(url).content.decode()
    assert 'data-testid="triage-open"' not in page


def test_s3_not_a_ticket_with_its_reason(box, agent):
    inbound = held(box)
    response = client_for(agent).post(
        reverse("triage_item", args=[inbound.pk]),
        {"action": "dismiss", "dismiss-reason": "Newsletter"},
    )
    assert response.status_code == 302
    with scopes_disabled():
        inbound.refresh_from_db()
    assert inbound.outcome == InboundMessage.Outcome.DISMISSED and "Newsletter" in inbound.reason


def test_attack_a_customer_cannot_reach_triage_actions(box, tenant_a):
    inbound = held(box)
    response = client_for(tenant_a.referent).post(
        reverse("triage_item", args=[inbound.pk]),
        {"action": "open", "open-organisation": str(tenant_a.organisation.pk)},
    )
    assert response.status_code == 404


# --------------------------------------------------------------------------- links (S8)


def test_s8_a_javascript_url_in_a_message_never_becomes_a_link(box, tenant_a):
    ticket = receive(box, "referent@alfa.example", "Errore", "<l1@x>")
    with scopes_disabled():
        desk.ticket_reply(
            ticket=ticket,
            body="Clicca javascript:alert(document.cookie) oppure https://ok.example/a",
            by=tenant_a.referent,
        )
    html = client_for(tenant_a.referent).get(reverse("ticket_detail", args=[ticket.pk]))
    content = html.content.decode()
    assert 'href="javascript:' not in content and 'href="https://ok.example/a"' in content


def test_the_breaching_soon_list_runs_a_constant_number_of_queries(box, tenant_a, agent):
    """The filter is one indexed query, whatever the number of tickets: no calendar per row in
    SQL, and the page's count does not grow with the rows."""
    incident_policy()
    for index in range(3):
        ticket_at(box, MONDAY_9, f"<q{index}@x>")
    client = client_for(agent)
    noon = datetime(2026, 11, 23, 12, 0, tzinfo=ROME)
    with time_machine.travel(noon, tick=False):
        with CaptureQueriesContext(connection) as three:
            client.get(reverse("ticket_list"), {"sla": "soon"})
        for index in range(3, 6):
            with time_machine.travel(MONDAY_9, tick=False):
                receive(box, "user@alfa.example", "Errore", f"<q{index}@x>")
        with CaptureQueriesContext(connection) as six:
            page = client.get(reverse("ticket_list"), {"sla": "soon"})
    assert len(page.context["rows"]) == 6
    assert len(six) == len(three)


def test_s5_the_clock_state_follows_the_stored_warning_instant(box, tenant_a):
    incident_policy(warn_before_minutes=30)
    ticket = ticket_at(box, MONDAY_9, "<s1@x>")
    assert sla.clock(ticket, datetime(2026, 11, 23, 12, 29, tzinfo=ROME))["state"] == "ok"
    assert sla.clock(ticket, datetime(2026, 11, 23, 12, 30, tzinfo=ROME))["state"] == "soon"
    assert sla.clock(ticket, datetime(2026, 11, 23, 13, 0, tzinfo=ROME))["state"] == "soon"
    assert sla.clock(ticket, datetime(2026, 11, 23, 13, 1, tzinfo=ROME))["state"] == "breached"
    assert ticket.first_response_warn_at == datetime(2026, 11, 23, 12, 30, tzinfo=ROME)
    assert ticket.resolution_warn_at == ticket.resolution_due - timedelta(minutes=30)


def test_s5_the_api_refuses_a_resolution_before_the_first_response_too(admin_user):
    """The API's policy creation runs the portal's service: the same rule, nothing written."""
    before = SlaPolicy.objects.count()
    SlaPolicy.objects.filter(ticket_type="service_request", priority="urgent").delete()
    response = client_for(admin_user).post(
        "/api/v1/sla-policies/",
        {
            "name": "Richiesta urgente",
            "ticket_type": "service_request",
            "priority": "urgent",
            "first_response_minutes": 120,
            "resolution_minutes": 60,
            "warn_before_minutes": 30,
        },
        content_type="application/json",
    )
    assert response.status_code == 400
    assert "resolution_minutes" in response.json()
    assert SlaPolicy.objects.count() <= before
    assert not SlaPolicy.objects.filter(name="Richiesta urgente").exists()


def test_s5_l2_the_every_minute_job_warns_at_the_configured_instant(box, tenant_a, agent):
    """The beat task itself, with the clock travelled: a 45-minute "warn before" on a 4-hour
    first response opened Monday 09:00 warns at 12:15, not at 12:00 (a fixed hour before)."""
    from tickets.tasks import check_sla

    incident_policy(warn_before_minutes=45)
    ticket = ticket_at(box, MONDAY_9, "<j1@x>")
    with scopes_disabled():
        Ticket.objects.filter(pk=ticket.pk).update(owner=agent)
    mail.outbox.clear()
    with time_machine.travel(datetime(2026, 11, 23, 12, 0, tzinfo=ROME), tick=False):
        assert check_sla() == 0
    with time_machine.travel(datetime(2026, 11, 23, 12, 14, tzinfo=ROME), tick=False):
        assert check_sla() == 0
    with time_machine.travel(datetime(2026, 11, 23, 12, 15, tzinfo=ROME), tick=False):
        assert check_sla() == 1
        assert check_sla() == 0  # once (SPEC L4)
    assert [m.to for m in mail.outbox] == [[agent.email]]


def test_the_admins_pages_and_the_triage_page_show_their_forms(box, admin_user, agent):
    """The canned responses' list and form, and a held message with its two actions."""
    admin = client_for(admin_user)
    admin.post(reverse("canned_new"), canned_post())
    canned = CannedResponse.objects.get()
    listing = admin.get(reverse("canned_list")).content.decode()
    assert "Reset password" in listing and "it · en · fr" in listing
    form = admin.get(reverse("canned_edit", args=[canned.pk])).content.decode()
    assert 'name="body_fr"' in form and "la demande {number}" in form
    inbound = held(box)
    page = client_for(agent).get(reverse("triage_item", args=[inbound.pk])).content.decode()
    assert 'data-testid="triage-open"' in page and 'data-testid="triage-dismiss"' in page
    assert 'name="action" value="open"' in page and 'name="action" value="dismiss"' in page
