"""SPEC T1: every page of SIEM projects, the operations model, the dashboards and the win-back
answers 404 to organisation A's people for organisation B's objects, and changes nothing of B."""

import pytest
from django.urls import reverse
from django_scopes import scopes_disabled

from onboarding.models import DashboardChoice, Deficiency, OperationsDuty, SiemProject
from tests.conftest import client_for
from tests.onboarding.siem.projects.objects import (
    deficiency_of,
    duty_of,
    notice_of,
    project_of,
    siem_title,
    with_siem_projects,
    workshop_of,
)

pytestmark = pytest.mark.django_db


def b_state(tenant) -> tuple:
    with scopes_disabled():
        org = tenant.organisation
        return (
            list(SiemProject.objects.filter(organisation=org).values_list("status", "went_well")),
            list(Deficiency.objects.filter(organisation=org).values_list("status", flat=True)),
            list(OperationsDuty.objects.filter(organisation=org).values_list("task", "customer")),
            DashboardChoice.objects.filter(organisation=org).count(),
            notice_of(tenant).outcome,
        )


def test_t1_every_siem_and_win_back_page_of_b_is_a_404_for_a(tenant_a, tenant_b, cstm):
    with_siem_projects(tenant_b)
    with scopes_disabled():
        workshop, project = workshop_of(tenant_b).pk, project_of(tenant_b).pk
        deficiency, duty = deficiency_of(tenant_b).pk, duty_of(tenant_b).pk
        notice = notice_of(tenant_b).pk
    urls = [
        reverse("siem_project_list", args=[workshop]),
        reverse("siem_project_create", args=[workshop]),
        reverse("siem_project_detail", args=[project]),
        reverse("siem_deficiency_add", args=[project]),
        reverse("siem_project_close", args=[project]),
        reverse("siem_deficiency_status", args=[deficiency]),
        reverse("siem_operations", args=[workshop]),
        reverse("siem_operations_propose", args=[workshop]),
        reverse("siem_duty_add", args=[workshop]),
        reverse("siem_duty_edit", args=[duty]),
        reverse("siem_duty_step_in", args=[duty]),
        reverse("siem_duty_step_out", args=[duty]),
        reverse("siem_dashboards", args=[workshop]),
        reverse("win_back_detail", args=[notice]),
        reverse("win_back_outcome", args=[notice]),
        reverse("win_back_meeting", args=[notice]),
    ]
    before = b_state(tenant_b)
    data = {
        "title": "x",
        "goals": "y",
        "starts_on": "2027-01-01",
        "ends_on": "2027-01-02",
        "status": "done",
        "description": "d",
        "owner": "o",
        "went_well": "w",
        "to_improve": "t",
        "task": "t",
        "provider": "R",
        "customer": "R",
        "offers": [],
        "outcome": "lost",
    }
    for user in (tenant_a.referent, tenant_a.end_user, cstm):
        client = client_for(user)
        for url in urls:
            for response in (client.get(url), client.post(url, data)):
                assert response.status_code in (404, 405), f"{url} as {user.email}"
                assert siem_title(tenant_b).encode() not in response.content
    assert b_state(tenant_b) == before
