"""Who wrote a message is who the receiving server authenticated (SPEC S10), and a mailbox's
secrets reach only a TLS server or this machine, from CSM_MAILBOX_ variables only."""

from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone
from django_scopes import scopes_disabled

from activities.models import ActivityRequest
from tests.conftest import client_for
from tests.tickets.conftest import TRUSTED_AUTHSERV_ID, authenticated, forged, message
from tickets import desk, ingest
from tickets.authentication import FAIL, NONE, PASS, parse_header, verdict
from tickets.mailbox import mailbox_save, poll
from tickets.models import InboundMessage, Mailbox, Ticket, TicketEvent
from tickets.triage import held_to_ticket

pytestmark = pytest.mark.django_db
FROM = "referent@alfa.example"
KICKOFF = "Richiesta kick-off del progetto"


def receive(box: Mailbox, raw: bytes) -> InboundMessage:
    inbound, _ = ingest.ingest(box, raw)
    with scopes_disabled():
        return InboundMessage.objects.select_related("ticket").get(pk=inbound.pk)


def activity_requests() -> int:
    with scopes_disabled():
        return ActivityRequest.objects.count()


# --------------------------------------------------------------------------- the pure rule


def test_s10_authentication_results_are_read_as_rfc_8601_writes_them():
    """Comments (nested), a version after the authserv-id, method versions, quoted values and
    properties are understood; methods we do not use are skipped."""
    value = (
        "MX.CSM-Test.example 1; (checked (twice)) spf=pass (sender ok)"
        ' smtp.mailfrom="a@alfa.example";'
        ' dkim/1=fail reason="bad sig" header.d=alfa.example header.s=s1; iprev=pass;'
        " dmarc=pass (p=reject dis=none) header.from=Alfa.example"
    )
    authserv_id, results = parse_header(value)
    assert authserv_id == "mx.csm-test.example"
    assert [(r.method, r.result) for r in results] == [
        ("spf", "pass"),
        ("dkim", "fail"),
        ("dmarc", "pass"),
    ]
    assert results[0].properties["smtp.mailfrom"] == "a@alfa.example"
    assert results[1].properties["header.d"] == "alfa.example"
    assert results[2].properties["header.from"] == "alfa.example"
    assert parse_header("mx.csm-test.example; none") == ("mx.csm-test.example", [])


def test_s10_only_the_mailboxs_trusted_authserv_id_counts():
    """A pass written by anybody else (the sender can write any header) is ignored; with no
    trusted id configured nothing counts."""
    other = "Authentication-Results: mx.attacker.example; dmarc=pass header.from=alfa.example"
    value = other.split(": ", 1)[1]
    assert verdict([value], TRUSTED_AUTHSERV_ID, FROM).status == NONE
    own = authenticated(FROM).split(": ", 1)[1]
    assert verdict([own], "", FROM).status == NONE
    assert verdict([own], TRUSTED_AUTHSERV_ID, FROM).status == PASS
    assert verdict([value, own], TRUSTED_AUTHSERV_ID, FROM).status == PASS


def test_s10_dmarc_decides_and_must_have_evaluated_our_from_domain():
    """dmarc=fail wins over an spf/dkim pass; a dmarc=pass for another From domain (a message
    with two From headers) is no pass; several trusted headers must all pass DMARC."""
    trusted = TRUSTED_AUTHSERV_ID
    assert (
        verdict(
            [f"{trusted}; spf=pass smtp.mailfrom=alfa.example; dmarc=fail"], trusted, FROM
        ).status
        == FAIL
    )
    assert verdict([f"{trusted}; dmarc=pass header.from=evil.example"], trusted, FROM).status == (
        FAIL
    )
    two = [f"{trusted}; dmarc=pass header.from=alfa.example", f"{trusted}; dmarc=fail"]
    assert verdict(two, trusted, FROM).status == FAIL


def test_s10_without_dmarc_an_aligned_spf_or_dkim_pass_authenticates():
    trusted = TRUSTED_AUTHSERV_ID
    spf = f"{trusted}; spf=pass smtp.mailfrom=bounce@alfa.example"
    dkim = f"{trusted}; dkim=pass header.d=alfa.example"
    assert verdict([spf], trusted, FROM).status == PASS
    assert verdict([dkim], trusted, "someone@mail.alfa.example").status == PASS  # relaxed
    assert verdict([f"{trusted}; dkim=pass header.d=example"], trusted, FROM).status == FAIL
    assert verdict([f"{trusted}; spf=pass smtp.mailfrom=evil.example"], trusted, FROM).status == (
        FAIL
    )
    assert (
        verdict([f"{trusted}; dmarc=none; dkim=pass header.d=alfa.example"], trusted, FROM).status
        == PASS
    )


# --------------------------------------------------------------------------- routing


def test_s10_a_forged_referent_mail_becomes_no_activity_request_and_is_held(
    box, tenant_a, django_capture_on_commit_callbacks
):
    """The attack: From the referent, spf=fail and dmarc=fail at our server. Today it became a
    billable activity request; now nothing is created and the mail waits for confirmation."""
    with django_capture_on_commit_callbacks(execute=True):
        held = receive(
            box, message(FROM, KICKOFF, extra="Message-ID: <f1@x>\r\n", authentication=forged(FROM))
        )
    assert held.outcome == "held" and held.ticket_id is None
    assert held.authentication == "fail" and "dmarc=fail" in held.authentication_detail
    assert "authentication failed" in held.reason and "forged" in held.reason
    assert held.organisation_id == tenant_a.organisation.pk
    assert activity_requests() == 0
    with scopes_disabled():
        assert not Ticket.objects.exists()
    # The same mail, authenticated, is the referent's written request (H8).
    real = receive(box, message(FROM, KICKOFF, extra="Message-ID: <f2@x>\r\n"))
    assert real.outcome == "ticket" and real.authentication == "pass"
    assert activity_requests() == 1


def test_s10_a_pass_from_an_authserv_id_we_do_not_trust_is_held(box, tenant_a):
    """The sender wrote their own Authentication-Results header: it is ignored."""
    fake = authenticated(FROM, authserv_id="mx.attacker.example")
    held = receive(box, message(FROM, KICKOFF, extra="Message-ID: <f3@x>\r\n", authentication=fake))
    assert held.outcome == "held" and held.authentication == "none"
    assert TRUSTED_AUTHSERV_ID in held.reason and activity_requests() == 0
    box.trusted_authserv_id = ""
    box.save()
    unset = receive(box, message(FROM, KICKOFF, extra="Message-ID: <f4@x>\r\n"))
    assert unset.outcome == "held" and "no trusted authserv-id" in unset.reason


def test_s10_an_unauthenticated_reply_neither_reopens_nor_changes_its_ticket(box, tenant_a, agent):
    """A reply without authentication is held on the ticket it concerns; the ticket keeps its
    state, its SLA pause and its history."""
    ticket = receive(box, message(FROM, "Errore report", extra="Message-ID: <u1@x>\r\n")).ticket
    with scopes_disabled():
        desk.ticket_reply(ticket=ticket, body="Ci guardiamo.", by=agent, wait=True)
        ticket.refresh_from_db()
        events = TicketEvent.objects.filter(ticket=ticket).count()
    paused = ticket.paused_since
    assert ticket.status == "waiting" and paused
    held = receive(
        box,
        message(
            FROM, f"Re: [{ticket.number}] Errore", extra="Message-ID: <u2@x>\r\n", authentication=""
        ),
    )
    assert held.outcome == "held" and held.ticket_id == ticket.pk
    assert "not authenticated" in held.reason and ticket.number in held.reason
    with scopes_disabled():
        ticket.refresh_from_db()
        assert TicketEvent.objects.filter(ticket=ticket).count() == events
        assert not ticket.messages.filter(inbound=held).exists()
    assert ticket.status == "waiting" and ticket.paused_since == paused


def test_s10_an_agent_confirms_a_held_mail_but_the_activity_request_waits_for_the_referent(
    box, tenant_a, agent
):
    """Triage opens the ticket; the unauthenticated request is not billable: no activity
    request is made, and the ticket says the referent must confirm it."""
    held = receive(
        box, message(FROM, KICKOFF, extra="Message-ID: <c1@x>\r\n", authentication=forged(FROM))
    )
    with scopes_disabled():
        ticket = held_to_ticket(
            inbound=held, organisation=tenant_a.organisation, category="cst_activity", by=agent
        )
        notes = list(ticket.messages.filter(direction="note").values_list("body_text", flat=True))
    assert ticket.activity_request_id is None and activity_requests() == 0
    assert any("not authenticated" in n and "referent confirms" in n for n in notes)


def test_s10_an_agent_confirms_a_held_reply_onto_the_ticket_it_concerns(box, tenant_a, agent):
    ticket = receive(box, message(FROM, "Errore report", extra="Message-ID: <c2@x>\r\n")).ticket
    held = receive(
        box,
        message(
            FROM, f"Re: [{ticket.number}] Errore", extra="Message-ID: <c3@x>\r\n", authentication=""
        ),
    )
    with scopes_disabled():
        threaded = held_to_ticket(
            inbound=held, organisation=tenant_a.organisation, category="other", by=agent
        )
        held.refresh_from_db()
    assert threaded.pk == ticket.pk and held.outcome == "ticket" and held.ticket_id == ticket.pk


def test_s10_the_ticket_shows_the_authentication_of_its_mails_to_staff(box, tenant_a, agent):
    ticket = receive(box, message(FROM, "Errore report", extra="Message-ID: <s1@x>\r\n")).ticket
    page = client_for(agent).get(reverse("ticket_detail", args=[ticket.pk])).content.decode()
    assert 'data-testid="mail-authentication"' in page and "dmarc=pass" in page
    customer = client_for(tenant_a.referent).get(reverse("ticket_detail", args=[ticket.pk]))
    assert "mail-authentication" not in customer.content.decode()


# --------------------------------------------------------------------------- mailbox secrets


def mailbox_form(**overrides) -> dict:
    data = {
        "name": "Exfil",
        "address": "exfil@csm-test.example",
        "host": "imap.attacker.example",
        "port": "143",
        "use_tls": "on",
        "username": "x",
        "password": "",
        "password_env": "CSM_MAILBOX_SUPPORT",
        "trusted_authserv_id": "mx.csm-test.example",
        "folder": "INBOX",
        "processed_folder": "Processed",
        "failed_folder": "Failed",
        "active": "on",
    }
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}


def test_mailbox_secrets_the_admin_refuses_other_variables_and_plain_imap_to_a_remote_host(
    admin_user,
):
    """The attack: an admin names DJANGO_SECRET_KEY as the password variable, or sends the
    password in clear to a host of their choice. The admin add form refuses both."""
    client = client_for(admin_user)
    url = reverse("admin:tickets_mailbox_add")
    for variable in ("DJANGO_SECRET_KEY", "DATABASE_URL", "csm_mailbox_x", "CSM_MAILBOX_"):
        response = client.post(url, mailbox_form(password_env=variable))
        assert response.status_code == 200 and "CSM_MAILBOX_" in response.content.decode()
    response = client.post(url, mailbox_form(use_tls=None))
    # In the admin's language (Italian, the portal's default).
    assert response.status_code == 200 and "TLS obbligatorio" in response.content.decode()
    assert not Mailbox.objects.exists()
    assert client.post(url, mailbox_form()).status_code == 302  # prefixed variable, TLS
    local = mailbox_form(address="local@csm-test.example", host="127.0.0.2", use_tls=None)
    assert client.post(url, local).status_code == 302  # loopback may go without TLS
    assert Mailbox.objects.count() == 2


@pytest.mark.parametrize("host", ["localhost", "127.0.0.1", "127.8.9.10", "::1", "[::1]"])
def test_mailbox_secrets_plain_imap_is_allowed_on_loopback_only(host):
    Mailbox(name="L", address="l@x.example", host=host, use_tls=False, username="u").full_clean()


@pytest.mark.parametrize("host", ["imap.example", "10.0.0.1", "128.0.0.1", "localhost.evil"])
def test_mailbox_secrets_full_clean_refuses_plain_imap_to_another_host(host):
    with pytest.raises(ValidationError) as error:
        Mailbox(
            name="R", address="r@x.example", host=host, use_tls=False, username="u"
        ).full_clean()
    assert "use_tls" in error.value.message_dict


def test_mailbox_secrets_the_service_that_saves_mailboxes_validates(db):
    """The shell and scripts go through mailbox_save: nothing invalid is written."""
    bad = Mailbox(
        name="S",
        address="s@x.example",
        host="imap.example",
        username="u",
        password_env="SECRET_KEY",
    )
    with pytest.raises(ValidationError) as error:
        mailbox_save(mailbox=bad)
    assert "password_env" in error.value.message_dict and not Mailbox.objects.exists()
    good = Mailbox(name="S", address="s@x.example", host="imap.example", username="u")
    mailbox_save(mailbox=good, password="pw")
    assert Mailbox.objects.get().password_encrypted


def test_mailbox_secrets_the_poller_refuses_an_invalid_configuration(imap_server, monkeypatch):
    """A row written without validation (a raw update) is still never used to send a secret:
    the poller does not log in and reports why."""
    monkeypatch.setenv("DATABASE_URL_COPY", imap_server.password)
    box = Mailbox.objects.create(
        name="Raw",
        address="raw@csm-test.example",
        host=imap_server.host,
        port=imap_server.port,
        use_tls=False,
        username=imap_server.user,
        password_env="DATABASE_URL_COPY",
        trusted_authserv_id=TRUSTED_AUTHSERV_ID,
    )
    report = poll(box)
    box.refresh_from_db()
    assert report.errors and "CSM_MAILBOX_" in box.last_error
    assert box.uidvalidity is None  # it never reached the server's folders
    assert box.last_polled_at and box.last_polled_at > timezone.now() - timedelta(minutes=1)
