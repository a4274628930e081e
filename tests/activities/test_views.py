"""Activity pages: who sees what, the log form's preview and errors, constant queries
(SPEC H3–H8, T1)."""

from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from django_scopes import scopes_disabled

from activities.models import ActivityRequest, WorkSession
from contracts.models import LedgerEntry
from tests.activities.conftest import activity, complete, log, once, requested
from tests.conftest import client_for

pytestmark = pytest.mark.django_db


def test_the_referent_requests_in_the_portal_and_the_end_user_cannot(kicked_off):
    url = reverse("activity_request_create")
    assert client_for(kicked_off.end_user).get(url).status_code == 404  # H8: only the referent
    response = client_for(kicked_off.referent).post(
        url, once({"activity": activity("sal-review").pk, "details": "Mid-term review"})
    )
    with scopes_disabled():
        req = ActivityRequest.objects.get(details="Mid-term review")
    assert response["Location"] == req.get_absolute_url()
    assert req.status == ActivityRequest.Status.REQUESTED and req.channel == "portal"


def test_a_cstm_records_a_phone_request_to_be_formalised(kicked_off, cstm):
    response = client_for(cstm).post(
        reverse("activity_request_create"),
        once(
            {
                "organisation": kicked_off.organisation.pk,
                "activity": activity("sal-review").pk,
                "channel": "phone",
            }
        ),
    )
    assert response.status_code == 302
    with scopes_disabled():
        req = ActivityRequest.objects.get(activity__code="sal-review")
    assert req.status == ActivityRequest.Status.TO_BE_FORMALISED  # H8
    page = client_for(kicked_off.referent).get(req.get_absolute_url())
    assert "formalise" in page.content.decode()
    client_for(kicked_off.referent).post(
        reverse("activity_request_transition", args=[req.pk, "formalise"]), once()
    )
    with scopes_disabled():
        assert ActivityRequest.objects.get(pk=req.pk).formalised_at is not None


def test_h3_h5_the_log_form_shows_the_charge_before_saving(kicked_off, cstm):
    req = requested(kicked_off, "platform-support")
    client = client_for(cstm)
    data = {
        "worked_on": timezone.localdate().isoformat(),
        "starts_at": "10:00",
        "ends_at": "11:15",
        "customer_caused": "on",
        "overrun_reason": "Customer's VPN was down",
    }
    preview = client.post(reverse("work_preview", args=[req.pk]), data)
    assert preview.context["plan"].charge.hours == Decimal("1.5")
    with scopes_disabled():
        assert not WorkSession.objects.filter(request=req).exists()  # a preview writes nothing
    response = client.post(reverse("work_log", args=[req.pk]), once(data))
    assert response.status_code == 302
    with scopes_disabled():
        assert WorkSession.objects.get(request=req).minutes == 75


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"starts_at": "11:00", "ends_at": "10:00"}, "ends_at"),  # end before start
        ({"minutes": "0"}, "minutes"),
        ({"minutes": "-30"}, "minutes"),
        ({}, "minutes"),  # neither times nor duration
        ({"minutes": "90", "customer_caused": "on"}, "overrun_reason"),  # H5: undocumented
    ],
)
def test_bad_input_on_the_log_form_is_explained_and_writes_nothing(kicked_off, cstm, data, field):
    req = requested(kicked_off, "platform-support")
    with scopes_disabled():
        entries = LedgerEntry.objects.count()
    response = client_for(cstm).post(
        reverse("work_log", args=[req.pk]), once({"worked_on": timezone.localdate(), **data})
    )
    assert response.status_code == 200
    assert field in response.context["form"].errors
    with scopes_disabled():
        assert LedgerEntry.objects.count() == entries
        assert not WorkSession.objects.filter(request=req).exists()


def test_t1_a_referent_never_sees_another_organisations_request(kicked_off, tenant_b, cstm):
    req = requested(kicked_off, "platform-support")
    client = client_for(tenant_b.referent)
    assert client.get(req.get_absolute_url()).status_code == 404
    listing = client.get(reverse("activity_request_list")).content.decode()
    assert kicked_off.organisation.name not in listing


def test_the_request_list_uses_a_constant_number_of_queries(kicked_off, cstm):
    client = client_for(cstm)
    url = reverse("activity_request_list")
    requested(kicked_off, "platform-support")
    with CaptureQueriesContext(connection) as few:
        assert client.get(url).status_code == 200
    for code in ("sal-review", "sso", "whitelisting", "training-plan", "launch-email"):
        log(requested(kicked_off, code), cstm, 30)
    with CaptureQueriesContext(connection) as many:
        assert client.get(url).status_code == 200
    assert len(many) == len(few)


def test_h7_statement_download_only_for_the_organisation(kicked_off, tenant_b, cstm):
    req = requested(kicked_off, "platform-support")
    log(req, cstm, 30)
    complete(req, cstm)
    with scopes_disabled():
        statement = ActivityRequest.objects.get(pk=req.pk).statement
    url = reverse("statement_download", args=[statement.pk])
    response = client_for(kicked_off.referent).get(url)
    assert response.status_code == 200 and b"".join(response.streaming_content)[:5] == b"%PDF-"
    assert client_for(tenant_b.referent).get(url).status_code == 404
    assert client_for(kicked_off.end_user).get(url).status_code == 404
    hours = client_for(kicked_off.referent).get(reverse("hours")).content.decode()
    assert statement.number in hours


def test_catalogue_is_readable_and_only_admins_edit(kicked_off, cstm, admin_user):
    assert client_for(kicked_off.referent).get(reverse("catalogue")).status_code == 200
    support = activity("platform-support")
    url = reverse("activity_edit", args=[support.pk])
    assert client_for(cstm).get(url).status_code == 404
    assert client_for(admin_user).get(url).status_code == 200
