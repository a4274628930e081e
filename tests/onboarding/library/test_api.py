"""The library's API has the pages' scope, roles and rules (SPEC O1, O4, T1)."""

from datetime import timedelta

import pytest
from django.core import mail
from django.utils import timezone
from django_scopes import scopes_disabled

from onboarding import steps
from onboarding.models import Deliverable
from tests.conftest import client_for
from tests.onboarding.library.conftest import PDF, attendees, held, schedule, upload

pytestmark = pytest.mark.django_db(transaction=True)


def test_o1_api_schedule_then_minutes_publish_a_pdf_the_referent_downloads(
    tenant_a, cstm, monkeypatch
):
    """Staff schedule and record the kick-off minutes by API; the referent reads the meeting and
    downloads the minutes PDF as an attachment."""
    monkeypatch.setattr(steps, "step_done", lambda **kwargs: None)
    staff = client_for(cstm)
    created = staff.post(
        "/api/v1/meetings/",
        {
            "organisation": tenant_a.organisation.pk,
            "kind": "kickoff",
            "title": "Kick-off API",
            "scheduled_at": (timezone.now() + timedelta(days=1)).isoformat(),
            "attendees": attendees(tenant_a, cstm),
            "agenda": "Piano",
        },
        content_type="application/json",
    )
    assert created.status_code == 201, created.content
    meeting_id = created.json()["id"]
    assert len(mail.outbox) == 2
    with scopes_disabled():
        from onboarding.models import Meeting

        held(Meeting.objects.get(pk=meeting_id))
    minutes = staff.post(
        f"/api/v1/meetings/{meeting_id}/record-minutes/",
        {"minutes": "Fatto.", "referent": tenant_a.referent.pk},
        content_type="application/json",
    )
    assert minutes.status_code == 200, minutes.content
    body = minutes.json()
    assert body["status"] == "held" and body["named_referent"] == tenant_a.referent.pk
    referent = client_for(tenant_a.referent)
    listed = referent.get("/api/v1/meetings/").json()
    assert [m["id"] for m in listed["results"]] == [meeting_id]
    download = referent.get(f"/api/v1/deliverables/{body['minutes_deliverable']}/download/")
    assert download.status_code == 200
    assert download["Content-Disposition"].startswith("attachment;")
    assert b"".join(download.streaming_content).startswith(b"%PDF-")


def test_o1_api_a_meeting_without_attendees_is_a_400_with_the_reason(tenant_a, cstm):
    response = client_for(cstm).post(
        "/api/v1/meetings/",
        {
            "organisation": tenant_a.organisation.pk,
            "kind": "sal",
            "title": "SAL",
            "scheduled_at": (timezone.now() + timedelta(days=1)).isoformat(),
            "attendees": [],
        },
        content_type="application/json",
    )
    assert response.status_code == 400 and "attendees" in response.json()
    assert mail.outbox == []


def test_o4_api_upload_is_checked_by_content_and_versions_follow_the_title(tenant_a, cstm):
    staff = client_for(cstm)
    bad = staff.post(
        "/api/v1/deliverables/",
        {
            "organisation": tenant_a.organisation.pk,
            "kind": "faq",
            "title": "FAQ",
            "file": upload("faq.pdf", b"MZ binary"),
        },
    )
    assert bad.status_code == 400 and "file" in bad.json()
    with scopes_disabled():
        assert Deliverable.objects.count() == 0
    for _ in range(2):
        good = staff.post(
            "/api/v1/deliverables/",
            {
                "organisation": tenant_a.organisation.pk,
                "kind": "faq",
                "title": "FAQ",
                "file": upload("faq.pdf", PDF),
            },
        )
        assert good.status_code == 201
    assert good.json()["version"] == 2
    listed = client_for(tenant_a.referent).get("/api/v1/deliverables/").json()
    assert [d["version"] for d in listed["results"]] == [2]
    versions = client_for(tenant_a.referent).get(
        f"/api/v1/deliverables/{good.json()['id']}/versions/"
    )
    assert [d["version"] for d in versions.json()] == [2, 1]


def test_t1_api_lists_hold_nothing_of_another_tenant(tenant_a, tenant_b, cstm):
    schedule(tenant_b, tenant_b.assignment.cstm, title="Bravo riservato")
    for user in (tenant_a.referent, cstm):
        response = client_for(user).get("/api/v1/meetings/")
        assert response.status_code == 200 and b"Bravo riservato" not in response.content
