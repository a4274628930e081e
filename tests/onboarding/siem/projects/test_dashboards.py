"""SPEC W6: the provider's catalogue of dashboards and reports (seeded, admin-edited); the
referent (or staff on the customer's behalf) ticks the ones wanted; the page shows what is
chosen, by whom and when. Read-only, closed and end users tick nothing."""

import pytest
from django.urls import reverse
from django_scopes import scopes_disabled

from onboarding.models import DashboardChoice, DashboardOffer
from tests.conftest import client_for
from tests.onboarding.siem.projects.conftest import set_access

pytestmark = pytest.mark.django_db


def chosen(workshop) -> set[str]:
    with scopes_disabled():
        return set(
            DashboardChoice.objects.filter(workshop=workshop).values_list("offer__name", flat=True)
        )


def test_w6_the_catalogue_is_seeded_with_dashboards_and_reports():
    kinds = set(DashboardOffer.objects.filter(active=True).values_list("kind", flat=True))
    assert kinds == {"dashboard", "report"}
    assert DashboardOffer.objects.count() >= 10


def test_w6_the_referent_ticks_and_the_page_shows_by_whom(workshop, tenant_a):
    first, second = DashboardOffer.objects.filter(active=True)[:2]
    client = client_for(tenant_a.referent)
    url = reverse("siem_dashboards", args=[workshop.pk])
    assert client.post(url, {"offers": [first.pk, second.pk]}).status_code == 302
    assert chosen(workshop) == {first.name, second.name}
    page = client.get(url).content.decode()
    assert tenant_a.referent.display_name in page
    assert f'data-testid="chosen-{first.pk}"' in page
    # Unticking one keeps the other with its first record.
    with scopes_disabled():
        kept_at = DashboardChoice.objects.get(workshop=workshop, offer=second).chosen_at
    client.post(url, {"offers": [second.pk]})
    assert chosen(workshop) == {second.name}
    with scopes_disabled():
        assert DashboardChoice.objects.get(workshop=workshop, offer=second).chosen_at == kept_at


def test_w6_staff_tick_on_the_customers_behalf(workshop, cstm):
    offer = DashboardOffer.objects.filter(active=True).first()
    client_for(cstm).post(reverse("siem_dashboards", args=[workshop.pk]), {"offers": [offer.pk]})
    with scopes_disabled():
        assert DashboardChoice.objects.get(workshop=workshop).chosen_by == cstm


def test_w6_a_read_only_customer_cannot_tick(workshop, tenant_a):
    set_access(tenant_a, "read_only")
    offer = DashboardOffer.objects.filter(active=True).first()
    client = client_for(tenant_a.referent)
    url = reverse("siem_dashboards", args=[workshop.pk])
    page = client.get(url).content.decode()
    assert 'type="checkbox"' not in page
    response = client.post(url, {"offers": [offer.pk]})
    assert response.status_code == 200  # the refusal is shown, nothing written
    assert chosen(workshop) == set()


def test_w6_end_users_read_but_cannot_tick(workshop, tenant_a):
    offer = DashboardOffer.objects.filter(active=True).first()
    client = client_for(tenant_a.end_user)
    url = reverse("siem_dashboards", args=[workshop.pk])
    assert client.get(url).status_code == 200
    client.post(url, {"offers": [offer.pk]})
    assert chosen(workshop) == set()


def test_w6_another_organisation_gets_404(workshop, tenant_b):
    offer = DashboardOffer.objects.filter(active=True).first()
    client = client_for(tenant_b.referent)
    url = reverse("siem_dashboards", args=[workshop.pk])
    assert client.get(url).status_code == 404
    assert client.post(url, {"offers": [offer.pk]}).status_code == 404
    assert chosen(workshop) == set()


def test_w6_a_closed_customer_ticks_nothing_even_through_staff(workshop, tenant_a, cstm):
    """From day 31 after expiry nothing is written for the customer, whoever asks (C5)."""
    from django.core.exceptions import ValidationError

    from onboarding.siem.projects import services

    set_access(tenant_a, "closed")
    offer = DashboardOffer.objects.filter(active=True).first()
    for user in (tenant_a.referent, cstm):
        with scopes_disabled(), pytest.raises(ValidationError):
            services.dashboards_choose(workshop=workshop, offers=[offer], by=user)
    assert chosen(workshop) == set()
