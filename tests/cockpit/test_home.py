"""Every role's home is a dashboard (issue 14): the referent's hours, tickets, requests and
meetings; the CSTM's cockpit with alerts that appear and resolve and a health per customer; the
agent's desk counts; the admin's cockpit and job health. Queries stay constant in the number of
customers."""

import re
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone
from django_scopes import scopes_disabled

from contracts import services as contract_services
from tests.conftest import client_for

pytestmark = pytest.mark.django_db


def home_of(user) -> str:
    response = client_for(user).get(reverse("home"))
    assert response.status_code == 200
    return response.content.decode()


def alerts_in(page: str, organisation_id: int) -> dict[str, str]:
    """The alerts of one customer's card: code → link."""
    card = page.split(f'data-testid="customer-{organisation_id}"', 1)[1].split("</article>", 1)[0]
    return dict(
        (code, url.replace("&amp;", "&"))
        for code, url in re.findall(r'data-code="([a-z0-9_]+)"><a href="([^"]+)"', card)
    )


def charge(tenant, hours: str) -> None:
    with scopes_disabled():
        year = tenant.contract.licence_years.get(index=1)
        contract_services.ledger_charge(
            licence_year=year,
            hours=Decimal(hours),
            description="Work",
            occurred_on=timezone.localdate(),
            by=None,
        )


def test_smoke_every_role_gets_a_home(tenant_a, cstm, agent, admin_user):
    for user in (tenant_a.referent, tenant_a.end_user, cstm, agent, admin_user):
        home_of(user)
