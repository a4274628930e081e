"""SPEC W4: projects of at most three months, one open at a time, the next linked to the
previous with new goals; closing needs a deficiency list and an evaluation. Staff write; the
referent and the organisation's people read; bad input writes nothing."""

from datetime import date, timedelta

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone
from django_scopes import scopes_disabled

from onboarding.models import Deficiency, SiemProject
from onboarding.siem.projects import services
from tests.conftest import client_for
from tests.onboarding.siem.projects.conftest import set_access

pytestmark = pytest.mark.django_db


def create(workshop, by, **overrides) -> SiemProject:
    values = {
        "workshop": workshop,
        "title": "Raccolta log",
        "goals": "Raccogliere i log dei firewall",
        "starts_on": date(2026, 11, 30),
        "ends_on": date(2027, 2, 28),
        "by": by,
    }
    values.update(overrides)
    with scopes_disabled():
        return services.project_create(**values)


def count() -> int:
    with scopes_disabled():
        return SiemProject.objects.count()


def closed(project, by) -> SiemProject:
    with scopes_disabled():
        services.deficiency_add(
            project=project, description="Parser DNS", owner="Rita", status="open", by=by
        )
        return services.project_close(
            project=project, went_well="Buona collaborazione", to_improve="Più test", by=by
        )


def test_w4_a_project_from_30_november_to_28_february_is_accepted(workshop, cstm):
    project = create(workshop, cstm)
    assert (project.starts_on, project.ends_on) == (date(2026, 11, 30), date(2027, 2, 28))
    assert project.status == "open" and project.previous is None


def test_w4_a_project_of_three_months_and_one_day_is_refused_nothing_saved(workshop, cstm):
    """30 Nov 2026 → 1 Mar 2027 is one day past the three months (28 Feb): refused."""
    with pytest.raises(ValidationError) as refused:
        create(workshop, cstm, ends_on=date(2027, 3, 1))
    assert "2027-02-28" in refused.value.message_dict["ends_on"][0]
    with pytest.raises(ValidationError):
        create(workshop, cstm, starts_on=date(2027, 1, 15), ends_on=date(2027, 4, 16))
    assert count() == 0


def test_w4_the_page_refuses_three_months_and_one_day_in_italian(workshop, cstm):
    client = client_for(cstm)
    url = reverse("siem_project_create", args=[workshop.pk])
    assert client.get(url).status_code == 200
    response = client.post(
        url,
        {
            "title": "Raccolta log",
            "goals": "Raccogliere i log",
            "starts_on": "2027-01-15",
            "ends_on": "2027-04-16",
        },
    )
    assert response.status_code == 200
    assert "2027-04-15" in response.content.decode()
    assert count() == 0


def test_w4_only_one_project_is_open_at_a_time(workshop, cstm):
    create(workshop, cstm)
    with pytest.raises(ValidationError) as refused:
        create(workshop, cstm, title="Secondo", goals="Altro")
    assert "__all__" in refused.value.message_dict
    assert count() == 1


def test_w4_the_next_project_links_to_the_previous_and_needs_new_goals(workshop, cstm):
    first = closed(create(workshop, cstm), cstm)
    with pytest.raises(ValidationError) as refused:
        create(
            workshop,
            cstm,
            title="Secondo",
            goals="  raccogliere i LOG dei firewall ",
            starts_on=date(2027, 3, 1),
            ends_on=date(2027, 5, 31),
        )
    assert "goals" in refused.value.message_dict
    assert count() == 1
    second = create(
        workshop,
        cstm,
        title="Secondo",
        goals="Tarare le regole",
        starts_on=date(2027, 3, 1),
        ends_on=date(2027, 5, 31),
    )
    assert second.previous == first
    page = client_for(cstm).get(reverse("siem_project_detail", args=[first.pk])).content.decode()
    assert reverse("siem_project_detail", args=[second.pk]) in page  # previous → next


def test_w4_closing_without_deficiencies_or_evaluation_is_refused_nothing_saved(workshop, cstm):
    """One error names everything missing; the evaluation typed is not kept either."""
    project = create(workshop, cstm)
    with scopes_disabled(), pytest.raises(ValidationError) as refused:
        services.project_close(project=project, went_well="Bene", to_improve=" ", by=cstm)
    (message,) = refused.value.messages
    assert "deficiency list" in message and "what to improve" in message
    assert "what went well" not in message
    with scopes_disabled():
        project.refresh_from_db()
    assert (project.status, project.went_well, project.closed_at) == ("open", "", None)


def test_w4_closing_on_the_page_without_a_list_shows_one_error_in_italian(workshop, cstm):
    project = create(workshop, cstm)
    response = client_for(cstm).post(
        reverse("siem_project_close", args=[project.pk]), {"went_well": "", "to_improve": ""}
    )
    assert response.status_code == 200
    assert len(response.context["form"].non_field_errors()) == 1  # one error listing all
    with scopes_disabled():
        project.refresh_from_db()
    assert project.status == "open"


def test_w4_a_project_closes_with_its_list_and_evaluation(workshop, cstm):
    project = closed(create(workshop, cstm), cstm)
    assert project.status == "closed" and project.closed_by == cstm
    with scopes_disabled(), pytest.raises(ValidationError):
        services.deficiency_add(
            project=project, description="Tardiva", owner="Rita", status="open", by=cstm
        )


def test_w4_deficiencies_are_added_and_their_status_changed_on_the_page(workshop, cstm):
    project = create(workshop, cstm)
    client = client_for(cstm)
    response = client.post(
        reverse("siem_deficiency_add", args=[project.pk]),
        {"description": "Sorgente silenziosa", "owner": "Rita", "status": "open"},
    )
    assert response.status_code == 302
    with scopes_disabled():
        item = Deficiency.objects.get(project=project)
    client.post(reverse("siem_deficiency_status", args=[item.pk]), {"status": "done"})
    with scopes_disabled():
        item.refresh_from_db()
    assert item.status == "done"
    # Bad input: no owner, nothing written.
    response = client.post(
        reverse("siem_deficiency_add", args=[project.pk]),
        {"description": "Altro", "owner": "", "status": "open"},
    )
    assert response.status_code == 200
    with scopes_disabled():
        assert Deficiency.objects.count() == 1


def test_w4_the_referent_cannot_create_projects_nor_write_deficiencies(workshop, cstm, tenant_a):
    project = create(workshop, cstm)
    with scopes_disabled():
        item = services.deficiency_add(
            project=project, description="Gap", owner="Rita", status="open", by=cstm
        )
    client = client_for(tenant_a.referent)
    data = {"title": "X", "goals": "Y", "starts_on": "2027-03-01", "ends_on": "2027-03-02"}
    assert client.post(reverse("siem_project_create", args=[workshop.pk]), data).status_code == 404
    for url in (
        reverse("siem_deficiency_add", args=[project.pk]),
        reverse("siem_project_close", args=[project.pk]),
        reverse("siem_deficiency_status", args=[item.pk]),
    ):
        assert (
            client.post(url, {"status": "done", "description": "x", "owner": "y"}).status_code
            == 404
        )
    with scopes_disabled(), pytest.raises(ValidationError):
        services.project_create(
            workshop=workshop,
            title="X",
            goals="Y",
            starts_on=date(2027, 3, 1),
            ends_on=date(2027, 3, 2),
            by=tenant_a.referent,
        )
    assert count() == 1
    with scopes_disabled():
        item.refresh_from_db()
    assert item.status == "open"


def test_w4_the_referent_and_end_users_read_goals_progress_and_chain(workshop, cstm, tenant_a):
    today = timezone.localdate()
    project = create(
        workshop, cstm, starts_on=today - timedelta(days=9), ends_on=today + timedelta(days=20)
    )
    for user in (tenant_a.referent, tenant_a.end_user):
        page = client_for(user).get(reverse("siem_project_detail", args=[project.pk]))
        assert page.status_code == 200
        body = page.content.decode()
        assert "Raccogliere i log dei firewall" in body
        assert 'value="10"' in body and 'max="30"' in body  # 10 of 30 days
        assert reverse("siem_project_close", args=[project.pk]) not in body
        listing = client_for(user).get(reverse("siem_project_list", args=[workshop.pk]))
        assert listing.status_code == 200 and "Raccolta log" in listing.content.decode()


def test_c5_staff_start_no_project_for_a_read_only_customer(workshop, cstm, tenant_a):
    set_access(tenant_a, "read_only")
    with pytest.raises(ValidationError):
        create(workshop, cstm)
    assert count() == 0


def test_w4_the_hub_panel_summarises_projects_operations_and_dashboards(workshop, cstm):
    """The panel the workshop's hub includes: the project in progress and the counts, with the
    links to the three pages."""
    from django.template.loader import render_to_string

    create(workshop, cstm)
    with scopes_disabled():
        services.operations_propose_standard(workshop=workshop, by=cstm)
        html = render_to_string("onboarding/siem/projects/panel.html", {"workshop": workshop})
    assert "Raccolta log" in html
    for name in ("siem_project_list", "siem_operations", "siem_dashboards"):
        assert reverse(name, args=[workshop.pk]) in html
