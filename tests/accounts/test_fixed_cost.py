"""The signed-in fixed cost (issue 15): what a signed-in request pays before its view, and every
cache that keeps it small, each with a test that changes the underlying fact and proves the next
request sees it (SPEC T1, T2, T4, C4, C5: never at the cost of a check).

These tests use ``transactional_db``: the cached tenancy is only stored outside a transaction
(accounts.tenancy), as a request in production is, never inside the test's own transaction."""

from datetime import timedelta

import pytest
import time_machine
from django.contrib.sessions.backends.cached_db import KEY_PREFIX as SESSION_KEY_PREFIX
from django.contrib.sessions.models import Session
from django.core.cache import cache
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection, transaction
from django.http import HttpRequest, JsonResponse
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import path, reverse
from django.utils import timezone, translation
from django_scopes import scopes_disabled

import csm_portal.urls
from accounts import services as account_services
from accounts.models import CstmAssignment, Membership, Organisation
from accounts.roles import Role
from accounts.tenancy import request_tenancy, tenancy_for, tenancy_invalidate
from contracts import services as contract_services
from tests.conftest import client_for
from tests.factories import (
    PASSWORD,
    CstmAssignmentFactory,
    OrganisationFactory,
    totp_authenticator,
)


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


def whoami(request: HttpRequest) -> JsonResponse:
    """Who the request is signed in as, and in which language it is served."""
    user = request.user
    return JsonResponse(
        {
            "user": user.pk if user.is_authenticated else None,
            "language": translation.get_language(),
        }
    )


urlpatterns = [path("probe/", probe), path("whoami/", whoami), *csm_portal.urls.urlpatterns]


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


def whoami_of(client: Client) -> dict:
    response = client.get("/whoami/")
    assert response.status_code == 200, response
    return response.json()


class RedisCommands:
    """Counts the commands sent to Redis (each one round trip: nothing here pipelines)."""

    def __init__(self, monkeypatch) -> None:
        import redis

        self.names: list[str] = []
        original = redis.Redis.execute_command

        def counted(client, *args, **options):
            self.names.append(str(args[0]))
            return original(client, *args, **options)

        monkeypatch.setattr(redis.Redis, "execute_command", counted)


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


def test_a_signed_in_request_asks_postgresql_nothing_before_a_constant_view(
    transactional_db, probe_urls, tenant_a, admin_user, cstm, monkeypatch
):
    """With warm caches a signed-in request to a constant view makes no SQL query and one Redis
    round trip: the session (cached_db), the person, their tenancy, both generations, the
    referent's terms gate and the customers' support address in one MGET (before: the session
    and the person from PostgreSQL, then an MGET, then the terms gate). The MFA gate of provider
    staff and the terms gate of a referent are still checked (from the same read)."""
    publish_terms(admin_user)
    accept_terms(tenant_a)
    for user in (cstm, admin_user, tenant_a.referent, tenant_a.end_user):
        client = client_for(user)
        queries_of(client)  # warms the caches
        redis = RedisCommands(monkeypatch)
        sql = queries_of(client)
        assert sql == [], (user, sql)
        assert redis.names == ["MGET"], (user, redis.names)
        monkeypatch.undo()


def test_t1_a_wrong_session_hint_never_decides_who_is_signed_in(
    transactional_db, probe_urls, tenant_a, cstm, monkeypatch
):
    """The process's hint (which person a session key named last) only chooses what is read
    with the session: a hint naming somebody else is ignored, the session's own person is
    read in a second round trip and the request is theirs (SPEC T1)."""
    from accounts import sessions

    client = client_for(tenant_a.end_user)
    assert whoami_of(client)["user"] == tenant_a.end_user.pk
    sessions._hints[client.session.session_key] = str(cstm.pk)
    redis = RedisCommands(monkeypatch)
    assert whoami_of(client)["user"] == tenant_a.end_user.pk
    assert probe_of(client)["role"] == Role.END_USER
    assert redis.names[:2] == ["MGET", "MGET"], redis.names
    monkeypatch.undo()
    sessions._hints.clear()
    redis = RedisCommands(monkeypatch)
    assert whoami_of(client)["user"] == tenant_a.end_user.pk  # no hint: two round trips
    assert redis.names == ["GET", "MGET"], redis.names


def test_t4_a_deactivated_person_is_refused_on_the_next_request(
    transactional_db, probe_urls, tenant_a
):
    """The person kept in the cache is forgotten when they are deactivated: their very next
    request is anonymous and every page sends them to sign in (SPEC T1, T4)."""
    client = client_for(tenant_a.end_user)
    assert whoami_of(client)["user"] == tenant_a.end_user.pk
    assert queries_of(client, "/whoami/") == []  # the person now comes from the cache
    with scopes_disabled():
        membership = Membership.objects.get(user=tenant_a.end_user)
    account_services.person_set_active(membership=membership, active=False, by=tenant_a.referent)
    assert whoami_of(client)["user"] is None
    response = client.get(reverse("hours"))
    assert response.status_code == 302 and reverse("account_login") in response["Location"]


def test_t4_a_password_change_signs_the_other_sessions_out(transactional_db, probe_urls, cstm):
    """Django's session-hash check still applies to the person read from the cache: after a
    password change, the session that changed it stays signed in and every other session of
    the person is signed out (and flushed) on its next request."""
    phone, laptop = client_for(cstm), client_for(cstm)
    for client in (phone, laptop):
        assert whoami_of(client)["user"] == cstm.pk
        assert whoami_of(client)["user"] == cstm.pk  # from the cache
    response = laptop.post(
        reverse("account_change_password"),
        {
            "oldpassword": PASSWORD,
            "password1": "a-new-Passw0rd-for-2027",
            "password2": "a-new-Passw0rd-for-2027",
        },
    )
    assert response.status_code == 302, response.content[:2000]
    assert whoami_of(laptop)["user"] == cstm.pk
    assert whoami_of(phone)["user"] is None
    assert "_auth_user_id" not in phone.session


def test_a_person_deleted_is_signed_out_on_the_next_request(transactional_db, probe_urls):
    """A person deleted (here one without any membership, whose deletion changes no tenancy)
    is not kept alive by the cache: their next request is anonymous."""
    from tests.factories import UserFactory

    person = UserFactory(email="leaver@example.com")
    client = client_for(person)
    assert whoami_of(client)["user"] == person.pk
    assert queries_of(client, "/whoami/") == []
    person.delete()
    assert whoami_of(client)["user"] is None


def test_a_language_change_reaches_the_next_request(transactional_db, probe_urls, tenant_a):
    """The personal language is part of the person kept in the cache: changing it (a saved
    field, not a bulk update) serves the next request in the new language."""
    client = client_for(tenant_a.end_user)
    assert whoami_of(client)["language"] == "it"
    assert whoami_of(client)["language"] == "it"
    account_services.user_set_language(user=tenant_a.end_user, language="fr")
    assert whoami_of(client)["language"] == "fr"


def test_a_session_deleted_in_the_database_stops_working_at_once(
    transactional_db, probe_urls, cstm
):
    """Sessions are read from the cache first (cached_db): deleting the row (an administrator, a
    script, ``QuerySet.delete``) drops it from the cache too, so it stops working on the next
    request instead of living on in Redis."""
    client = client_for(cstm)
    key = client.session.session_key
    assert whoami_of(client)["user"] == cstm.pk
    assert cache.get(SESSION_KEY_PREFIX + key) is not None
    Session.objects.filter(session_key=key).delete()
    assert cache.get(SESSION_KEY_PREFIX + key) is None
    assert whoami_of(client)["user"] is None


def test_l3_the_day_90_deletion_removes_the_sessions_from_the_cache(
    transactional_db, probe_urls, tenant_a
):
    """SPEC L3: the day-90 deletion removes the organisation's sessions by batched statements;
    with sessions cached in Redis they must leave the cache as well: nothing of them is left
    there and the person's next request is anonymous."""
    from contracts.lifecycle import organisation_delete_data

    clients = {user: client_for(user) for user in (tenant_a.referent, tenant_a.end_user)}
    keys = []
    for user, client in clients.items():
        assert whoami_of(client)["user"] == user.pk
        assert whoami_of(client)["user"] == user.pk  # from the cache
        keys.append(SESSION_KEY_PREFIX + client.session.session_key)
    assert all(cache.get(key) is not None for key in keys)
    assert organisation_delete_data(organisation_id=tenant_a.organisation.pk, job="test")
    assert cache.get_many(keys) == {}
    assert not Session.objects.exists()
    for client in clients.values():
        assert whoami_of(client)["user"] is None


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


def test_clearing_expired_sessions_keeps_the_live_ones(transactional_db, probe_urls, cstm):
    """`clearsessions` deletes expired rows by one statement (they have left Redis on their
    own) and leaves the live sessions working."""
    from django.core.management import call_command

    client = client_for(cstm)
    assert whoami_of(client)["user"] == cstm.pk
    Session.objects.create(
        session_key="x" * 32,
        session_data="",
        expire_date=timezone.now() - timedelta(days=1),
    )
    call_command("clearsessions")
    assert not Session.objects.filter(session_key="x" * 32).exists()
    assert whoami_of(client)["user"] == cstm.pk
