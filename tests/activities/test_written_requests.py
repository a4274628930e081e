"""SPEC H8: staff recording a request "received by email" name the ticket the referent's email
came in on; without it the request is "to be formalised" like a phone request. A ticket of
another organisation cannot be linked and its existence is not revealed (SPEC T1)."""

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django_scopes import scopes_disabled

from activities import services
from activities.models import ActivityRequest
from tests.activities.conftest import activity, once
from tests.activities.test_api import REQUESTS, api, post
from tests.conftest import client_for
from tickets.models import Ticket

pytestmark = pytest.mark.django_db

Status = ActivityRequest.Status


def ticket_of(tenant, number: str, *, by=None) -> Ticket:
    """A ticket the tenant's referent (or ``by``) wrote to the support mailbox."""
    writer = by or tenant.referent
    with scopes_disabled():
        return Ticket.objects.create(
            organisation=tenant.organisation,
            number=number,
            subject="Richiesta SAL",
            type="service_request",
            category="cst_activity",
            requester=writer,
            requester_email=writer.email,
        )


def recorded(tenant, by, **kwargs) -> ActivityRequest:
    with scopes_disabled():
        return services.request_create(
            organisation=tenant.organisation,
            activity=activity("sal-review"),
            by=by,
            channel=ActivityRequest.Channel.EMAIL,
            **kwargs,
        )


def test_h8_an_email_request_recorded_by_staff_without_its_ticket_is_to_be_formalised(
    kicked_off, cstm
):
    """Saying "it came by email" is not a written request: without the ticket it came in on,
    the request waits for the referent's confirmation, like a phone request."""
    req = recorded(kicked_off, cstm)
    assert req.status == Status.TO_BE_FORMALISED and req.formalised_at is None


def test_h8_an_email_request_linked_to_the_referents_ticket_is_requested(kicked_off, cstm):
    """With the referent's ticket the request is in writing: requested, and the ticket shows
    it (and the request page shows the ticket)."""
    ticket = ticket_of(kicked_off, "T900001")
    req = recorded(kicked_off, cstm, ticket_number="t900001")
    assert req.status == Status.REQUESTED and req.formalised_at is not None
    with scopes_disabled():
        assert Ticket.objects.get(pk=ticket.pk).activity_request_id == req.pk
    page = client_for(cstm).get(req.get_absolute_url()).content.decode()
    assert "T900001" in page


def test_h8_a_ticket_not_written_by_the_referent_or_already_used_cannot_be_linked(kicked_off, cstm):
    """An end user's ticket is no written request of the referent; a ticket already linked
    cannot make a second request."""
    ticket_of(kicked_off, "T900002", by=kicked_off.end_user)
    with pytest.raises(ValidationError) as raised:
        recorded(kicked_off, cstm, ticket_number="T900002")
    assert "ticket_number" in raised.value.message_dict
    ticket_of(kicked_off, "T900003")
    recorded(kicked_off, cstm, ticket_number="T900003")
    with pytest.raises(ValidationError) as raised:
        recorded(kicked_off, cstm, ticket_number="T900003")
    assert "ticket_number" in raised.value.message_dict


def test_h8_t1_another_organisations_ticket_is_refused_like_a_missing_one(
    kicked_off, tenant_b, cstm, admin_user
):
    """Another tenant's ticket number gets exactly the answer of a number that does not exist,
    in the service, the page and the API; nothing is created and the foreign ticket is not
    touched."""
    foreign = ticket_of(tenant_b, "T900009")
    answers = []
    for number in ("T900009", "T999999"):
        with pytest.raises(ValidationError) as raised:
            recorded(kicked_off, admin_user, ticket_number=number)
        answers.append(raised.value.message_dict)
    assert answers[0] == answers[1]
    page_errors = []
    api_errors = []
    for number in ("T900009", "T999999"):
        response = client_for(admin_user).post(
            reverse("activity_request_create"),
            once(
                {
                    "organisation": kicked_off.organisation.pk,
                    "activity": activity("sal-review").pk,
                    "channel": "email",
                    "ticket_number": number,
                }
            ),
        )
        assert response.status_code == 200
        page_errors.append(response.context["form"].errors["ticket_number"])
        answer = post(
            api(admin_user),
            REQUESTS,
            {
                "organisation": kicked_off.organisation.pk,
                "activity": activity("sal-review").pk,
                "channel": "email",
                "ticket_number": number,
            },
        )
        assert answer.status_code == 400
        api_errors.append(answer.json())
    assert page_errors[0] == page_errors[1] and api_errors[0] == api_errors[1]
    with scopes_disabled():
        assert not ActivityRequest.objects.filter(activity__code="sal-review").exists()
        assert Ticket.objects.get(pk=foreign.pk).activity_request_id is None


def test_h8_the_api_links_the_referents_ticket(kicked_off, cstm):
    """The API takes the same ticket number and links the request to it."""
    ticket = ticket_of(kicked_off, "T900004")
    body = {
        "organisation": kicked_off.organisation.pk,
        "activity": activity("sal-review").pk,
        "channel": "email",
    }
    unlinked = post(api(cstm), REQUESTS, body)
    assert unlinked.status_code == 201 and unlinked.json()["status"] == "to_be_formalised"
    linked = post(api(cstm), REQUESTS, {**body, "ticket_number": "T900004"})
    assert linked.status_code == 201 and linked.json()["status"] == "requested"
    with scopes_disabled():
        assert Ticket.objects.get(pk=ticket.pk).activity_request_id == linked.json()["id"]
