"""SLA warnings before and at breach, once each, to the owner and the L2 leads (SPEC S5, L2,
L4); a referent's mail naming an activity becomes an activity request (H8); mailbox passwords
are stored encrypted or read from the environment."""

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from django.core import mail
from django_scopes import scopes_disabled

from accounts.roles import AgentLevel, Role
from tests.factories import person
from tests.tickets.conftest import authenticated, sla_policy
from tickets import ingest, mailbox
from tickets.clock import warn_due
from tickets.models import SlaWarning, Ticket

pytestmark = pytest.mark.django_db
ROME = ZoneInfo("Europe/Rome")


def test_s5_warnings_before_and_at_breach_go_once_to_owner_and_l2(
    box, tenant_a, agent, provider_org
):
    lead = person(provider_org, Role.AGENT, level=AgentLevel.L2, email="lead@provider.example")
    sla_policy(
        name="Incident normal",
        ticket_type="incident",
        priority="normal",
        first_response_minutes=120,
        resolution_minutes=240,
    )
    raw = authenticated("user@alfa.example").encode() + (
        b"From: user@alfa.example\r\nSubject: Errore\r\nMessage-ID: <w1@x>\r\n"
        b"Content-Type: text/plain\r\n\r\nNon funziona.\r\n"
    )
    inbound, _ = ingest.ingest(box, raw)
    with scopes_disabled():
        ticket = Ticket.objects.get(pk=inbound.ticket_id)
        Ticket.objects.filter(pk=ticket.pk).update(
            owner=agent,
            created_at=datetime(2026, 11, 23, 9, 0, tzinfo=ROME),
            first_response_at=datetime(2026, 11, 23, 9, 5, tzinfo=ROME),
            resolution_due=datetime(2026, 11, 23, 13, 0, tzinfo=ROME),
            # The policy's default "warn before": 60 support minutes.
            resolution_warn_at=datetime(2026, 11, 23, 12, 0, tzinfo=ROME),
        )
        mail.outbox.clear()
        assert warn_due(now=datetime(2026, 11, 23, 11, 0, tzinfo=ROME)) == 0  # 2 h left
        assert warn_due(now=datetime(2026, 11, 23, 12, 30, tzinfo=ROME)) == 1  # 30 min left
        assert warn_due(now=datetime(2026, 11, 23, 12, 40, tzinfo=ROME)) == 0  # sent already
        assert sorted(m.to[0] for m in mail.outbox) == [agent.email, lead.email]
        assert warn_due(now=datetime(2026, 11, 23, 13, 1, tzinfo=ROME)) == 1  # breached
        assert warn_due(now=datetime(2026, 11, 23, 13, 30, tzinfo=ROME)) == 0
        stages = set(SlaWarning.objects.values_list("target", "stage"))
    assert stages == {("resolution", "before"), ("resolution", "breached")}


def test_h8_a_referents_mail_naming_an_activity_becomes_an_activity_request(box, tenant_a, cstm):
    from activities.models import ActivityRequest
    from tests.activities.conftest import complete, log, requested

    kickoff = requested(tenant_a, "kickoff")
    log(kickoff, cstm, 60)
    complete(kickoff, cstm)
    raw = authenticated("referent@alfa.example").encode() + (
        b"From: referent@alfa.example\r\nSubject: Richiesta: Riunione di SAL a dicembre\r\n"
        b"Message-ID: <sal@x>\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n"
        b"Vorremmo la riunione di SAL il 10 dicembre.\r\n"
    )
    inbound, _ = ingest.ingest(box, raw)
    with scopes_disabled():
        ticket = Ticket.objects.get(pk=inbound.ticket_id)
        request = ActivityRequest.objects.get(pk=ticket.activity_request_id)
    assert ticket.category == "cst_activity"
    assert request.activity.code == "sal-review" and request.channel == "email"
    assert request.status == ActivityRequest.Status.REQUESTED  # in writing: formalised (H8)


def test_mailbox_password_is_stored_encrypted_or_read_from_the_environment(box, monkeypatch):
    mailbox.mailbox_set_password(box, "s3cret-imap")
    assert "s3cret" not in box.password_encrypted
    assert mailbox.mailbox_password(box) == "s3cret-imap"
    monkeypatch.setenv("CSM_MAILBOX_SUPPORT", "from-env")
    box.password_env = "CSM_MAILBOX_SUPPORT"
    assert mailbox.mailbox_password(box) == "from-env"


def test_s5_a_first_response_is_warned_even_when_resolution_is_far_away(box, tenant_a, agent):
    """A low-priority request: resolution in two weeks, first response due this morning."""
    raw = authenticated("referent@alfa.example").encode() + (
        b"From: referent@alfa.example\r\nSubject: Rilascio contenuti\r\nMessage-ID: <w2@x>\r\n"
        b"Content-Type: text/plain\r\n\r\nQuando?\r\n"
    )
    inbound, _ = ingest.ingest(box, raw)
    with scopes_disabled():
        Ticket.objects.filter(pk=inbound.ticket_id).update(
            owner=agent,
            first_response_due=datetime(2026, 11, 23, 11, 0, tzinfo=ROME),
            first_response_warn_at=datetime(2026, 11, 23, 10, 0, tzinfo=ROME),
            resolution_due=datetime(2026, 12, 7, 11, 0, tzinfo=ROME),
            resolution_warn_at=datetime(2026, 12, 7, 10, 0, tzinfo=ROME),
        )
        assert warn_due(now=datetime(2026, 11, 23, 10, 30, tzinfo=ROME)) == 1
        assert set(SlaWarning.objects.values_list("target", "stage")) == {
            ("first_response", "before")
        }
