"""Measure the signed-in fixed cost (issue 15). Not part of the suite (no test_ prefix): run it
on purpose, it prints a table of the queries and milliseconds a constant view costs anonymous and
signed in, with connections closed after each request (0) and kept (60 s):

    N=300 python -m pytest -q -p no:cacheprovider -s tests/accounts/measure_fixed_cost.py

Timing belongs here and in `make bench`, never in an assertion of the suite."""

import os
import time

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.http import HttpRequest, JsonResponse
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import path
from django_scopes import scopes_disabled

import csm_portal.urls
from contracts import services as contract_services
from tests.conftest import client_for

N = int(os.environ.get("N", "300"))


def floor(request: HttpRequest) -> JsonResponse:
    return JsonResponse({"ok": True})


urlpatterns = [path("floor/", floor), *csm_portal.urls.urlpatterns]


def run(client: Client, label: str, max_age: int) -> tuple[float, list[str]]:
    for _ in range(20):
        assert client.get("/floor/").status_code == 200
    with CaptureQueriesContext(connection) as context:
        client.get("/floor/")
    queries = [query["sql"] for query in context.captured_queries]
    start = time.perf_counter()
    for _ in range(N):
        client.get("/floor/")
    ms = (time.perf_counter() - start) * 1000 / N
    print(f"{label:<22} conn_max_age={max_age:<3} queries={len(queries):<3} ms/request={ms:6.2f}")
    return ms, queries


@pytest.mark.parametrize("max_age", [0, 60])
def test_measure(transactional_db, settings, tenant_a, admin_user, cstm, max_age):
    settings.ROOT_URLCONF = __name__
    for kind in ("eula", "sla", "dpa"):
        pdf = SimpleUploadedFile("t.pdf", b"%PDF-1.7\n%%EOF\n", content_type="application/pdf")
        contract_services.terms_document_publish(kind=kind, version="1", file=pdf, by=admin_user)
    with scopes_disabled():
        contract_services.terms_accept(
            organisation=tenant_a.organisation,
            documents=contract_services.current_documents(),
            user=tenant_a.referent,
            ip_address=None,
        )
    connection.settings_dict["CONN_MAX_AGE"] = max_age
    connection.close()
    anonymous, _ = run(Client(), "anonymous", max_age)
    people = [
        ("cstm", cstm),
        ("admin (MFA passed)", admin_user),
        ("referent (terms ok)", tenant_a.referent),
        ("end user", tenant_a.end_user),
    ]
    for label, user in people:
        ms, queries = run(client_for(user), label, max_age)
        extra = ms - anonymous
        print(f"{'':<22} +{extra:5.2f} ms before the view; {anonymous / ms:4.0%} of anonymous")
        if os.environ.get("SQL"):
            for sql in queries:
                print("      ", sql[:150])
