"""SPEC O2, T1, C5, L5: the prerequisites API (user-list uploads: validate, upload with diff,
apply; the current list; logos; whitelisting), same scope and roles as the pages."""

import base64

import pytest
from django.test import Client
from django_scopes import scopes_disabled

from accounts.models import Organisation
from onboarding.models import ListedUser, UserListUpload
from tests.onboarding.userlist.conftest import HEADER, png, users

pytestmark = pytest.mark.django_db
API = "/api/v1"


def body(lines: list[str], **extra) -> dict:
    return {
        "filename": "utenti.csv",
        "content": base64.b64encode("\n".join(lines).encode()).decode(),
        **extra,
    }


@pytest.fixture
def referent_api(tenant_a) -> Client:
    return Client(HTTP_AUTHORIZATION=f"Bearer {tenant_a.token_secret}")


def test_o2_api_validate_reports_every_problem_and_stores_nothing(tenant_a, referent_api):
    response = referent_api.post(
        f"{API}/user-list-uploads/validate/",
        body([HEADER, "bad,A,B,", "a@alfa.example,,B,"]),
        content_type="application/json",
    )
    assert response.status_code == 200
    data = response.json()
    assert data["valid"] is False
    assert [(p["row"], p["column"]) for p in data["problems"]] == [(2, "email"), (3, "first_name")]
    with scopes_disabled():
        assert not UserListUpload.objects.exists()


def test_o2_api_upload_diff_and_apply_once_with_an_idempotency_key(tenant_a, referent_api):
    created = referent_api.post(
        f"{API}/user-list-uploads/", body(users("alfa.example", 3)), content_type="application/json"
    )
    assert created.status_code == 201 and created.json()["added"] == 3
    upload_id = created.json()["id"]
    diff = referent_api.get(f"{API}/user-list-uploads/{upload_id}/diff/").json()
    assert len(diff["added"]) == 3 and diff["removed"] == []
    url = f"{API}/user-list-uploads/{upload_id}/apply/"
    json = "application/json"
    first = referent_api.post(url, {}, content_type=json, HTTP_IDEMPOTENCY_KEY="apply-1")
    again = referent_api.post(url, {}, content_type=json, HTTP_IDEMPOTENCY_KEY="apply-1")
    assert first.status_code == again.status_code == 200
    assert again["Idempotent-Replayed"] == "true"
    assert referent_api.post(url, {}, content_type=json).status_code == 400  # applied once
    listed = referent_api.get(f"{API}/listed-users/").json()
    assert listed["count"] == 3


def test_o2_api_upload_with_problems_is_a_400_by_row_and_column(tenant_a, referent_api):
    response = referent_api.post(
        f"{API}/user-list-uploads/",
        body([HEADER, "x@bravo-segreta.example,A,B,"]),
        content_type="application/json",
    )
    assert response.status_code == 400
    assert "email" in response.json()["problems"]["2"]


def test_o2_api_refuses_bad_base64_and_oversized_content(tenant_a, referent_api, settings):
    bad = referent_api.post(
        f"{API}/user-list-uploads/",
        {"filename": "a.csv", "content": "%%%"},
        content_type="application/json",
    )
    assert bad.status_code == 400 and "content" in bad.json()
    settings.USER_LIST_MAX_BYTES = 10
    big = referent_api.post(
        f"{API}/user-list-uploads/validate/",
        body(users("alfa.example", 5)),
        content_type="application/json",
    )
    assert big.status_code == 400 and "content" in big.json()


def test_t1_api_another_tenants_upload_is_a_404(tenant_a, tenant_b, referent_api):
    bravo = Client(HTTP_AUTHORIZATION=f"Bearer {tenant_b.token_secret}")
    upload_id = bravo.post(
        f"{API}/user-list-uploads/",
        body(users("bravo-segreta.example", 1)),
        content_type="application/json",
    ).json()["id"]
    for path in ("", "diff/", "download/"):
        assert referent_api.get(f"{API}/user-list-uploads/{upload_id}/{path}").status_code == 404
    apply = f"{API}/user-list-uploads/{upload_id}/apply/"
    assert referent_api.post(apply, {}, content_type="application/json").status_code == 404
    with scopes_disabled():
        assert not ListedUser.objects.exists()


def test_c5_api_read_only_customer_cannot_upload(tenant_a, referent_api):
    with scopes_disabled():
        Organisation.objects.filter(pk=tenant_a.organisation.pk).update(
            access=Organisation.Access.READ_ONLY
        )
    response = referent_api.post(
        f"{API}/user-list-uploads/", body(users("alfa.example", 1)), content_type="application/json"
    )
    assert response.status_code == 400
    with scopes_disabled():
        assert not UserListUpload.objects.exists()


def test_o2_api_logos_and_whitelisting(tenant_a, referent_api):
    logo = referent_api.post(
        f"{API}/logos/",
        {"filename": "l.png", "variant": "light", "content": base64.b64encode(png()).decode()},
        content_type="application/json",
    )
    assert logo.status_code == 201 and logo.json()["width"] == 200
    svg = referent_api.post(
        f"{API}/logos/",
        {
            "filename": "d.svg",
            "variant": "dark",
            "content": base64.b64encode(b"<svg><script/></svg>").decode(),
        },
        content_type="application/json",
    )
    assert svg.status_code == 400
    download = referent_api.get(f"{API}/logos/{logo.json()['id']}/download/")
    assert download["Content-Disposition"].startswith("attachment")
    checks = dict.fromkeys(("phishing_mail", "awareness_mail", "channel_mail", "videos_play"), True)
    done = referent_api.post(f"{API}/whitelisting/", checks, content_type="application/json")
    assert done.status_code == 201 and done.json()["confirmed_at"]


def test_t2_api_an_end_user_gets_404_on_every_prerequisite_resource(tenant_a):
    from accounts import services as account_services

    _token, secret = account_services.api_token_create(user=tenant_a.end_user, name="script")
    client = Client(HTTP_AUTHORIZATION=f"Bearer {secret}")
    for resource in ("user-list-uploads", "listed-users", "logos", "whitelisting"):
        assert client.get(f"{API}/{resource}/").status_code == 404
    response = client.post(
        f"{API}/user-list-uploads/", body(users("alfa.example", 1)), content_type="application/json"
    )
    assert response.status_code == 404
    with scopes_disabled():
        assert not UserListUpload.objects.exists()
