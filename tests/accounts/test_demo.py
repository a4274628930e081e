"""`make run` demo data (foundation): one provider, three customers, contracts with charges."""

from decimal import Decimal

import pytest
from django.test import Client
from django.urls import reverse
from django_scopes import scopes_disabled

from accounts.demo import DEMO_PASSWORD, load_demo_data
from accounts.models import Membership, Organisation
from contracts.models import Contract, LedgerEntry

pytestmark = pytest.mark.django_db


def test_the_demo_data_loads_twice_without_duplicates_and_the_logins_work():
    first = load_demo_data()
    second = load_demo_data()
    assert [login.email for login in first] == [login.email for login in second]
    with scopes_disabled():
        assert Organisation.objects.filter(kind="customer").count() == 3
        roles = sorted(
            Membership.objects.filter(organisation__kind="provider").values_list("role", flat=True)
        )
        assert roles == ["agent", "agent", "cstm", "cstm", "provider_admin"]
        assert Contract.objects.filter(status="active").count() == 3
        assert Contract.objects.filter(sales_channel="msp", hours_per_year=0).count() == 1
        assert LedgerEntry.objects.count() == 6
    client = Client()
    client.post(
        reverse("account_login"),
        {"login": "referent@acme-logistica.example", "password": DEMO_PASSWORD},
    )
    page = client.get(reverse("hours"))
    assert page.status_code == 200
    assert page.context["balance"].remaining == Decimal("24") - Decimal("3.5")
