"""SPEC L5: a user write that charges hours or sends mail happens once, whether the form is sent
twice (a one-time form token) or an API call is retried (the ``Idempotency-Key`` header), even
when both arrive at the same instant (real PostgreSQL, two connections, a barrier)."""

import json
import threading
from collections.abc import Callable
from datetime import timedelta

import pytest
from django.core import mail
from django.db import connection
from django.test import Client
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext
from django_scopes import scopes_disabled

from activities.models import ActivityRequest, RequestCharge, Statement, WorkSession
from contracts.models import IdempotencyKey, LedgerEntry
from contracts.services import idempotency_keys_purge
from csm_portal.idempotency import FORM_FIELD, new_form_token
from tests.activities.conftest import activity, complete, log, requested
from tests.activities.test_api import SESSIONS, api, session_body
from tests.conftest import client_for, make_tenant

pytestmark = pytest.mark.django_db(transaction=True)


def at_once(*calls: Callable[[], object]) -> list[object]:
    """Run the calls in threads released together by a barrier; their results in order."""
    barrier = threading.Barrier(len(calls))
    results: list[object] = [None] * len(calls)

    def run(index: int, call: Callable[[], object]) -> None:
        try:
            barrier.wait(timeout=10)
            results[index] = call()
        except Exception as error:  # noqa: BLE001 (the test shows what went wrong)
            results[index] = error
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i, c)) for i, c in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return results


@pytest.fixture
def alfa(provider_org, cstm):
    """A customer after its kick-off (SPEC O1), with one request to log time on."""
    tenant = make_tenant("Alfa Assicurazioni S.p.A.", "alfa.example", cstm=cstm)
    kickoff = requested(tenant, "kickoff")
    log(kickoff, cstm, 60)
    complete(kickoff, cstm)
    tenant.request = requested(tenant, "platform-support")
    return tenant


def counts(req: ActivityRequest) -> tuple[int, int, int]:
    with scopes_disabled():
        return (
            WorkSession.objects.filter(request=req).count(),
            RequestCharge.objects.filter(request=req).count(),
            LedgerEntry.objects.count(),
        )


def test_l5_log_time_form_sent_twice_at_once_logs_and_charges_once(alfa, cstm):
    """Two POSTs of the *Log time* form with the same one-time token at the same instant (two
    tabs, a double click): one work session, one ledger entry; the other answer shows the
    request with an "already recorded" message."""
    before = counts(alfa.request)
    url = reverse("work_log", args=[alfa.request.pk])
    data = {
        "worked_on": timezone.localdate().isoformat(),
        "minutes": "45",
        FORM_FIELD: new_form_token(),
    }
    clients = [client_for(cstm), client_for(cstm)]
    first, second = at_once(*(lambda c=c: c.post(url, data) for c in clients))
    assert first.status_code == 302 and second.status_code == 302, (first, second)
    assert counts(alfa.request) == (before[0] + 1, before[1] + 1, before[2] + 1)
    with scopes_disabled():
        assert WorkSession.objects.filter(request=alfa.request).get().minutes == 45
    # The same token once more, later (a browser's "resend"): nothing more, a clear message.
    again = clients[0].post(url, data, follow=True)
    assert counts(alfa.request) == (before[0] + 1, before[1] + 1, before[2] + 1)
    with translation.override("it"):
        expected = gettext("Already recorded: this form was sent twice and was done once only.")
    assert expected in [str(m) for m in again.context["messages"]]
    assert again.redirect_chain[-1][0] == alfa.request.get_absolute_url()


def test_l5_log_time_form_without_its_token_writes_nothing(alfa, cstm):
    """A form without its one-time token (an old page) is refused with a message and writes
    nothing; the page is shown again with a fresh token."""
    before = counts(alfa.request)
    response = client_for(cstm).post(
        reverse("work_log", args=[alfa.request.pk]),
        {"worked_on": timezone.localdate().isoformat(), "minutes": "45"},
    )
    assert response.status_code == 200
    assert counts(alfa.request) == before
    assert response.context["form"].non_field_errors()
    assert f'name="{FORM_FIELD}"' in response.content.decode()


def test_l5_complete_sent_twice_at_once_issues_one_statement_and_one_mail(alfa, cstm):
    """*Complete* at the same instant in two tabs with the same token: one statement, one
    mail to the referent."""
    log(alfa.request, cstm, 45)
    mail.outbox.clear()
    url = reverse("activity_request_transition", args=[alfa.request.pk, "complete"])
    data = {FORM_FIELD: new_form_token()}
    clients = [client_for(cstm), client_for(cstm)]
    results = at_once(*(lambda c=c: c.post(url, data) for c in clients))
    assert [r.status_code for r in results] == [302, 302], results
    with scopes_disabled():
        assert Statement.objects.filter(request=alfa.request).count() == 1
    assert [m.to for m in mail.outbox] == [[alfa.referent.email]]


def test_l5_api_log_time_retried_at_once_with_the_same_idempotency_key_charges_once(alfa, cstm):
    """Two ``POST /work-sessions/`` with the same Idempotency-Key at the same instant: one
    session and one ledger entry; both answers are the same 201, one of them replayed."""
    before = counts(alfa.request)
    body = session_body(alfa.request, minutes=45)
    headers = {"HTTP_IDEMPOTENCY_KEY": "3f0c1c1e-6b7a-4c3e-9d7a-1a2b3c4d5e6f"}
    clients = [api(cstm), api(cstm)]
    results = at_once(
        *(
            lambda c=c: c.post(SESSIONS, body, content_type="application/json", **headers)
            for c in clients
        )
    )
    assert [r.status_code for r in results] == [201, 201], results
    assert results[0].json() == results[1].json()
    assert sorted(r.get("Idempotent-Replayed", "") for r in results) == ["", "true"]
    assert counts(alfa.request) == (before[0] + 1, before[1] + 1, before[2] + 1)


def test_l5_api_the_same_idempotency_key_with_a_different_body_is_refused(alfa, cstm):
    """The same key with another body is a 422 that says so, and writes nothing; the same key
    on another user's call or without a key, the write happens as usual."""
    client = api(cstm)
    headers = {"HTTP_IDEMPOTENCY_KEY": "retry-me-1"}
    first = client.post(
        SESSIONS,
        session_body(alfa.request, minutes=30),
        content_type="application/json",
        **headers,
    )
    assert first.status_code == 201
    before = counts(alfa.request)
    other = client.post(
        SESSIONS,
        session_body(alfa.request, minutes=50),
        content_type="application/json",
        **headers,
    )
    assert other.status_code == 422
    assert "Idempotency-Key" in other.json()["detail"]
    assert counts(alfa.request) == before
    bad = client.post(
        SESSIONS,
        session_body(alfa.request, minutes=30),
        content_type="application/json",
        HTTP_IDEMPOTENCY_KEY="with spaces",
    )
    assert bad.status_code == 400 and "Idempotency-Key" in bad.json()
    assert counts(alfa.request) == before


def test_l5_api_a_refused_write_keeps_no_key_so_the_corrected_retry_runs(alfa, cstm):
    """A refused write (400) stores nothing under its key: the corrected call with the same
    key is done."""
    client = api(cstm)
    headers = {"HTTP_IDEMPOTENCY_KEY": "fix-and-retry"}
    future = (timezone.localdate() + timedelta(days=3)).isoformat()
    refused = client.post(
        SESSIONS,
        session_body(alfa.request, minutes=30, worked_on=future),
        content_type="application/json",
        **headers,
    )
    assert refused.status_code == 400
    assert not IdempotencyKey.objects.exists()
    done = client.post(
        SESSIONS,
        session_body(alfa.request, minutes=30),
        content_type="application/json",
        **headers,
    )
    assert done.status_code == 201


def test_l5_api_a_retried_activity_request_is_replayed_not_made_twice(alfa, cstm):
    """A retried activity request (the referent's API client timed out) creates one request;
    the replay carries the first answer."""
    client = api(alfa.referent)
    body = {"activity": activity("sal-review").pk, "details": "Retry me"}
    headers = {"HTTP_IDEMPOTENCY_KEY": "request-once"}
    url = "/api/v1/activity-requests/"
    one = client.post(url, body, content_type="application/json", **headers)
    two = client.post(url, body, content_type="application/json", **headers)
    assert (one.status_code, two.status_code) == (201, 201)
    assert one.json()["id"] == two.json()["id"]
    with scopes_disabled():
        assert ActivityRequest.objects.filter(details="Retry me").count() == 1


def test_l5_idempotency_keys_are_documented_in_the_openapi_schema(admin_user):
    """Every write that charges hours or sends mail documents the optional ``Idempotency-Key``
    header and the 422 of a reused key."""
    response = Client().get("/api/v1/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")
    assert response.status_code == 200, response
    schema = json.loads(response.content)
    operations = [
        ("/api/v1/activity-requests/", "post"),
        ("/api/v1/activity-requests/{id}/formalise/", "post"),
        ("/api/v1/activity-requests/{id}/estimate/", "post"),
        ("/api/v1/activity-requests/{id}/accept-estimate/", "post"),
        ("/api/v1/activity-requests/{id}/decline-estimate/", "post"),
        ("/api/v1/activity-requests/{id}/complete/", "post"),
        ("/api/v1/work-sessions/", "post"),
        ("/api/v1/contracts/{id}/activate/", "post"),
        ("/api/v1/licence-years/{id}/packs/", "post"),
        ("/api/v1/ledger-entries/{id}/reverse/", "post"),
    ]
    for path, method in operations:
        operation = schema["paths"][path][method]
        headers = [p["name"] for p in operation.get("parameters", []) if p["in"] == "header"]
        assert "Idempotency-Key" in headers, path
        assert "422" in operation["responses"], path


def test_l5_idempotency_keys_are_purged_after_24_hours(alfa, cstm):
    """The daily purge forgets keys older than 24 hours and keeps the recent ones."""
    old = IdempotencyKey.objects.create(user=cstm, scope="form /x/", key="a" * 32)
    IdempotencyKey.objects.filter(pk=old.pk).update(created_at=timezone.now() - timedelta(hours=25))
    recent = IdempotencyKey.objects.create(user=cstm, scope="form /x/", key="b" * 32)
    assert idempotency_keys_purge() == 1
    assert list(IdempotencyKey.objects.values_list("pk", flat=True)) == [recent.pk]


def test_l5_t1_another_organisations_request_is_404_whatever_the_idempotency_key(alfa, cstm):
    """The header is looked at only after the object is found in the user's scope: another
    organisation's request is a 404 with a valid or an invalid key, and no key is stored."""
    bravo = make_tenant("Bravo Banca Segreta S.p.A.", "bravo-segreta.example")
    foreign = requested(bravo, "kickoff")
    client = api(cstm)
    for key in ("valid-key-1", "not a valid key"):
        response = client.post(
            f"/api/v1/activity-requests/{foreign.pk}/complete/",
            {},
            content_type="application/json",
            HTTP_IDEMPOTENCY_KEY=key,
        )
        assert response.status_code == 404, (key, response.content)
    assert not IdempotencyKey.objects.exists()
