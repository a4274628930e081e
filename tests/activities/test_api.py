"""Activities in the API: the same rules as the pages, from the same services (SPEC H3–H8, T1)."""

import itertools
from decimal import Decimal

import pytest
from django.test import Client
from django.utils import timezone
from django_scopes import scopes_disabled

from accounts import services as account_services
from activities.models import Activity, ActivityRequest, Statement, WorkSession
from contracts.models import LedgerEntry
from tests.activities.conftest import activity, complete, fresh, log, requested

pytestmark = pytest.mark.django_db

REQUESTS = "/api/v1/activity-requests/"
SESSIONS = "/api/v1/work-sessions/"
_tokens = itertools.count(1)


def api(user) -> Client:
    _token, secret = account_services.api_token_create(user=user, name=f"test {next(_tokens)}")
    return Client(HTTP_AUTHORIZATION=f"Bearer {secret}")


def post(client: Client, url: str, data: dict | None = None):
    return client.post(url, data or {}, content_type="application/json")


def completed_kickoff(tenant) -> Statement:
    """The tenant's kick-off, logged by its own CSTM and completed: its statement (H7)."""
    kickoff = requested(tenant, "kickoff", details=f"Kick-off agenda of {tenant.organisation}")
    log(kickoff, tenant.assignment.cstm, 60)
    complete(kickoff, tenant.assignment.cstm)
    with scopes_disabled():
        return Statement.objects.get(request=kickoff)


def written(req) -> tuple[int, int, str]:
    """What logging time writes: sessions, ledger entries, and the request's status."""
    with scopes_disabled():
        return (
            WorkSession.objects.filter(request=req).count(),
            LedgerEntry.objects.count(),
            ActivityRequest.objects.get(pk=req.pk).status,
        )


def session_body(req, **values) -> dict:
    return {"request": req.pk, "worked_on": timezone.localdate().isoformat(), **values}


def test_h8_the_referent_requests_an_activity_in_writing(kicked_off):
    client = api(kicked_off.referent)
    body = {"activity": activity("sal-review").pk, "details": "Mid-term review, please"}
    response = post(client, REQUESTS, body)
    assert response.status_code == 201, response.json()
    created = response.json()
    assert created["organisation"] == kicked_off.organisation.pk
    assert (created["status"], created["channel"]) == ("requested", "portal")
    assert (created["minimum_hours"], created["charged_total"]) == ("1.00", "0.00")
    assert created["statement"] is None
    # H8: a referent asks in writing; a phone call is the CSTM's to record.
    response = post(client, REQUESTS, {**body, "channel": "phone"})
    assert response.status_code == 400 and "channel" in response.json()
    listing = client.get(REQUESTS, {"status": "open"}).json()
    assert [r["id"] for r in listing["results"]] == [created["id"]]


def test_h8_a_cstm_records_a_phone_request_and_the_referent_formalises_it(kicked_off, cstm):
    client = api(cstm)
    body = {"activity": activity("sal-review").pk}
    response = post(client, REQUESTS, body)
    assert response.status_code == 400
    assert {"organisation", "channel"} <= set(response.json())
    response = post(client, REQUESTS, {**body, "organisation": kicked_off.organisation.pk})
    assert response.status_code == 400 and "channel" in response.json()
    response = post(
        client, REQUESTS, {**body, "organisation": kicked_off.organisation.pk, "channel": "phone"}
    )
    assert response.status_code == 201 and response.json()["status"] == "to_be_formalised"
    url = f"{REQUESTS}{response.json()['id']}/formalise/"
    assert post(client, url).status_code == 403  # only the referent confirms in writing
    response = post(api(kicked_off.referent), url)
    assert response.status_code == 200 and response.json()["status"] == "requested"


def test_h4_h5_a_customer_caused_overrun_of_75_minutes_is_charged_1_5_hours(kicked_off, cstm):
    req = requested(kicked_off, "platform-support")
    response = post(
        api(cstm),
        SESSIONS,
        session_body(
            req,
            starts_at="10:00",
            ends_at="11:15",
            customer_caused=True,
            overrun_reason="The customer's VPN was down",
        ),
    )
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["session"]["minutes"] == 75 and body["session"]["request"] == req.pk
    charge = body["charge"]
    assert (charge["hours"], charge["rule"], charge["delta"]) == (
        "1.50",
        "overrun_customer",
        "1.50",
    )
    assert "VPN" in charge["explanation"] and charge["overdrawn"] is False
    assert Decimal(charge["remaining_before"]) - Decimal(charge["remaining_after"]) == Decimal(
        "1.5"
    )
    detail = api(kicked_off.referent).get(f"{REQUESTS}{req.pk}/").json()
    assert (detail["charged_total"], detail["status"]) == ("1.50", "in_progress")
    assert detail["customer_caused"] is True


def test_the_charge_preview_writes_nothing(kicked_off, cstm):
    req = requested(kicked_off, "platform-support")
    before = written(req)
    response = post(
        api(cstm),
        f"{REQUESTS}{req.pk}/charge-preview/",
        {
            "worked_on": timezone.localdate().isoformat(),
            "minutes": 75,
            "customer_caused": True,
            "overrun_reason": "Missing admin rights on the customer's side",
        },
    )
    assert response.status_code == 200, response.json()
    preview = response.json()
    assert (preview["hours"], preview["already"], preview["delta"]) == ("1.50", "0.00", "1.50")
    assert preview["rule"] == "overrun_customer" and preview["minutes_total"] == 75
    assert preview["overdrawn"] is False and preview["explanation"]
    assert written(req) == before


def test_the_charge_preview_is_for_staff_who_log_time(kicked_off, agent):
    req = requested(kicked_off, "platform-support")
    url = f"{REQUESTS}{req.pk}/charge-preview/"
    body = {"worked_on": timezone.localdate().isoformat(), "minutes": 30}
    assert post(api(kicked_off.referent), url, body).status_code == 403
    assert post(api(agent), url, body).status_code == 403  # the desk reads, it does not log
    assert post(api(kicked_off.end_user), url, body).status_code == 404


@pytest.mark.parametrize(
    ("values", "field"),
    [
        ({"minutes": 0}, "minutes"),
        ({"minutes": -30}, "minutes"),
        ({"starts_at": "11:00", "ends_at": "10:00"}, "ends_at"),  # end before start
        ({}, "minutes"),  # neither times nor duration
        ({"minutes": 90, "customer_caused": True}, "overrun_reason"),  # H5: undocumented
        ({"minutes": 90, "customer_caused": "yes"}, "customer_caused"),
    ],
)
def test_bad_input_is_a_400_naming_the_field_and_writes_nothing(kicked_off, cstm, values, field):
    req = requested(kicked_off, "platform-support")
    before = written(req)
    client = api(cstm)
    response = post(client, SESSIONS, session_body(req, **values))
    assert response.status_code == 400 and field in response.json(), response.json()
    preview = post(client, f"{REQUESTS}{req.pk}/charge-preview/", session_body(req, **values))
    assert preview.status_code == 400 and field in preview.json()
    assert written(req) == before


def test_o1_nothing_is_logged_before_the_kickoff(tenant_a, cstm):
    req = requested(tenant_a, "platform-support")
    before = written(req)
    response = post(api(cstm), SESSIONS, session_body(req, minutes=60))
    assert response.status_code == 400 and "non_field_errors" in response.json()
    assert written(req) == before


def test_h7_completing_issues_the_statement_the_referent_downloads(kicked_off, cstm):
    req = requested(kicked_off, "platform-support")
    log(req, cstm, 40)
    assert post(api(kicked_off.referent), f"{REQUESTS}{req.pk}/complete/").status_code == 403
    response = post(api(cstm), f"{REQUESTS}{req.pk}/complete/")
    assert response.status_code == 200 and response.json()["status"] == "completed"
    statement_id = response.json()["statement"]
    client = api(kicked_off.referent)
    statement = client.get(f"/api/v1/statements/{statement_id}/").json()
    assert (statement["request"], statement["hours_charged"]) == (req.pk, "1.00")
    download = client.get(f"/api/v1/statements/{statement_id}/download/")
    assert download.status_code == 200 and download["Content-Type"] == "application/pdf"
    assert b"".join(download.streaming_content)[:5] == b"%PDF-"


def test_t1_a_referent_gets_404_for_another_organisations_request_and_statement(
    kicked_off, tenant_b
):
    statement_b = completed_kickoff(tenant_b)
    client = api(kicked_off.referent)
    own = [r["id"] for r in client.get(REQUESTS).json()["results"]]
    assert own and statement_b.request_id not in own  # A's own kick-off only
    for url in (
        f"{REQUESTS}{statement_b.request_id}/",
        f"/api/v1/statements/{statement_b.pk}/",
        f"/api/v1/statements/{statement_b.pk}/download/",
    ):
        response = client.get(url)
        assert response.status_code == 404, url
        assert tenant_b.organisation.name not in response.content.decode()
    for transition in ("cancel", "formalise", "accept-estimate"):
        assert post(client, f"{REQUESTS}{statement_b.request_id}/{transition}/").status_code == 404
    statements = client.get("/api/v1/statements/").json()["results"]
    assert statement_b.number not in [s["number"] for s in statements]
    assert fresh(statement_b.request).status == ActivityRequest.Status.COMPLETED


def test_t1_a_cstm_cannot_log_time_on_an_organisation_not_assigned_to_them(
    kicked_off, cstm, tenant_b
):
    req_b = requested(tenant_b, "kickoff")
    before = written(req_b)
    client = api(cstm)
    assert client.get(f"{REQUESTS}{req_b.pk}/").status_code == 404
    response = post(client, SESSIONS, session_body(req_b, minutes=30))
    assert response.status_code == 400 and "request" in response.json()
    assert post(client, f"{REQUESTS}{req_b.pk}/charge-preview/", {}).status_code == 404
    assert written(req_b) == before


def test_the_end_user_gets_404_and_work_sessions_are_internal(kicked_off, cstm, agent):
    req = requested(kicked_off, "platform-support")
    log(req, cstm, 30)
    end_user = api(kicked_off.end_user)
    for url in (
        "/api/v1/activities/",
        REQUESTS,
        f"{REQUESTS}{req.pk}/",
        SESSIONS,
        "/api/v1/statements/",
    ):
        assert end_user.get(url).status_code == 404, url
    assert post(end_user, REQUESTS, {"activity": activity("sso").pk}).status_code == 404
    # Time sheets are the provider's: the referent sees charges and statements, not sessions.
    assert api(kicked_off.referent).get(SESSIONS).status_code == 404
    sessions = api(agent).get(SESSIONS).json()["results"]
    assert req.pk in [s["request"] for s in sessions]
    assert post(api(agent), REQUESTS, {"activity": activity("sso").pk}).status_code == 403


def test_the_catalogue_is_read_by_all_readers_and_edited_by_admins(kicked_off, cstm, admin_user):
    support = activity("platform-support")
    listing = api(kicked_off.referent).get("/api/v1/activities/", {"phase": "post_go_live"})
    names = [a["name_en"] for a in listing.json()["results"]]
    assert support.name_en in names and "Kick-off meeting" not in names
    url = f"/api/v1/activities/{support.pk}/"
    patch = {"minimum_hours": "1.50"}
    assert api(cstm).patch(url, patch, content_type="application/json").status_code == 403
    client = api(admin_user)
    for bad in ("1.25", 1.5):  # half hours; hours are decimal strings, never floats (H9)
        response = client.patch(url, {"minimum_hours": bad}, content_type="application/json")
        assert response.status_code == 400 and "minimum_hours" in response.json()
    response = client.patch(url, patch, content_type="application/json")
    assert response.status_code == 200 and response.json()["minimum_hours"] == "1.50"
    with scopes_disabled():
        assert Activity.objects.get(pk=support.pk).minimum_hours == Decimal("1.5")


def test_only_an_admin_approves_an_overrun_of_the_balance(kicked_off, cstm, admin_user):
    req = requested(kicked_off, "platform-support")
    url = f"{REQUESTS}{req.pk}/approve-overdraft/"
    assert post(api(cstm), url, {"hours": "2.00"}).status_code == 403
    client = api(admin_user)
    assert post(client, url, {"hours": 2}).status_code == 400  # a decimal string (H9)
    response = post(client, url, {"hours": "2.00"})
    assert response.status_code == 200 and response.json()["overdraft_allowed_hours"] == "2.00"
