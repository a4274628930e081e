"""The API of the purpose, charter, retention curve and decisions has the pages' scope, roles
and rules (SPEC W1, W3, W5, O4, C5, T1, L5)."""

from decimal import Decimal

import pytest
from django.utils import timezone
from django_scopes import scopes_disabled

from onboarding.models import Deliverable, RetentionDecision, SiemPricing, SiemWorkshop
from tests.conftest import client_for
from tests.onboarding.siem.charter.objects import decided, workshop_of

pytestmark = pytest.mark.django_db

DECISIONS = "/api/v1/siem-retention-decisions/"


def _count() -> int:
    return RetentionDecision.objects.with_scopes_disabled().count()


def _body(workshop, **overrides) -> dict:
    return {
        "workshop": workshop.pk,
        "months": 13,
        "decided_on": timezone.localdate().isoformat(),
        "attendees": ["Carla Rossi, CSTM", "Rita Referente"],
        **overrides,
    }


def test_w5_api_cstm_records_once_per_idempotency_key_and_customers_read_it(tenant_a, cstm):
    workshop = workshop_of(tenant_a)
    staff = client_for(cstm)
    headers = {"HTTP_IDEMPOTENCY_KEY": "decision-13"}
    first = staff.post(DECISIONS, _body(workshop), content_type="application/json", **headers)
    again = staff.post(DECISIONS, _body(workshop), content_type="application/json", **headers)
    assert first.status_code == again.status_code == 201, first.content
    assert again["Idempotent-Replayed"] == "true" and _count() == 1
    decision = first.json()
    assert decision["months"] == 13 and len(decision["curve"]) == 60
    assert decision["monthly_cost"] == decision["curve"][12]["monthly_cost"]
    assert isinstance(decision["monthly_cost"], str) and decision["currency"] == "EUR"
    for user in (tenant_a.referent, tenant_a.end_user):
        listed = client_for(user).get(f"{DECISIONS}?workshop={workshop.pk}").json()
        assert [d["id"] for d in listed["results"]] == [decision["id"]]


def test_w5_api_frozen_decision_keeps_its_figures_after_a_price_change(tenant_a, cstm):
    workshop = workshop_of(tenant_a)
    decision = decided(workshop, cstm)
    before = client_for(tenant_a.referent).get(f"{DECISIONS}{decision.pk}/").json()
    SiemPricing.objects.filter(pk=1).update(price_cold=Decimal("9"))
    after = client_for(tenant_a.referent).get(f"{DECISIONS}{decision.pk}/").json()
    assert after == before
    curve = client_for(cstm).get(f"/api/v1/siem-charters/{workshop.pk}/retention-curve/").json()
    assert curve["prices"]["cold"] == "9.0000"
    assert curve["curve"][12]["monthly_cost"] != before["monthly_cost"]


@pytest.mark.parametrize("months", [0, 61])
def test_w5_api_bad_retention_is_a_400_and_nothing_is_saved(tenant_a, cstm, months):
    workshop = workshop_of(tenant_a)
    response = client_for(cstm).post(
        DECISIONS, _body(workshop, months=months), content_type="application/json"
    )
    assert response.status_code == 400
    # The CSTM reads Italian: the message is in their language.
    assert response.json()["months"] == ["La retention deve essere tra 1 e 60 mesi."]
    assert _count() == 0


def test_w5_api_customers_cannot_record_a_decision(tenant_a):
    workshop = workshop_of(tenant_a)
    for user in (tenant_a.referent, tenant_a.end_user):
        response = client_for(user).post(
            DECISIONS, _body(workshop), content_type="application/json"
        )
        assert response.status_code == 403
    assert _count() == 0


def test_t1_api_another_organisation_s_workshop_and_decision_are_not_found(
    tenant_a, tenant_b, cstm
):
    workshop_b = workshop_of(tenant_b)
    decision_b = decided(workshop_b, tenant_b.assignment.cstm)
    staff = client_for(cstm)
    assert staff.get(f"{DECISIONS}{decision_b.pk}/").status_code == 404
    assert staff.get(f"/api/v1/siem-charters/{workshop_b.pk}/").status_code == 404
    assert staff.get(f"/api/v1/siem-charters/{workshop_b.pk}/retention-curve/").status_code == 404
    for path in ("publish-charter", "publish-sizing-sheet"):
        assert staff.post(f"/api/v1/siem-charters/{workshop_b.pk}/{path}/").status_code == 404
    assert staff.get(DECISIONS).json()["results"] == []
    refused = staff.post(DECISIONS, _body(workshop_b), content_type="application/json")
    assert refused.status_code == 400 and "workshop" in refused.json()
    patched = staff.patch(
        f"/api/v1/siem-charters/{workshop_b.pk}/",
        {"purpose": {"why": "x"}},
        content_type="application/json",
    )
    assert patched.status_code == 404
    assert _count() == 1
    assert SiemWorkshop.objects.with_scopes_disabled().get(pk=workshop_b.pk).purpose == {}


def test_w1_w3_api_staff_write_purpose_and_charter_the_referent_reads(tenant_a, cstm):
    workshop = workshop_of(tenant_a)
    url = f"/api/v1/siem-charters/{workshop.pk}/"
    charter = {"scope_in": "Firewall e server", "scope_out": "Nessun OT", "risks": "Log mancanti"}
    response = client_for(cstm).patch(
        url, {"purpose": {"why": "NIS2"}, "charter": charter}, content_type="application/json"
    )
    assert response.status_code == 200, response.content
    read = client_for(tenant_a.referent).get(url).json()
    assert read["purpose"]["why"] == "NIS2" and read["charter"]["scope_out"] == "Nessun OT"
    assert (
        client_for(tenant_a.referent)
        .patch(url, {"purpose": {"why": "altro"}}, content_type="application/json")
        .status_code
        == 403
    )
    assert client_for(tenant_a.end_user).get(url).status_code == 404
    empty_out = client_for(cstm).patch(
        url, {"charter": {"scope_out": ""}}, content_type="application/json"
    )
    assert empty_out.status_code == 400 and "scope_out" in empty_out.json()
    with scopes_disabled():
        assert SiemWorkshop.objects.get(pk=workshop.pk).charter["scope_out"] == "Nessun OT"


def test_o4_api_publish_the_charter_then_the_referent_downloads_it(tenant_a, cstm):
    workshop = workshop_of(tenant_a)
    staff = client_for(cstm)
    url = f"/api/v1/siem-charters/{workshop.pk}/"
    refused = staff.post(f"{url}publish-charter/")
    assert refused.status_code == 400  # no charter written yet
    staff.patch(
        url,
        {"charter": {"scope_in": "Firewall", "scope_out": "OT"}},
        content_type="application/json",
    )
    published = staff.post(f"{url}publish-charter/")
    assert published.status_code == 201, published.content
    assert published.json()["kind"] == "alignment_charter"
    assert client_for(tenant_a.referent).post(f"{url}publish-charter/").status_code == 403
    with scopes_disabled():
        assert Deliverable.objects.count() == 1
    download = client_for(tenant_a.referent).get(
        f"/api/v1/deliverables/{published.json()['id']}/download/"
    )
    assert b"".join(download.streaming_content).startswith(b"%PDF-")


def test_w5_api_an_admin_records_and_an_agent_only_reads(tenant_a, admin_user, agent):
    """Admins record like CSTMs; service-desk agents read decisions but cannot record one."""
    workshop = workshop_of(tenant_a)
    made = client_for(admin_user).post(DECISIONS, _body(workshop), content_type="application/json")
    assert made.status_code == 201, made.content
    desk = client_for(agent)
    assert desk.get(f"{DECISIONS}{made.json()['id']}/").status_code == 200
    refused = desk.post(DECISIONS, _body(workshop), content_type="application/json")
    assert refused.status_code == 403
    page = desk.post(f"/siem/workshops/{workshop.pk}/retention/", {"months": "13"})
    assert page.status_code == 404
    assert _count() == 1
