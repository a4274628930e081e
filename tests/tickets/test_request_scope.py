"""Issue 14: "my requests / my organisation's requests" for the referent, on the tickets list and
the activity requests list. Default "mine"; an end user only ever sees their own (SPEC T1–T3)."""

import pytest
from django_scopes import scopes_disabled

from accounts.roles import Role
from activities import services as activity_services
from activities.models import Activity
from tests.conftest import client_for
from tests.factories import person
from tickets.models import Ticket

pytestmark = pytest.mark.django_db


def ticket(tenant, subject: str, requester) -> Ticket:
    with scopes_disabled():
        return Ticket.objects.create(
            organisation=tenant.organisation,
            subject=subject,
            type=Ticket.Type.INCIDENT,
            category=Ticket.Category.MALFUNCTION,
            requester=requester,
            requester_email=requester.email,
            number=f"T{Ticket.objects.count() + 20000000}",
        )


@pytest.fixture
def tickets(tenant_a, tenant_b):
    colleague = person(tenant_a.organisation, Role.REFERENT, email="second@alfa.example")
    ticket(tenant_a, "Ticket del referente", tenant_a.referent)
    ticket(tenant_a, "Ticket della collega", colleague)
    ticket(tenant_a, "Ticket dell'utente", tenant_a.end_user)
    ticket(tenant_b, "Ticket di Bravo", tenant_b.referent)
    return colleague


def listed(user, url: str) -> str:
    response = client_for(user).get(url)
    assert response.status_code == 200
    return response.content.decode()


def test_referent_tickets_default_to_mine(tenant_a, tickets):
    """Default "mine": the referent's own tickets only, and the switch is offered."""
    page = listed(tenant_a.referent, "/tickets/")
    assert "Ticket del referente" in page
    assert "Ticket della collega" not in page and "Ticket dell&#x27;utente" not in page
    assert 'data-testid="scope-switch"' in page


def test_referent_tickets_of_my_organisation(tenant_a, tickets):
    """ "My organisation's requests": every ticket of the organisation, never another's (T1)."""
    page = listed(tenant_a.referent, "/tickets/?scope=organisation")
    for subject in ("Ticket del referente", "Ticket della collega", "Ticket dell&#x27;utente"):
        assert subject in page
    assert "Ticket di Bravo" not in page
    # The htmx rows (search while the switch is on "organisation") keep the choice.
    response = client_for(tenant_a.referent).get(
        "/tickets/?scope=organisation&q=collega", HTTP_HX_REQUEST="true"
    )
    assert "Ticket della collega" in response.content.decode()


def test_t1_end_user_forcing_scope_organisation_sees_only_their_own(tenant_a, tickets):
    """Attack: an end user adding ?scope=organisation still sees only their own tickets, and
    is offered no switch."""
    page = listed(tenant_a.end_user, "/tickets/?scope=organisation")
    assert "Ticket dell&#x27;utente" in page
    assert "Ticket del referente" not in page and "Ticket della collega" not in page
    assert 'data-testid="scope-switch"' not in page


def test_staff_see_no_switch_and_every_ticket(agent, tenant_a, tickets):
    """Provider staff work across organisations (T2): no switch, no narrowing."""
    page = listed(agent, "/tickets/?scope=mine")
    assert "Ticket della collega" in page and "Ticket di Bravo" in page
    assert 'data-testid="scope-switch"' not in page


def test_referent_activity_requests_mine_and_my_organisation(tenant_a, tenant_b, tickets):
    """The same switch on the activity requests: default mine, then the organisation's;
    another organisation's request never (T1)."""
    colleague = tickets
    with scopes_disabled():
        activity = Activity.objects.filter(is_kickoff=False, active=True).first()
        activity_services.request_create(
            organisation=tenant_a.organisation,
            activity=activity,
            by=tenant_a.referent,
            details="Richiesta del referente",
        )
        activity_services.request_create(
            organisation=tenant_a.organisation,
            activity=activity,
            by=colleague,
            details="Richiesta della collega",
        )
        activity_services.request_create(
            organisation=tenant_b.organisation,
            activity=activity,
            by=tenant_b.referent,
            details="Richiesta di Bravo",
        )
    mine = listed(tenant_a.referent, "/activities/")
    assert 'data-testid="scope-switch"' in mine
    ours = listed(tenant_a.referent, "/activities/?scope=organisation")
    mine_rows = client_for(tenant_a.referent).get("/activities/?q=", HTTP_HX_REQUEST="true")
    ours_rows = client_for(tenant_a.referent).get(
        "/activities/?scope=organisation&q=", HTTP_HX_REQUEST="true"
    )
    assert mine.count("<tr") + 1 == ours.count("<tr")
    assert mine_rows.content.decode().count("<tr") + 1 == ours_rows.content.decode().count("<tr")
    assert "Bravo" not in ours


def test_exports_follow_the_referents_scope(tenant_a, tickets):
    """The CSV of the list the referent sees: "mine" by default, the organisation's on demand;
    an end user's export stays their own."""

    def exported(user, url: str) -> str:
        response = client_for(user).get(url)
        assert response.status_code == 200
        body = response.getvalue() if not response.streaming else b"".join(response)
        return body.decode("utf-8-sig")

    mine = exported(tenant_a.referent, "/tickets/export/?format=csv")
    assert "Ticket del referente" in mine and "Ticket della collega" not in mine
    ours = exported(tenant_a.referent, "/tickets/export/?format=csv&scope=organisation")
    assert "Ticket della collega" in ours and "Ticket di Bravo" not in ours
    theirs = exported(tenant_a.end_user, "/tickets/export/?format=csv&scope=organisation")
    assert "Ticket dell'utente" in theirs and "Ticket del referente" not in theirs
