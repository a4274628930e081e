"""The REST API frame (/api/v1/): tokens, roles, tenant isolation, errors, paging, sync."""

import re

import pytest
from django.test import Client
from django.utils import timezone
from django_scopes import scopes_disabled

from accounts import services
from accounts.models import ApiToken, Organisation
from accounts.roles import Role
from csm_portal.api_auth import TokenRateThrottle
from tests.conftest import client_for, make_tenant
from tests.factories import totp_authenticator

pytestmark = pytest.mark.django_db


def bearer(secret: str) -> dict:
    return {"HTTP_AUTHORIZATION": f"Bearer {secret}"}


def test_a_token_acts_as_its_owner_with_their_role_and_tenant(tenant_a, tenant_b):
    """SPEC T1: a token is scoped to its owner's role and organisation."""
    response = Client().get("/api/v1/organisations/", **bearer(tenant_a.token_secret))
    assert response.status_code == 200
    body = response.json()
    assert [o["name"] for o in body["results"]] == [tenant_a.organisation.name]
    assert "notes" not in body["results"][0]  # provider-internal
    me = Client().get("/api/v1/me/", **bearer(tenant_a.token_secret)).json()
    assert me["email"] == tenant_a.referent.email and me["role"] == Role.REFERENT
    assert me["organisation"] == {
        "id": tenant_a.organisation.pk,
        "name": tenant_a.organisation.name,
    }


def test_a_foreign_object_is_a_404_never_a_403(tenant_a, tenant_b):
    """SPEC T1."""
    client = Client()
    for url in (
        f"/api/v1/organisations/{tenant_b.organisation.pk}/",
        f"/api/v1/people/{tenant_b.referent.membership.pk}/",
    ):
        assert client.get(url, **bearer(tenant_a.token_secret)).status_code == 404
        response = client.patch(
            url,
            {"name": "Hijacked"},
            content_type="application/json",
            **bearer(tenant_a.token_secret),
        )
        assert response.status_code in (404, 405)
    with scopes_disabled():
        assert (
            Organisation.objects.get(pk=tenant_b.organisation.pk).name == tenant_b.organisation.name
        )


def test_the_token_secret_is_stored_hashed_and_its_use_recorded(tenant_a):
    token = ApiToken.objects.get(pk=tenant_a.token.pk)
    assert tenant_a.token_secret not in token.token_hash
    assert token.hint == tenant_a.token_secret[:8]
    assert token.last_used_at is None
    Client().get("/api/v1/me/", **bearer(tenant_a.token_secret))
    token.refresh_from_db()
    assert token.last_used_at is not None and token.last_used_at <= timezone.now()


def test_a_revoked_or_unknown_token_is_refused_with_401(tenant_a):
    services.api_token_revoke(token=tenant_a.token)
    for secret in (tenant_a.token_secret, "csm_not-a-token", "garbage"):
        response = Client().get("/api/v1/me/", **bearer(secret))
        assert response.status_code == 401
        assert "detail" in response.json()
    assert Client().get("/api/v1/me/").status_code == 401


def test_staff_tokens_need_the_mfa_protected_account(cstm, tenant_a):
    """Staff use MFA: a staff token stops working if their second factor is removed."""
    _token, secret = services.api_token_create(user=cstm, name="script")
    assert Client().get("/api/v1/organisations/", **bearer(secret)).status_code == 200
    totp_authenticator(cstm).delete()
    response = Client().get("/api/v1/organisations/", **bearer(secret))
    assert response.status_code == 401
    assert "two-factor" in response.json()["detail"] or "due fattori" in response.json()["detail"]


def test_roles_outside_a_resource_get_404(tenant_a):
    """End users have no access to organisations or people: 404, like a foreign object."""
    _token, secret = services.api_token_create(user=tenant_a.end_user, name="x")
    assert Client().get("/api/v1/organisations/", **bearer(secret)).status_code == 404
    assert Client().get("/api/v1/people/", **bearer(secret)).status_code == 404
    assert Client().get("/api/v1/me/", **bearer(secret)).status_code == 200


def test_validation_errors_are_field_to_messages_json_and_write_nothing(admin_user, tenant_a):
    _token, secret = services.api_token_create(user=admin_user, name="crm")
    before = ApiToken.objects.count()
    response = Client().post(
        "/api/v1/organisations/",
        {"name": "Clone", "domains": ["alfa.example"]},
        content_type="application/json",
        HTTP_ACCEPT_LANGUAGE="en",
        **bearer(secret),
    )
    assert response.status_code == 400
    assert list(response.json()) == ["domains"]
    assert isinstance(response.json()["domains"], list)
    with scopes_disabled():
        assert not Organisation.objects.filter(name="Clone").exists()
    assert ApiToken.objects.count() == before


def test_errors_come_in_the_users_language(admin_user):
    admin_user.language = "it"
    admin_user.save()
    _token, secret = services.api_token_create(user=admin_user, name="crm")
    response = Client().post(
        "/api/v1/people/",
        {"organisation": 999999, "email": "not-an-email"},
        content_type="application/json",
        **bearer(secret),
    )
    assert response.status_code == 400
    assert "Inserisci un indirizzo email valido." in response.json()["email"]


def test_an_admin_invites_through_the_api_with_the_same_rules_as_the_page(admin_user, tenant_a):
    _token, secret = services.api_token_create(user=admin_user, name="crm")
    payload = {
        "organisation": tenant_a.organisation.pk,
        "email": "api.user@alfa.example",
        "first_name": "Api",
        "last_name": "User",
        "role": Role.END_USER,
        "language": "fr",
    }
    response = Client().post(
        "/api/v1/people/", payload, content_type="application/json", **bearer(secret)
    )
    assert response.status_code == 201, response.json()
    assert response.json()["user"]["email"] == "api.user@alfa.example"
    payload["email"] = (
        "outsider@gmail.example"  # SPEC S3: end users write from the customer's domain
    )
    response = Client().post(
        "/api/v1/people/", payload, content_type="application/json", **bearer(secret)
    )
    assert response.status_code == 400 and "email" in response.json()


def test_lists_are_paginated_and_filterable(admin_user):
    for n in range(30):
        make_tenant(f"Azienda {n:02d} S.r.l.", f"azienda-{n}.example")
    client = client_for(admin_user)
    first = client.get("/api/v1/organisations/?page_size=10&ordering=name").json()
    assert first["count"] == 30 and len(first["results"]) == 10 and first["next"]
    second = client.get(first["next"]).json()
    assert second["results"][0]["name"] == "Azienda 10 S.r.l."
    assert client.get("/api/v1/organisations/?search=azienda-7.example").json()["count"] == 1
    referents = client.get("/api/v1/people/?role=referent").json()
    assert referents["count"] == 30


def test_sync_clients_get_etags_and_updated_since(admin_user, tenant_a):
    client = client_for(admin_user)
    url = f"/api/v1/organisations/{tenant_a.organisation.pk}/"
    first = client.get(url)
    assert first.status_code == 200 and first["ETag"]
    assert client.get(url, HTTP_IF_NONE_MATCH=first["ETag"]).status_code == 304
    future = (timezone.now() + timezone.timedelta(days=1)).isoformat()
    assert client.get("/api/v1/organisations/", {"updated_since": future}).json()["count"] == 0
    assert (
        client.get("/api/v1/organisations/", {"updated_since": "2000-01-01T00:00:00Z"}).json()[
            "count"
        ]
        == 1
    )


def test_each_token_has_its_own_rate_limit(tenant_a, monkeypatch):
    monkeypatch.setattr(TokenRateThrottle, "THROTTLE_RATES", {"api": "3/min"})
    from django.core.cache import cache

    cache.clear()
    codes = [
        Client().get("/api/v1/me/", **bearer(tenant_a.token_secret)).status_code for _ in range(4)
    ]
    assert codes == [200, 200, 200, 429]
    _other, secret = services.api_token_create(user=tenant_a.referent, name="second script")
    assert Client().get("/api/v1/me/", **bearer(secret)).status_code == 200


def test_tokens_are_created_shown_once_and_revoked_from_the_profile(tenant_a):
    client = client_for(tenant_a.referent)
    response = client.post("/profile/tokens/", {"name": "Report export"})
    assert response.status_code == 200 and response["Cache-Control"] == "no-store"
    page = response.content.decode()
    token = ApiToken.objects.get(user=tenant_a.referent, name="Report export")
    start = page.index(token.hint)
    secret = page[start : page.index("<", start)]
    assert Client().get("/api/v1/me/", **bearer(secret)).status_code == 200
    assert secret not in client.get("/profile/").content.decode()  # shown once
    client.post(f"/profile/tokens/{token.pk}/revoke/")
    assert Client().get("/api/v1/me/", **bearer(secret)).status_code == 401


def test_nobody_revokes_someone_elses_token(tenant_a, tenant_b):
    response = client_for(tenant_a.referent).post(f"/profile/tokens/{tenant_b.token.pk}/revoke/")
    assert response.status_code == 404
    tenant_b.token.refresh_from_db()
    assert tenant_b.token.revoked_at is None


def test_the_schema_and_the_docs_are_served_from_our_own_files(client):
    schema = client.get("/api/v1/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")
    assert schema.status_code == 200
    assert "/api/v1/organisations/" in schema.content.decode()
    docs = client.get("/api/v1/docs/").content.decode()
    assert "swagger-ui" in docs
    # No script, style or link from another host (a CDN); the page's random CSRF token may
    # contain any letters, so look at the addresses, not at the text.
    assert not re.search(r"""(src|href)=["']?(https?:)?//""", docs), docs
    assert "jsdelivr" not in docs.lower() and "unpkg" not in docs.lower()


def test_a_staff_session_without_mfa_gets_a_json_403_from_the_api(cstm):
    totp_authenticator(cstm).delete()
    response = client_for(cstm).get("/api/v1/organisations/")
    assert response.status_code == 403
    assert "two-factor" in response.json()["detail"] or "due fattori" in response.json()["detail"]


def test_a_closed_customers_token_stops_working(tenant_a):
    """SPEC C5: from day 31 after expiry the customer side is closed, API included."""
    with scopes_disabled():
        Organisation.objects.filter(pk=tenant_a.organisation.pk).update(access="closed")
    assert Client().get("/api/v1/me/", **bearer(tenant_a.token_secret)).status_code == 401
