"""Contracts in the API: the same rules as the pages (SPEC C1–C5, H1, H2, H9, H10, T1)."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.utils import timezone
from django_scopes import scopes_disabled

from accounts import services as account_services
from contracts import services
from contracts.models import Contract, HourPack, LedgerEntry

pytestmark = pytest.mark.django_db


def api(user) -> Client:
    _token, secret = account_services.api_token_create(user=user, name="test")
    return Client(HTTP_AUTHORIZATION=f"Bearer {secret}")


def test_the_balance_endpoint_gives_the_current_licence_year(tenant_a):
    """SPEC H10: allocation, packs, charged, remaining for the current licence year."""
    response = api(tenant_a.referent).get(f"/api/v1/contracts/{tenant_a.contract.pk}/balance/")
    assert response.status_code == 200
    body = response.json()
    assert body["is_current"] is True and body["index"] == 1
    assert (body["allocation"], body["packs"], body["charged"], body["remaining"]) == (
        "20.00",
        "8.00",
        "1.50",
        "26.50",
    )


def test_a_referent_sees_only_their_contracts_and_ledger(tenant_a, tenant_b):
    """SPEC T1."""
    client = api(tenant_a.referent)
    contracts = client.get("/api/v1/contracts/").json()
    assert [c["number"] for c in contracts["results"]] == [tenant_a.contract.number]
    assert client.get(f"/api/v1/contracts/{tenant_b.contract.pk}/balance/").status_code == 404
    entries = client.get("/api/v1/ledger-entries/").json()["results"]
    assert [e["description"] for e in entries] == [tenant_a.entry.description]
    assert client.get(f"/api/v1/ledger-entries/{tenant_b.entry.pk}/").status_code == 404


def test_a_cstm_records_and_activates_a_contract_with_the_page_rules(cstm, tenant_a):
    client = api(cstm)
    today = timezone.localdate()
    payload = {
        "organisation": tenant_a.organisation.pk,
        "number": "API-1",
        "sales_channel": "msp",
        "signed_on": str(today),
        "starts_on": str(today),
        "expires_on": str(today + timedelta(days=365)),
        "hours_per_year": "10.00",
        "services": [{"name": "Awareness", "licences": 50}],
    }
    response = client.post("/api/v1/contracts/", payload, content_type="application/json")
    assert response.status_code == 400 and "hours_per_year" in response.json()  # SPEC C2: MSP
    payload["expires_on"] = str(today - timedelta(days=1))
    payload["sales_channel"] = "direct"
    response = client.post("/api/v1/contracts/", payload, content_type="application/json")
    assert response.status_code == 400 and "expires_on" in response.json()
    with scopes_disabled():
        assert not Contract.objects.filter(number="API-1").exists()
        Contract.objects.filter(pk=tenant_a.contract.pk).update(status=Contract.Status.CLOSED)
    payload["expires_on"] = str(today + timedelta(days=365))
    response = client.post("/api/v1/contracts/", payload, content_type="application/json")
    assert response.status_code == 201, response.json()
    created = response.json()
    assert created["status"] == "draft" and created["services"] == [
        {"name": "Awareness", "licences": 50}
    ]
    response = client.post(f"/api/v1/contracts/{created['id']}/activate/")
    assert response.status_code == 200 and response.json()["status"] == "active"


def test_packs_only_by_admins_and_never_under_8_hours(admin_user, cstm, tenant_a):
    """SPEC H2."""
    url = f"/api/v1/licence-years/{tenant_a.entry.licence_year_id}/packs/"
    assert api(cstm).post(url, {"hours": "10"}, content_type="application/json").status_code == 403
    client = api(admin_user)
    assert client.post(url, {"hours": "7.50"}, content_type="application/json").status_code == 400
    response = client.post(url, {"hours": "12.00"}, content_type="application/json")
    assert response.status_code == 201
    with scopes_disabled():
        assert HourPack.objects.filter(licence_year_id=tenant_a.entry.licence_year_id).count() == 2


def test_a_charge_is_reversed_once(cstm, tenant_a):
    """SPEC H9."""
    client = api(cstm)
    url = f"/api/v1/ledger-entries/{tenant_a.entry.pk}/reverse/"
    response = client.post(url, {"reason": "Wrong customer"}, content_type="application/json")
    assert response.status_code == 201 and response.json()["hours"] == "-1.50"
    assert client.post(url, {"reason": "again"}, content_type="application/json").status_code == 400
    with scopes_disabled():
        assert LedgerEntry.objects.filter(reverses=tenant_a.entry).count() == 1


def test_the_referent_accepts_the_pending_terms_through_the_api(admin_user, tenant_a):
    """SPEC C4."""
    documents = [
        services.terms_document_publish(
            kind=kind,
            version="1",
            file=SimpleUploadedFile("t.pdf", b"%PDF-1.4\n%%EOF"),
            by=admin_user,
        )
        for kind in ("eula", "sla", "dpa")
    ]
    client = api(tenant_a.referent)
    assert client.get("/api/v1/contracts/").status_code == 403  # held at the gate
    ids = [d.pk for d in documents]
    assert (
        client.post(
            "/api/v1/acceptances/", {"documents": ids[:2]}, content_type="application/json"
        ).status_code
        == 400
    )
    response = client.post(
        "/api/v1/acceptances/", {"documents": ids}, content_type="application/json"
    )
    assert response.status_code == 201 and len(response.json()) == 3
    assert client.get("/api/v1/contracts/").status_code == 200
    assert (
        client.post(
            "/api/v1/acceptances/", {"documents": ids}, content_type="application/json"
        ).status_code
        == 400
    )


def test_hours_are_exact_decimal_strings(tenant_a):
    """SPEC H9: never floats, in the API either."""
    years = (
        api(tenant_a.referent).get(f"/api/v1/licence-years/?contract={tenant_a.contract.pk}").json()
    )
    first = years["results"][0]
    assert first["remaining"] == "26.50" and isinstance(first["allocation"], str)
    assert Decimal(first["charged"]) == Decimal("1.5")
