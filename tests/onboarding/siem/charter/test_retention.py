"""SPEC W5: the retention chart, the customer's decision frozen with its inputs and curve, and
who may record or read it (T1, C5, L5)."""

import json
import re
from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone, translation
from django_scopes import scopes_disabled

from accounts.models import Organisation
from onboarding.models import RetentionDecision, SiemLogSource, SiemPricing
from onboarding.siem import sizing
from onboarding.siem.inputs import constants_of, sources_of
from tests.conftest import client_for
from tests.onboarding.siem.charter.objects import decided, workshop_of

pytestmark = pytest.mark.django_db


def _count() -> int:
    return RetentionDecision.objects.with_scopes_disabled().count()


def _form(client, url: str) -> dict:
    page = client.get(url).content.decode()
    token = re.search(r'name="write_once" value="([A-Za-z0-9]{32})"', page).group(1)
    return {
        "write_once": token,
        "months": "13",
        "decided_on": timezone.localdate().isoformat(),
        "attendees": "Carla Rossi, CSTM\nRita Referente, referente",
        "note": "Scelta fatta al workshop.",
    }


def test_w5_decision_freezes_inputs_and_the_whole_curve(tenant_a, cstm):
    """The decision keeps the sources, constants, prices, currency and tiers as strings and the
    60 points of the curve, equal to the calculator's at that moment."""
    workshop = workshop_of(tenant_a)
    decision = decided(workshop, cstm, months=13)
    with scopes_disabled():
        expected = sizing.retention_curve(
            sources_of(workshop),
            hot_days=workshop.hot_days,
            warm_days=workshop.warm_days,
            price_per_gb_month=SiemPricing.current().prices(),
            constants=constants_of(workshop),
        )
    assert len(decision.curve) == 60
    point = decision.curve[12]
    assert point["months"] == 13
    assert Decimal(point["monthly_cost"]) == expected[12].monthly_cost.quantize(Decimal("0.0001"))
    assert decision.inputs["currency"] == "EUR"
    assert decision.inputs["prices"] == {"hot": "0.1000", "warm": "0.0500", "cold": "0.0100"}
    assert decision.inputs["sources"][0] == {
        "name": "Firewall perimetrale",
        "devices": 4,
        "eps_per_device": "250.0000",
        "event_bytes": "500.0000",
    }
    assert decision.inputs["hot_days"] == 7 and decision.inputs["warm_days"] == 30
    workshop.refresh_from_db()
    assert workshop.retention_months == 13


def test_w5_a_later_change_of_prices_or_sources_does_not_rewrite_the_decision(tenant_a, cstm):
    """After the decision, the admin raises the prices tenfold and a source is added: the
    decision's page, as the referent sees it, still shows the cost and storage of that day."""
    workshop = workshop_of(tenant_a)
    decision = decided(workshop, cstm, months=13)
    old = decision.curve[12]
    SiemPricing.objects.filter(pk=1).update(
        price_hot=Decimal("1.00"), price_warm=Decimal("0.50"), price_cold=Decimal("0.10")
    )
    with scopes_disabled():
        SiemLogSource.objects.create(
            organisation=tenant_a.organisation,
            workshop=workshop,
            name="Proxy",
            devices=10,
            eps_per_device=Decimal(100),
            event_bytes=Decimal(1000),
        )
    page = client_for(tenant_a.referent).get(f"/siem/decisions/{decision.pk}/")
    assert page.status_code == 200
    chart = json.loads(
        re.search(
            r'<script id="decision-chart" type="application/json">(.*?)</script>',
            page.content.decode(),
            re.S,
        ).group(1)
    )
    assert chart["data"]["datasets"][0]["data"][12] == float(old["monthly_cost"])
    assert page.context["decision_point"] == old
    assert "Proxy" not in page.content.decode()
    with scopes_disabled():
        assert RetentionDecision.objects.get(pk=decision.pk).curve[12] == old


@pytest.mark.parametrize("months", [0, 61, -1])
def test_w5_retention_zero_or_over_sixty_months_is_refused_and_nothing_saved(
    tenant_a, cstm, months
):
    workshop = workshop_of(tenant_a)
    with pytest.raises(ValidationError) as refused:
        decided(workshop, cstm, months=months)
    assert refused.value.message_dict["months"] == ["Retention must be between 1 and 60 months."]
    assert _count() == 0


def test_w5_a_workshop_without_sources_cannot_decide(tenant_a, cstm):
    workshop = workshop_of(tenant_a, sources=0)
    with pytest.raises(ValidationError) as refused:
        decided(workshop, cstm)
    assert "log sources" in refused.value.message_dict["__all__"][0]
    assert _count() == 0


def test_w5_hot_and_warm_days_beyond_the_retention_are_refused(tenant_a, cstm):
    """20 hot + 30 warm days do not fit in one month (30.4 days): refused, nothing saved."""
    workshop = workshop_of(tenant_a, hot_days=20, warm_days=30)
    with pytest.raises(ValidationError) as refused:
        decided(workshop, cstm, months=1)
    assert "do not fit in a retention of 1 months" in refused.value.message_dict["months"][0]
    assert _count() == 0
    assert decided(workshop, cstm, months=2).months == 2


def test_w5_a_decision_needs_attendees_and_a_date_not_in_the_future(tenant_a, cstm):
    workshop = workshop_of(tenant_a)
    with pytest.raises(ValidationError) as refused:
        decided(
            workshop,
            cstm,
            attendees=["  "],
            decided_on=timezone.localdate() + timedelta(days=1),
        )
    assert set(refused.value.message_dict) == {"attendees", "decided_on"}
    assert _count() == 0


def test_w5_bad_input_on_the_page_is_a_message_in_the_users_language(tenant_a, cstm):
    """The CSTM (Italian) sends 0 months: the page shows the service's message, nothing saved."""
    workshop = workshop_of(tenant_a)
    client = client_for(cstm)
    url = f"/siem/workshops/{workshop.pk}/retention/"
    data = {**_form(client, url), "months": "0"}
    response = client.post(url, data)
    assert response.status_code == 200
    with translation.override("it"):
        message = str(sizing._("Retention must be between 1 and %(max)s months.") % {"max": 60})
    assert message in response.content.decode()
    assert _count() == 0


def test_w5_double_submit_of_the_decision_records_it_once(tenant_a, cstm):
    """The same one-time token posted twice: one decision; the second lands on the first one."""
    workshop = workshop_of(tenant_a)
    client = client_for(cstm)
    url = f"/siem/workshops/{workshop.pk}/retention/"
    data = _form(client, url)
    first = client.post(url, data)
    second = client.post(url, data)
    assert _count() == 1
    decision = RetentionDecision.objects.with_scopes_disabled().get()
    assert first["Location"] == second["Location"] == f"/siem/decisions/{decision.pk}/"
    assert decision.attendees == ["Carla Rossi, CSTM", "Rita Referente, referente"]
    assert decision.recorded_by == cstm


def test_w5_a_form_without_its_token_writes_nothing(tenant_a, cstm):
    workshop = workshop_of(tenant_a)
    client = client_for(cstm)
    url = f"/siem/workshops/{workshop.pk}/retention/"
    data = _form(client, url)
    del data["write_once"]
    assert client.post(url, data).status_code == 200
    assert _count() == 0


@pytest.mark.parametrize("who", ["referent", "end_user"])
def test_w5_customers_see_the_decision_but_cannot_record_one(tenant_a, cstm, who):
    """The referent and the organisation's users read the decision in plain sentences; their
    POST is a 404 and writes nothing."""
    workshop = workshop_of(tenant_a)
    decision = decided(workshop, cstm, months=13)
    user = getattr(tenant_a, who)
    client = client_for(user)
    url = f"/siem/workshops/{workshop.pk}/retention/"
    page = client.get(url)
    assert page.status_code == 200
    body = page.content.decode()
    assert 'data-testid="decision-form"' not in body
    assert 'data-months="13"' in body
    assert client.get(f"/siem/decisions/{decision.pk}/").status_code == 200
    response = client.post(url, {"months": "20", "decided_on": "2026-01-01", "attendees": "x"})
    assert response.status_code == 404
    assert _count() == 1


def test_w5_the_page_carries_the_chart_and_the_curve_for_the_range_control(tenant_a, cstm):
    workshop = workshop_of(tenant_a, retention_months=6)
    response = client_for(cstm).get(f"/siem/workshops/{workshop.pk}/retention/")
    body = response.content.decode()
    assert 'data-chart="retention-chart"' in body
    assert "js/siem_retention.js" in body and "<script>" not in body
    data = response.context["retention_data"]
    assert [p["months"] for p in data["curve"]] == list(range(1, 61))
    chart = response.context["chart"]
    assert [d["yAxisID"] for d in chart["data"]["datasets"]] == ["y", "y1", "y"]
    # The marker sits on the retention discussed (6 months) until someone moves the control.
    marker = chart["data"]["datasets"][2]["data"]
    assert [i for i, v in enumerate(marker) if v is not None] == [5]
    assert 'value="6"' in body


def test_w5_staff_record_nothing_for_a_read_only_or_closed_customer(tenant_a, cstm):
    workshop = workshop_of(tenant_a)
    for access in (Organisation.Access.READ_ONLY, Organisation.Access.CLOSED):
        with scopes_disabled():
            Organisation.objects.filter(pk=tenant_a.organisation.pk).update(access=access)
        workshop.organisation.refresh_from_db()
        with pytest.raises(ValidationError):
            decided(workshop, cstm)
        assert _count() == 0
    response = client_for(cstm).get(f"/siem/workshops/{workshop.pk}/retention/")
    assert 'data-testid="decision-form"' not in response.content.decode()


def test_w5_a_referent_cannot_record_through_the_service(tenant_a):
    workshop = workshop_of(tenant_a)
    with pytest.raises(ValidationError):
        decided(workshop, tenant_a.referent)
    assert _count() == 0


def test_w5_another_organisation_s_workshop_and_decision_are_404(tenant_a, tenant_b, cstm):
    """T1: A's CSTM and A's referent get 404 for B's retention page and B's decision, and a
    POST of A's CSTM to B's page records nothing."""
    workshop_b = workshop_of(tenant_b)
    decision_b = decided(workshop_b, tenant_b.assignment.cstm)
    for user in (cstm, tenant_a.referent, tenant_a.end_user):
        client = client_for(user)
        assert client.get(f"/siem/workshops/{workshop_b.pk}/retention/").status_code == 404
        assert client.get(f"/siem/decisions/{decision_b.pk}/").status_code == 404
    response = client_for(cstm).post(
        f"/siem/workshops/{workshop_b.pk}/retention/",
        {"months": "13", "decided_on": "2026-01-01", "attendees": "x"},
    )
    assert response.status_code == 404
    assert _count() == 1


def test_w5_the_readout_rounds_half_up_like_the_decision_it_becomes():
    """887.4752 EUR reads 887,48 (Django's number_format alone would truncate to 887,47), the
    same figure the decision's sentences show."""
    from onboarding.siem.charter.views import readout

    with translation.override("it"):
        text = readout(13, "60682.6350", "887.4752", "EUR")
    assert "60.682,64" in text and "887,48" in text
    assert "887,47" not in text and "60.682,63" not in text
