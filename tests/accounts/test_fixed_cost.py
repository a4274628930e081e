"""The signed-in fixed cost (issue 15): what a signed-in request pays before its view, and every
cache that keeps it small, each with a test that changes the underlying fact and proves the next
request sees it (SPEC T1, T2, T4, C4, C5: never at the cost of a check).

These tests use ``transactional_db``: the cached tenancy is only stored outside a transaction
(accounts.tenancy), as a request in production is, never inside the test's own transaction."""

from datetime import timedelta

import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection, transaction
from django.http import HttpRequest, JsonResponse
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import path, reverse
from django.utils import timezone
from django_scopes import scopes_disabled

import csm_portal.urls
from accounts import services as account_services
from accounts.models import CstmAssignment, Membership, Organisation
from accounts.roles import Role
from accounts.tenancy import request_tenancy, tenancy_for, tenancy_invalidate
from contracts import services as contract_services
from tests.conftest import client_for
from tests.factories import CstmAssignmentFactory, OrganisationFactory, totp_authenticator


def probe(request: HttpRequest) -> JsonResponse:
    """A constant view that shows what the middlewares resolved for the request."""
    tenancy = request.tenancy  # type: ignore[attr-defined]
    ids = tenancy.organisation_ids
    return JsonResponse(
        {
            "role": tenancy.role,
            "ids": sorted(ids) if ids is not None else None,
            "read_only": tenancy.is_read_only,
        }
    )


urlpatterns = [path("probe/", probe), *csm_portal.urls.urlpatterns]


@pytest.fixture
def probe_urls(settings):
    settings.ROOT_URLCONF = __name__


def pdf() -> SimpleUploadedFile:
    return SimpleUploadedFile("terms.pdf", b"%PDF-1.7\n%%EOF\n", content_type="application/pdf")


def publish_terms(by, version: str = "1") -> None:
    for kind in ("eula", "sla", "dpa"):
        contract_services.terms_document_publish(kind=kind, version=version, file=pdf(), by=by)


def accept_terms(tenant) -> None:
    with scopes_disabled():
        contract_services.terms_accept(
            organisation=tenant.organisation,
            documents=contract_services.pending_documents(organisation=tenant.organisation),
            user=tenant.referent,
            ip_address=None,
        )


def queries_of(client: Client, url: str = "/probe/") -> list[str]:
    with CaptureQueriesContext(connection) as context:
        response = client.get(url)
    assert response.status_code == 200, response
    return [query["sql"] for query in context.captured_queries]


def probe_of(client: Client) -> dict:
    response = client.get("/probe/")
    assert response.status_code == 200, response
    return response.json()


# --- What a signed-in request pays before its view -----------------------------------------------


def test_a_signed_in_request_makes_two_queries_before_a_constant_view(
    transactional_db, probe_urls, tenant_a, admin_user, cstm
):
    """With warm caches, a signed-in request to a constant view asks PostgreSQL only for its
    session and its user: role, organisations, the MFA gate of provider staff and the terms gate
    of a referent come from the cache (before: 4-5 queries, a new connection each)."""
    publish_terms(admin_user)
    accept_terms(tenant_a)
    for user in (cstm, admin_user, tenant_a.referent, tenant_a.end_user):
        client = client_for(user)
        queries_of(client)  # warms the cache
        sql = queries_of(client)
        assert len(sql) <= 2, sql
        assert all("django_session" in q or "accounts_user" in q for q in sql), sql


def test_tenancy_is_resolved_once_per_api_request(transactional_db, tenant_a, admin_user):
    """With a cold cache, a token request resolves its owner's tenancy and MFA gate once:
    ApiTokenMiddleware's resolution is the request's, TenantMiddleware takes it as it is."""
    _token, secret = account_services.api_token_create(user=admin_user, name="script")
    tenancy_invalidate()
    with CaptureQueriesContext(connection) as context:
        response = Client().get(reverse("api-me"), HTTP_AUTHORIZATION=f"Bearer {secret}")
    assert response.status_code == 200
    sql = [query["sql"] for query in context.captured_queries]
    assert sum('FROM "accounts_membership"' in q for q in sql) == 1, sql
    assert sum('FROM "mfa_authenticator"' in q for q in sql) == 1, sql


def test_services_called_by_the_request_reuse_its_tenancy(transactional_db, tenant_a, cstm):
    """Inside a request, the services' ``tenancy_for(by)`` answers the request's tenancy
    without a query; outside it they resolve it again."""
    tenancy = tenancy_for(cstm)
    with request_tenancy(cstm, tenancy), CaptureQueriesContext(connection) as context:
        assert tenancy_for(cstm) is tenancy
    assert context.captured_queries == []


# --- Every cache, with the change that must reach the next request ------------------------------


def test_t1_removing_a_membership_takes_effect_on_the_next_request(
    transactional_db, probe_urls, tenant_a
):
    """A referent whose membership is removed sees nothing from the very next request: the
    cached tenancy is forgotten, their pages answer 404 (SPEC T1)."""
    client = client_for(tenant_a.end_user)
    assert probe_of(client)["ids"] == [tenant_a.organisation.pk]
    assert probe_of(client)["ids"] == [tenant_a.organisation.pk]  # from the cache
    with scopes_disabled():
        Membership.objects.filter(user=tenant_a.end_user).delete()
    assert probe_of(client) == {"role": None, "ids": [], "read_only": False}
    assert client.get(reverse("hours")).status_code == 404


def test_t1_changing_a_role_takes_effect_on_the_next_request(
    transactional_db, probe_urls, tenant_a
):
    """A referent demoted to end user is an end user on the next request (SPEC T1, T2)."""
    client = client_for(tenant_a.referent)
    assert probe_of(client)["role"] == Role.REFERENT
    assert probe_of(client)["role"] == Role.REFERENT
    with scopes_disabled():
        membership = Membership.objects.get(user=tenant_a.referent)
    membership.role = Role.END_USER
    membership.save(update_fields=["role"])
    assert probe_of(client)["role"] == Role.END_USER


def test_t2_ending_a_cstm_assignment_takes_effect_on_the_next_request(
    transactional_db, probe_urls, tenant_a, cstm
):
    """A CSTM whose assignment ends loses the organisation on the next request; a new
    assignment gives one on the next request (SPEC T2)."""
    client = client_for(cstm)
    assert probe_of(client)["ids"] == [tenant_a.organisation.pk]
    assert probe_of(client)["ids"] == [tenant_a.organisation.pk]
    yesterday = timezone.localdate() - timedelta(days=1)
    with scopes_disabled():
        assignment = CstmAssignment.objects.get(cstm=cstm, organisation=tenant_a.organisation)
    with scopes_disabled():
        account_services.cstm_assignment_end(assignment=assignment, ends_on=yesterday)
    assert probe_of(client)["ids"] == []
    other = OrganisationFactory(name="Charlie S.r.l.", domain="charlie.example")
    CstmAssignmentFactory(organisation=other, cstm=cstm)
    assert probe_of(client)["ids"] == [other.pk]


def test_t2_an_assignment_starting_tomorrow_counts_from_tomorrow(
    transactional_db, probe_urls, cstm
):
    """The cached scope is the scope of one day: an assignment starting tomorrow is not seen
    today, even from the cache, and is seen tomorrow without any change in the database."""
    other = OrganisationFactory(name="Delta S.r.l.", domain="delta.example")
    tomorrow = timezone.localdate() + timedelta(days=1)
    CstmAssignmentFactory(organisation=other, cstm=cstm, starts_on=tomorrow)
    client = client_for(cstm)
    assert probe_of(client)["ids"] == []
    assert probe_of(client)["ids"] == []
    with time_machine.travel(timezone.now() + timedelta(days=1)):
        assert probe_of(client)["ids"] == [other.pk]


def test_t4_removing_the_totp_authenticator_requires_mfa_again(
    transactional_db, probe_urls, admin_user
):
    """A staff member whose authenticator is removed reaches nothing staff on the next request:
    the page sends them to set one up again (SPEC T4)."""
    client = client_for(admin_user)
    assert probe_of(client)["role"] == Role.PROVIDER_ADMIN
    assert probe_of(client)["role"] == Role.PROVIDER_ADMIN
    totp_authenticator(admin_user).delete()
    response = client.get("/probe/")
    assert response.status_code == 302
    assert response["Location"] == reverse("mfa_activate_totp")


def test_t4_a_staff_token_stops_working_when_the_authenticator_is_removed(
    transactional_db, admin_user
):
    """A provider staff member's API token needs an authenticator on every request, also once
    the tenancy was cached (SPEC T4)."""
    _token, secret = account_services.api_token_create(user=admin_user, name="script")
    client = Client(HTTP_AUTHORIZATION=f"Bearer {secret}")
    assert client.get(reverse("api-me")).status_code == 200
    assert client.get(reverse("api-me")).status_code == 200
    totp_authenticator(admin_user).delete()
    assert client.get(reverse("api-me")).status_code == 401


def test_c4_a_new_terms_version_must_be_accepted_on_the_next_request(
    transactional_db, probe_urls, tenant_a, admin_user
):
    """Once accepted, the terms gate is answered from the cache; a new version sends the
    referent back to the acceptance page on the next request, and accepting it opens the
    portal again on the next request (SPEC C4)."""
    publish_terms(admin_user)
    client = client_for(tenant_a.referent)
    assert client.get("/probe/")["Location"] == reverse("terms")
    accept_terms(tenant_a)
    assert probe_of(client)["role"] == Role.REFERENT
    assert probe_of(client)["role"] == Role.REFERENT  # the gate from the cache
    contract_services.terms_document_publish(kind="eula", version="2", file=pdf(), by=admin_user)
    assert client.get("/probe/")["Location"] == reverse("terms")
    accept_terms(tenant_a)
    assert probe_of(client)["role"] == Role.REFERENT


def test_c5_an_organisation_turning_read_only_or_closed_takes_effect_on_the_next_request(
    transactional_db, probe_urls, tenant_a
):
    """The organisation's access is part of the cached tenancy: read-only shows on the next
    request, and closing it signs its people out on the next request (SPEC C5)."""
    client = client_for(tenant_a.end_user)
    assert probe_of(client)["read_only"] is False
    assert probe_of(client)["read_only"] is False
    organisation = tenant_a.organisation
    organisation.access = Organisation.Access.READ_ONLY
    organisation.save(update_fields=["access", "updated_at"])
    assert probe_of(client)["read_only"] is True
    organisation.access = Organisation.Access.CLOSED
    organisation.save(update_fields=["access", "updated_at"])
    assert probe_of(client) == {"role": None, "ids": [], "read_only": False}
    assert "_auth_user_id" not in client.session


def test_t1_a_change_rolled_back_is_never_cached(transactional_db, probe_urls, tenant_a):
    """What a transaction sees before it commits is used inside it and never kept: after a
    rolled-back removal, the next request still has the membership (and after a committed one,
    it has not)."""
    client = client_for(tenant_a.end_user)
    assert probe_of(client)["ids"] == [tenant_a.organisation.pk]

    class RolledBack(Exception):
        pass

    with pytest.raises(RolledBack), transaction.atomic():
        with scopes_disabled():
            Membership.objects.filter(user=tenant_a.end_user).delete()
        assert tenancy_for(tenant_a.end_user).organisation_ids == []
        raise RolledBack
    assert probe_of(client)["ids"] == [tenant_a.organisation.pk]
    assert probe_of(client)["ids"] == [tenant_a.organisation.pk]


def test_a_migrated_or_flushed_database_forgets_cached_tenancies(
    transactional_db, probe_urls, tenant_a
):
    """After `migrate` or `flush` (a recreated test database, a restored one) ids may belong to
    other people: nothing cached before is used. Here the role changes without any signal
    (``QuerySet.update``), and only the post-migrate invalidation can reveal it."""
    from django.core.management.sql import emit_post_migrate_signal

    client = client_for(tenant_a.referent)
    assert probe_of(client)["role"] == Role.REFERENT
    with scopes_disabled():
        Membership.objects.filter(user=tenant_a.referent).update(role=Role.END_USER)
    assert probe_of(client)["role"] == Role.REFERENT  # the cached value: no signal was sent
    emit_post_migrate_signal(verbosity=0, interactive=False, db="default")
    assert probe_of(client)["role"] == Role.END_USER


def test_c5_the_daily_sweep_closing_a_customer_takes_effect_on_the_next_request(
    transactional_db, probe_urls, tenant_a
):
    """The daily job changes customers' access with one bulk update (no model signals): the
    cached tenancy must still see it on the next request — a customer whose contract lapsed
    is read-only, then closed and signed out, without waiting for the cache to expire (C5)."""
    from contracts.models import Contract
    from contracts.tasks import contracts_run_daily

    client = client_for(tenant_a.end_user)
    assert probe_of(client)["read_only"] is False
    assert probe_of(client)["read_only"] is False  # now served from the cache
    with scopes_disabled():
        contracts = Contract.objects.filter(organisation=tenant_a.organisation)
        assert contracts.exists()
        contracts.update(expires_on=timezone.localdate() - timedelta(days=3))
    contracts_run_daily()
    assert probe_of(client)["read_only"] is True
    with time_machine.travel(timezone.now() + timedelta(days=40), tick=False):
        contracts_run_daily()
        assert probe_of(client) == {"role": None, "ids": [], "read_only": False}
