"""Customers open requests in the portal (SPEC S2, S3, C5, L5): the same who-may-open-what rule
and contract-state check as mail, attachments checked, one ticket per submit."""

import re

import pytest
from django.core import mail
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django_scopes import scopes_disabled

from accounts.models import Organisation
from tests.conftest import client_for
from tests.factories import person
from tickets.models import Attachment, Ticket, TicketEvent, TicketMessage

pytestmark = pytest.mark.django_db
NEW = reverse("ticket_new")


def token(client) -> str:
    page = client.get(NEW).content.decode()
    return re.search(r'name="write_once" value="([^"]+)"', page).group(1)


def post(client, **fields):
    data = {
        "category": "configuration",
        "subject": "Nuovo gruppo di utenti",
        "description": "Serve un gruppo per la filiale di Torino.",
        "write_once": token(client),
        **fields,
    }
    return client.post(NEW, data)


def test_s3_the_referent_opens_a_request_with_an_attachment_and_gets_its_number(
    box, tenant_a, django_capture_on_commit_callbacks
):
    client = client_for(tenant_a.referent)
    screenshot = SimpleUploadedFile("schermata.png", b"\x89PNG\r\n\x1a\nimage", "image/png")
    with django_capture_on_commit_callbacks(execute=True):
        response = post(client, attachments=[screenshot])
    with scopes_disabled():
        ticket = Ticket.objects.get()
        assert response.status_code == 302 and response["Location"] == ticket.get_absolute_url()
        assert (
            ticket.organisation == tenant_a.organisation and ticket.requester == tenant_a.referent
        )
        assert ticket.type == Ticket.Type.SERVICE_REQUEST and ticket.first_response_due
        (message,) = TicketMessage.objects.filter(
            ticket=ticket, direction=TicketMessage.Direction.INBOUND
        )
        assert message.author == tenant_a.referent and "Torino" in message.body_text
        (attachment,) = Attachment.objects.filter(ticket=ticket)
        assert attachment.filename == "schermata.png" and attachment.file.read().startswith(
            b"\x89PNG"
        )
        assert TicketEvent.objects.filter(ticket=ticket, kind="opened").exists()
    (ack,) = mail.outbox
    assert ack.to == [tenant_a.referent.email] and ticket.number in ack.subject
    page = client.get(ticket.get_absolute_url()).content.decode()
    assert "schermata.png" in page


def test_s3_a_licensed_end_user_may_open_incidents_and_password_resets_only(box, tenant_a):
    user = person(tenant_a.organisation, "end_user", email="mario@alfa.example")
    client = client_for(user)
    offered = client.get(NEW).context["form"].fields["category"].choices
    assert {value for value, _ in offered} == {"", "malfunction", "outage", "password_reset"}
    response = post(client, category="configuration")
    assert response.status_code == 200 and response.context["form"].errors["category"]
    assert post(client, category="password_reset").status_code == 302
    with scopes_disabled():
        assert Ticket.objects.get().category == "password_reset"


def test_bad_input_writes_nothing_and_says_why(box, tenant_a):
    client = client_for(tenant_a.referent)
    program = SimpleUploadedFile("setup.exe", b"MZ\x90\x00binary", "application/octet-stream")
    empty = SimpleUploadedFile("vuoto.txt", b"", "text/plain")
    response = post(client, subject="", description="", attachments=[program, empty])
    errors = response.context["form"].errors
    assert {"subject", "description", "attachments"} <= set(errors)
    assert any("setup.exe" in e for e in errors["attachments"])
    assert any("vuoto.txt" in e for e in errors["attachments"])
    with scopes_disabled():
        assert not Ticket.objects.exists() and not Attachment.objects.exists()


@pytest.mark.parametrize("access", ["read_only", "closed"])
def test_c5_a_customer_whose_contract_expired_cannot_open_requests(box, tenant_a, access):
    client = client_for(tenant_a.referent)
    form_token = token(client)
    with scopes_disabled():
        Organisation.objects.filter(pk=tenant_a.organisation.pk).update(access=access)
    response = client.post(
        NEW,
        {
            "category": "configuration",
            "subject": "x",
            "description": "y",
            "write_once": form_token,
        },
    )
    assert response.status_code in (302, 403)  # closed: signed out; read-only: refused
    with scopes_disabled():
        assert not Ticket.objects.exists()


def test_l5_a_double_submit_opens_one_ticket(box, tenant_a):
    client = client_for(tenant_a.referent)
    form_token = token(client)
    fields = {
        "category": "configuration",
        "subject": "Nuovo gruppo",
        "description": "Serve un gruppo.",
        "write_once": form_token,
    }
    first, second = client.post(NEW, fields), client.post(NEW, fields)
    assert first.status_code == second.status_code == 302
    with scopes_disabled():
        assert Ticket.objects.count() == 1


def test_t1_provider_staff_do_not_open_customer_requests(box, tenant_a, agent, cstm):
    for user in (agent, cstm):
        assert client_for(user).get(NEW).status_code == 404
