"""The API of SIEM projects, the operations model and the dashboards has the pages' scope,
roles and rules (SPEC W4, W6, T1, C5), and the win-back API is staff's (C6)."""

from datetime import timedelta

import pytest
from django.utils import timezone
from django_scopes import scopes_disabled

from onboarding.models import DashboardChoice, OperationsDuty, SiemProject
from tests.conftest import client_for
from tests.onboarding.siem.projects.conftest import set_access
from tests.onboarding.siem.projects.objects import (
    choice_of,
    deficiency_of,
    duty_of,
    notice_of,
    offer,
    project_of,
    siem_title,
    with_siem_projects,
    workshop_of,
)

pytestmark = pytest.mark.django_db

JSON = "application/json"


def resources(tenant) -> dict[str, int]:
    with scopes_disabled():
        return {
            "siem-projects": project_of(tenant).pk,
            "siem-deficiencies": deficiency_of(tenant).pk,
            "siem-operations": duty_of(tenant).pk,
            "siem-dashboard-choices": choice_of(tenant).pk,
            "win-back": notice_of(tenant).pk,
        }


def test_t1_every_siem_and_win_back_resource_of_b_is_a_404_for_a(tenant_a, tenant_b, cstm):
    """A's referent, end user and CSTM: B's objects are 404 on every read and write, and B's
    rows appear in no list."""
    with_siem_projects(tenant_b)
    b = resources(tenant_b)
    for user in (tenant_a.referent, tenant_a.end_user, cstm):
        client = client_for(user)
        for resource, pk in b.items():
            assert client.get(f"/api/v1/{resource}/{pk}/").status_code == 404, (resource, user)
            assert client.patch(f"/api/v1/{resource}/{pk}/", {}, content_type=JSON).status_code in (
                404,
                405,
            )
        for action in ("step-in", "step-out"):
            url = f"/api/v1/siem-operations/{b['siem-operations']}/{action}/"
            assert client.post(url, content_type=JSON).status_code == 404
        url = f"/api/v1/siem-projects/{b['siem-projects']}/close/"
        assert client.post(url, {}, content_type=JSON).status_code == 404
        assert (
            client.delete(
                f"/api/v1/siem-dashboard-choices/{b['siem-dashboard-choices']}/"
            ).status_code
            == 404
        )
        for resource in b:
            listed = client.get(f"/api/v1/{resource}/")
            assert siem_title(tenant_b) not in listed.content.decode()
    with scopes_disabled():
        assert duty_of(tenant_b).customer != "R"
        assert DashboardChoice.objects.filter(workshop=workshop_of(tenant_b)).count() == 1


def test_w4_api_staff_start_and_close_projects_the_referent_cannot(tenant_a, cstm):
    workshop = with_siem_projects(tenant_a)
    today = timezone.localdate()
    referent = client_for(tenant_a.referent)
    staff = client_for(cstm)
    # The open project first: staff close it (its deficiency is there) with the evaluation.
    project = project_of(tenant_a)
    refused = staff.post(
        f"/api/v1/siem-projects/{project.pk}/close/", {"went_well": "ok"}, content_type=JSON
    )
    assert refused.status_code == 400 and "non_field_errors" in refused.json()
    body = {"went_well": "ok", "to_improve": "meno riunioni"}
    assert (
        referent.post(
            f"/api/v1/siem-projects/{project.pk}/close/", body, content_type=JSON
        ).status_code
        == 403
    )
    closed = staff.post(f"/api/v1/siem-projects/{project.pk}/close/", body, content_type=JSON)
    assert closed.status_code == 200 and closed.json()["status"] == "closed"
    new = {
        "workshop": workshop.pk,
        "title": "Terzo",
        "goals": "Report alla direzione",
        "starts_on": today.isoformat(),
        "ends_on": (today + timedelta(days=200)).isoformat(),
    }
    too_long = staff.post("/api/v1/siem-projects/", new, content_type=JSON)
    assert too_long.status_code == 400 and "ends_on" in too_long.json()
    assert referent.post("/api/v1/siem-projects/", new, content_type=JSON).status_code == 403
    new["ends_on"] = (today + timedelta(days=60)).isoformat()
    created = staff.post("/api/v1/siem-projects/", new, content_type=JSON)
    assert created.status_code == 201, created.content
    assert created.json()["previous"] == project.pk
    shown = referent.get(f"/api/v1/siem-projects/{project.pk}/").json()
    assert shown["next"] == created.json()["id"] and shown["deficiencies"]
    with scopes_disabled():
        assert SiemProject.objects.filter(workshop=workshop).count() == 3


def test_w6_api_the_referent_steps_in_once_and_cannot_edit_lines(tenant_a):
    with_siem_projects(tenant_a)
    duty = duty_of(tenant_a)
    referent = client_for(tenant_a.referent)
    first = referent.post(f"/api/v1/siem-operations/{duty.pk}/step-in/", content_type=JSON)
    assert first.status_code == 200 and first.json()["customer"] == "R"
    again = referent.post(f"/api/v1/siem-operations/{duty.pk}/step-in/", content_type=JSON)
    assert again.json()["changed_at"] == first.json()["changed_at"]  # a double submit: once
    edit = referent.patch(f"/api/v1/siem-operations/{duty.pk}/", {"task": "Mio"}, content_type=JSON)
    assert edit.status_code == 403
    propose = referent.post(
        "/api/v1/siem-operations/propose-standard/",
        {"workshop": workshop_of(tenant_a).pk},
        content_type=JSON,
    )
    assert propose.status_code == 403
    end_user = client_for(tenant_a.end_user)
    assert end_user.get(f"/api/v1/siem-operations/{duty.pk}/").status_code == 200
    out = end_user.post(f"/api/v1/siem-operations/{duty.pk}/step-out/", content_type=JSON)
    assert out.status_code == 403
    with scopes_disabled():
        assert OperationsDuty.objects.get(pk=duty.pk).task != "Mio"


def test_w6_api_a_read_only_customer_cannot_step_in_nor_tick(tenant_a):
    with_siem_projects(tenant_a)
    set_access(tenant_a, "read_only")
    duty = duty_of(tenant_a)
    referent = client_for(tenant_a.referent)
    assert referent.post(f"/api/v1/siem-operations/{duty.pk}/step-in/").status_code == 400
    tick = referent.post(
        "/api/v1/siem-dashboard-choices/",
        {"workshop": workshop_of(tenant_a).pk, "offer": offer().pk},
        content_type=JSON,
    )
    assert tick.status_code == 400
    assert (
        referent.delete(f"/api/v1/siem-dashboard-choices/{choice_of(tenant_a).pk}/").status_code
        == 400
    )
    with scopes_disabled():
        assert duty_of(tenant_a).pk == duty.pk  # still not the customer's
        assert DashboardChoice.objects.filter(workshop=workshop_of(tenant_a)).count() == 1


def test_c6_api_win_back_is_staffs_and_won_back_needs_its_date(tenant_a, cstm):
    with_siem_projects(tenant_a)
    notice = notice_of(tenant_a)
    assert client_for(tenant_a.referent).get("/api/v1/win-back/").status_code == 404
    staff = client_for(cstm)
    listed = staff.get("/api/v1/win-back/").json()["results"]
    assert [n["id"] for n in listed] == [notice.pk] and listed[0]["meetings"]
    url = f"/api/v1/win-back/{notice.pk}/outcome/"
    refused = staff.post(url, {"outcome": "won_back"}, content_type=JSON)
    assert refused.status_code == 400 and "won_back_on" in refused.json()
    day = timezone.localdate().isoformat()
    done = staff.post(url, {"outcome": "won_back", "won_back_on": day}, content_type=JSON)
    assert done.status_code == 200 and done.json()["won_back_on"] == day
