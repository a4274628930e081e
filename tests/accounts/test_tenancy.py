"""SPEC T1–T3: the data layer scopes every customer-owned query."""

from datetime import timedelta

import pytest
from django.utils import timezone
from django_scopes import ScopeError, scope

from accounts.models import CstmAssignment, Membership, Organisation
from accounts.roles import Role
from accounts.tenancy import tenancy_for
from tests.factories import CstmAssignmentFactory, UserFactory, person

pytestmark = pytest.mark.django_db


def test_a_tenant_query_outside_any_scope_fails_loudly(tenant_a):
    """SPEC T3: forgetting the scope is an error, never every organisation's rows."""
    with pytest.raises(ScopeError):
        list(Membership.objects.all())
    with pytest.raises(ScopeError):
        Organisation.objects.filter(name__icontains="a").count()


def test_a_referent_sees_only_their_own_organisation(tenant_a, tenant_b):
    """SPEC T1."""
    tenancy = tenancy_for(tenant_a.referent)
    assert tenancy.organisation_ids == [tenant_a.organisation.pk]
    with scope(organisation=tenancy.organisation_ids):
        assert list(Organisation.objects.all()) == [tenant_a.organisation]
        assert not Membership.objects.filter(user=tenant_b.referent).exists()
        assert CstmAssignment.objects.count() == 1


def test_admins_and_agents_see_every_organisation(admin_user, agent, tenant_a, tenant_b):
    """SPEC T2: admins and agents see all."""
    for user in (admin_user, agent):
        tenancy = tenancy_for(user)
        with scope(organisation=tenancy.organisation_ids):
            names = set(Organisation.objects.filter(kind="customer").values_list("name", flat=True))
        assert names == {tenant_a.organisation.name, tenant_b.organisation.name}


def test_a_cstm_sees_only_the_organisations_assigned_to_them_today(cstm, tenant_a, tenant_b):
    """SPEC T2: a CSTM sees the organisations assigned to them, by date range."""
    today = timezone.localdate()
    assert tenancy_for(cstm, today=today).organisation_ids == [tenant_a.organisation.pk]
    # A temporary cover of B next month: visible only during its dates.
    CstmAssignmentFactory(
        organisation=tenant_b.organisation,
        cstm=cstm,
        kind=CstmAssignment.Kind.TEMPORARY,
        starts_on=today + timedelta(days=30),
        ends_on=today + timedelta(days=40),
    )
    assert tenancy_for(cstm, today=today).organisation_ids == [tenant_a.organisation.pk]
    during = tenancy_for(cstm, today=today + timedelta(days=35)).organisation_ids
    assert sorted(during) == sorted([tenant_a.organisation.pk, tenant_b.organisation.pk])
    assert tenancy_for(cstm, today=today + timedelta(days=41)).organisation_ids == [
        tenant_a.organisation.pk
    ]


def test_a_person_without_a_membership_sees_nothing():
    assert tenancy_for(UserFactory()).organisation_ids == []


def test_scoped_managers_guard_every_customer_owned_model():
    """SPEC T3: each model with an organisation uses the scoped manager."""
    from django.apps import apps

    unguarded = []
    for model in apps.get_models():
        if model._meta.app_label in {
            "accounts",
            "contracts",
            "activities",
            "tickets",
            "onboarding",
        }:
            fields = {f.name for f in model._meta.get_fields()}
            if "organisation" in fields or model is Organisation:
                manager_module = type(model._default_manager).__module__
                if manager_module != "django_scopes.manager":
                    unguarded.append(model.__name__)
    assert unguarded == []


def test_an_end_user_cannot_reach_the_provider_organisation(tenant_a, provider_org):
    end_user = tenant_a.end_user
    person(provider_org, Role.CSTM)
    with scope(organisation=tenancy_for(end_user).organisation_ids):
        assert not Organisation.objects.filter(pk=provider_org.pk).exists()
