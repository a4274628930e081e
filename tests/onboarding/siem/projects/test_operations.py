"""SPEC W6: the operations model (who runs what), proposed from the standard model; the
referent steps in and out with one click and a confirmation; staff change any line; every
change records who and when. Nobody else, and nobody past expiry (C5), changes anything."""

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import translation
from django_scopes import scopes_disabled

from onboarding.models import OperationsDuty, SiemWorkshop
from onboarding.siem.projects import domain, services
from tests.conftest import client_for
from tests.onboarding.siem.projects.conftest import set_access

pytestmark = pytest.mark.django_db


@pytest.fixture
def duty(workshop, cstm) -> OperationsDuty:
    with scopes_disabled():
        services.operations_propose_standard(workshop=workshop, by=cstm)
        # The tasks are written in the customer's language: the third line of the model.
        with translation.override(workshop.organisation.language):
            task = translation.gettext("Detection rule tuning")
        return OperationsDuty.objects.get(workshop=workshop, task=task)


def reload(duty) -> OperationsDuty:
    with scopes_disabled():
        return OperationsDuty.objects.select_related("changed_by").get(pk=duty.pk)


def test_w6_the_standard_model_is_proposed_once(workshop, cstm):
    client = client_for(cstm)
    url = reverse("siem_operations_propose", args=[workshop.pk])
    assert client.post(url).status_code == 302
    assert client.post(url).status_code == 302  # a second click adds nothing
    with scopes_disabled():
        tasks = list(
            OperationsDuty.objects.filter(workshop=workshop).values_list("task", flat=True)
        )
    assert len(tasks) == len(domain.STANDARD_MODEL)
    with translation.override("it"):
        clean_up = translation.gettext(
            "Ongoing clean-up of the data (noisy sources, duplicates, parsing errors)"
        )
    assert clean_up != "Ongoing clean-up of the data (noisy sources, duplicates, parsing errors)"
    assert clean_up in tasks  # in the customer's language (Italian)


def test_w6_the_referent_steps_in_after_a_confirmation_and_the_page_shows_who(duty, tenant_a):
    client = client_for(tenant_a.referent)
    url = reverse("siem_duty_step_in", args=[duty.pk])
    confirm = client.get(url)
    assert confirm.status_code == 200 and b"confirm-step" in confirm.content
    assert reload(duty).customer == "C"  # the click alone changes nothing
    assert client.post(url).status_code == 302
    changed = reload(duty)
    assert (changed.provider, changed.customer) == ("C", "R")
    assert changed.changed_by == tenant_a.referent
    page = client.get(reverse("siem_operations", args=[duty.workshop_id])).content.decode()
    assert tenant_a.referent.display_name in page
    assert reverse("siem_duty_step_out", args=[duty.pk]) in page


def test_w6_a_double_submit_of_a_step_in_changes_the_line_once(duty, tenant_a):
    client = client_for(tenant_a.referent)
    url = reverse("siem_duty_step_in", args=[duty.pk])
    client.post(url)
    first = reload(duty)
    response = client.post(url, follow=True)
    assert response.status_code == 200
    again = reload(duty)
    assert (again.provider, again.customer, again.changed_at) == (
        first.provider,
        first.customer,
        first.changed_at,
    )


def test_w6_the_referent_steps_out_and_the_provider_runs_it_again(duty, tenant_a):
    client = client_for(tenant_a.referent)
    client.post(reverse("siem_duty_step_in", args=[duty.pk]))
    client.post(reverse("siem_duty_step_out", args=[duty.pk]))
    assert (reload(duty).provider, reload(duty).customer) == ("R", "I")
    with scopes_disabled(), pytest.raises(ValidationError):
        # (R, C) standard line the customer does not run: nothing to hand back.
        other = OperationsDuty.objects.filter(workshop=duty.workshop, customer="C").first()
        services.duty_step_out(duty=other, by=tenant_a.referent)


def test_w6_a_referent_of_another_organisation_cannot_step_in(duty, tenant_b):
    client = client_for(tenant_b.referent)
    for name in ("siem_duty_step_in", "siem_duty_step_out"):
        assert client.get(reverse(name, args=[duty.pk])).status_code == 404
        assert client.post(reverse(name, args=[duty.pk])).status_code == 404
    with scopes_disabled(), pytest.raises(ValidationError):
        services.duty_step_in(duty=duty, by=tenant_b.referent)
    assert reload(duty).customer == "C"


@pytest.mark.parametrize("access", ["read_only", "closed"])
def test_w6_a_read_only_or_closed_customer_cannot_step_in(duty, tenant_a, access):
    set_access(tenant_a, access)
    with scopes_disabled(), pytest.raises(ValidationError):
        services.duty_step_in(duty=duty, by=tenant_a.referent)
    if access == "read_only":  # a closed customer cannot even sign in
        client = client_for(tenant_a.referent)
        page = client.get(reverse("siem_operations", args=[duty.workshop_id])).content.decode()
        assert reverse("siem_duty_step_in", args=[duty.pk]) not in page
        client.post(reverse("siem_duty_step_in", args=[duty.pk]))
    assert reload(duty).customer == "C"


def test_w6_end_users_read_the_model_but_cannot_step_in(duty, tenant_a):
    client = client_for(tenant_a.end_user)
    assert client.get(reverse("siem_operations", args=[duty.workshop_id])).status_code == 200
    assert client.post(reverse("siem_duty_step_in", args=[duty.pk])).status_code == 404
    assert reload(duty).customer == "C"


def test_w6_the_referent_cannot_edit_staff_only_lines(duty, tenant_a):
    client = client_for(tenant_a.referent)
    data = {"task": "Mine", "provider": "-", "customer": "R"}
    assert client.post(reverse("siem_duty_edit", args=[duty.pk]), data).status_code == 404
    assert client.post(reverse("siem_duty_add", args=[duty.workshop_id]), data).status_code == 404
    url = reverse("siem_operations_propose", args=[duty.workshop_id])
    assert client.post(url).status_code == 404
    with scopes_disabled(), pytest.raises(ValidationError):
        services.duty_update(
            duty=duty, task="Mine", provider="-", customer="R", by=tenant_a.referent
        )
    assert reload(duty).task == duty.task  # unchanged


def test_w6_staff_change_any_line_and_who_and_when_are_recorded(duty, admin_user):
    client = client_for(admin_user)
    response = client.post(
        reverse("siem_duty_edit", args=[duty.pk]),
        {"task": "Tuning delle regole", "provider": "A", "customer": "R"},
    )
    assert response.status_code == 302
    changed = reload(duty)
    assert (changed.task, changed.provider, changed.customer) == ("Tuning delle regole", "A", "R")
    assert changed.changed_by == admin_user
    # Bad input: a letter that is not RACI, nothing written.
    response = client.post(
        reverse("siem_duty_edit", args=[duty.pk]), {"task": "X", "provider": "Z", "customer": "R"}
    )
    assert response.status_code == 200
    assert reload(duty).task == "Tuning delle regole"


def test_w6_a_cstm_of_another_organisation_reaches_nothing(duty, tenant_b):
    other = tenant_b.assignment.cstm
    client = client_for(other)
    workshop = SiemWorkshop.objects.with_scopes_disabled().get(pk=duty.workshop_id)
    for url in (
        reverse("siem_operations", args=[workshop.pk]),
        reverse("siem_duty_edit", args=[duty.pk]),
        reverse("siem_duty_step_in", args=[duty.pk]),
    ):
        assert client.get(url).status_code == 404
        assert client.post(url).status_code == 404
