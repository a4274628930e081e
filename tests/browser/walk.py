"""Every page of every role, for the accessibility and phone walks (issue 14).

The list of pages comes from the URL resolver exactly as in tests/test_route_walk.py (its
`routes()` and `build_url()` with its OBJECT_ARGUMENTS), filled with the values of the tenant
whose own people walk it, so object pages answer 200 instead of 404. A page is whatever answers
a GET with 200 and HTML to that person (Django's test client asks first, cheaply; PDFs, CSVs
and redirects are left out). Django admin and the API (JSON, Swagger UI, Redoc) are not the
portal's pages and are not walked.

Signing in copies a session made by `tests.conftest.client_for` (password and second factor
recorded, as allauth's flow does) into the browser: no TOTP wait per role.
"""

from dataclasses import dataclass

from django.conf import settings

from accounts.roles import Role
from tests.conftest import Tenant, client_for, make_tenant
from tests.factories import person
from tests.test_route_walk import build_url, routes, with_activity

SKIPPED_PREFIXES = ("admin/", "api/")
ROLES = ["anonymous", Role.REFERENT, Role.END_USER, Role.CSTM, Role.AGENT, Role.PROVIDER_ADMIN]


@dataclass
class World:
    tenant: Tenant
    people: dict


def make_world(provider_org) -> World:
    """One customer with every kind of object (the route walk's own builder) and the five
    roles that look at it: its referent and end user, its CSTM, an agent and an admin."""
    from accounts.roles import AgentLevel

    cstm = person(provider_org, Role.CSTM, email="cstm@provider.example")
    tenant = make_tenant("Alfa Assicurazioni S.p.A.", "alfa.example", cstm=cstm)
    with_activity(tenant)
    people = {
        Role.REFERENT: tenant.referent,
        Role.END_USER: tenant.end_user,
        Role.CSTM: cstm,
        Role.AGENT: person(
            provider_org, Role.AGENT, level=AgentLevel.L2, email="agent@provider.example"
        ),
        Role.PROVIDER_ADMIN: person(
            provider_org, Role.PROVIDER_ADMIN, email="admin@provider.example"
        ),
    }
    _with_a_conversation(tenant, people[Role.AGENT])
    return World(tenant, people)


def _with_a_conversation(tenant: Tenant, agent) -> None:
    """The agent answers the tenant's ticket with a long link, so that the walks see a thread,
    its history and a word wider than a phone (a ticket page once overflowed only after a
    reply)."""
    from django_scopes import scopes_disabled

    from tickets.desk import ticket_reply
    from tickets.models import Ticket

    with scopes_disabled():
        ticket = Ticket.objects.get(organisation=tenant.organisation)
        ticket_reply(
            ticket=ticket,
            body="Abbiamo riavviato il servizio, vedere https://status.example/"
            + "incidents/2026-11-26/board-portal-outage-and-recovery-report-with-details",
            by=agent,
        )


def pages_for(world: World, role: str) -> list[str]:
    """The URLs of the GET pages this role may see (200 and HTML)."""
    from django.test import Client

    user = world.people.get(role)
    urls: list[str] = []
    for route in routes():
        if route.startswith(SKIPPED_PREFIXES):
            continue
        url, _names_object = build_url(route, world.tenant)
        # A fresh session for each route: a page may end the session (sign-out confirms only
        # on POST, but allauth's "reauthenticate" pages rotate it).
        client = client_for(user) if user is not None else Client()
        response = client.get(url)
        if response.status_code == 200 and response["Content-Type"].startswith("text/html"):
            urls.append(url)
    urls.append("/this-page-does-not-exist/")  # the 404 page, as everyone sees it
    return urls


def sign_in_context(context, live_server_url: str, user) -> None:
    """Put a signed-in session (password and second factor recorded) into the browser."""
    if user is None:
        return
    client = client_for(user)
    context.add_cookies(
        [
            {
                "name": settings.SESSION_COOKIE_NAME,
                "value": client.cookies[settings.SESSION_COOKIE_NAME].value,
                "url": live_server_url,
            }
        ]
    )
