"""SPEC W2, T1, C5: the SIEM workshops' API has the pages' scope, roles and rules; figures are
strings of Decimals."""

from datetime import timedelta

import pytest
from django.utils import timezone
from django_scopes import scopes_disabled

from onboarding.models import LogSourceType, Meeting, SiemLogSource, SiemWorkshop
from tests.conftest import client_for
from tests.onboarding.library.conftest import attendees, set_access
from tests.onboarding.siem.conftest import workshop_for

pytestmark = pytest.mark.django_db(transaction=True)
JSON = "application/json"
BODY = {
    "sources": [
        {"name": "Firewall", "devices": "100", "eps_per_device": "50", "event_bytes": "500"},
    ],
    "retention_months": "3",
    "hot_days": "7",
    "warm_days": "23",
}


def test_w2_api_create_save_and_calculate_as_staff_and_read_as_the_customer(tenant_a, cstm):
    """The CSTM opens a workshop and saves its sizing; `calculate` gives the figures as exact
    Decimal strings: 100 × 50 = 5,000 EPS, 100 × 50 × 500 × 86,400 / 10^9 = 216 GB/day; the
    referent and end users read the workshop and its figures."""
    staff = client_for(cstm)
    created = staff.post(
        "/api/v1/siem-workshops/",
        {"organisation": tenant_a.organisation.pk, "title": "SIEM API"},
        content_type=JSON,
    )
    assert created.status_code == 201, created.content
    workshop_id = created.json()["id"]
    assert created.json()["constants"]["disk_watermark"] == "0.1500"
    assert created.json()["progress"] == {"held": 0, "planned": 0, "total": 8, "current": 1}
    saved = staff.post(f"/api/v1/siem-workshops/{workshop_id}/sizing/", BODY, content_type=JSON)
    assert saved.status_code == 200, saved.content
    assert [s["name"] for s in saved.json()["sources"]] == ["Firewall"]
    what_if = staff.post(
        f"/api/v1/siem-workshops/{workshop_id}/calculate/",
        {**BODY, "constants": {"replicas": "2"}},
        content_type=JSON,
    ).json()
    assert what_if["sustained_eps"] == "5000" and what_if["raw_gb_per_day"] == "216"
    assert what_if["tiers"]["hot"]["data_gb"] == "4536"  # 216 × 7 × (2 + 1)
    with scopes_disabled():
        assert SiemWorkshop.objects.get(pk=workshop_id).replicas == 1  # nothing saved
    for user in (tenant_a.referent, tenant_a.end_user):
        reader = client_for(user)
        got = reader.get(f"/api/v1/siem-workshops/{workshop_id}/calculate/")
        assert got.status_code == 200 and got.json()["peak_eps"] == "10000"
        assert got.json()["licences"] == 10 and got.json()["licence_metric"] == "eps"
        listed = reader.get("/api/v1/siem-workshops/").json()
        assert [w["id"] for w in listed["results"]] == [workshop_id]
        refused = reader.post(
            f"/api/v1/siem-workshops/{workshop_id}/sizing/", BODY, content_type=JSON
        )
        assert refused.status_code == 403
        assert (
            reader.post(
                "/api/v1/siem-workshops/",
                {"organisation": tenant_a.organisation.pk, "title": "Mio"},
                content_type=JSON,
            ).status_code
            == 403
        )


def test_t1_api_another_customers_workshop_is_404(tenant_a, tenant_b, cstm):
    """SPEC T1: B's workshop is a 404 for A's people, whatever the method."""
    b_workshop = workshop_for(tenant_b, tenant_b.assignment.cstm, title="SIEM Bravo")
    for user in (tenant_a.referent, tenant_a.end_user, cstm):
        client = client_for(user)
        base = f"/api/v1/siem-workshops/{b_workshop.pk}/"
        assert client.get(base).status_code == 404
        assert client.get(base + "calculate/").status_code == 404
        assert client.post(base + "sizing/", BODY, content_type=JSON).status_code == 404
        assert client.post(base + "calculate/", BODY, content_type=JSON).status_code == 404
        assert b"SIEM Bravo" not in client.get("/api/v1/siem-workshops/").content
    created = client_for(cstm).post(
        "/api/v1/siem-workshops/",
        {"organisation": tenant_b.organisation.pk, "title": "Intruso"},
        content_type=JSON,
    )
    assert created.status_code == 400
    with scopes_disabled():
        assert SiemWorkshop.objects.filter(organisation=tenant_b.organisation).count() == 1


def test_w2_api_bad_input_is_a_400_by_field_and_nothing_is_saved(tenant_a, cstm):
    """Negative devices, zero event size, 61 months, 1.5 replicas, an unknown constant."""
    workshop = workshop_for(tenant_a, cstm)
    staff = client_for(cstm)
    url = f"/api/v1/siem-workshops/{workshop.pk}/sizing/"
    bad = {
        "sources": [{"name": "Proxy", "devices": "-1", "eps_per_device": "2", "event_bytes": "0"}],
        "retention_months": "61",
        "constants": {"replicas": "1.5"},
    }
    answer = staff.post(url, bad, content_type=JSON)
    assert answer.status_code == 400
    assert {"sources.0", "retention_months", "replicas"} <= set(answer.json())
    unknown = staff.post(url, {**BODY, "constants": {"nope": "1"}}, content_type=JSON)
    assert unknown.status_code == 400 and "constants" in unknown.json()
    with scopes_disabled():
        assert not SiemLogSource.objects.exists()


def test_c5_api_no_write_for_a_read_only_customer_and_the_catalogue_is_read(tenant_a, cstm):
    """SPEC C5: the CSTM's sizing save for a read-only customer is refused; the customer's
    people read the catalogue of log-source types (offered ones only)."""
    workshop = workshop_for(tenant_a, cstm)
    set_access(tenant_a, "read_only")
    staff = client_for(cstm)
    refused = staff.post(f"/api/v1/siem-workshops/{workshop.pk}/sizing/", BODY, content_type=JSON)
    assert refused.status_code == 400
    with scopes_disabled():
        assert not SiemLogSource.objects.exists()
    LogSourceType.objects.filter(name="Mail gateway").update(active=False)
    names = [
        t["name"]
        for t in client_for(tenant_a.referent)
        .get("/api/v1/siem-log-source-types/?page_size=100")
        .json()["results"]
    ]
    assert "Firewall" in names and "Mail gateway" not in names


def test_h3_api_schedules_a_workshop_meeting_on_its_topic(tenant_a, cstm):
    """The series' meeting by API: kind SIEM, the topic's request recorded (H8)."""
    workshop = workshop_for(tenant_a, cstm)
    answer = client_for(cstm).post(
        f"/api/v1/siem-workshops/{workshop.pk}/schedule-meeting/",
        {
            "topic": "purpose",
            "title": "Scopo del SIEM",
            "scheduled_at": (timezone.now() + timedelta(days=1)).isoformat(),
            "attendees": attendees(tenant_a, cstm),
            "record_request": True,
        },
        content_type=JSON,
    )
    assert answer.status_code == 201, answer.content
    with scopes_disabled():
        meeting = Meeting.objects.select_related("activity_request__activity").get(
            pk=answer.json()["id"]
        )
    assert meeting.workshop_id == workshop.pk and meeting.topic == "purpose"
    assert meeting.activity_request.activity.code == "siem_purpose"
